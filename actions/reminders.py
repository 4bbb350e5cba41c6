"""Answers to a reminder: its quick replies carry the appointment id, so they work days later,
after the Rasa session expired; only the patient's own, still active appointment is touched."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import get_context
from clinic import french
from clinic.appointments import Appointment
from clinic.audit import Actor

logger = logging.getLogger(__name__)


def appointment_in_message(tracker: Tracker) -> str | None:
    """The `appointment_id` a reminder button put in this message, if any."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "appointment_id" and entity.get("value"):
            return str(entity["value"])
    return None


def own_upcoming(tracker: Tracker, appointment_id: str) -> Appointment | None:
    """The appointment if it is this patient's, active and still ahead; else None."""
    services = get_context()
    appointment = services.appointments.get(appointment_id)
    if (
        appointment is None
        or appointment.patient_id != tracker.sender_id
        or not appointment.active
        or appointment.start <= services.clock.now()
    ):
        return None
    return appointment


def describe(appointment: Appointment) -> dict[str, Any]:
    services = get_context()
    practice = services.practice
    today = services.local_now().date()
    return {
        "day": french.day_and_hour(appointment.start.astimezone(practice.tz), today),
        "practitioner": practice.practitioner(appointment.practitioner_id).name,
    }


class ActionConfirmAppointment(Action):
    """« Je confirme » under a reminder: booked → confirmed, and thanks."""

    def name(self) -> str:
        return "action_confirm_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_context()
        appointment_id = appointment_in_message(tracker)
        appointment = own_upcoming(tracker, appointment_id) if appointment_id else None
        if appointment_id and appointment is None:
            dispatcher.utter_message(
                response="utter_appointment_gone", phone=services.practice.phone
            )
            return []
        if appointment is None:
            # Written, not tapped: confirm the next appointment, if there is exactly one.
            upcoming = services.appointments.list(
                start=services.clock.now(),
                statuses=("booked", "confirmed", "pending"),
                patient_id=tracker.sender_id,
            )
            if len(upcoming) != 1:
                response = "utter_no_appointment" if not upcoming else "utter_which_appointment"
                dispatcher.utter_message(response=response)
                return []
            appointment = upcoming[0]
        now = services.clock.now()
        confirmed = services.appointments.confirm(appointment.id, now)
        if confirmed is not None and confirmed.status != appointment.status:
            actor = Actor("patient", tracker.sender_id)
            services.audit.record("confirmed", actor, appointment.id, appointment, confirmed, now)
        logger.info("appointment %s confirmed by the patient", appointment.id)
        dispatcher.utter_message(response="utter_appointment_confirmed", **describe(appointment))
        return []
