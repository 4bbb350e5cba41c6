"""The staff command line, run as the installed `clinic` entry point in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from clinic.adapters.calendars.local import LocalCalendar
from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from clinic.services.booking import BookingService
from tests.conftest import PARIS, ROOT, sealer


def keys(database: Database) -> Callable[[str], str]:
    """What the processes store of Meta's message ids (the key they share, in the database)."""
    from clinic.adapters.whatsapp.identity import Keyring, load_key

    return Keyring(load_key(database)).message_key


CLINIC = shutil.which("clinic", path=str(Path(sys.executable).parent)) or "clinic"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLINIC, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PRACTICE_CONFIG": str(ROOT / "tests" / "fixtures" / "practice.yml"),
        "CLINIC_STAFF": "accueil-cli",  # who the audit trail names
    }


@pytest.fixture
def booked(database: Database, practice: Practice) -> list[str]:
    """Two appointments next week (real time: the CLI runs on the system clock)."""
    now = datetime.now(PARIS)
    service = BookingService(
        practice, AppointmentRepository(database, sealer()), LocalCalendar(), FixedClock(now)
    )
    window = SearchWindow(now + timedelta(days=1), now + timedelta(days=8))
    # In time order, at two different times: the CLI lists by start, and the search's own order
    # (and two practitioners free at the same minute) depends on the day the test runs.
    offered = sorted(service.search(window, "ordonnance", limit=20).slots, key=lambda s: s.start)
    slots = [offered[0], next(s for s in offered if s.start > offered[0].start)]
    return [
        service.book(slot, "ordonnance", f"patient-{n}", name).appointment.id  # type: ignore[union-attr]
        for n, (slot, name) in enumerate(zip(slots, ["Jeanne Dupont", "Éric Lefèvre"], strict=True))
    ]


def test_list_json_has_the_contract_fields(env: dict[str, str], booked: list[str]) -> None:
    result = run("appointments", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [item["id"] for item in items] == booked
    for item in items:
        assert {"id", "start", "end", "practitioner", "reason", "status", "patient_name"} <= set(
            item
        )
        start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
        assert start.utcoffset() is not None and end - start == timedelta(minutes=15)
        assert item["status"] == "booked" and item["reason"] == "ordonnance"
    assert items[1]["patient_name"] == "Éric Lefèvre"


def test_list_filters_by_dates(env: dict[str, str], booked: list[str]) -> None:
    far = (datetime.now(PARIS) + timedelta(days=30)).date().isoformat()
    assert json.loads(run("appointments", "list", "--from", far, "--json", env=env).stdout) == []
    text = run("appointments", "list", env=env).stdout
    assert "Jeanne Dupont" in text and "Renouvellement d'ordonnance" in text


def test_cancel(env: dict[str, str], booked: list[str]) -> None:
    result = run("appointments", "cancel", booked[0], env=env)
    assert result.returncode == 0 and "Annulé" in result.stdout
    items = json.loads(run("appointments", "list", "--json", env=env).stdout)
    assert [i["status"] for i in items] == ["cancelled", "booked"]
    assert run("appointments", "cancel", booked[0], env=env).returncode == 0  # twice: harmless
    missing = run("appointments", "cancel", "nope", env=env)
    assert missing.returncode == 1 and "introuvable" in missing.stderr


def test_bad_input_gets_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    result = run("appointments", "list", "--from", "demain", env=env)
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
    broken = tmp_path / "practice.yml"
    broken.write_text((ROOT / "practice.yml").read_text().replace("lundi:", "lundy:"))
    result = run("config", "check", env={**env, "PRACTICE_CONFIG": str(broken)})
    assert result.returncode == 2
    assert "opening_hours.lundy" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_config_check_accepts_the_shipped_file(env: dict[str, str]) -> None:
    result = run("config", "check", env={**env, "PRACTICE_CONFIG": str(ROOT / "practice.yml")})
    assert result.returncode == 0 and "2 praticien(s)" in result.stdout


def test_block_keeps_time_free(env: dict[str, str], database: Database) -> None:
    day = (datetime.now(PARIS) + timedelta(days=3)).date().isoformat()
    result = run(
        "calendar", "block", f"{day}T08:00", f"{day}T20:00", "--label", "formation", env=env
    )
    assert result.returncode == 0, result.stderr
    busy = AppointmentRepository(database, sealer()).busy(
        datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=PARIS),
        datetime.fromisoformat(f"{day}T23:00").replace(tzinfo=PARIS),
    )
    assert len(busy[None]) == 1


