"""The waiting list in conversation: ask to wait, stop waiting, take or leave a freed slot.

The core (clinic.services.waitlist) keeps the wishes and decides; these actions read the
conversation's wish (reason, window, practitioner) or the button's ids and pick the French answer.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from actions.conversation import DONE, appointment_in_message, latest_intent, latest_text, moving
from actions.replies import booked, limit_reached, moved
from clinic.domain import french
from clinic.domain.french import fold
from clinic.domain.practice.doctors import ANY
from clinic.domain.scheduling.waitlist import describe_wish
from clinic.domain.timeexpr import window_from_dict
from clinic.services.booking import BookingOutcome

#: « laisse tomber » ends the waiting only when it says so: « plus besoin », « plus la peine ».
_NO_MORE_NEED = re.compile(r"\bplus (?:besoin|la peine)\b")


def hold_in_message(tracker: Tracker) -> int | None:
    """The hold id an offer's button put in this message, if any."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "hold":
            try:
                return int(str(entity.get("value")))
            except ValueError:
                return None
    return None


class ActionJoinWaitlist(ClinicAction):
    """« Prévenez-moi si un créneau se libère »: the wish being searched, or « plus tôt » than
    the appointment just booked (its button carries the appointment's id)."""

    def name(self) -> str:
        return "action_join_waitlist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        practice = services.practice
        if not services.waitlist.enabled:
            dispatcher.utter_message(response="utter_waitlist_off", phone=practice.phone)
            return []
        appointment_id = appointment_in_message(tracker)
        if appointment_id:
            appointment = services.booking.own_upcoming(tracker.sender_id, appointment_id)
            wish = appointment and services.waitlist.join_earlier(tracker.sender_id, appointment)
            if not wish:
                dispatcher.utter_message(response="utter_waitlist_needs_wish")
                return []
            day = french.day_and_hour(
                appointment.start.astimezone(practice.tz),  # type: ignore[union-attr]
                services.local_now().date(),
            )
            dispatcher.utter_message(response="utter_waitlist_joined_earlier", day=day)
            return []
        stored = tracker.get_slot("search_window")
        reason = practice.find_reason(tracker.get_slot("reason") or "")
        if not stored or reason is None:
            dispatcher.utter_message(response="utter_waitlist_needs_wish")
            return []
        practitioner = tracker.get_slot("practitioner")
        moved = moving(tracker)  # during a move: taking a freed slot moves that appointment
        appointment = services.booking.own_upcoming(tracker.sender_id, moved) if moved else None
        if appointment is not None:
            practitioner = appointment.practitioner_id
        wish = services.waitlist.join(
            tracker.sender_id,
            reason.id,
            window_from_dict(stored),
            None if practitioner in (None, ANY) else practitioner,
            replaces=appointment.id if appointment is not None else None,
        )
        if wish is None:
            dispatcher.utter_message(response="utter_waitlist_needs_wish")
            return []
        dispatcher.utter_message(
            response="utter_waitlist_joined",
            wish=describe_wish(practice, wish),
            hold=int(practice.waiting_list.hold.total_seconds() // 60),
        )
        return DONE


class ActionLeaveWaitlist(ClinicAction):
    """« Plus besoin », « retirez-moi de la liste d'attente »: every wish of the patient ends.
    Also the answer to « laisse tomber » outside a booking: there it ends the waiting, if any."""

    def name(self) -> str:
        return "action_leave_waitlist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if latest_intent(tracker) == "stop" and not _NO_MORE_NEED.search(
            fold(latest_text(tracker))
        ):
            dispatcher.utter_message(
                response="utter_booking_stopped"
            )  # « tant pis »: still waiting
            return []
        left = self.services.waitlist.leave(tracker.sender_id)
        if left:
            dispatcher.utter_message(response="utter_waitlist_left")
        elif latest_intent(tracker) == "stop":
            dispatcher.utter_message(response="utter_booking_stopped")
        else:
            dispatcher.utter_message(response="utter_waitlist_none")
        return []


class ActionAcceptOffer(ClinicAction):
    """« Je le prends »: booked, or the later appointment moved there; or gone meanwhile."""

    def name(self) -> str:
        return "action_accept_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        practice = services.practice
        hold = hold_in_message(tracker) or services.waitlist.live_hold(tracker.sender_id)
        outcome = services.waitlist.accept(tracker.sender_id, hold) if hold is not None else None
        if outcome is None or outcome.status == "unknown":
            dispatcher.utter_message(response="utter_offer_unknown")
            return []
        if outcome.status == "taken":
            dispatcher.utter_message(response="utter_offer_taken")
            return []
        if outcome.status == "limit":
            limit_reached(dispatcher, services)
            return DONE
        appointment = outcome.appointment
        assert appointment is not None  # booked or moved
        day = french.day_and_hour(
            appointment.start.astimezone(practice.tz), services.local_now().date()
        )
        reason = practice.reason(appointment.reason_id)
        if outcome.status == "moved":
            result = BookingOutcome("moved", appointment)
            return moved(dispatcher, services, result, day, reason.instructions)
        result = BookingOutcome(
            "pending" if appointment.status == "pending" else "booked", appointment
        )
        booked(dispatcher, services, result, reason, day)
        return DONE


class ActionDeclineOffer(ClinicAction):
    """« Non merci »: the slot goes to the next patient; the wish keeps waiting."""

    def name(self) -> str:
        return "action_decline_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        waitlist = self.services.waitlist
        hold = hold_in_message(tracker) or waitlist.live_hold(tracker.sender_id)
        declined = hold is not None and waitlist.decline(tracker.sender_id, hold)
        dispatcher.utter_message(
            response="utter_offer_declined" if declined else "utter_offer_unknown"
        )
        return []
