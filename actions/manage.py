"""Cancel and move by message, over the core's BookingService.

`action_find_appointment` finds the patient's own upcoming appointment (by the conversation's
pseudonymous id, never by a name typed): one is taken directly, several are offered as buttons
that name each one, none gets a clear answer. It then sets `managing`: `cancel` (a recap waits
for « oui / non ») or `reschedule` (the booking form asks the new time; the rest of the booking
flow runs as for a new appointment and `action_book_appointment` moves instead of booking).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import get_context
from actions.reminders import appointment_in_message, describe, own_upcoming
from clinic import french
from clinic.appointments import ACTIVE, Appointment
from clinic.audit import Actor
from clinic.ics import FILENAME

logger = logging.getLogger(__name__)

RESET = [SlotSet("managing", None), SlotSet("managed_appointment", None)]


def moving(tracker: Tracker) -> str | None:
    """The id of the appointment being moved, when the latest request was « déplacer ».

    A « prendre rendez-vous » after it (a change of mind) wins: that is a new booking.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_find_appointment":
            if tracker.get_slot("managing") == "reschedule":
                return tracker.get_slot("managed_appointment")
            return None
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent == "book_appointment":
                return None
    return None


def too_late(dispatcher: CollectingDispatcher, appointment: Appointment) -> bool:
    services = get_context()
    if not services.booking.too_late(appointment):
        return False
    hours = int(services.practice.rules.cancellation_cutoff.total_seconds() // 3600)
    dispatcher.utter_message(
        response="utter_too_late",
        day=describe(appointment)["day"],
        hours=hours,
        phone=services.practice.phone,
    )
    return True


class ActionFindAppointment(Action):
    def name(self) -> str:
        return "action_find_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_context()
        practice = services.practice
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        mode = "reschedule" if intent == "reschedule_appointment" else "cancel"
        wanted = appointment_in_message(tracker)
        if wanted:
            appointment = own_upcoming(tracker, wanted)
            if appointment is None:
                dispatcher.utter_message(response="utter_appointment_gone", phone=practice.phone)
                return RESET
        else:
            upcoming = services.appointments.list(
                start=services.clock.now(), statuses=ACTIVE, patient_id=tracker.sender_id
            )
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
        if too_late(dispatcher, appointment):
            return RESET
        facts = describe(appointment)
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


def ics_document(appointment_id: str, caption: str, fallback: str) -> dict[str, Any]:
    """The appointment's calendar file as a WhatsApp document (custom JSON for the channel);
    `fallback` is sent with the link appended if WhatsApp cannot send the document."""
    services = get_context()
    link = services.calendar_files.link(
        appointment_id, services.settings.public_url, services.clock.now()
    )
    return {
        "document": {"link": link, "filename": FILENAME, "caption": caption},
        "fallback": f"{fallback} {link}",
    }


def cancel_file(appointment_id: str) -> dict[str, Any]:
    """The calendar file that removes the event (same UID, METHOD:CANCEL)."""
    return ics_document(
        appointment_id,
        "Ouvrez ce fichier pour retirer le rendez-vous de votre agenda.",
        "Pour retirer le rendez-vous de votre agenda :",
    )


class ActionCancelAppointment(Action):
    """« Oui, annuler »: cancelled, time released, event removed, reminders cancelled."""

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_context()
        appointment_id = tracker.get_slot("managed_appointment")
        appointment = own_upcoming(tracker, appointment_id) if appointment_id else None
        if appointment is None:
            dispatcher.utter_message(
                response="utter_appointment_gone", phone=services.practice.phone
            )
            return RESET
        if too_late(dispatcher, appointment):
            return RESET
        services.booking.cancel(appointment.id, Actor("patient", tracker.sender_id))
        logger.info("appointment %s cancelled by the patient", appointment.id)
        dispatcher.utter_message(response="utter_cancelled", day=describe(appointment)["day"])
        dispatcher.utter_message(json_message=cancel_file(appointment.id))
        return RESET


class ActionKeepAppointment(Action):
    """« Non, le garder »: nothing changes."""

    def name(self) -> str:
        return "action_keep_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        appointment_id = tracker.get_slot("managed_appointment")
        appointment = own_upcoming(tracker, appointment_id) if appointment_id else None
        if appointment is not None:
            dispatcher.utter_message(response="utter_kept", day=describe(appointment)["day"])
        else:
            dispatcher.utter_message(response="utter_you_are_welcome")
        return RESET
