"""Cancel and move by message, over the real core (SQLite, real Duckling, a fixed clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.book import ActionBookAppointment
from actions.manage import ActionCancelAppointment, ActionFindAppointment, ActionKeepAppointment
from actions.offer import ActionChooseSlot
from clinic.app.wiring import Services
from tests.actions.test_booking_actions import PATIENT, responses, tracker
from tests.actions.test_reminder_actions import booked, run  # noqa: F401
from tests.conftest import NOW


def asked(intent: str, text: str = "", slots: dict[str, Any] | None = None, events=None) -> Tracker:  # noqa: ANN001
    return tracker(text or intent, slots or {}, intent=intent, events=events)


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def find(
    services: Services, intent: str, **kwargs: Any
) -> tuple[CollectingDispatcher, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionFindAppointment(services).run(dispatcher, asked(intent, **kwargs), {})
    return dispatcher, slots_of(events)


async def test_none_one_several(services: Services) -> None:
    said, slots = await find(services, "cancel_appointment")
    assert responses(said) == ["utter_no_appointment_to_manage"] and slots["managing"] is None
    one = booked(services)
    said, slots = await find(services, "cancel_appointment")
    assert responses(said) == ["utter_cancel_recap"]
    assert slots == {"managing": "cancel", "managed_appointment": one.id}
    other = booked(services, days=6)
    said, slots = await find(services, "reschedule_appointment")
    assert responses(said) == ["utter_which_to_manage"] and slots["managing"] is None
    payloads = [b["payload"] for b in said.messages[0]["buttons"]]
    assert payloads == [
        f'/reschedule_appointment{{"appointment_id": "{a.id}"}}' for a in (one, other)
    ]
    # someone else's appointments are never found
    theirs = tracker("annuler", intent="cancel_appointment", sender="p-other")
    dispatcher = CollectingDispatcher()
    await ActionFindAppointment(services).run(dispatcher, theirs, {})
    assert responses(dispatcher) == ["utter_no_appointment_to_manage"]


async def test_cancel_after_the_recap(services: Services) -> None:
    appointment = booked(services)
    _, slots = await find(services, "cancel_appointment")
    dispatcher = CollectingDispatcher()
    events = await ActionCancelAppointment(services).run(
        dispatcher, asked("affirm", "oui", slots), {}
    )
    assert responses(dispatcher) == ["utter_cancelled", None]
    assert services.appointments.get(appointment.id).status == "cancelled"
    assert [r.status for r in services.reminders.for_appointment(appointment.id)] == ["cancelled"]
    document = dispatcher.messages[1]["custom"]["document"]
    ics = services.calendar_files.file(document["link"].rsplit("/", 1)[1], NOW)
    assert ics is not None and b"METHOD:CANCEL" in ics and f"UID:{appointment.id}@".encode() in ics
    assert slots_of(events) == {
        "managing": None,
        "managed_appointment": None,
        "reminders_asked": None,
    }
    [entry] = [e for e in services.audit.entries(appointment.id) if e.action == "cancelled"]
    assert (entry.actor, entry.actor_id) == ("patient", PATIENT)


async def test_change_of_mind_keeps_it(services: Services) -> None:
    appointment = booked(services)
    _, slots = await find(services, "cancel_appointment")
    dispatcher = CollectingDispatcher()
    await ActionKeepAppointment(services).run(dispatcher, asked("deny", "non", slots), {})
    assert responses(dispatcher) == ["utter_kept"]
    assert services.appointments.get(appointment.id).status == "booked"


@pytest.mark.recette(12)
async def test_too_late_gives_the_phone(services: Services) -> None:
    appointment = booked(services)
    services.clock.set(appointment.start - timedelta(hours=3))
    said, slots = await find(services, "cancel_appointment")
    assert responses(said) == ["utter_too_late"] and said.messages[0]["hours"] == 4
    assert slots["managing"] is None
    assert services.appointments.get(appointment.id).status == "booked"


async def test_move_through_the_booking_flow(services: Services) -> None:
    appointment = booked(services)
    said, slots = await find(services, "reschedule_appointment")
    assert responses(said) == ["utter_move_intro"]
    assert slots["managing"] == "reschedule" and slots["reason"] == "ordonnance"
    assert slots["patient_name"] == "Marie Dupont"
    history = [{"event": "action", "name": "action_find_appointment"}]
    new_start = appointment.start + timedelta(days=1, hours=4)
    chosen = {
        "start": new_start.isoformat(),
        "end": (new_start + timedelta(minutes=15)).isoformat(),
        "practitioner": "dr-martin",
    }
    state = {**slots, "offered_slots": [chosen], "slot_choice": "1"}
    dispatcher = CollectingDispatcher()
    events = await ActionChooseSlot(services).run(
        dispatcher, asked("choose_slot", "/choose_slot", state, history), {}
    )
    assert responses(dispatcher) == ["utter_recap_move"]
    state["chosen_slot"] = slots_of(events)["chosen_slot"]
    dispatcher = CollectingDispatcher()
    events = await ActionBookAppointment(services).run(
        dispatcher, asked("affirm", "oui", state, history), {}
    )
    assert responses(dispatcher) == ["utter_moved", None]
    [only] = services.appointments.list(patient_id=PATIENT)
    assert (only.id, only.start, only.sequence) == (appointment.id, new_start, 1)
    ics = services.calendar_files.file(
        dispatcher.messages[1]["custom"]["document"]["link"].rsplit("/", 1)[1], NOW
    )
    assert ics is not None and b"SEQUENCE:1" in ics
    [reminder] = services.reminders.for_appointment(appointment.id)
    assert reminder.due == new_start - timedelta(days=1)
    assert [e.action for e in services.audit.entries(appointment.id)] == ["moved"]
    assert slots_of(events)["managing"] is None


async def test_a_new_booking_after_a_move_request_is_a_new_booking(services: Services) -> None:
    appointment = booked(services)
    _, slots = await find(services, "reschedule_appointment")
    history = [
        {"event": "action", "name": "action_find_appointment"},
        {"event": "user", "parse_data": {"intent": {"name": "book_appointment"}}},
    ]
    new_start = appointment.start + timedelta(days=1, hours=4)
    chosen = {
        "start": new_start.isoformat(),
        "end": (new_start + timedelta(minutes=15)).isoformat(),
        "practitioner": "dr-martin",
    }
    state = {**slots, "chosen_slot": chosen}
    dispatcher = CollectingDispatcher()
    await ActionBookAppointment(services).run(
        dispatcher, asked("affirm", "oui", state, history), {}
    )
    assert responses(dispatcher)[0] == "utter_booked"
    assert len(services.appointments.list(patient_id=PATIENT)) == 2  # the old one is untouched


async def test_on_google_the_calendar_reminders_audit_and_messages_agree(
    practice,
    duckling_url: str,
    tmp_path,
    gcal,  # noqa: ANN001
) -> None:
    """Book, move (with Google failing half-way), then cancel, on the Google backend: after each
    flow the emulator's event, the reminders, the audit trail and what was said agree."""
    from clinic.adapters.settings import Settings
    from clinic.app.wiring import build_services
    from clinic.domain.clock import FixedClock

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        duckling_url=duckling_url,
        calendar_backend="google",
        google_calendar_id="cabinet",
        google_application_credentials=str(gcal.key_path),
        google_api_root_url=gcal.url,
    )
    services = build_services(settings, practice, clock=FixedClock(NOW))
    start = (NOW + timedelta(days=3)).replace(hour=10, minute=0)
    slot = {
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=15)).isoformat(),
        "practitioner": "dr-martin",
    }
    state = {"chosen_slot": slot, "reason": "ordonnance", "patient_name": "Marie Dupont"}
    said = CollectingDispatcher()
    await ActionBookAppointment(services).run(said, asked("affirm", "oui", state), {})
    assert responses(said) == ["utter_booked", None, "utter_ask_reminders"]
    [appointment] = services.appointments.list(patient_id=PATIENT)
    assert list(gcal.events()) == [appointment.id]

    # move, with Google down at the moment of the patch
    _, slots = await find(services, "reschedule_appointment")
    new_start = start + timedelta(days=1, hours=4)
    chosen = {
        "start": new_start.isoformat(),
        "end": (new_start + timedelta(minutes=15)).isoformat(),
        "practitioner": "dr-martin",
    }
    history = [{"event": "action", "name": "action_find_appointment"}]
    gcal.fault("/events/", status=503, times=10)
    said = CollectingDispatcher()
    await ActionBookAppointment(services).run(
        said, asked("affirm", "oui", {**slots, "chosen_slot": chosen}, history), {}
    )
    assert responses(said) == ["utter_moved", None]
    assert services.appointments.get(appointment.id).calendar_state == "pending"
    gcal.server.state.faults.clear()
    assert services.booking.sync_calendar() == 1
    event = gcal.events()[appointment.id]
    assert list(gcal.events()) == [appointment.id]
    assert event["start"]["dateTime"].startswith(new_start.isoformat()[:16])
    assert [r.due for r in services.reminders.for_appointment(appointment.id)] == [
        new_start - timedelta(days=1)
    ]

    # cancel
    _, slots = await find(services, "cancel_appointment")
    said = CollectingDispatcher()
    await ActionCancelAppointment(services).run(said, asked("affirm", "oui", slots), {})
    assert responses(said) == ["utter_cancelled", None]
    assert gcal.events()[appointment.id]["status"] == "cancelled"
    assert [r.status for r in services.reminders.for_appointment(appointment.id)] == ["cancelled"]
    assert [e.action for e in services.audit.entries(appointment.id)] == [
        "booked",
        "moved",
        "cancelled",
    ]
    services.database.dispose()
