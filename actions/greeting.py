"""Greeting: the assistant presents itself as the practice's automated assistant."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import get_context


class ActionGreet(Action):
    """Greets with the practice's name, which lives in practice.yml, not in the domain."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        practice = get_context().practice
        dispatcher.utter_message(response="utter_greet", practice_name=practice.name)
        dispatcher.utter_message(response="utter_presentation")
        return []
