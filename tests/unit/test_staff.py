"""Console accounts and sessions: Argon2 hashes, lockout, disable, signed session cookies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from clinic.adapters.storage import Database
from clinic.adapters.storage.staff import LOCKOUT, MAX_FAILURES, StaffAccounts, StaffError
from clinic.adapters.storage.tables import staff_accounts
from clinic.app.console.security import SESSION_HOURS, Signer, derive_key
from clinic.domain.clock import FixedClock
from tests.conftest import NOW


@pytest.fixture
def accounts(database: Database, clock: FixedClock) -> StaffAccounts:
    return StaffAccounts(database, clock)


def test_the_password_is_stored_as_an_argon2id_hash(
    accounts: StaffAccounts, database: Database
) -> None:
    accounts.add("Marc@Cabinet.test ", "Marc", "un mot de passe long")
    with database.transaction() as connection:
        row = connection.execute(staff_accounts.select()).one()
    assert row.email == "marc@cabinet.test"
    assert row.password_hash.startswith("$argon2id$") and "un mot de passe" not in row.password_hash


def test_the_first_account_is_a_manager_the_next_ones_staff(accounts: StaffAccounts) -> None:
    first = accounts.add("a@cabinet.test", "A", "0123456789")
    second = accounts.add("b@cabinet.test", "B", "0123456789")
    third = accounts.add("c@cabinet.test", "C", "0123456789", role="manager")
    assert (first.role, second.role, third.role) == ("manager", "staff", "manager")


@pytest.mark.parametrize(
    ("email", "name", "password", "error"),
    [
        ("pas-une-adresse", "X", "0123456789", "adresse e-mail invalide"),
        ("x@cabinet.test", " ", "0123456789", "le nom est obligatoire"),
        ("x@cabinet.test", "X", "court", "trop court"),
        ("x" * 60 + "@cabinet.test", "X", "0123456789", "adresse e-mail invalide"),
    ],
)
def test_bad_accounts_are_refused_in_french(
    accounts: StaffAccounts, email: str, name: str, password: str, error: str
) -> None:
    with pytest.raises(StaffError, match=error):
        accounts.add(email, name, password)


def test_an_address_has_one_account(accounts: StaffAccounts) -> None:
    accounts.add("a@cabinet.test", "A", "0123456789")
    with pytest.raises(StaffError, match="existe déjà"):
        accounts.add("A@cabinet.test", "A bis", "0123456789")


def test_lockout_after_repeated_failures_then_it_ends(
    accounts: StaffAccounts, clock: FixedClock
) -> None:
    accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    for _ in range(MAX_FAILURES - 1):
        assert accounts.sign_in("a@cabinet.test", "mauvais").outcome == "wrong"
    locked = accounts.sign_in("a@cabinet.test", "mauvais")
    assert locked.outcome == "locked" and locked.locked_until == NOW + LOCKOUT
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "locked"
    clock.set(NOW + LOCKOUT + timedelta(seconds=1))
    signed = accounts.sign_in("a@cabinet.test", "le bon mot de passe")
    assert signed.outcome == "ok" and signed.member is not None
    assert signed.member.last_login_at == NOW + LOCKOUT + timedelta(seconds=1)
    # the count started again: one mistake does not lock
    assert accounts.sign_in("a@cabinet.test", "mauvais").outcome == "wrong"


def test_a_success_resets_the_failure_count(accounts: StaffAccounts) -> None:
    accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    for _ in range(MAX_FAILURES - 1):
        accounts.sign_in("a@cabinet.test", "mauvais")
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "ok"
    assert accounts.sign_in("a@cabinet.test", "mauvais").outcome == "wrong"


def test_disable_refuses_sign_in_and_ends_sessions(accounts: StaffAccounts) -> None:
    member = accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    assert accounts.disable("a@cabinet.test") and not accounts.disable("x@cabinet.test")
    after = accounts.get(member.id)
    assert after is not None and not after.active
    assert after.session_generation == member.session_generation + 1
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "disabled"


def test_an_old_hash_is_upgraded_at_sign_in(database: Database, clock: FixedClock) -> None:
    weak = StaffAccounts(database, clock, PasswordHasher(time_cost=1, memory_cost=8192))
    weak.add("a@cabinet.test", "A", "le bon mot de passe")
    strong = StaffAccounts(database, clock)
    assert strong.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "ok"
    with database.transaction() as connection:
        stored = connection.execute(staff_accounts.select()).one().password_hash
    assert not strong.hasher.check_needs_rehash(stored)


# --- session cookies ---------------------------------------------------------------------------


def test_a_session_cookie_round_trips_and_resists_tampering() -> None:
    signer = Signer(derive_key(b"k" * 32))
    cookie = signer.session_cookie(7, 2, 1_000_000)
    session = signer.session(cookie, 1_000_060)
    assert session is not None and (session.staff_id, session.generation) == (7, 2)
    body, signature = cookie.rsplit(".", 1)
    assert signer.session(body.replace("7.", "8.", 1) + "." + signature, 1_000_060) is None
    assert Signer(derive_key(b"x" * 32)).session(cookie, 1_000_060) is None  # another key
    assert signer.session(cookie, 1_000_000 + SESSION_HOURS * 3600 + 1) is None  # expired
    for junk in (None, "", "a.b.c.d", "1.2.3", "é.é.é.é"):
        assert signer.session(junk, 1_000_060) is None


def test_csrf_tokens_are_bound_to_their_cookie() -> None:
    signer = Signer(derive_key(b"k" * 32))
    cookie = signer.new_csrf_cookie()
    token = signer.csrf_token(cookie)
    assert signer.csrf_valid(cookie, token)
    assert not signer.csrf_valid(signer.new_csrf_cookie(), token)
    assert not signer.csrf_valid(cookie, None) and not signer.csrf_valid(None, token)
