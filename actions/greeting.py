"""Session start and greeting: the assistant presents itself and knows a returning patient's name."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ClinicAction
from clinic.app.wiring import Services


def known_name(services: Services, tracker: Tracker) -> str | None:
    """The name from this conversation, else from the core store (survives expired sessions)."""
    return tracker.get_slot("patient_name") or services.patients.name(tracker.sender_id)


class ActionSessionStart(ClinicAction):
    """Starts a session after inactivity, keeping only the patient's name."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        name = known_name(self.services, tracker)
        if name:
            events.append(SlotSet("patient_name", name))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionGreet(ClinicAction):
    """Greets with the practice's name (from practice.yml) and the patient's, when known."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        practice = self.services.practice
        name = known_name(self.services, tracker)
        if name:
            dispatcher.utter_message(
                response="utter_greet_by_name", practice_name=practice.name, patient_name=name
            )
        else:
            dispatcher.utter_message(response="utter_greet", practice_name=practice.name)
        dispatcher.utter_message(response="utter_presentation")
        return [SlotSet("patient_name", name)] if name else []
