"""The slot offer and the patient's choice: the core searches (and widens a full wish once)
and reads « le 2e » / « celui de 10h30 »; these actions show the slots and read the choice back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from actions.conversation import DONE, latest_intent, latest_text, moving, typed
from actions.replies import limit_reached
from actions.slots import moving_practitioner, offer, slot_from_dict, wished_practitioner
from actions.when import explain_when, understand_when
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.choice import chosen_index, stale
from clinic.domain.timeexpr import describe, window_from_dict, window_to_dict


class ActionOfferSlots(ClinicAction):
    """After the form, « autres créneaux », or a correction such as « non plutôt vendredi »."""

    def name(self) -> str:
        return "action_offer_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        practice = services.practice
        events: list[EventType] = []
        reason_id = tracker.get_slot("reason")
        new_reason = practice.match_reason(latest_text(tracker))
        if new_reason is not None and new_reason.id != reason_id:
            reason_id = new_reason.id
            events.append(SlotSet("reason", reason_id))
        stored = tracker.get_slot("search_window")
        window = window_from_dict(stored) if stored else None
        intent = latest_intent(tracker)
        text = latest_text(tracker)
        if intent != "more_slots" and typed(text):
            answer = understand_when(services, text)  # « non plutôt vendredi »
            if answer.problem is not None and answer.understood:
                explain_when(dispatcher, answer, services)
            if answer.window is not None:
                window = answer.window
                today = services.local_now().date()
                events += [
                    SlotSet("search_window", window_to_dict(window)),
                    SlotSet("when", describe(window, today, practice.tz)),
                ]
        if window is None or reason_id is None or practice.find_reason(reason_id) is None:
            dispatcher.utter_message(response="utter_nothing_chosen")
            return events
        if not moving(tracker) and services.booking.at_limit(tracker.sender_id):
            limit_reached(dispatcher, services)  # said before the slots, not after « je confirme »
            return events + DONE
        shown = (tracker.get_slot("shown_slots") or []) if intent == "more_slots" else []
        wished = wished_practitioner(services, tracker)
        return events + offer(
            dispatcher,
            services,
            window,
            reason_id,
            shown,
            moving_practitioner(services, tracker) or wished,
            wished=wished is not None,
        )


class ActionChooseSlot(ClinicAction):
    """Keeps the chosen offered slot and reads it back for « je confirme »."""

    def name(self) -> str:
        return "action_choose_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        practice = services.practice
        offered = tracker.get_slot("offered_slots") or []
        slots = [slot_from_dict(s) for s in offered]
        choice = str(tracker.get_slot("slot_choice") or "")
        if stale(choice, slots):
            dispatcher.utter_message(response="utter_stale_choice")
            return [SlotSet("slot_choice", None)]
        index = chosen_index(slots, choice, latest_text(tracker), practice.tz)
        if index is None:
            return self._not_offered(dispatcher, tracker, services)
        chosen = offered[index]
        reason = practice.find_reason(tracker.get_slot("reason") or "")
        today = services.local_now().date()
        start = datetime.fromisoformat(chosen["start"]).astimezone(practice.tz)
        day = french.day_and_hour(start, today)
        practitioner = practice.practitioner(chosen["practitioner"]).name
        if moving(tracker):
            dispatcher.utter_message(
                response="utter_recap_move", day=day, practitioner=practitioner
            )
        else:
            dispatcher.utter_message(
                response="utter_recap",
                reason=reason.label if reason else "Rendez-vous",
                day=day,
                practitioner=practitioner,
                patient_name=tracker.get_slot("patient_name") or "",
            )
        return [SlotSet("chosen_slot", chosen), SlotSet("slot_choice", None)]

    @staticmethod
    def _not_offered(
        dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> list[EventType]:
        """« celui de 16h » when 16h was not offered: look around 16h on the same days."""
        stored = tracker.get_slot("search_window")
        reason_id = tracker.get_slot("reason")
        text = latest_text(tracker)
        answer = understand_when(services, text) if typed(text) else None
        if answer is None or answer.window is None or not stored or not reason_id:
            dispatcher.utter_message(response="utter_ask_which_slot")
            return [SlotSet("slot_choice", None)]
        window = answer.window
        if window.around is not None and window.end - window.start > timedelta(days=1):
            window = replace(window_from_dict(stored), around=window.around)  # same days
        today = services.local_now().date()
        wished = wished_practitioner(services, tracker)
        return [
            SlotSet("slot_choice", None),
            SlotSet("search_window", window_to_dict(window)),
            SlotSet("when", describe(window, today, services.practice.tz)),
            *offer(
                dispatcher,
                services,
                window,
                reason_id,
                practitioner_id=moving_practitioner(services, tracker) or wished,
                wished=wished is not None,
            ),
        ]
