"""Cancel and move by message, over the core's BookingService.

`action_find_appointment` finds the patient's own upcoming appointment (by the conversation's
pseudonymous id, never by a name typed): one is taken directly, several are offered as buttons
that name each one, none gets a clear answer. It then sets `managing`: `cancel` (a recap waits
for « oui / non ») or `reschedule` (the booking form asks the new time; the rest of the booking
flow runs as for a new appointment and `action_book_appointment` moves instead of booking).
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from actions.conversation import RESET, appointment_in_message, latest_intent
from actions.replies import cancel_file, describe, too_late
from clinic.adapters.storage.audit import Actor
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.appointments import Appointment

logger = logging.getLogger(__name__)


def managed(services: Services, tracker: Tracker) -> Appointment | None:
    """The appointment this conversation is cancelling or keeping, if still the patient's own."""
    appointment_id = tracker.get_slot("managed_appointment")
    if not appointment_id:
        return None
    return services.booking.own_upcoming(tracker.sender_id, appointment_id)


class ActionFindAppointment(ClinicAction):
    def name(self) -> str:
        return "action_find_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        practice = services.practice
        intent = latest_intent(tracker)
        mode = "reschedule" if intent == "reschedule_appointment" else "cancel"
        wanted = appointment_in_message(tracker)
        if wanted:
            appointment = services.booking.own_upcoming(tracker.sender_id, wanted)
            if appointment is None:
                dispatcher.utter_message(response="utter_appointment_gone", phone=practice.phone)
                return RESET
        else:
            upcoming = services.booking.upcoming(tracker.sender_id)
            if not upcoming:
                dispatcher.utter_message(
                    response="utter_no_appointment_to_manage", phone=practice.phone
                )
                return RESET
            if len(upcoming) > 1:
                today = services.local_now().date()
                buttons = [
                    {
                        "title": french.short_slot(a.start.astimezone(practice.tz), today),
                        "payload": f'/{intent or "cancel_appointment"}{{"appointment_id": "{a.id}"}}',
                    }
                    for a in upcoming[:10]
                ]
                dispatcher.utter_message(response="utter_which_to_manage", buttons=buttons)
                return RESET
            appointment = upcoming[0]
        if too_late(dispatcher, services, appointment):
            return RESET
        facts = describe(services, appointment)
        found = [SlotSet("managing", mode), SlotSet("managed_appointment", appointment.id)]
        if mode == "cancel":
            dispatcher.utter_message(response="utter_cancel_recap", **facts)
            return found
        dispatcher.utter_message(response="utter_move_intro", **facts)
        return found + [
            SlotSet("reason", appointment.reason_id),
            SlotSet("patient_name", appointment.patient_name),
            SlotSet("when", None),
            SlotSet("search_window", None),
            SlotSet("offered_slots", None),
            SlotSet("shown_slots", None),
            SlotSet("chosen_slot", None),
            SlotSet("form_misses", None),
        ]


class ActionCancelAppointment(ClinicAction):
    """« Oui, annuler »: cancelled, time released, event removed, reminders cancelled."""

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        appointment = managed(services, tracker)
        if appointment is None:
            dispatcher.utter_message(
                response="utter_appointment_gone", phone=services.practice.phone
            )
            return RESET
        if too_late(dispatcher, services, appointment):
            return RESET
        services.booking.cancel(appointment.id, Actor("patient", tracker.sender_id))
        logger.info("appointment %s cancelled by the patient", appointment.id)
        dispatcher.utter_message(
            response="utter_cancelled", day=describe(services, appointment)["day"]
        )
        dispatcher.utter_message(json_message=cancel_file(services, appointment.id))
        return RESET


class ActionKeepAppointment(ClinicAction):
    """« Non, le garder »: nothing changes."""

    def name(self) -> str:
        return "action_keep_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        appointment = managed(services, tracker)
        if appointment is not None:
            dispatcher.utter_message(
                response="utter_kept", day=describe(services, appointment)["day"]
            )
        else:
            dispatcher.utter_message(response="utter_you_are_welcome")
        return RESET
