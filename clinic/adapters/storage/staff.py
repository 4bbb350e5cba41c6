"""Console accounts: who may sign in to the practice's web page, and as what.

Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed when they change). After
`MAX_FAILURES` wrong passwords in a row an account is locked for `LOCKOUT`: enough for a
mistyped password, too few for guessing. Each attempt is reserved in the database before its hash
is checked, so parallel guesses cannot outrun the count. Signing out, disabling an account or
resetting its password ends its sessions everywhere (`session_generation`), since a session is a
signed cookie the server does not otherwise remember. The practice always keeps one active
manager. Used by `clinic staff …` and the console; no Rasa, no HTTP here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, case, literal, null, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import staff_accounts
from clinic.domain.clock import Clock
from clinic.domain.statuses import STAFF_ROLES, StaffRole

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SignInOutcome = Literal["ok", "wrong", "locked", "disabled"]


class StaffError(ValueError):
    """An account cannot be created or changed as asked (the message is French, for people)."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    name: str
    role: StaffRole
    active: bool
    session_generation: int
    created_at: datetime
    last_login_at: datetime | None

    @property
    def manager(self) -> bool:
        return self.role == "manager"

    def as_json(self, tz: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "created_at": self.created_at.astimezone(tz).isoformat(),
            "last_login_at": (
                self.last_login_at.astimezone(tz).isoformat() if self.last_login_at else None
            ),
        }


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to. `outcome` is for metrics and logs only: a page must say
    the same for "wrong", "locked" and an unknown address (which reads as "wrong")."""

    outcome: SignInOutcome
    member: StaffMember | None = None
    locked_until: datetime | None = None


def _member(row: Any) -> StaffMember:
    return StaffMember(
        row.id,
        row.email,
        row.name,
        row.role,
        row.disabled_at is None,
        row.session_generation,
        row.created_at,
        row.last_login_at,
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"mot de passe trop court : {MIN_PASSWORD} caractères au moins")


class StaffAccounts:
    def __init__(self, database: Database, clock: Clock, hasher: PasswordHasher | None = None):
        self.database = database
        self.clock = clock
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _decoy(self) -> str:
        """Verified against unknown addresses, so a wrong address costs the same time as a
        wrong password and does not tell which addresses exist."""
        return self.hasher.hash("decoy password, never matches")

    def add(
        self, email: str, name: str, password: str, role: StaffRole | None = None
    ) -> StaffMember:
        """Create an account; the very first one is a manager, so someone can manage the rest."""
        email = normalise_email(email)
        if not EMAIL.match(email) or len(email) > 64:
            raise StaffError(f"adresse e-mail invalide : {email!r}")
        if not name.strip():
            raise StaffError("le nom est obligatoire")
        _check_password(password)
        if role is None:
            role = "staff" if self.list() else "manager"
        if role not in STAFF_ROLES:
            raise StaffError(f"rôle inconnu : {role!r}")
        now = self.clock.now()
        try:
            with self.database.transaction() as connection:
                connection.execute(
                    staff_accounts.insert().values(
                        email=email,
                        name=name.strip()[:120],
                        role=role,
                        password_hash=self.hasher.hash(password),
                        failed_logins=0,
                        session_generation=0,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise StaffError(f"un compte existe déjà pour {email}") from None
        member = self.by_email(email)
        assert member is not None
        return member

    def list(self) -> list[StaffMember]:
        with self.database.transaction() as connection:
            rows = connection.execute(select(staff_accounts).order_by(staff_accounts.c.id)).all()
        return [_member(row) for row in rows]

    def get(self, staff_id: int) -> StaffMember | None:
        with self.database.transaction() as connection:
            row = connection.execute(
                select(staff_accounts).where(staff_accounts.c.id == staff_id)
            ).first()
        return _member(row) if row else None

    def by_email(self, email: str) -> StaffMember | None:
        with self.database.transaction() as connection:
            row = connection.execute(
                select(staff_accounts).where(staff_accounts.c.email == normalise_email(email))
            ).first()
        return _member(row) if row else None

    def disable(self, email: str) -> bool:
        """Refuse this account from now on, its open sessions included; False if unknown.

        The last active manager cannot be disabled: nobody could manage accounts in the console
        any more. The active managers' rows are locked first (FOR UPDATE; SQLite's BEGIN
        IMMEDIATE already serialises writers), so two managers disabling each other at once
        cannot both succeed."""
        email = normalise_email(email)
        now = self.clock.now()
        active_managers = (
            select(staff_accounts.c.email)
            .where(staff_accounts.c.role == "manager", staff_accounts.c.disabled_at.is_(None))
            .with_for_update()
        )
        with self.database.transaction() as connection:
            if list(connection.execute(active_managers).scalars()) == [email]:
                raise StaffError(
                    "impossible de désactiver le dernier responsable actif : "
                    "créez d'abord un autre compte responsable"
                )
            changed = connection.execute(
                update(staff_accounts)
                .where(staff_accounts.c.email == email)
                .values(
                    disabled_at=now,
                    session_generation=staff_accounts.c.session_generation + 1,
                )
            ).rowcount
        return bool(changed)

    def enable(self, email: str) -> bool:
        """Accept a disabled account again, with a clean failure count and no lock; False if
        unknown. Its old sessions stay ended (disabling bumped the generation)."""
        with self.database.transaction() as connection:
            changed = connection.execute(
                update(staff_accounts)
                .where(staff_accounts.c.email == normalise_email(email))
                .values(disabled_at=None, failed_logins=0, locked_until=None)
            ).rowcount
        return bool(changed)

    def reset_password(self, email: str, password: str) -> bool:
        """Set a new password (same rules as `add`); False if unknown. Open sessions end, as
        whoever held the old password may hold one, and the lock is lifted so the person can
        sign in at once. A disabled account stays disabled (`enable` is a separate decision)."""
        _check_password(password)
        hashed = self.hasher.hash(password)
        with self.database.transaction() as connection:
            changed = connection.execute(
                update(staff_accounts)
                .where(staff_accounts.c.email == normalise_email(email))
                .values(
                    password_hash=hashed,
                    failed_logins=0,
                    locked_until=None,
                    session_generation=staff_accounts.c.session_generation + 1,
                )
            ).rowcount
        return bool(changed)

    def end_sessions(self, staff_id: int) -> None:
        """Sign-out: every session issued so far for this account stops working."""
        with self.database.transaction() as connection:
            connection.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == staff_id)
                .values(session_generation=staff_accounts.c.session_generation + 1)
            )

    def sign_in(self, email: str, password: str) -> SignIn:
        """Check a password, counting failures; a locked account is refused even with the
        right password until the lock ends.

        The attempt is reserved (counted) before the hash is verified, in one transaction, so
        at most `MAX_FAILURES` verifications against an account's real hash run per lock
        period however many requests arrive at once. Where no real verification runs (unknown
        address, locked account) the decoy hash is verified instead: every refusal costs the
        same time and tells nothing about which addresses exist or are locked."""
        now = self.clock.now()
        row, reserved = self._reserve(normalise_email(email), now)
        if row is None or not reserved:
            self._verify(self._decoy, password)
            if row is None:
                return SignIn("wrong")
            return SignIn("locked", locked_until=row.locked_until)
        if not self._verify(row.password_hash, password):
            if row.locked_until is not None:  # this attempt was the last one allowed
                return SignIn("locked", locked_until=row.locked_until)
            return SignIn("wrong")
        # The right password: the count starts again (also lifting a lock that attempts made
        # meanwhile may have set: whoever signs in now knows the password anyway).
        cleared: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        signed_in = {**cleared, "last_login_at": now}
        if self.hasher.check_needs_rehash(row.password_hash):
            signed_in["password_hash"] = self.hasher.hash(password)
        with self.database.transaction() as connection:
            signed = connection.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == row.id, staff_accounts.c.disabled_at.is_(None))
                .values(**signed_in)
            ).rowcount
            if not signed:  # disabled (possibly while the hash was being checked)
                connection.execute(
                    update(staff_accounts).where(staff_accounts.c.id == row.id).values(**cleared)
                )
        return SignIn("ok", self.get(row.id)) if signed else SignIn("disabled")

    def _reserve(self, email: str, now: datetime) -> tuple[Row | None, bool]:
        """Count one attempt against the account unless it is locked; (row, counted).

        One conditional UPDATE, then a SELECT of the row in the same transaction: atomic on
        SQLite (BEGIN IMMEDIATE serialises writers) and PostgreSQL (the UPDATE holds the row
        lock until commit, and a waiting UPDATE re-checks its WHERE on the committed row).
        An expired lock starts a new count. The attempt that reaches `MAX_FAILURES` sets the
        lock itself, before its hash is checked: should its process die mid-check, the account
        is locked for `LOCKOUT`, not forever; should it be the right password, it lifts it."""
        table = staff_accounts
        expired = and_(table.c.locked_until.is_not(None), table.c.locked_until <= now)
        count = case((expired, 1), else_=table.c.failed_logins + 1)
        lock = literal(now + LOCKOUT, table.c.locked_until.type)
        with self.database.transaction() as connection:
            counted = connection.execute(
                update(table)
                .where(table.c.email == email)
                .where(or_(table.c.locked_until.is_(None), expired))
                .values(
                    failed_logins=count,
                    locked_until=case((count >= MAX_FAILURES, lock), else_=null()),
                )
            ).rowcount
            row = connection.execute(select(table).where(table.c.email == email)).first()
        return row, bool(counted)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
