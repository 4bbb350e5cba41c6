"""How the channel reads a WhatsApp message: its settings, what the dialogue and the gate see
of it, what staff see in the transcript, and how a claimed message is kept sealed until handled."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from clinic.adapters.sealing import Sealer
from clinic.adapters.whatsapp import inbound as kinds
from clinic.adapters.whatsapp.inbound import Inbound
from clinic.domain.gate import Kind, Verdict
from clinic.domain.statuses import InboundOutcome

#: Longer messages are cut before NLU: WhatsApp allows 4,096 characters, nobody books in 1,000.
MAX_TURN_TEXT = 1000
_LEADING_COMMANDS = re.compile(r"^[\s/]+")
#: What the transcript keeps of one message (WhatsApp allows 4,096 characters).
MAX_STORED_TEXT = 4096
#: How staff see what is not text in the transcript.
PLACEHOLDERS = {
    kinds.VOICE: "[message vocal]",
    kinds.LOCATION: "[position]",
    kinds.MEDIA: "[photo, vidéo ou document]",
    kinds.CONTACTS: "[fiche contact]",
}

#: The gate's verdicts as the inbound log records them.
OUTCOMES: dict[Verdict, InboundOutcome] = {
    "emergency": "emergency",
    "stale": "stale",
    "throttled": "throttled",
    "back_to_assistant": "answered",
    "paused": "paused",
    "fixed": "answered",
}
#: WhatsApp's message kinds as the gate knows them (a choice is a tapped button or list row).
KINDS: dict[str, Kind] = {
    kinds.TEXT: "text",
    kinds.CHOICE: "choice",
    kinds.VOICE: "voice",
    kinds.LOCATION: "location",
    kinds.CONTACTS: "contacts",
}


@dataclass(frozen=True)
class WhatsAppConfig:
    verify_token: str
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    phone_number_id: str
    api_url: str
    #: Messages older than this when they arrive (after an outage) do not start a turn.
    max_message_age: timedelta = timedelta(hours=1)
    #: Seconds before a Graph API call counts as failed (and is retried).
    graph_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.app_secret:
            raise ValueError(
                "WHATSAPP_APP_SECRET is required: without it anyone could post fake messages"
            )
        if not self.verify_token:
            raise ValueError("WHATSAPP_VERIFY_TOKEN is required for Meta's verification request")


def neutralise(text: str) -> str:
    """A patient's text as plain words: a leading « / » would let anyone type an intent or
    `/restart`, so it is dropped; overlong pastes are cut."""
    cleaned = _LEADING_COMMANDS.sub("", text).strip()[:MAX_TURN_TEXT]
    return cleaned or "?"


def as_written(message: Inbound) -> str:
    """What staff see of a patient's message in the transcript."""
    if message.kind in (kinds.TEXT, kinds.CHOICE):
        return message.text or ""
    return PLACEHOLDERS.get(message.kind, "[pièce jointe]")


def keep(sealer: Sealer | None, message: Inbound) -> str | None:
    """The message, sealed, as the claim keeps it until it is handled."""
    if sealer is None:
        return None
    data = {**asdict(message), "sent_at": message.sent_at.isoformat()}
    return sealer.seal(json.dumps(data, ensure_ascii=False))


def revive(sealer: Sealer | None, body: str | None) -> Inbound | None:
    """The message a claim kept, or None when it cannot be read back."""
    if body is None or sealer is None:
        return None
    try:
        data = json.loads(sealer.open(body))
        data["sent_at"] = datetime.fromisoformat(data["sent_at"])
        return Inbound(**data)
    except (ValueError, TypeError, KeyError):
        return None
