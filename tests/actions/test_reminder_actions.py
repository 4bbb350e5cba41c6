"""Answers to a reminder, over the real core: the button names the appointment; only the
patient's own, still active appointment is touched; stale buttons get a clear answer."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk.executor import CollectingDispatcher

from actions.manage import ActionFindAppointment
from actions.reminders import ActionConfirmAppointment
from clinic.app.wiring import Services
from clinic.domain.appointments import Appointment
from tests.actions.test_booking_actions import PATIENT, responses, tracker
from tests.conftest import NOW


def booked(services: Services, patient: str = PATIENT, days: int = 3) -> Appointment:
    start = (NOW + timedelta(days=days)).replace(hour=10, minute=0)
    appointment = services.appointments.add(
        Appointment(
            f"{days:02d}{patient[-6:]:0>30}"[:32],
            patient,
            "Marie Dupont",
            "dr-martin",
            "ordonnance",
            start,
            start + timedelta(minutes=15),
        ),
        NOW,
    )
    services.reminders.schedule(appointment, NOW)
    return appointment


def tapped(intent: str, appointment_id: str, sender: str = PATIENT):  # noqa: ANN201
    return tracker(
        f'/{intent}{{"appointment_id": "{appointment_id}"}}',
        intent=intent,
        entities=[{"entity": "appointment_id", "value": appointment_id}],
        sender=sender,
    )


async def run(action, t) -> CollectingDispatcher:  # noqa: ANN001
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, t, {})
    return dispatcher


async def test_je_confirme_confirms_that_appointment(services: Services) -> None:
    appointment = booked(services)
    dispatcher = await run(
        ActionConfirmAppointment(services), tapped("confirm_appointment", appointment.id)
    )
    assert responses(dispatcher) == ["utter_appointment_confirmed"]
    assert dispatcher.messages[0]["practitioner"] == "Dr Claire Martin"
    assert services.appointments.get(appointment.id).status == "confirmed"


async def test_a_stale_or_foreign_button_changes_nothing(services: Services) -> None:
    mine = booked(services)
    theirs = booked(services, patient="p-someone-else", days=4)
    services.booking.cancel(mine.id)
    for appointment_id in (mine.id, theirs.id, "0" * 32):
        dispatcher = await run(
            ActionConfirmAppointment(services), tapped("confirm_appointment", appointment_id)
        )
        assert responses(dispatcher) == ["utter_appointment_gone"]
    assert services.appointments.get(theirs.id).status == "booked"
    assert services.appointments.get(mine.id).status == "cancelled"


async def test_confirming_in_words_takes_the_only_upcoming_appointment(services: Services) -> None:
    said = await run(
        ActionConfirmAppointment(services), tracker("je serai là", intent="confirm_appointment")
    )
    assert responses(said) == ["utter_no_appointment"]
    appointment = booked(services)
    said = await run(
        ActionConfirmAppointment(services), tracker("je serai là", intent="confirm_appointment")
    )
    assert responses(said) == ["utter_appointment_confirmed"]
    assert services.appointments.get(appointment.id).status == "confirmed"
    booked(services, days=5)
    said = await run(
        ActionConfirmAppointment(services), tracker("je serai là", intent="confirm_appointment")
    )
    assert responses(said) == ["utter_which_appointment"]


async def test_annuler_and_deplacer_take_that_appointment(services: Services) -> None:
    first, second = booked(services), booked(services, days=5)
    dispatcher = CollectingDispatcher()
    events = await ActionFindAppointment(services).run(
        dispatcher, tapped("cancel_appointment", second.id), {}
    )
    assert responses(dispatcher) == ["utter_cancel_recap"]
    assert "5 décembre" in dispatcher.messages[0]["day"]
    assert {e["name"]: e["value"] for e in events}["managed_appointment"] == second.id
    dispatcher = CollectingDispatcher()
    events = await ActionFindAppointment(services).run(
        dispatcher, tapped("reschedule_appointment", first.id), {}
    )
    assert responses(dispatcher) == ["utter_move_intro"]
    assert {e["name"]: e["value"] for e in events}["managing"] == "reschedule"
    services.booking.cancel(first.id)
    dispatcher = await run(ActionFindAppointment(services), tapped("cancel_appointment", first.id))
    assert responses(dispatcher) == ["utter_appointment_gone"]
    # A cancellation cancels the reminders too.
    assert [r.status for r in services.reminders.for_appointment(first.id)] == ["cancelled"]
    assert [r.status for r in services.reminders.for_appointment(second.id)] == ["pending"]
