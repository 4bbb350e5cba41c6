"""Console accounts and sessions: Argon2 hashes, lockout (also under parallel guesses), disable,\nenable, password reset, the last manager, signed session cookies; `clinic staff` for the new\ncommands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher

from clinic.adapters.storage import Database
from clinic.adapters.storage.staff import LOCKOUT, MAX_FAILURES, StaffAccounts, StaffError
from clinic.adapters.storage.tables import staff_accounts
from clinic.app.console.security import SESSION_HOURS, Signer, derive_key
from clinic.domain.clock import FixedClock, SystemClock
from tests.conftest import NOW, ROOT


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
    accounts.add("chef@cabinet.test", "Chef", "0123456789")  # the last manager stays
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


# --- atomic lockout, enable, reset-password, the last manager (issue 31) ------------------------


class CountingHasher(PasswordHasher):
    """A cheap Argon2 hasher that counts verifications, and makes each one against a real hash
    slow, so parallel attempts overlap as they would under the production cost."""

    def __init__(self, real_delay: float = 0.0) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.real_delay = real_delay
        self.real_hashes: set[str] = set()
        self.real = self.decoy = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        real = hash in self.real_hashes
        with self._lock:
            if real:
                self.real += 1
            else:
                self.decoy += 1
        if real:
            time.sleep(self.real_delay)
        return super().verify(hash, password)


def stored_hash(database: Database, email: str) -> str:
    with database.transaction() as connection:
        row = connection.execute(
            staff_accounts.select().where(staff_accounts.c.email == email)
        ).one()
    return str(row.password_hash)


def test_parallel_wrong_passwords_verify_the_real_hash_at_most_max_failures_times(
    database: Database, clock: FixedClock
) -> None:
    """16 guesses at once used to run 64 real verifications before the lock: each attempt is
    now counted before its hash is checked, so no more than MAX_FAILURES ever run."""
    hasher = CountingHasher(real_delay=0.05)
    accounts = StaffAccounts(database, clock, hasher)
    accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    hasher.real_hashes.add(stored_hash(database, "a@cabinet.test"))
    assert accounts._decoy  # computed once, before the race
    start = threading.Barrier(16)

    def guess(n: int) -> str:
        start.wait()
        return accounts.sign_in("a@cabinet.test", f"mauvais {n}").outcome

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(guess, range(16)))
    assert hasher.real == MAX_FAILURES
    assert hasher.decoy == 16 - MAX_FAILURES  # every refusal costs one verification
    assert sorted(set(outcomes)) == ["locked", "wrong"]
    assert outcomes.count("wrong") == MAX_FAILURES - 1
    # locked: the right password is refused without touching the real hash
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "locked"
    assert hasher.real == MAX_FAILURES
    clock.set(NOW + LOCKOUT)
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "ok"


def test_an_unknown_address_and_a_locked_account_cost_one_decoy_verification(
    database: Database, clock: FixedClock
) -> None:
    hasher = CountingHasher()
    accounts = StaffAccounts(database, clock, hasher)
    accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    hasher.real_hashes.add(stored_hash(database, "a@cabinet.test"))
    assert accounts.sign_in("personne@cabinet.test", "le bon mot de passe").outcome == "wrong"
    assert (hasher.real, hasher.decoy) == (0, 1)
    for _ in range(MAX_FAILURES):
        accounts.sign_in("a@cabinet.test", "mauvais")
    assert (hasher.real, hasher.decoy) == (MAX_FAILURES, 1)
    locked = accounts.sign_in("a@cabinet.test", "mauvais")
    assert locked.outcome == "locked" and locked.locked_until == NOW + LOCKOUT
    assert (hasher.real, hasher.decoy) == (MAX_FAILURES, 2)


def test_a_right_password_during_a_race_lifts_the_lock_it_raced(
    database: Database, clock: FixedClock
) -> None:
    """The attempt that reaches MAX_FAILURES locks at once; if it was the right password,
    the person is in and the count starts again."""
    accounts = StaffAccounts(database, clock, CountingHasher())
    accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    for _ in range(MAX_FAILURES - 1):
        accounts.sign_in("a@cabinet.test", "mauvais")
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "ok"
    with database.transaction() as connection:
        row = connection.execute(staff_accounts.select()).one()
    assert (row.failed_logins, row.locked_until) == (0, None)


def test_a_disabled_account_with_a_wrong_password_reads_as_wrong(accounts: StaffAccounts) -> None:
    accounts.add("chef@cabinet.test", "Chef", "0123456789")
    accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    accounts.disable("a@cabinet.test")
    assert accounts.sign_in("a@cabinet.test", "mauvais").outcome == "wrong"
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "disabled"


def test_enable_accepts_the_account_again_unlocked(database: Database, clock: FixedClock) -> None:
    accounts = StaffAccounts(database, clock, CountingHasher())
    accounts.add("chef@cabinet.test", "Chef", "0123456789")
    member = accounts.add("a@cabinet.test", "A", "le bon mot de passe")
    for _ in range(MAX_FAILURES):
        accounts.sign_in("a@cabinet.test", "mauvais")
    accounts.disable("a@cabinet.test")
    assert accounts.enable("A@cabinet.test") and not accounts.enable("x@cabinet.test")
    after = accounts.get(member.id)
    assert after is not None and after.active
    assert after.session_generation == member.session_generation + 1  # the disable's, kept
    assert accounts.sign_in("a@cabinet.test", "le bon mot de passe").outcome == "ok"


def test_reset_password_ends_sessions_and_lifts_the_lock(
    database: Database, clock: FixedClock
) -> None:
    accounts = StaffAccounts(database, clock, CountingHasher())
    member = accounts.add("a@cabinet.test", "A", "l'ancien mot de passe")
    for _ in range(MAX_FAILURES):
        accounts.sign_in("a@cabinet.test", "mauvais")
    with pytest.raises(StaffError, match="trop court"):
        accounts.reset_password("a@cabinet.test", "court")
    assert not accounts.reset_password("x@cabinet.test", "un nouveau mot de passe")
    assert accounts.reset_password("a@cabinet.test", "un nouveau mot de passe")
    after = accounts.get(member.id)
    assert after is not None and after.session_generation == member.session_generation + 1
    assert accounts.sign_in("a@cabinet.test", "l'ancien mot de passe").outcome == "wrong"
    assert accounts.sign_in("a@cabinet.test", "un nouveau mot de passe").outcome == "ok"


def test_the_last_active_manager_cannot_be_disabled(accounts: StaffAccounts) -> None:
    accounts.add("chef@cabinet.test", "Chef", "0123456789")
    accounts.add("a@cabinet.test", "A", "0123456789")
    with pytest.raises(StaffError, match="dernier responsable actif"):
        accounts.disable("Chef@cabinet.test")
    assert accounts.disable("a@cabinet.test")  # staff: no rule
    accounts.add("adjoint@cabinet.test", "Adjoint", "0123456789", role="manager")
    assert accounts.disable("chef@cabinet.test")
    with pytest.raises(StaffError, match="dernier responsable actif"):
        accounts.disable("adjoint@cabinet.test")  # a disabled manager does not count
    assert accounts.enable("chef@cabinet.test")
    assert accounts.disable("adjoint@cabinet.test")


def test_two_managers_disabling_each_other_at_once_leave_one(accounts: StaffAccounts) -> None:
    accounts.add("chef@cabinet.test", "Chef", "0123456789")
    accounts.add("adjoint@cabinet.test", "Adjoint", "0123456789", role="manager")
    start = threading.Barrier(2)

    def disable(email: str) -> bool:
        start.wait()
        try:
            return accounts.disable(email)
        except StaffError:
            return False

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(disable, ["chef@cabinet.test", "adjoint@cabinet.test"]))
    assert sorted(done) == [False, True]
    assert sum(m.active for m in accounts.list() if m.manager) == 1


# --- the command line: enable, reset-password, the last manager ---------------------------------

CLINIC = shutil.which("clinic", path=str(Path(sys.executable).parent)) or "clinic"


def staff_cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PRACTICE_CONFIG": str(ROOT / "tests" / "fixtures" / "practice.yml"),
    }
    return subprocess.run(
        [CLINIC, "staff", *args], env=env, input=stdin, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_staff_enable_and_reset_password_from_the_command_line(
    database: Database, database_url: str
) -> None:
    """The CLI runs on the system clock: so does this test's lockout."""
    accounts = StaffAccounts(database, SystemClock(), CountingHasher())
    accounts.add("chef@cabinet.test", "Chef", "le mot de passe du chef")
    member = accounts.add("a@cabinet.test", "A", "l'ancien mot de passe")

    last = staff_cli(database_url, "disable", "chef@cabinet.test")
    assert last.returncode == 1 and "dernier responsable actif" in last.stderr

    assert staff_cli(database_url, "disable", "a@cabinet.test").returncode == 0
    enabled = staff_cli(database_url, "enable", "A@cabinet.test")
    assert enabled.returncode == 0 and "a@cabinet.test" in enabled.stdout, enabled.stderr
    assert staff_cli(database_url, "enable", "personne@cabinet.test").returncode == 1
    assert accounts.sign_in("a@cabinet.test", "l'ancien mot de passe").outcome == "ok"

    for _ in range(MAX_FAILURES):
        accounts.sign_in("a@cabinet.test", "mauvais")
    assert accounts.sign_in("a@cabinet.test", "l'ancien mot de passe").outcome == "locked"
    short = staff_cli(
        database_url, "reset-password", "a@cabinet.test", "--password-stdin", stdin="court\n"
    )
    assert short.returncode == 1 and "trop court" in short.stderr
    reset = staff_cli(
        database_url, "reset-password", "a@cabinet.test", "--password-stdin",
        stdin="un nouveau mot de passe\n",
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    unknown = staff_cli(
        database_url, "reset-password", "x@cabinet.test", "--password-stdin",
        stdin="un nouveau mot de passe\n",
    )  # fmt: skip
    assert unknown.returncode == 1 and "introuvable" in unknown.stderr
    after = accounts.get(member.id)
    assert after is not None and after.session_generation > member.session_generation + 1
    assert accounts.sign_in("a@cabinet.test", "un nouveau mot de passe").outcome == "ok"
    listed = json.loads(staff_cli(database_url, "list", "--json").stdout)
    assert [(m["email"], m["active"]) for m in listed] == [
        ("chef@cabinet.test", True),
        ("a@cabinet.test", True),
    ]
