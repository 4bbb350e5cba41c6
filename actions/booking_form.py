"""The booking form: its custom slot mappings (reason, when) and its validators (reason, time, name).

Each validator hands the answer to the core (clinic.domain.practice, clinic.domain.timeexpr, clinic.adapters.storage.patients)
and picks the French response: explain, then give an example, then offer a human.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction, ClinicFormValidation, ClinicSlotExtraction
from actions.conversation import has_time, latest_intent, latest_text, typed
from actions.when import explain_when, understand_when
from clinic.adapters.duckling.client import DucklingUnavailable
from clinic.adapters.storage.patients import clean_name
from clinic.domain.french import fold
from clinic.domain.practice.doctors import practitioner_wish
from clinic.domain.timeexpr import complete, describe, read, window_to_dict

logger = logging.getLogger(__name__)

#: Misses on one slot before an example is given, then before a human is offered.
EXAMPLE_AFTER, HUMAN_AFTER = 2, 3
#: The first and the repeated answer to a refused value, per slot.
MISS_RESPONSES = {
    "reason": ("utter_reason_unknown", "utter_reason_example"),
    "when": ("utter_when_unknown", "utter_when_example"),
    "patient_name": ("utter_name_invalid", "utter_name_example"),
}


#: Intents whose text may carry the visit reason (« pour un vaccin », « non, un certificat »).
REASON_INTENTS = ("book_appointment", "inform", "deny")
#: Intents an unusual name can be mistaken for (« Zéphyrine Quillebœuf » read as
#: `bot_challenge`): asked for the name, such an answer is still the name unless it reads as the
#: question or the farewell. The other interruptions (emergency, a human, stop, cancel, erase)
#: always interrupt.
NAME_MISREADS = (
    "bot_challenge",
    "goodbye",
    "ask_opening_hours",
    "ask_address",
    "ask_medical_advice",
    "join_waitlist",
    "leave_waitlist",
)
#: Words of those questions and farewells that no name is made of (folded, no accents).
_NOT_IN_A_NAME = frozenset(
    "robot bot humain humaine machine ia automatique vrai vraie revoir bye ciao bientot bonne "
    "journee soiree horaire horaires heure heures ouvert ouverte ouverts fermer ferme adresse "
    "ou situe trouve parking medecin docteur medicament traitement conseil liste prevenez "
    "prevenir besoin attente desistement annulation libere creneau place retirez sortez "
    "enlevez cas si".split()
)
#: Keys of `form_misses` that are not miss counts: the question already asked this turn
#: (the form then stays silent) and a time wish waiting for its hour.
ASKED, PENDING_WHEN = "_asked", "_when"


class ExtractSlots(ClinicSlotExtraction):
    """What the domain's mappings cannot read, in one action-server call per user message."""

    slots = ("reason", "when", "practitioner", "patient_name")

    def extract_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The visit reason in the patient's own words, wherever it sits in the message and
        whoever the visit is for (« pour mon fils de 4 ans pour un vaccin jeudi »), read against
        the practice's list; a later message naming another reason corrects it."""
        text = latest_text(tracker)
        if (
            not typed(text)
            or latest_intent(tracker) not in REASON_INTENTS
            or tracker.get_slot("requested_slot") == "patient_name"  # « Paul Visite » is a name
        ):
            return {}
        reason = self.services.practice.match_reason(text)
        if reason is None or reason.id == tracker.get_slot("reason"):
            return {}
        return {"reason": reason.id}

    def extract_practitioner(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """« le docteur Benali », « avec Dr Martin », « mon médecin habituel » (the one of the
        patient's latest appointment), « n'importe quel médecin », in any message of a booking."""
        text = latest_text(tracker)
        if not typed(text) or tracker.get_slot("requested_slot") == "patient_name":
            return {}
        wish = practitioner_wish(self.services.practice, text)
        if wish is None:
            return {}
        chosen = (
            self.services.booking.usual_practitioner(tracker.sender_id)
            if wish.usual
            else wish.practitioner_id
        )
        if chosen is None or chosen == tracker.get_slot("practitioner"):
            return {}
        return {"practitioner": chosen}

    def extract_patient_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to « à quel nom ? » when the model took an unusual name for a question
        (the domain's `from_text` mapping skips interruptions): a name-shaped answer without a
        question mark and without a word of that question is the name. Checked again by the
        form's validator."""
        text = latest_text(tracker)
        if (
            not typed(text)
            or tracker.active_loop_name != "booking_form"
            or tracker.get_slot("requested_slot") != "patient_name"
            or latest_intent(tracker) not in NAME_MISREADS
            or "?" in text
        ):
            return {}
        name = clean_name(text).name
        if name is None or any(fold(w) in _NOT_IN_A_NAME for w in re.split(r"[\s'’.-]+", name)):
            return {}
        return {"patient_name": name}

    def extract_when(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A wish Duckling alone misses (« le plus tôt possible », « pas le lundi », « aprem »)
        still fills `when` from any message, so it is not asked again."""
        text = latest_text(tracker)
        if not typed(text) or has_time(tracker):
            return {}
        services = self.services
        try:
            request = read(text, services.clock.now(), services.duckling.parse, services.practice)
        except DucklingUnavailable:
            return {}
        understood = request.window is not None or request.unclear  # unclear: asked about
        return {"when": text} if understood else {}


class ActionAskFormSlot(ClinicAction):
    """The form's question for one slot, at most one question per turn: silent when the
    validator has just explained what to answer, and for `when`, the targeted question about
    the hour it could not read (« à partir de quelle heure samedi ? ») instead of the generic one."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The form slot asked for (a class attribute in each subclass); abstract, so the action
        server does not register a stray `action_ask_`."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        misses = dict(tracker.get_slot("form_misses") or {})
        if misses.get(ASKED) == self.slot:
            del misses[ASKED]
            return [SlotSet("form_misses", misses)]
        pending = misses.get(PENDING_WHEN) if self.slot == "when" else None
        if pending:
            dispatcher.utter_message(response="utter_when_unclear", question=pending["question"])
        else:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


class ActionAskReason(ActionAskFormSlot):
    slot = "reason"


class ActionAskWhen(ActionAskFormSlot):
    slot = "when"


class ActionAskPatientName(ActionAskFormSlot):
    slot = "patient_name"


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
        if count >= HUMAN_AFTER:  # one question: the human, not the slot again
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(
                response=example if count >= EXAMPLE_AFTER else first, **values
            )
        if tracker.get_slot("requested_slot") == slot:
            misses[ASKED] = slot  # what was just said is the question: the form stays silent
        logger.info("form answer refused", extra={"slot": slot, "misses": count})
        return {slot: None, "form_misses": misses}

    @staticmethod
    def _hit(slot: str, tracker: Tracker, values: dict[str, Any]) -> dict[str, Any]:
        given = "form_misses" in values
        misses = dict(values["form_misses"] if given else tracker.get_slot("form_misses") or {})
        if misses.pop(slot, None) is not None or given:
            values["form_misses"] = misses
        return values

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        practice = self.services.practice
        text = latest_text(tracker)
        # The patient's words first: the model may tag « de » in « mon fils de 4 ans ».
        reason = (
            (practice.match_reason(text) if typed(text) else None)
            or (practice.find_reason(str(value)) if value else None)
            or practice.match_reason(str(value or ""))
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
        asked_now = tracker.get_slot("requested_slot") == "when"
        misses = dict(tracker.get_slot("form_misses") or {})
        pending = misses.pop(PENDING_WHEN, None)
        if pending and asked_now:  # the answer to « à partir de quelle heure samedi ? »
            text = complete(pending, text)
        answer = understand_when(services, text)
        if answer.problem == "unclear" and answer.pending is not None:
            # Ask about the hour it could not read (when the form gets to `when`), never guess.
            misses[PENDING_WHEN] = {**answer.pending, "question": answer.detail}
            return {"when": None, "form_misses": misses}
        if not answer.understood and not asked_now:
            return {"when": None}  # a date from an earlier message: ask rather than guess
        if answer.problem is not None and answer.understood:
            explain_when(dispatcher, answer, services)
        if answer.window is None:
            if answer.understood:
                return {"when": None}
            return self._miss("when", tracker, dispatcher)
        today = services.local_now().date()
        values: dict[str, Any] = {
            "when": describe(answer.window, today, services.practice.tz),
            "search_window": window_to_dict(answer.window),
        }
        if pending:
            values["form_misses"] = misses
        return self._hit("when", tracker, values)

    def validate_patient_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        checked = clean_name(str(value or ""))
        if checked.name is None:
            return self._miss("patient_name", tracker, dispatcher)
        return self._hit("patient_name", tracker, {"patient_name": checked.name})
