"""Answers to a reminder: its quick replies carry the appointment id, so they work days later,
after the Rasa session expired; only the patient's own, still active appointment is touched."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from actions.conversation import appointment_in_message
from actions.replies import describe
from clinic.adapters.storage.audit import Actor

logger = logging.getLogger(__name__)


class ActionConfirmAppointment(ClinicAction):
    """« Je confirme » under a reminder: booked → confirmed, and thanks."""

    def name(self) -> str:
        return "action_confirm_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        booking = services.booking
        appointment_id = appointment_in_message(tracker)
        appointment = (
            booking.own_upcoming(tracker.sender_id, appointment_id) if appointment_id else None
        )
        if appointment_id and appointment is None:
            dispatcher.utter_message(
                response="utter_appointment_gone", phone=services.practice.phone
            )
            return []
        if appointment is None:
            # Written, not tapped: confirm the next appointment, if there is exactly one.
            upcoming = booking.upcoming(tracker.sender_id)
            if len(upcoming) != 1:
                response = "utter_no_appointment" if not upcoming else "utter_which_appointment"
                dispatcher.utter_message(response=response)
                return []
            appointment = upcoming[0]
        booking.confirm(appointment.id, Actor("patient", tracker.sender_id))
        logger.info("appointment %s confirmed by the patient", appointment.id)
        dispatcher.utter_message(
            response="utter_appointment_confirmed", **describe(services, appointment)
        )
        return []
