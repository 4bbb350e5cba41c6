"""The privacy actions over the real core (SQLite, fixed clock): erasure asked then done by the
worker's call, export links, reminders on and off, the question asked once after a booking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import (
    ActionEraseMyData,
    ActionExplainErasure,
    ActionExportMyData,
    ActionSetReminders,
)
from clinic.app.wiring import Services
from clinic.domain.scheduling import SearchWindow

PATIENT = "wa-00000000000000000000beef"


def tracker(intent: str, sender: str = PATIENT) -> Tracker:
    message: dict[str, Any] = {"text": "", "intent": {"name": intent}, "entities": []}
    return Tracker(sender, {}, message, [], False, None, {}, "action_listen")


def book(services: Services) -> str:
    now = services.clock.now()
    window = SearchWindow(now + timedelta(days=3), now + timedelta(days=5))
    [slot, *_] = services.booking.search(window, "consultation").slots
    outcome = services.booking.book(slot, "consultation", PATIENT, "Marie Dupont")
    assert outcome.appointment is not None
    return outcome.appointment.id


async def test_erasure_is_explained_then_done_after_the_turn(services: Services) -> None:
    booked = book(services)
    services.patients.remember(PATIENT, "Marie Dupont", services.clock.now())
    dispatcher = CollectingDispatcher()
    await ActionExplainErasure(services).run(dispatcher, tracker("delete_my_data"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_explain_erasure"]
    dispatcher = CollectingDispatcher()
    await ActionEraseMyData(services).run(dispatcher, tracker("affirm"), {})
    [done] = dispatcher.messages
    assert done["response"] == "utter_erasure_done" and "annulé" in done["cancelled"]
    # nothing is erased during the turn (Rasa saves it afterwards): the worker does it
    assert services.patients.name(PATIENT) == "Marie Dupont"
    assert services.privacy.run_requested_erasures() == 0
    services.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
    assert services.privacy.run_requested_erasures() == 1
    assert services.patients.name(PATIENT) is None
    appointment = services.appointments.get(booked)
    assert appointment is not None and appointment.status == "cancelled"
    assert appointment.patient_id.startswith("erased-")
    # staff are told that time was freed, with the erasure's token as the only reference
    alerts = services.alerts.list(appointment.patient_id)
    assert {a.reason for a in alerts} == {"erasure"} and len(alerts) == 2
    services.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]
    assert services.privacy.run_requested_erasures() == 1  # the sweep
    assert services.privacy.run_requested_erasures() == 0


async def test_the_export_comes_as_two_documents_with_expiring_links(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    await ActionExportMyData(services).run(dispatcher, tracker("ask_my_data"), {})
    first, *documents = dispatcher.messages
    assert first["response"] == "utter_export"
    names = [m["custom"]["document"]["filename"] for m in documents]
    assert names == ["mes-donnees.txt", "mes-donnees.json"]
    token = documents[1]["custom"]["document"]["link"].rsplit("/", 1)[1]
    assert services.privacy.export_file(token) is not None
    assert services.privacy.export_file(token) is None  # Meta fetched it: spent
    # the text sent if WhatsApp refuses the document has a link of its own, still unused
    spare = documents[1]["custom"]["fallback"].rsplit("/", 1)[1]
    assert spare != token and services.privacy.export_file(spare) is not None


async def test_reminders_off_then_on(services: Services) -> None:
    booked = book(services)
    assert services.privacy.should_ask_reminders(PATIENT)
    dispatcher = CollectingDispatcher()
    events = await ActionSetReminders(services).run(dispatcher, tracker("stop_reminders"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_reminders_off"]
    assert events == [
        {"event": "slot", "timestamp": None, "name": "reminders_asked", "value": None}
    ]
    assert [r.status for r in services.reminders.for_appointment(booked)] == ["cancelled"]
    assert not services.privacy.should_ask_reminders(PATIENT)
    dispatcher = CollectingDispatcher()
    await ActionSetReminders(services).run(dispatcher, tracker("want_reminders"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_reminders_on"]
    assert [r.status for r in services.reminders.for_appointment(booked)] == ["pending"]
