"""The one application key: pseudonymous ids, signed button ids and signed download links all
derive their own key from it (HMAC with a label), so one secret is enough to configure."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.storage import Database
from clinic.storage.tables import secrets_table

KEY_NAME = "patient_id_key"


def load_key(database: Database, override: str | None = None) -> bytes:
    """PATIENT_ID_KEY when set; else a random key generated once and shared through the database.

    Every Rasa replica, worker and CLI reads the same row, so ids agree everywhere with no setup.
    Changing the key changes every patient's id: set it once, keep it with the database backups.
    """
    if override:
        return override.encode()
    with database.transaction() as connection:
        row = connection.execute(
            select(secrets_table.c.value).where(secrets_table.c.name == KEY_NAME)
        ).first()
    if row:
        return row.value.encode()
    try:
        with database.transaction() as connection:
            connection.execute(
                secrets_table.insert().values(name=KEY_NAME, value=secrets.token_urlsafe(32))
            )
    except IntegrityError:
        pass  # another process created it first: use theirs
    return load_key(database)