def test_conversations_list_show_reply_resume(env: dict[str, str], database_url: str) -> None:
    """The staff side of a handoff, through the real CLI (contract fields and exit codes)."""
    from clinic.adapters.settings import Settings
    from clinic.app.wiring import build_services

    assert "Aucune" in run("conversations", "list", env=env).stdout
    services = build_services(Settings(database_url=database_url), load_practice_fixture())
    try:
        now = datetime.now(PARIS)
        services.contacts.remember_contact(
            "wa-aaaa1111bbbb2222cccc3333", "33611111111", None, now, now
        )
        services.transcript.add(
            "wa-aaaa1111bbbb2222cccc3333", "patient", "mon père a fait un malaise", now
        )
        services.patients.remember("wa-aaaa1111bbbb2222cccc3333", "Marie Dupont", now)
        services.handoff.pause("wa-aaaa1111bbbb2222cccc3333", "emergency")
        services.handoff.pause("wa-dddd4444eeee5555ffff6666", "handoff")
    finally:
        services.database.dispose()
    result = run("conversations", "list", env=env)
    assert result.returncode == 0, result.stderr
    assert "URGENCE" in result.stdout and "Marie Dupont" in result.stdout
    rows = json.loads(run("conversations", "list", "--json", env=env).stdout)
    assert [
        set(r) >= {"id", "status", "reason", "since", "patient_name", "last_message_at"}
        for r in rows
    ] == [True, True]
    assert [(r["id"], r["status"], r["reason"], r["patient_name"]) for r in rows] == [
        ("wa-aaaa1111bbbb2222cccc3333", "paused", "emergency", "Marie Dupont"),
        ("wa-dddd4444eeee5555ffff6666", "paused", "handoff", None),
    ]
    assert json.loads(run("flags", "list", "--json", env=env).stdout) == rows  # folded in
    shown = run("conversations", "show", "aaaa1111", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "mon père a fait un malaise" in shown.stdout
    staff_env = {**env, "CLINIC_STAFF": "accueil-marie"}
    replied = run("conversations", "reply", "aaaa1111", "Nous vous rappelons.", env=staff_env)
    assert replied.returncode == 0, replied.stderr
    transcript = json.loads(run("conversations", "show", "aaaa1111", "--json", env=env).stdout)
    assert transcript["messages"][-1] == {
        "at": transcript["messages"][-1]["at"],
        "author": "staff",
        "staff": "accueil-marie",
        "text": "Nous vous rappelons.",
    }
    closed = run("conversations", "reply", "dddd4444", "Bonjour", env=env)
    assert closed.returncode == 1 and "appelez" in closed.stderr  # no WhatsApp number known
    assert run("conversations", "show", "zzzzzzzz", env=env).returncode == 1
    resumed = run("conversations", "resume", "aaaa1111", env=env)
    assert resumed.returncode == 0 and "rendue" in resumed.stdout
    rows = json.loads(run("conversations", "list", "--status", "all", "--json", env=env).stdout)
    assert {r["id"]: r["status"] for r in rows} == {
        "wa-aaaa1111bbbb2222cccc3333": "active",
        "wa-dddd4444eeee5555ffff6666": "paused",
    }


def load_practice_fixture() -> Practice:
    from clinic.domain.practice import load_practice

    return load_practice(ROOT / "tests" / "fixtures" / "practice.yml")


def test_reminders_list_is_the_staff_view_of_reminders(
    env: dict[str, str], database: Database
) -> None:
    from clinic.adapters.storage.appointments import AppointmentRepository
    from clinic.domain.appointments import Appointment
    from clinic.domain.practice import load_practice
    from clinic.services.reminders import ReminderRepository

    assert "Aucun rappel" in run("reminders", "list", env=env).stdout
    practice = load_practice(Path(env["PRACTICE_CONFIG"]))
    booked_at = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)
    repository = ReminderRepository(database, practice, message_key=keys(database))
    for hour, start in (
        (14, datetime(2026, 12, 3, 14, 0, tzinfo=PARIS)),
        (10, datetime(2026, 11, 30, 18, 0, tzinfo=PARIS)),
    ):
        appointment = AppointmentRepository(database, sealer()).add(
            Appointment(
                f"{hour:032d}",
                "wa-1",
                "Marie Dupont",
                "dr-martin",
                "ordonnance",
                start,
                start + timedelta(minutes=15),
            ),
            booked_at,
        )
        repository.schedule(appointment, booked_at)
    rows = json.loads(run("reminders", "list", "--json", env=env).stdout)
    assert [{k: r[k] for k in ("appointment_id", "due", "status", "kind")} for r in rows] == [
        {
            "appointment_id": f"{10:032d}",
            "due": "2026-11-29T18:00:00+01:00",
            "status": "skipped",
            "kind": "24h",
        },
        {
            "appointment_id": f"{14:032d}",
            "due": "2026-12-02T14:00:00+01:00",
            "status": "pending",
            "kind": "24h",
        },
    ]
    text = run("reminders", "list", env=env).stdout
    assert "à envoyer" in text and "non envoyé" in text and "ordonnance" not in text
    assert (
        json.loads(run("reminders", "list", "--json", "--status", "pending", env=env).stdout)[0][
            "status"
        ]
        == "pending"
    )


