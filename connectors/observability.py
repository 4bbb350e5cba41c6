"""What the Rasa process tells about each turn: the NLU's verdict, counted and logged.

Rasa Open Source 3.6 has no metrics and no hook after parsing, so `observe_nlu` wraps
`MessageProcessor.parse_message` (every message, text or button payload, goes through it):
the intent is counted (`clinic_nlu_intents_total`; `nlu_fallback` is a fallback), logged with
its confidence under the message's trace id, and a « stop » while a form is active counts as
that form abandoned. The verdict itself is returned untouched.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.adapters import metrics

logger = logging.getLogger(__name__)

STOP_INTENT = "stop"


def observe_nlu() -> None:
    """Install the observer once per process (idempotent)."""
    if getattr(MessageProcessor.parse_message, "observed", False):
        return
    original = MessageProcessor.parse_message

    async def parse_message(
        self: MessageProcessor,
        message: UserMessage,
        tracker: DialogueStateTracker | None = None,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        parsed: dict[str, Any] = await original(self, message, tracker, only_output_properties)
        record(parsed, tracker.active_loop_name if tracker is not None else None)
        return parsed

    parse_message.observed = True  # type: ignore[attr-defined]
    parse_message.original = original  # type: ignore[attr-defined]
    MessageProcessor.parse_message = parse_message


def record(parsed: dict[str, Any], active_form: str | None) -> None:
    intent = parsed.get("intent") or {}
    name = str(intent.get("name") or "none")
    confidence = float(intent.get("confidence") or 0.0)
    metrics.INTENTS.labels(name).inc()
    if name == STOP_INTENT and active_form:
        metrics.FORMS.labels(active_form, "abandoned").inc()
    logger.info("nlu", extra={"intent": name, "confidence": round(confidence, 3)})
