"""Console accounts: who may sign in to the practice's web page, and as what.

Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed when they change). After
`MAX_FAILURES` wrong passwords in a row an account is locked for `LOCKOUT`: enough for a
mistyped password, too few for guessing. Signing out or disabling an account ends its
sessions everywhere (`session_generation`), since a session is a signed cookie the server does not
otherwise remember. Used by `clinic staff …` and the console; no Rasa, no HTTP here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
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
        if len(password) < MIN_PASSWORD:
            raise StaffError(f"mot de passe trop court : {MIN_PASSWORD} caractères au moins")
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
        """Refuse this account from now on, its open sessions included; False if unknown."""
        now = self.clock.now()
        with self.database.transaction() as connection:
            changed = connection.execute(
                update(staff_accounts)
                .where(staff_accounts.c.email == normalise_email(email))
                .values(
                    disabled_at=now,
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
        right password until the lock ends."""
        now = self.clock.now()
        with self.database.transaction() as connection:
            row = connection.execute(
                select(staff_accounts).where(staff_accounts.c.email == normalise_email(email))
            ).first()
        if row is None:
            self._verify(self._decoy, password)
            return SignIn("wrong")
        if row.locked_until is not None and row.locked_until > now:
            return SignIn("locked", locked_until=row.locked_until)
        if not self._verify(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = now + LOCKOUT if failures >= MAX_FAILURES else None
            with self.database.transaction() as connection:
                connection.execute(
                    update(staff_accounts)
                    .where(staff_accounts.c.id == row.id)
                    .values(
                        failed_logins=0 if locked else failures,
                        locked_until=locked,
                    )
                )
            return SignIn("locked", locked_until=locked) if locked else SignIn("wrong")
        if row.disabled_at is not None:
            return SignIn("disabled")
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if self.hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self.hasher.hash(password)
        with self.database.transaction() as connection:
            connection.execute(
                update(staff_accounts).where(staff_accounts.c.id == row.id).values(**values)
            )
        return SignIn("ok", self.get(row.id))

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