def test_a_staff_cancellation_is_audited_and_told_to_the_patient_on_whatsapp(
    env: dict[str, str], booked: list[str], database: Database
) -> None:
    from clinic.adapters.storage.tables import whatsapp_outbound
    from clinic.adapters.whatsapp.contacts import Contacts
    from clinic.adapters.whatsapp.outbox import Outbox

    now = datetime.now(PARIS)
    Contacts(database, sealer()).remember_contact(
        "patient-0", "33611111111", None, now - timedelta(days=5), now
    )
    result = run("appointments", "cancel", booked[0], env=env)
    assert "prévenu sur WhatsApp" in result.stdout, result.stdout
    [row] = Outbox(database, sealer(), keys(database)).outbox()
    assert (row.patient_id, row.kind, row.status) == ("patient-0", "cancellation", "queued")
    with database.transaction() as connection:
        body = json.loads(
            sealer().open(connection.execute(whatsapp_outbound.select()).first().body)
        )
    template = body["template"]
    assert template["name"] == "annulation_rdv" and template["language"] == {"code": "fr"}
    assert [p["text"] for p in template["components"][0]["parameters"]][0] == "Jeanne"
    assert "ordonnance" not in json.dumps(body).lower()
    # The other patient has no WhatsApp: staff are told to call.
    assert "prévenez-le par téléphone" in run("appointments", "cancel", booked[1], env=env).stdout

    trail = json.loads(run("audit", "list", "--json", env=env).stdout)
    assert [(e["action"], e["actor"], e["actor_id"]) for e in trail] == [
        ("cancelled", "staff", "accueil-cli"),
        ("cancelled", "staff", "accueil-cli"),
    ]
    assert trail[0]["before"]["status"] == "booked" and trail[0]["after"]["status"] == "cancelled"
    one = json.loads(run("audit", "list", "--appointment", booked[0], "--json", env=env).stdout)
    assert [e["appointment_id"] for e in one] == [booked[0]]
    text = run("audit", "list", env=env).stdout
    assert "cancelled" in text and "staff accueil-cli" in text and "Jeanne" not in text


