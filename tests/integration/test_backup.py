"""The restore drill, on the machine's PostgreSQL: book, back up (encrypted), wipe, restore, and
the assistant finds the patient's appointment and its reminder again."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from clinic.adapters.settings import Settings
from clinic.app.wiring import build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from tests.conftest import NOW, POSTGRES_ADMIN_URL

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.postgres


@pytest.fixture
def throwaway() -> Iterator[str]:
    name = f"clinic_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / name), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_wipe_restore_and_the_appointment_is_back(
    throwaway: str, practice: Practice, tmp_path: Path
) -> None:
    services = build_services(Settings(database_url=throwaway), practice, clock=FixedClock(NOW))
    window = SearchWindow(NOW + timedelta(days=2), NOW + timedelta(days=5))
    slot = services.booking.search(window, "consultation").slots[0]
    booked = services.booking.book(slot, "consultation", "wa-restore", "Marie Sauvegarde")
    assert booked.appointment is not None
    appointment_id = booked.appointment.id
    [reminder] = services.reminders.for_appointment(appointment_id)
    services.database.dispose()

    passphrase = tmp_path / "passphrase"
    passphrase.write_text("une phrase de passe de sauvegarde\n")
    env = {"DATABASE_URL": throwaway, "BACKUP_PASSPHRASE_FILE": str(passphrase)}
    backups = tmp_path / "backups"
    made = script("backup.sh", str(backups), env=env)
    assert made.returncode == 0, made.stderr
    [dump] = list(backups.glob("clinic-*.dump.gpg"))
    raw = dump.read_bytes()
    assert b"appointments" not in raw and b"PGDMP" not in raw  # encrypted, not a plain dump
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    # the disaster: every table gone
    wipe = create_engine(throwaway, future=True)
    with wipe.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    wipe.dispose()
    wrong = script(
        "restore.sh", str(dump), env={**env, "BACKUP_PASSPHRASE_FILE": str(tmp_path / "none")}
    )
    assert wrong.returncode != 0  # no passphrase, no restore

    restored = script("restore.sh", str(dump), env=env)
    assert restored.returncode == 0, restored.stderr
    again = build_services(Settings(database_url=throwaway), practice, clock=FixedClock(NOW))
    try:
        found = again.appointments.get(appointment_id)
        assert found is not None and found.patient_name == "Marie Sauvegarde"  # unsealed again
        assert again.booking.upcoming("wa-restore")[0].id == appointment_id
        assert [r.due for r in again.reminders.for_appointment(appointment_id)] == [reminder.due]
    finally:
        again.database.dispose()


def test_old_backups_are_removed_after_the_retention(throwaway: str, tmp_path: Path) -> None:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("phrase")
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "clinic-20200101T000000Z.dump.gpg"
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    env = {
        "DATABASE_URL": throwaway,
        "BACKUP_PASSPHRASE_FILE": str(passphrase),
        "BACKUP_RETENTION_DAYS": "30",
    }
    made = script("backup.sh", str(backups), env=env)
    assert made.returncode == 0, made.stderr
    assert not old.exists() and len(list(backups.glob("clinic-*.dump.gpg"))) == 1
    missing = script("backup.sh", str(backups), env={**env, "BACKUP_PASSPHRASE_FILE": ""})
    assert missing.returncode != 0 and "BACKUP_PASSPHRASE_FILE" in missing.stderr


def test_the_database_password_never_reaches_a_command_line(throwaway: str, tmp_path: Path) -> None:
    """`ps` shows every process's argv to every user: pg_dump and pg_restore get the URL without
    its password, which goes through a private pgpass file, gone when the script ends."""
    secret = "s3cr:t p@ss"
    user_url = throwaway.replace(
        "postgresql://postgres@", "postgresql://postgres:s3cr%3At%20p%40ss@"
    )
    assert user_url != throwaway
    seen = tmp_path / "argv"
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    for tool in ("pg_dump", "pg_restore"):
        real = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        wrapper = wrappers / tool
        wrapper.write_text(
            f'#!/usr/bin/env bash\necho "{tool} $*" >> {seen}\n'
            f'cat "$PGPASSFILE" >> {seen}.pgpass\nstat -c %a "$PGPASSFILE" >> {seen}.mode\n'
            f'echo "$PGPASSFILE" >> {seen}.path\n'
            f'exec {real} "$@"\n'
        )
        wrapper.chmod(0o755)
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("phrase")
    env = {
        "DATABASE_URL": user_url,
        "BACKUP_PASSPHRASE_FILE": str(passphrase),
        "PATH": f"{wrappers}:{os.environ['PATH']}",
    }
    made = script("backup.sh", str(tmp_path / "backups"), env=env)
    assert made.returncode == 0, made.stderr
    [dump] = (tmp_path / "backups").glob("clinic-*.dump.gpg")
    restored = script("restore.sh", str(dump), env=env)
    assert restored.returncode == 0, restored.stderr
    argv = seen.read_text()
    assert "pg_dump" in argv and "pg_restore" in argv
    assert "s3cr" not in argv and "p%40ss" not in argv and "postgres@" in argv
    assert (
        seen.with_suffix(".pgpass").read_text().splitlines()[0].endswith(":postgres:s3cr\\:t p@ss")
    )
    assert set(seen.with_suffix(".mode").read_text().split()) == {"600"}
    assert not any(Path(f).exists() for f in seen.with_suffix(".path").read_text().split())
    assert secret not in made.stdout + made.stderr + restored.stdout + restored.stderr
