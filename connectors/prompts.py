"""The assistant's last buttons, read back from the Rasa tracker, so that a short typed answer
(« ouep », « non merci », « le 2e », a button's title) reaches the dialogue as the button it
means (`clinic.domain.short_answers` decides; this only finds the question it answers)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import BotUttered, Event, UserUttered

from clinic.domain import short_answers
from clinic.domain.short_answers import Option

logger = logging.getLogger(__name__)

#: An older question is no longer the one being answered (Rasa's session expiry, domain.yml).
PROMPT_MAX_AGE = 3600.0


def last_options(events: Iterable[Event], now: float) -> list[Option]:
    """The buttons of the assistant's last bubble, if it had some, is recent, and the patient
    has not written since."""
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered):
            data = event.data or {}
            buttons = data.get("buttons") or data.get("quick_replies") or []
            if now - event.timestamp > PROMPT_MAX_AGE:
                return []
            return [
                Option(str(button.get("title") or ""), str(button["payload"]))
                for button in buttons
                if isinstance(button, dict) and button.get("payload")
            ]
    return []


async def as_answer(tracker_store: TrackerStore, patient_id: str, text: str) -> str:
    """`text`, or the payload of the button it answers. Only a short text costs a look at the
    tracker (Rasa reads it again for the turn)."""
    if text.startswith("/") or not 0 < len(short_answers.words(text)) <= short_answers.MAX_WORDS:
        return text
    tracker = await tracker_store.retrieve(patient_id)
    if tracker is None:
        return text
    payload = short_answers.read(text, last_options(tracker.events, time.time()))
    if payload is None:
        return text
    logger.info("a short answer read as its button", extra={"intent": Option("", payload).intent})
    return payload
