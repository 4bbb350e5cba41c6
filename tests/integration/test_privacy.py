"""GDPR in the core (clinic.services.privacy) on SQLite and PostgreSQL: what a database dump shows before
and after an erasure (sqlite3's own dump, `pg_dump`), export, retention by travelling in time,
consent to reminders."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from datetime import timedelta

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from clinic.adapters.storage.audit import Actor
from clinic.app.wiring import Services, build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from connectors.tracker_store import SealedSQLTrackerStore
from tests.conftest import ROOT

NAME = "Zéphyrine Quillebœuf"
PHONE = "33677123456"
TEXT = "ma verrue plantaire me gêne beaucoup"
SECRETS = (NAME, "Quillebœuf", "Quilleb\\u0153uf", PHONE, "verrue plantaire")
SEALED = re.compile(r"gAAAAA[A-Za-z0-9_\-=]+")


def dump(database_url: str) -> str:
    """The whole database as text, with the database's own tools."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        with sqlite3.connect(str(url.database)) as connection:
            return "\n".join(connection.iterdump())
    return subprocess.run(
        ["pg_dump", "--no-owner", "-h", str(url.host), "-p", str(url.port or 5432), "-U",
         str(url.username), str(url.database)],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip


async def a_patient(services: Services, database_url: str) -> str:
    """Zéphyrine writes on WhatsApp, books one appointment next week, had one last month."""
    patient = services.keyring.patient_id(PHONE)
    now = services.clock.now()
    services.contacts.remember_contact(patient, PHONE, None, now, now)
    services.patients.remember(patient, NAME, now)
    services.transcript.add(patient, "patient", TEXT, now)
    services.messenger.queue_text(patient, "staff", f"Bonjour {NAME}, à mardi.")
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker(patient, domain.slots)
    at = now.timestamp()  # Rasa stamps events with the wall clock: on the test's clock here
    tracker.update(UserUttered(TEXT, {"name": "book_appointment"}, timestamp=at))
    tracker.update(SlotSet("patient_name", NAME, timestamp=at))
    store = SealedSQLTrackerStore(domain, host=database_url, services=services)
    await store.save(tracker)
    window = SearchWindow(now + timedelta(days=7), now + timedelta(days=9))
    [slot, *_] = services.booking.search(window, "consultation").slots
    assert services.booking.book(slot, "consultation", patient, NAME).appointment is not None
    services.clock.advance(timedelta(days=-40))  # type: ignore[attr-defined]
    past = SearchWindow(
        services.clock.now() + timedelta(days=1), services.clock.now() + timedelta(days=3)
    )
    [old, *_] = services.booking.search(past, "consultation").slots
    assert services.booking.book(old, "consultation", patient, NAME).appointment is not None
    services.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    services.privacy.set_reminders(patient, True)
    return patient


async def test_a_dump_shows_no_name_number_or_text_before_or_after_erasure(
    services: Services, database_url: str
) -> None:
    patient = await a_patient(services, database_url)
    before = dump(database_url)
    assert not [s for s in SECRETS if s in before]  # sealed: without the key, nothing shows
    opened = " ".join(services.sealer.open(token) for token in SEALED.findall(before))
    assert NAME in opened and PHONE in opened and TEXT in opened  # they are there, sealed

    erasure = services.privacy.erase(patient, Actor("patient", patient))
    assert len(erasure.cancelled) == 1 and erasure.anonymised == 2
    after = dump(database_url)
    opened = " ".join(services.sealer.open(token) for token in SEALED.findall(after))
    for secret in SECRETS:
        assert secret not in after and secret not in opened  # gone, even with the key
    assert patient not in after  # no pseudonymous id left to re-derive from the number
    # what the practice keeps: the audit trail and the past appointment, anonymised
    trail = services.audit.entries()
    assert {e.action for e in trail} >= {"booked", "cancelled"}
    assert {e.actor_id for e in trail if e.actor == "patient"} == {erasure.token}
    past = [
        a for a in services.appointments.list(patient_id=erasure.token) if a.status != "cancelled"
    ]
    assert len(past) == 1 and past[0].patient_name == ""
    assert erasure.token in after and "erasures" in after


#: Meta's id of a message to PHONE: base64 of a record holding the number.
WAMID = "wamid.HBgLMzM2NzcxMjM0NTYVAgARGBI1QjI5QzQ4RkQ2MjA3RjAxNTMA"


def reminder_rows(services: Services, appointment_ids: list[str]) -> list[dict[str, object]]:
    from sqlalchemy import select

    from clinic.adapters.storage.tables import reminders

    with services.database.transaction() as connection:
        rows = connection.execute(
            select(reminders).where(reminders.c.appointment_id.in_(appointment_ids))
        ).all()
    return [dict(row._mapping) for row in rows]


def sent_reminders(services: Services, patient: str) -> list[str]:
    """Meta confirms a reminder of each of the patient's appointments: their rows keep the
    digest of its id, never the id. Returns the appointments' ids."""
    from sqlalchemy import update

    from clinic.adapters.storage.tables import reminders

    ids = [a.id for a in services.appointments.list(patient_id=patient)]
    now = services.clock.now()
    for n, appointment_id in enumerate(ids):
        [reminder, *_] = services.reminders.for_appointment(appointment_id)
        with services.database.transaction() as connection:  # the past one was skipped
            connection.execute(
                update(reminders).where(reminders.c.id == reminder.id).values(status="pending")
            )
        wamid = f"{WAMID}{n}"
        assert services.reminders.confirmed_by_meta(reminder.id, wamid, "delivered", now)
    stored = {row["wamid"] for row in reminder_rows(services, ids)} - {None}
    assert stored == {services.keyring.message_key(f"{WAMID}{n}") for n in range(len(ids))}
    return ids


async def test_an_erased_patients_reminders_keep_their_state_but_no_message_id(
    services: Services, database_url: str
) -> None:
    patient = await a_patient(services, database_url)
    ids = sent_reminders(services, patient)
    before = reminder_rows(services, ids)
    assert {row["status"] for row in before} == {"sent"}
    erasure = services.privacy.erase(patient, Actor("patient", patient))
    after = reminder_rows(services, ids)
    assert len(after) == len(before)  # the report still counts them
    assert all(row["wamid"] is None for row in after)
    assert not {row["status"] for row in after} & {"pending", "sending"}
    assert {a.patient_id for a in services.appointments.list()} == {erasure.token}
    dumped = dump(database_url)
    assert "wamid." not in dumped
    assert not [row["wamid"] for row in before if row["wamid"] and str(row["wamid"]) in dumped]


async def test_reminders_past_their_retention_lose_their_message_id(
    services: Services, database_url: str, clock: FixedClock
) -> None:
    patient = await a_patient(services, database_url)
    ids = sent_reminders(services, patient)
    clock.advance(timedelta(days=91 + 365))  # past appointments: anonymised a year after
    assert services.privacy.purge().appointments_anonymised == 2
    after = reminder_rows(services, ids)
    assert after and all(row["wamid"] is None for row in after)


async def test_the_export_has_everything_and_its_link_expires(
    services: Services, database_url: str, clock: FixedClock
) -> None:
    patient = await a_patient(services, database_url)
    data = services.privacy.export(patient)
    assert (data["nom"], data["numero_whatsapp"]) == (NAME, PHONE)
    assert len(data["rendez_vous"]) == 2 and data["conversation"][0]["texte"] == TEXT
    assert [c["kind"] for c in data["consentements"]] == ["reminders"]
    link = services.privacy.export_link(patient, "https://cabinet.example", "json")
    token = link.rsplit("/", 1)[1]
    assert services.privacy.export_file(token[:-8] + "AAAA.json") is None  # forged
    assert services.privacy.export_file(token.replace(".json", ".txt")) is None  # not issued
    found = services.privacy.export_file(token)
    assert found is not None and json.loads(found[0])["nom"] == NAME
    summary_link = services.privacy.export_link(patient, "https://cabinet.example", "txt")
    summary = services.privacy.export_file(summary_link.rsplit("/", 1)[1])
    assert summary is not None and NAME in summary[0].decode()
    later = services.privacy.export_link(patient, "https://cabinet.example", "json")
    clock.advance(timedelta(hours=25))
    assert services.privacy.export_file(later.rsplit("/", 1)[1]) is None  # expired


async def test_an_export_link_works_once_and_dies_with_an_erasure(
    services: Services, database_url: str
) -> None:
    """The privacy review: a link could be reused for 24 h and still answered after erasure."""
    patient = await a_patient(services, database_url)
    privacy = services.privacy
    token = privacy.export_link(patient, "https://cabinet.example", "json").rsplit("/", 1)[1]
    assert privacy.export_file(token) is not None
    assert privacy.export_file(token) is None  # a second download: the « lien expiré » answer
    outstanding = [
        privacy.export_link(patient, "https://cabinet.example", suffix).rsplit("/", 1)[1]
        for suffix in ("txt", "json")
    ]
    other = await a_second_patient(services)
    kept = privacy.export_link(other, "https://cabinet.example", "txt").rsplit("/", 1)[1]
    dumped = dump(database_url)
    assert not [t for t in (token, *outstanding) if t in dumped or t.split(".")[2] in dumped]
    privacy.erase(patient, Actor("staff", "test"))
    assert [privacy.export_file(t) for t in outstanding] == [None, None]  # revoked
    assert privacy.export_file(kept) is not None  # another patient's link is not touched
    assert patient not in dump(database_url)  # no row of the links names the erased patient


async def a_second_patient(services: Services) -> str:
    patient = services.keyring.patient_id("33677000111")
    services.patients.remember(patient, "Anatole Brizard", services.clock.now())
    return patient


async def test_retention_by_travelling_in_time(
    services: Services, database_url: str, clock: FixedClock
) -> None:
    patient = await a_patient(services, database_url)
    assert services.privacy.purge(dry_run=True).transcript_lines == 0
    clock.advance(timedelta(days=91))  # conversations: 90 days after the message
    dry = services.privacy.purge(dry_run=True)
    assert (dry.transcript_lines, dry.conversations) == (1, 1) and dry.events >= 2
    assert services.transcript.lines(patient)  # a dry run changes nothing
    done = services.privacy.purge()
    assert done.transcript_lines == 1 and services.transcript.lines(patient) == []
    assert services.patients.name(patient) == NAME  # the patient stays: still active
    clock.advance(timedelta(days=365))  # past appointments: anonymised a year after
    assert services.privacy.purge().appointments_anonymised == 2
    assert services.appointments.list(patient_id=patient) == []
    clock.advance(timedelta(days=3 * 365))  # inactive 3 years: erased
    report = services.privacy.purge()
    assert report.patients_erased == 1
    assert services.patients.name(patient) is None and services.contacts.contact(patient) is None


async def test_a_no_to_reminders_is_honoured_and_can_change(
    services: Services, database_url: str
) -> None:
    patient = services.keyring.patient_id(PHONE)
    now = services.clock.now()
    services.contacts.remember_contact(patient, PHONE, None, now, now)
    services.privacy.set_reminders(patient, False)
    window = SearchWindow(now + timedelta(days=7), now + timedelta(days=9))
    slots = services.booking.search(window, "consultation").slots
    first = services.booking.book(slots[0], "consultation", patient, NAME).appointment
    assert first is not None
    [reminder] = services.reminders.for_appointment(first.id)
    assert (reminder.status, reminder.note) == ("skipped", "no consent")
    services.privacy.set_reminders(patient, True)
    second = services.booking.book(slots[-1], "consultation", patient, NAME).appointment
    assert second is not None
    assert [r.status for r in services.reminders.for_appointment(second.id)] == ["pending"]
    services.privacy.set_reminders(patient, False)  # a « non » later cancels what is planned
    assert [r.status for r in services.reminders.for_appointment(second.id)] == ["cancelled"]


async def test_with_required_consent_reminders_wait_for_a_yes(
    services: Services, practice: Practice
) -> None:
    from dataclasses import replace

    strict = replace(practice, privacy=replace(practice.privacy, reminder_consent="required"))
    other = build_services(services.settings, strict, clock=services.clock)
    try:
        patient = other.keyring.patient_id(PHONE)
        now = other.clock.now()
        window = SearchWindow(now + timedelta(days=7), now + timedelta(days=9))
        [slot, *_] = other.booking.search(window, "consultation").slots
        booked = other.booking.book(slot, "consultation", patient, NAME).appointment
        assert booked is not None
        assert [r.status for r in other.reminders.for_appointment(booked.id)] == ["skipped"]
        assert other.privacy.should_ask_reminders(patient)
        other.privacy.set_reminders(patient, True)  # « oui »: planned now
        assert [r.status for r in other.reminders.for_appointment(booked.id)] == ["pending"]
        assert not other.privacy.should_ask_reminders(patient)
    finally:
        other.database.dispose()


async def test_a_rotated_data_key_reseals_everything_then_the_old_one_goes(
    services: Services, database_url: str, practice: Practice
) -> None:
    from dataclasses import replace

    from clinic.adapters.sealing import UNREADABLE
    from clinic.adapters.whatsapp.inbound import Inbound
    from clinic.adapters.whatsapp.reading import keep, revive

    patient = await a_patient(services, database_url)
    old = services.sealer  # the development key file's key
    # A message being handled (its process died mid-turn): kept sealed until its outcome.
    now = services.clock.now()
    message = Inbound(WAMID, PHONE, None, now, "text", text=TEXT)
    assert services.inbound.claim_inbound(
        WAMID, patient, "text", now, now, keep(old, message), timedelta(minutes=2)
    )
    enrolment = services.second_factors.begin(7, "equipe@cabinet.example", now)  # sealed too
    old_key = (ROOT / "var" / "data_encryption_key").read_text().strip()
    new_key = "new-data-key-0123456789abcdef"

    def with_key(key: str) -> Services:
        settings = replace(services.settings, data_encryption_key=key)
        return build_services(settings, practice, clock=services.clock)

    both = with_key(f"{new_key},{old_key}")  # the new key first: it seals, both open
    try:
        assert both.patients.name(patient) == NAME
        assert both.privacy.reseal() >= 6
    finally:
        both.database.dispose()
    new_only = with_key(new_key)
    try:
        assert new_only.patients.name(patient) == NAME
        contact = new_only.contacts.contact(patient)
        assert contact is not None and contact.wa_id == PHONE
        assert new_only.transcript.lines(patient)[0].text == TEXT
        [(_, body, _)] = new_only.inbound.claim_stale(now + timedelta(minutes=3), timedelta(1))
        assert revive(new_only.sealer, body) == message  # taken up again under the new key
        assert new_only.second_factors.pending(7, "equipe@cabinet.example") == enrolment
    finally:
        new_only.database.dispose()
    tokens = SEALED.findall(dump(database_url))
    assert tokens and {old.open(token) for token in tokens} == {UNREADABLE}


def test_values_stored_before_sealing_are_read_then_sealed_by_reseal(services: Services) -> None:
    from sqlalchemy import insert, select

    from clinic.adapters.storage.tables import patients

    now = services.clock.now()
    with services.database.transaction() as connection:  # what an older version wrote
        connection.execute(
            insert(patients).values(
                patient_id="wa-legacy", display_name=NAME, created_at=now, updated_at=now
            )
        )
    assert services.patients.name("wa-legacy") == NAME
    assert services.privacy.reseal() >= 1
    with services.database.transaction() as connection:
        stored = connection.execute(select(patients.c.display_name)).scalar_one()
    assert NAME not in stored and services.patients.name("wa-legacy") == NAME
