"""Replies several flows share: an appointment said in French, its calendar file (booked,
moved or cancelled), « trop tard pour le changer ici », and the answer to a booking or a move
(« je confirme », or a freed slot taken from the waiting list)."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import DONE, RESET
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.ics import FILENAME
from clinic.domain.practice import VisitReason
from clinic.services.booking import BookingOutcome


def describe(services: Services, appointment: Appointment) -> dict[str, Any]:
    """The day and practitioner of an appointment, as the responses' variables."""
    practice = services.practice
    today = services.local_now().date()
    return {
        "day": french.day_and_hour(appointment.start.astimezone(practice.tz), today),
        "practitioner": practice.practitioner(appointment.practitioner_id).name,
    }


def ics_document(
    services: Services, appointment_id: str, caption: str, fallback: str
) -> dict[str, Any]:
    """The appointment's calendar file as a WhatsApp document (custom JSON for the channel);
    `fallback` is sent with the link appended if WhatsApp cannot send the document."""
    link = services.calendar_files.link(
        appointment_id, services.settings.public_url, services.clock.now()
    )
    return {
        "document": {"link": link, "filename": FILENAME, "caption": caption},
        "fallback": f"{fallback} {link}",
    }


def booked_file(
    services: Services, appointment_id: str, day: str, practitioner: str
) -> dict[str, Any]:
    """The confirmation's calendar file, the address in its caption; if WhatsApp cannot send
    the document, the fallback text carries the same details and link."""
    practice = services.practice
    when = f"{day[0].upper()}{day[1:]}"
    return ics_document(
        services,
        appointment_id,
        f"📅 {when} au {practice.name}, {practice.address}. "
        "Ouvrez ce fichier pour ajouter le rendez-vous à votre agenda.",
        f"📅 {when} avec {practitioner}, {practice.address}. Pour l'ajouter à votre agenda :",
    )


def cancel_file(services: Services, appointment_id: str) -> dict[str, Any]:
    """The calendar file that removes the event (same UID, METHOD:CANCEL)."""
    return ics_document(
        services,
        appointment_id,
        "Ouvrez ce fichier pour retirer le rendez-vous de votre agenda.",
        "Pour retirer le rendez-vous de votre agenda :",
    )


def limit_reached(dispatcher: CollectingDispatcher, services: Services) -> None:
    """The patient already holds the practice's maximum of upcoming appointments."""
    practice = services.practice
    dispatcher.utter_message(
        response="utter_booking_limit",
        count=practice.limits.max_upcoming_per_patient,
        phone=practice.phone,
    )


def too_late(
    dispatcher: CollectingDispatcher, services: Services, appointment: Appointment
) -> bool:
    """Within the practice's cut-off, changes go through the phone: say so and return True."""
    if not services.booking.too_late(appointment):
        return False
    hours = int(services.practice.rules.cancellation_cutoff.total_seconds() // 3600)
    dispatcher.utter_message(
        response="utter_too_late",
        day=describe(services, appointment)["day"],
        hours=hours,
        phone=services.practice.phone,
    )
    return True


def booked(
    dispatcher: CollectingDispatcher,
    services: Services,
    outcome: BookingOutcome,
    reason: VisitReason,
    day: str,
) -> None:
    """Booked (with its calendar file), or recorded as waiting for the practice's confirmation."""
    if outcome.status != "booked" or outcome.appointment is None:
        dispatcher.utter_message(response="utter_booking_pending", day=day)
        return
    instructions = f"{reason.instructions} " if reason.instructions else ""
    practitioner = services.practice.practitioner(outcome.appointment.practitioner_id).name
    dispatcher.utter_message(
        response="utter_booked",
        reason=reason.label,
        day=day,
        practitioner=practitioner,
        instructions=instructions,
    )
    dispatcher.utter_message(
        json_message=booked_file(services, outcome.appointment.id, day, practitioner)
    )


def moved(
    dispatcher: CollectingDispatcher,
    services: Services,
    outcome: BookingOutcome,
    day: str,
    instructions: str | None,
) -> list[EventType]:
    """The answer to a move: done (with the updated calendar file), or why not."""
    practice = services.practice
    phone = practice.phone
    if outcome.status == "moved" and outcome.appointment is not None:
        practitioner = practice.practitioner(outcome.appointment.practitioner_id).name
        dispatcher.utter_message(
            response="utter_moved",
            day=day,
            practitioner=practitioner,
            instructions=f"{instructions} " if instructions else "",
        )
        dispatcher.utter_message(
            json_message=booked_file(services, outcome.appointment.id, day, practitioner)
        )
    elif outcome.status == "too_late" and outcome.appointment is not None:
        hours = int(practice.rules.cancellation_cutoff.total_seconds() // 3600)
        old = describe(services, outcome.appointment)["day"]
        dispatcher.utter_message(response="utter_too_late", day=old, hours=hours, phone=phone)
    elif outcome.status == "unverified":
        dispatcher.utter_message(response="utter_move_unverified", phone=phone)
    else:
        dispatcher.utter_message(response="utter_appointment_gone", phone=phone)
    return DONE + RESET
