"""Handing a conversation to staff and back (clinic.services.handoff), on SQLite and PostgreSQL, through
the real composition root: pause, alerts queued once, one acknowledgement, replies inside the
24-hour window, re-alerts and auto-resume, a transcript sealed at rest."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.adapters.storage.tables import conversation_log, whatsapp_outbound
from clinic.app.wiring import Services, build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from clinic.services.handoff import BACK_BUTTON, Handoff
from tests.conftest import NOW

PATIENT = "wa-3f9a0c1e5b7d9f1a3c5e7a9b"
STAFF = ("+33600000001", "equipe@cabinet-tilleuls.test")
OPEN = timedelta(hours=2)  # NOW is Monday 8h00, before opening: +2 h is 10h00, open


@pytest.fixture
def handoff(services: Services) -> Handoff:
    return services.handoff


def alerts(services: Services) -> Counter[tuple[int, str, str]]:
    return Counter((a.round, a.channel, a.recipient) for a in services.alerts.list())


def window_open(services: Services, clock: FixedClock) -> None:
    """The patient wrote a minute ago."""
    now = clock.now()
    services.contacts.remember_contact(PATIENT, "33612345678", None, now, now)


def test_a_pause_alerts_each_staff_recipient_once(services: Services, handoff: Handoff) -> None:
    assert services.practice.staff_alerts == STAFF
    assert handoff.pause(PATIENT, "handoff")
    assert not handoff.pause(PATIENT, "handoff")  # already with staff: no second alert
    assert not handoff.pause(PATIENT, "data_request")
    assert alerts(services) == {(1, "whatsapp", STAFF[0]): 1, (1, "email", STAFF[1]): 1}
    paused = handoff.paused(PATIENT)
    assert paused is not None and paused.reason == "handoff"


def test_an_emergency_in_a_paused_conversation_alerts_again(
    services: Services, handoff: Handoff
) -> None:
    handoff.pause(PATIENT, "handoff")
    assert handoff.pause(PATIENT, "emergency")
    assert not handoff.pause(PATIENT, "emergency")
    assert alerts(services) == {
        (1, "whatsapp", STAFF[0]): 1,
        (1, "email", STAFF[1]): 1,
        (2, "whatsapp", STAFF[0]): 1,
        (2, "email", STAFF[1]): 1,
    }
    assert {a.reason for a in services.alerts.list() if a.round == 2} == {"emergency"}


def test_one_acknowledgement_per_paused_period(handoff: Handoff, clock: FixedClock) -> None:
    handoff.pause(PATIENT, "handoff")
    paused = handoff.paused(PATIENT)
    assert paused is not None
    first = handoff.acknowledgement(paused)
    assert first is not None and first["buttons"] == [BACK_BUTTON]
    # Monday 8h00: closed until 8h30; the practice's phone is given
    assert "fermé" in first["text"] and "aujourd'hui à 8h30" in first["text"]
    assert "04 78 00 00 00" in first["text"]
    assert handoff.acknowledgement(paused) is None
    assert handoff.back_to_assistant(PATIENT)
    clock.advance(OPEN)
    handoff.pause(PATIENT, "emergency")  # a new paused period: a new acknowledgement
    again = handoff.paused(PATIENT)
    assert again is not None and again.episode == 2
    answer = handoff.acknowledgement(again)
    assert answer is not None and "buttons" not in answer  # no way back from an emergency
    assert "15 ou le 112" in answer["text"] and "fermé" not in answer["text"]


def test_only_a_non_urgent_pause_ends_with_the_patients_button(handoff: Handoff) -> None:
    handoff.pause(PATIENT, "emergency")
    assert not handoff.back_to_assistant(PATIENT)
    assert handoff.paused(PATIENT) is not None
    assert handoff.resume(PATIENT, "marie")
    assert handoff.paused(PATIENT) is None
    assert not handoff.resume(PATIENT, "marie")


def test_staff_reply_inside_the_window_is_queued_and_audited(
    services: Services, handoff: Handoff, clock: FixedClock
) -> None:
    handoff.pause(PATIENT, "handoff")
    assert handoff.reply(PATIENT, "Bonjour, ici le cabinet.", "marie") == "unreachable"
    window_open(services, clock)
    assert handoff.reply(PATIENT, "Bonjour, ici le cabinet.", "marie") == "queued"
    [queued] = services.outbox.outbox(PATIENT)
    assert (queued.kind, queued.status) == ("staff", "queued")
    staff_lines = [line for line in handoff.open(PATIENT, "marie") if line.author == "staff"]
    assert [(line.actor_id, line.text) for line in staff_lines] == [
        ("marie", "Bonjour, ici le cabinet.")
    ]
    clock.advance(timedelta(hours=25))
    assert handoff.reply(PATIENT, "Vous êtes là ?", "marie") == "window_closed"
    assert len(services.outbox.outbox(PATIENT)) == 1  # nothing Meta would refuse
    assert handoff.reengage(PATIENT, "marie")
    assert [row.kind for row in services.outbox.outbox(PATIENT)] == ["staff", "reengage"]


def test_an_unopened_emergency_is_alerted_again_during_opening_hours_only(
    services: Services, handoff: Handoff, clock: FixedClock
) -> None:
    handoff.pause(PATIENT, "emergency")  # Monday 8h00, before opening
    clock.advance(timedelta(minutes=20))
    assert handoff.sweep() == (0, 0)  # 8h20: closed, no re-alert
    clock.advance(timedelta(minutes=15))  # 8h35: open
    assert handoff.sweep() == (2, 0)
    assert handoff.sweep() == (0, 0)
    clock.advance(timedelta(minutes=11))
    assert handoff.sweep() == (2, 0)  # round 3
    handoff.open(PATIENT, "marie")
    clock.advance(timedelta(minutes=11))
    assert handoff.sweep() == (0, 0)  # opened: no more re-alerts
    assert max(a.round for a in services.alerts.list()) == 3
    clock.advance(timedelta(days=3))
    assert handoff.sweep() == (0, 0)  # an emergency never resumes by itself
    assert handoff.paused(PATIENT) is not None


def test_a_quiet_handoff_resumes_by_itself_and_tells_the_patient(
    services: Services, handoff: Handoff, clock: FixedClock
) -> None:
    window_open(services, clock)
    handoff.pause(PATIENT, "handoff")
    clock.advance(timedelta(hours=23))
    handoff.open(PATIENT, "marie")  # staff activity restarts the count
    clock.advance(timedelta(hours=23))
    assert handoff.sweep() == (0, 0)
    services.contacts.remember_contact(PATIENT, "33612345678", None, clock.now(), clock.now())
    clock.advance(timedelta(hours=2))
    assert handoff.sweep() == (0, 1)
    assert handoff.paused(PATIENT) is None
    assert [row.kind for row in services.outbox.outbox(PATIENT)] == ["handoff"]


def test_the_transcript_is_sealed_at_rest(services: Services, handoff: Handoff) -> None:
    services.transcript.add(PATIENT, "patient", "mon père a fait un malaise", NOW)
    with services.database.transaction() as connection:
        stored = connection.execute(select(conversation_log.c.body)).scalars().all()
    assert stored and all("malaise" not in body for body in stored)
    assert [line.text for line in handoff.open(PATIENT, "marie")] == ["mon père a fait un malaise"]


def test_the_inbox_and_references(services: Services, handoff: Handoff) -> None:
    services.transcript.add(PATIENT, "patient", "je veux parler à quelqu'un", NOW)
    services.transcript.add("wa-000000000000000000000001", "patient", "bonjour", NOW)
    services.patients.remember(PATIENT, "Marie Dupont", NOW)
    handoff.pause(PATIENT, "handoff")
    [row] = handoff.inbox("paused")
    assert row.as_json(services.practice.tz) == {
        "id": PATIENT,
        "status": "paused",
        "reason": "handoff",
        "since": NOW.isoformat(),
        "patient_name": "Marie Dupont",
        "last_message_at": NOW.isoformat(),
        "reference": "3f9a0c1e",
    }
    assert {r.id for r in handoff.inbox("active")} == {"wa-000000000000000000000001"}
    assert len(handoff.inbox(None)) == 2
    found = handoff.find("3f9a0c1e")
    assert found is not None and found.patient_id == PATIENT
    assert handoff.find("3f9a") is None  # too short to be a reference


def test_nothing_is_queued_twice_by_two_replicas(services: Services, practice: Practice) -> None:
    """A second process (its own engine) pausing the same conversation: one set of alerts."""
    other = build_services(services.settings, practice, clock=services.clock)
    try:
        results = [
            services.handoff.pause(PATIENT, "emergency"),
            other.handoff.pause(PATIENT, "emergency"),
        ]
    finally:
        other.database.dispose()
    assert sorted(results) == [False, True]
    assert len(services.alerts.list()) == 2
    with services.database.transaction() as connection:
        assert connection.execute(select(whatsapp_outbound)).first() is None