def test_staff_confirm_or_refuse_pending_bookings_and_the_patient_is_told(
    env: dict[str, str], database: Database, practice: Practice
) -> None:
    """`pending` is what a booking becomes when the calendar could not be checked."""
    from sqlalchemy import update

    from clinic.adapters.storage.tables import appointments, whatsapp_outbound
    from clinic.adapters.whatsapp.contacts import Contacts
    from clinic.adapters.whatsapp.outbox import Outbox

    now = datetime.now(PARIS)
    service = BookingService(
        practice, AppointmentRepository(database, sealer()), LocalCalendar(), FixedClock(now)
    )
    window = SearchWindow(now + timedelta(days=1), now + timedelta(days=8))
    first, second = service.search(window, "ordonnance").slots[:2]
    ids = [
        service.book(slot, "ordonnance", patient, "Jeanne Dupont").appointment.id  # type: ignore[union-attr]
        for slot, patient in ((first, "patient-a"), (second, "patient-b"))
    ]
    with database.transaction() as connection:
        connection.execute(update(appointments).values(status="pending"))
    Contacts(database, sealer()).remember_contact("patient-a", "33611111111", None, now, now)

    confirmed = run("appointments", "confirm", ids[0], env=env)
    assert confirmed.returncode == 0, confirmed.stderr
    assert "Confirmé" in confirmed.stdout and "prévenu sur WhatsApp" in confirmed.stdout
    refused = run("appointments", "refuse", ids[1], env=env)
    assert refused.returncode == 0, refused.stderr
    assert "prévenez-le par téléphone" in refused.stdout  # patient-b has no WhatsApp
    listed = {
        a["id"]: a["status"]
        for a in json.loads(run("appointments", "list", "--json", env=env).stdout)
    }
    assert listed == {ids[0]: "booked", ids[1]: "cancelled"}
    [row] = Outbox(database, sealer(), keys(database)).outbox()
    assert (row.patient_id, row.kind, row.status) == ("patient-a", "confirmation", "queued")
    with database.transaction() as connection:
        body = json.loads(
            sealer().open(connection.execute(whatsapp_outbound.select()).first().body)
        )
    assert body["template"]["name"] == "confirmation_rdv"
    assert "ordonnance" not in json.dumps(body).lower()  # no reason in a template
    again = run("appointments", "confirm", ids[0], env=env)  # not pending any more
    assert again.returncode == 1 and "pas en attente" in again.stderr


def test_staff_accounts_from_the_command_line(env: dict[str, str]) -> None:
    def staff(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLINIC, "staff", *args], env=env, input=stdin, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip

    added = staff(
        "add", "--email", "Direction@Cabinet.test", "--name", "Claire", "--password-stdin",
        stdin="un mot de passe solide\n",
    )  # fmt: skip
    assert added.returncode == 0 and "responsable" in added.stdout, added.stderr
    second = staff(
        "add", "--email", "accueil@cabinet.test", "--name", "Marc", "--password-stdin",
        stdin="un autre mot de passe\n",
    )  # fmt: skip
    assert second.returncode == 0 and "(équipe)" in second.stdout
    again = staff(
        "add", "--email", "accueil@cabinet.test", "--name", "Marc", "--password-stdin",
        stdin="un autre mot de passe\n",
    )  # fmt: skip
    assert again.returncode == 1 and "existe déjà" in again.stderr
    short = staff(
        "add", "--email", "x@cabinet.test", "--name", "X", "--password-stdin", stdin="court\n"
    )
    assert short.returncode == 1 and "trop court" in short.stderr
    listed = json.loads(staff("list", "--json").stdout)
    assert [(m["email"], m["role"], m["active"]) for m in listed] == [
        ("direction@cabinet.test", "manager", True),
        ("accueil@cabinet.test", "staff", True),
    ]
    assert "password" not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    assert staff("disable", "accueil@cabinet.test").returncode == 0
    assert staff("disable", "personne@cabinet.test").returncode == 1
    assert "DÉSACTIVÉ" in staff("list").stdout
