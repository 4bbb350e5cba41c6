"""Console accounts' second factor: TOTP (RFC 6238, the 6-digit codes of any authenticator app)
with single-use recovery codes.

pyotp computes the codes (a well-kept library, decision 41). Enrolment is two steps: `begin`
draws a secret (kept sealed, not yet enforced) that the page shows as a QR code; `confirm` checks
a first code from the app and only then enforces it, so a scan that failed never locks anyone
out. A code is accepted once: the time step it matched is remembered, and an older or equal step
is refused (a code read over a shoulder cannot be replayed). Recovery codes are random, shown
once, stored as SHA-256 digests (they carry 50 bits of entropy, so a slow hash adds nothing),
and each works once. The attempts are limited where passwords are (`StaffAccounts.sign_in`
counts failures), since a code is checked right after the password.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import staff_totp
from clinic.domain.tokens import same_token

ISSUER = "Console du cabinet"
#: A code of the previous or next 30-second step is accepted too (phones drift).
WINDOW = 1
RECOVERY_CODES = 8
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://totp/…, what the QR code holds


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def new_recovery_code() -> str:
    """« k7mq-2xwp-9tfa »: 12 characters from a 31-letter alphabet (about 59 bits)."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


class SecondFactors:
    def __init__(self, database: Database, sealer: Sealer) -> None:
        self.database = database
        self.sealer = sealer

    def enabled(self, staff_id: int) -> bool:
        with self.database.transaction() as connection:
            row = connection.execute(
                select(staff_totp.c.enabled_at).where(staff_totp.c.staff_id == staff_id)
            ).first()
        return row is not None and row.enabled_at is not None

    def begin(self, staff_id: int, email: str, now: datetime) -> Enrolment:
        """A new secret for this account, not enforced until `confirm`. Starting again replaces
        an unconfirmed one; an enabled factor is left alone (disable it first)."""
        if self.enabled(staff_id):
            raise ValueError("a second factor is already enabled")
        secret = pyotp.random_base32()
        with self.database.transaction() as connection:
            connection.execute(delete(staff_totp).where(staff_totp.c.staff_id == staff_id))
            connection.execute(
                staff_totp.insert().values(
                    staff_id=staff_id,
                    secret=self.sealer.seal(secret),
                    enabled_at=None,
                    last_step=0,
                    recovery="[]",
                    created_at=now,
                )
            )
        uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
        return Enrolment(secret, uri)

    def pending(self, staff_id: int, email: str) -> Enrolment | None:
        """The enrolment begun and not confirmed, to show its QR code again."""
        with self.database.transaction() as connection:
            row = _row(connection, staff_id)
        if row is None or row.enabled_at is not None:
            return None
        secret = self.sealer.open(row.secret)
        return Enrolment(
            secret, pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
        )

    def confirm(self, staff_id: int, code: str, now: datetime) -> list[str] | None:
        """Enforce the factor if `code` is right; the recovery codes to show once, or None."""
        with self.database.transaction() as connection:
            row = _row(connection, staff_id)
            if row is None or row.enabled_at is not None:
                return None
            step = _matching_step(self.sealer.open(row.secret), code, now, row.last_step)
            if step is None:
                return None
            codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
            connection.execute(
                update(staff_totp)
                .where(staff_totp.c.staff_id == staff_id, staff_totp.c.enabled_at.is_(None))
                .values(
                    enabled_at=now,
                    last_step=step,
                    recovery=json.dumps([_digest(c) for c in codes]),
                )
            )
        return codes

    def verify(self, staff_id: int, code: str, now: datetime) -> bool:
        """A current TOTP code not used before, or an unused recovery code (then spent)."""
        with self.database.transaction() as connection:
            row = _row(connection, staff_id)
            if row is None or row.enabled_at is None:
                return False
            step = _matching_step(self.sealer.open(row.secret), code, now, row.last_step)
            if step is not None:
                # The step moves forward only if nobody used it meanwhile (compare-and-set).
                moved = connection.execute(
                    update(staff_totp)
                    .where(staff_totp.c.staff_id == staff_id, staff_totp.c.last_step < step)
                    .values(last_step=step)
                ).rowcount
                return bool(moved)
            digests: list[str] = json.loads(row.recovery)
            given = _digest(code)
            found = next((d for d in digests if same_token(given, d)), None)
            if found is None or len(_normalise(code)) != 12:
                return False
            left = [d for d in digests if d != found]
            spent = connection.execute(
                update(staff_totp)
                .where(staff_totp.c.staff_id == staff_id, staff_totp.c.recovery == row.recovery)
                .values(recovery=json.dumps(left))
            ).rowcount
            return bool(spent)

    def recovery_left(self, staff_id: int) -> int:
        with self.database.transaction() as connection:
            row = connection.execute(
                select(staff_totp.c.recovery).where(staff_totp.c.staff_id == staff_id)
            ).first()
        return len(json.loads(row.recovery)) if row else 0

    def remove(self, staff_id: int) -> bool:
        """A lost phone: a manager (or `clinic staff reset-2fa`) removes the factor; the account
        enrols again at its next sign-in where one is required."""
        with self.database.transaction() as connection:
            removed = connection.execute(
                delete(staff_totp).where(staff_totp.c.staff_id == staff_id)
            ).rowcount
        return bool(removed)


def _row(connection: Connection, staff_id: int) -> Any:
    return connection.execute(select(staff_totp).where(staff_totp.c.staff_id == staff_id)).first()


def _matching_step(secret: str, code: str, now: datetime, last_step: int) -> int | None:
    """The time step `code` belongs to (within WINDOW of now), if after `last_step`."""
    digits = "".join(c for c in code if c.isdigit())
    if len(digits) != 6 or len(code.strip().replace(" ", "")) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in range(current - WINDOW, current + WINDOW + 1):
        # `digits` may hold any digit isdigit knows (« ٣ »): same_token compares bytes.
        if step > last_step and same_token(digits, totp.generate_otp(step)):
            return step
    return None
