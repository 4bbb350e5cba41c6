"""Emergencies, handoff to staff and the fallback: the conversation's guard rails."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from clinic.app.wiring import Services
from clinic.domain import safety
from clinic.domain.safety import Category
from clinic.domain.statuses import HandoffReason

logger = logging.getLogger(__name__)

#: Misunderstood messages in a row before a human is offered.
FALLBACKS_BEFORE_HUMAN = 2


def hand_over(
    services: Services, tracker: Tracker, reason: HandoffReason, danger: Category | None = None
) -> list[EventType]:
    """Pause the conversation for staff and alert them (clinic.services.handoff); after the answer,
    so the patient has it even if the database hiccups."""
    try:
        services.handoff.pause(tracker.sender_id, reason, danger)
    except Exception:
        logger.exception("could not hand the conversation to staff")
    return [SlotSet("flagged", reason)]


class ActionEmergency(ClinicAction):
    """The model's emergencies (the channel answers the detector's before any turn; this is
    the path of `rasa shell` and of what only the model recognised): 15 / 112 first, 3114 for
    suicidal words, then the conversation goes to staff."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # The patterns name the category (the model is the channel's, trained in its process).
        finding = safety.detect(tracker.latest_message.get("text") or "", use_model=False)
        if finding is None:
            dispatcher.utter_message(response="utter_emergency")
            return hand_over(self.services, tracker, "emergency")
        dispatcher.utter_message(text=safety.answer(finding))
        return hand_over(self.services, tracker, "emergency", finding.category)


class ActionHandoff(ClinicAction):
    """A human asked for (or accepted after two misunderstandings: reason `fallback`)."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff")
        accepted_offer = fallbacks_in_a_row(tracker) > FALLBACKS_BEFORE_HUMAN
        return hand_over(self.services, tracker, "fallback" if accepted_offer else "handoff")


#: Actions Rasa runs around every turn: never an answer to the patient.
_NOT_ANSWERS = {None, "action_listen", "action_extract_slots", "action_session_start"}


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """Misunderstood messages in a row, the current one included: earlier user messages count
    while the assistant's first answer to each was this fallback (NLU or dialogue fallback)."""
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    events = tracker.events[: users[-1]] if users else []  # before the current message
    count = 1
    first_action_after: str | None = None
    for event in reversed(events):
        kind = event.get("event")
        if kind == "action" and event.get("name") not in _NOT_ANSWERS:
            first_action_after = event.get("name")
        elif kind == "user":
            if first_action_after != "action_fallback":
                break
            count += 1
            first_action_after = None
    return count


class ActionFallback(ClinicAction):
    """Asks to rephrase with suggestions; after two misunderstandings in a row offers a human."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if fallbacks_in_a_row(tracker) >= FALLBACKS_BEFORE_HUMAN:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
