"""The booking form: its custom `when` mapping and its validators (reason, time, name).

Each validator hands the answer to the core (clinic.practice, clinic.timeexpr, clinic.patients)
and picks the French response: explain, then give an example, then offer a human.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction, ClinicFormValidation
from actions.conversation import has_time, latest_text, typed
from actions.when import explain_when, understand_when
from clinic.duckling.client import DucklingUnavailable
from clinic.patients import clean_name
from clinic.timeexpr import describe, read, window_to_dict

logger = logging.getLogger(__name__)

#: Misses on one slot before an example is given, then before a human is offered.
EXAMPLE_AFTER, HUMAN_AFTER = 2, 3
#: The first and the repeated answer to a refused value, per slot.
MISS_RESPONSES = {
    "reason": ("utter_reason_unknown", "utter_reason_example"),
    "when": ("utter_when_unknown", "utter_when_example"),
    "patient_name": ("utter_name_invalid", "utter_name_example"),
}


class ActionExtractWhen(ClinicAction):
    """Custom slot mapping: a wish Duckling alone misses (« le plus tôt possible », « pas le
    lundi », « aprem ») still fills `when` from any message, so it is not asked again."""

    def name(self) -> str:
        return "action_extract_when"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        if not typed(text) or has_time(tracker):
            return []
        services = self.services
        try:
            request = read(text, services.clock.now(), services.duckling.parse, services.practice)
        except DucklingUnavailable:
            return []
        return [SlotSet("when", text)] if request.window is not None else []


class ValidateBookingForm(ClinicFormValidation):
    """Checks each answer; explains, then gives an example, then offers a human."""

    def name(self) -> str:
        return "validate_booking_form"

    def _miss(
        self, slot: str, tracker: Tracker, dispatcher: CollectingDispatcher, **values: Any
    ) -> dict[str, Any]:
        misses = dict(tracker.get_slot("form_misses") or {})
        misses[slot] = misses.get(slot, 0) + 1
        count = misses[slot]
        first, example = MISS_RESPONSES[slot]
        dispatcher.utter_message(response=example if count >= EXAMPLE_AFTER else first, **values)
        if count >= HUMAN_AFTER:
            dispatcher.utter_message(response="utter_offer_human")
        logger.info("form answer refused", extra={"slot": slot, "misses": count})
        return {slot: None, "form_misses": misses}

    @staticmethod
    def _hit(slot: str, tracker: Tracker, values: dict[str, Any]) -> dict[str, Any]:
        misses = dict(tracker.get_slot("form_misses") or {})
        if misses.pop(slot, None) is not None:
            values["form_misses"] = misses
        return values

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        practice = self.services.practice
        reason = practice.find_reason(str(value)) if value else None
        reason = (
            reason
            or practice.match_reason(str(value or ""))
            or practice.match_reason(latest_text(tracker))
        )
        if reason is None:
            labels = ", ".join(r.label.lower() for r in practice.reasons)
            return self._miss("reason", tracker, dispatcher, reasons=labels)
        return self._hit("reason", tracker, {"reason": reason.id})

    def validate_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        services = self.services
        text = latest_text(tracker)
        if text.startswith("/"):  # a button: the slot holds what was meant
            text = str(value or "")
        answer = understand_when(services, text)
        if not answer.understood and tracker.get_slot("requested_slot") != "when":
            return {"when": None}  # a date from an earlier message: ask rather than guess
        if answer.problem is not None and answer.understood:
            explain_when(dispatcher, answer, services)
        if answer.window is None:
            if answer.understood:
                return {"when": None}
            return self._miss("when", tracker, dispatcher)
        today = services.local_now().date()
        return self._hit(
            "when",
            tracker,
            {
                "when": describe(answer.window, today, services.practice.tz),
                "search_window": window_to_dict(answer.window),
            },
        )

    def validate_patient_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        checked = clean_name(str(value or ""))
        if checked.name is None:
            return self._miss("patient_name", tracker, dispatcher)
        return self._hit("patient_name", tracker, {"patient_name": checked.name})
