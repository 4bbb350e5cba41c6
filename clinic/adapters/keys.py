"""The one application key: pseudonymous ids, signed button ids and signed download links all
derive their own key from it (HMAC with a label), so one secret is enough to configure.

Changing the key changes every patient's id: appointments, names and buttons would silently
become unreachable. So the database keeps a fingerprint of the key its ids were made with; a
process started with another key refuses to start, and `clinic keys rotate` re-keys the ids
in one transaction instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Table, delete, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from clinic.adapters.settings import SettingsError
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import (
    appointments,
    audit_log,
    conversation_log,
    conversations,
    patients,
    secrets_table,
    staff_alerts,
    whatsapp_contacts,
    whatsapp_inbound,
    whatsapp_outbound,
)

KEY_NAME = "patient_id_key"
FINGERPRINT_NAME = "patient_id_key_fingerprint"
#: Tables holding a pseudonymous patient id, and the column. Rasa's own `events` table, when it
#: is in the same database, is re-keyed too (its `sender_id`).
PATIENT_ID_COLUMNS: tuple[tuple[Table, str], ...] = (
    (appointments, "patient_id"),
    (patients, "patient_id"),
    (conversations, "patient_id"),
    (conversation_log, "patient_id"),
    (staff_alerts, "patient_id"),
    (whatsapp_contacts, "patient_id"),
    (whatsapp_inbound, "patient_id"),
    (whatsapp_outbound, "patient_id"),
)


class KeyMismatch(SettingsError):
    """PATIENT_ID_KEY is not the key the stored patient ids were made with."""


def fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it (safe to store beside the data, and to print)."""
    return hmac.new(key, b"key-fingerprint", hashlib.sha256).hexdigest()[:16]


def _read(connection: Connection, name: str) -> str | None:
    row = connection.execute(select(secrets_table.c.value).where(secrets_table.c.name == name))
    found = row.first()
    return str(found.value) if found else None


def _insert(database: Database, name: str, value: str) -> None:
    try:
        with database.transaction() as connection:
            connection.execute(secrets_table.insert().values(name=name, value=value))
    except IntegrityError:
        pass  # another process wrote it first: theirs is read back


def load_key(database: Database, override: str | None = None) -> bytes:
    """PATIENT_ID_KEY when set; else a random key generated once and shared through the database.

    Every Rasa replica, worker and CLI reads the same row, so ids agree everywhere with no setup.
    Raises KeyMismatch when the key differs from the one the database's ids were made with.
    """
    if override:
        key = override.encode()
    else:
        with database.transaction() as connection:
            stored = _read(connection, KEY_NAME)
        if stored is None:
            _insert(database, KEY_NAME, secrets.token_urlsafe(32))
            with database.transaction() as connection:
                stored = _read(connection, KEY_NAME)
        key = (stored or "").encode()
    _check(database, key)
    return key


def _check(database: Database, key: bytes) -> None:
    with database.transaction() as connection:
        known = _read(connection, FINGERPRINT_NAME)
    if known is None:
        _insert(database, FINGERPRINT_NAME, fingerprint(key))
        with database.transaction() as connection:
            known = _read(connection, FINGERPRINT_NAME)
    if known != fingerprint(key):
        raise KeyMismatch(
            "PATIENT_ID_KEY is not the key this database's patient ids were made with "
            f"(fingerprint {fingerprint(key)}, expected {known}): restore it, or run "
            "`clinic keys rotate` to re-key the ids"
        )


def rotate(database: Database, old: bytes, new: bytes, rekey: dict[str, str]) -> int:
    """Re-key patient ids in one transaction: `rekey` maps each old id to its new one (the
    caller derives them, from the numbers it can still read). Checks `old` against the stored
    fingerprint first; afterwards the database accepts `new` only, and keeps no key of its own.
    Returns how many ids were changed."""
    if len(new) < 16:
        raise SettingsError("the new key must be at least 16 characters long")
    if hmac.compare_digest(old, new):
        raise SettingsError("the new key is the key in use")
    with database.transaction() as connection:
        known = _read(connection, FINGERPRINT_NAME)
        if known is not None and known != fingerprint(old):
            raise KeyMismatch("the current key does not match this database: nothing changed")
        has_events = inspect(connection).has_table("events")
        for old_id, new_id in rekey.items():
            for table, column in PATIENT_ID_COLUMNS:
                connection.execute(
                    update(table).where(table.c[column] == old_id).values({column: new_id})
                )
            connection.execute(
                update(audit_log)
                .where(audit_log.c.actor == "patient", audit_log.c.actor_id == old_id)
                .values(actor_id=new_id)
            )
            if has_events:
                connection.execute(
                    text("UPDATE events SET sender_id = :new WHERE sender_id = :old"),
                    {"new": new_id, "old": old_id},
                )
        connection.execute(delete(secrets_table).where(secrets_table.c.name == KEY_NAME))
        connection.execute(delete(secrets_table).where(secrets_table.c.name == FINGERPRINT_NAME))
        connection.execute(
            secrets_table.insert().values(name=FINGERPRINT_NAME, value=fingerprint(new))
        )
    return len(rekey)
