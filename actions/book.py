"""« Je confirme »: book the chosen slot, or move the appointment being moved to it.

The core decides (clinic.services.booking: never a double booking, never an unverified slot confirmed);
a slot taken meanwhile gets fresh alternatives.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from actions.conversation import DONE, moving
from actions.replies import booked, limit_reached, moved
from actions.slots import offer, slot_from_dict
from clinic.adapters import metrics
from clinic.adapters.storage.audit import Actor
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.timeexpr import window_from_dict
from clinic.services.booking import BookingOutcome

logger = logging.getLogger(__name__)


#: The form a booking (or a move) completes (domain.yml).
BOOKING_FORM = "booking_form"


class ActionBookAppointment(ClinicAction):
    """Books the chosen slot; a slot taken meanwhile gets fresh alternatives, never a double booking."""

    def name(self) -> str:
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        practice = services.practice
        chosen = tracker.get_slot("chosen_slot")
        reason = practice.find_reason(tracker.get_slot("reason") or "")
        name = tracker.get_slot("patient_name")
        if not chosen or reason is None or not name:
            offered = tracker.get_slot("offered_slots")
            response = "utter_ask_which_slot" if offered else "utter_nothing_chosen"
            dispatcher.utter_message(response=response)
            return []
        slot = slot_from_dict(chosen)
        moved_id = moving(tracker)
        actor = Actor("patient", tracker.sender_id)
        if moved_id:
            outcome = services.booking.reschedule(moved_id, slot, actor)
        else:
            outcome = services.booking.book(slot, reason.id, tracker.sender_id, name)
        if outcome.status in ("booked", "pending", "moved"):
            metrics.FORMS.labels(BOOKING_FORM, "completed").inc()
        today = services.local_now().date()
        day = french.day_and_hour(slot.start.astimezone(practice.tz), today)
        if outcome.status == "taken":
            return taken(dispatcher, services, tracker, chosen, reason.id, moved_id is not None)
        if moved_id:
            return moved(dispatcher, services, outcome, day, reason.instructions)
        if outcome.status == "limit":
            limit_reached(dispatcher, services)
            return DONE
        booked(dispatcher, services, outcome, reason, day)
        logger.info("booking done", extra={"status": outcome.status})
        offer_earlier(dispatcher, services, outcome)
        if services.privacy.should_ask_reminders(tracker.sender_id):
            dispatcher.utter_message(response="utter_ask_reminders")
            return [*DONE, SlotSet("reminders_asked", True)]
        return DONE


#: A booking this far ahead is asked whether the patient wants an earlier slot if one frees.
DISTANT = timedelta(days=7)


def offer_earlier(
    dispatcher: CollectingDispatcher, services: Services, outcome: BookingOutcome
) -> None:
    """« Voulez-vous que je vous prévienne si un créneau se libère plus tôt ? », after booking a
    distant date, when the practice keeps a waiting list."""
    appointment = outcome.appointment
    if (
        not services.waitlist.enabled
        or outcome.status != "booked"
        or appointment is None
        or appointment.start - services.clock.now() < DISTANT
    ):
        return
    payload = f'/join_waitlist{{"appointment_id": "{appointment.id}"}}'
    dispatcher.utter_message(
        response="utter_waitlist_offer_earlier",
        buttons=[{"title": "🔔 Oui, prévenez-moi", "payload": payload}],
    )


def taken(
    dispatcher: CollectingDispatcher,
    services: Services,
    tracker: Tracker,
    chosen: dict[str, Any],
    reason_id: str,
    moving: bool,
) -> list[EventType]:
    """Someone else took the slot meanwhile: say so, and offer fresh ones for the same wish
    (with the same practitioner for a move)."""
    dispatcher.utter_message(response="utter_slot_taken")
    stored = tracker.get_slot("search_window")
    window = window_from_dict(stored) if stored else None
    if window is None:
        return [SlotSet("chosen_slot", None)]
    return offer(
        dispatcher,
        services,
        window,
        reason_id,
        shown=[chosen["start"]],
        practitioner_id=chosen["practitioner"] if moving else None,
    )
