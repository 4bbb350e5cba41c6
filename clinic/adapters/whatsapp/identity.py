"""Pseudonymous ids and the button ids the assistant issues, both keyed by one secret.

The Rasa `sender_id` is an HMAC of the WhatsApp id: stable for a patient, useless to anyone
without the key, and never the number. Interactive reply ids carry a short HMAC tag bound to the
patient, so a forged or replayed id (someone else's button, a hand-made payload) is not honoured.
Meta's message ids (`wamid.…`, base64 records that hold the sender's or recipient's number) are
stored only as a keyed digest (`message_key`), and logged only as a trace id (`trace_id`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from clinic.adapters.keys import load_key
from clinic.domain.tokens import same_token

__all__ = ["Keyring", "load_key"]
#: Separates a choice's payload from its tag; never produced by base32.
TAG_SEPARATOR = "~"
TAG_LENGTH = 12
#: What a stored message key starts with (a raw Meta id starts with `wamid.`).
MESSAGE_KEY_PREFIX = "m-"
#: Meta caps reply-button ids at 256 and list-row ids at 200 characters.
MAX_CHOICE_ID = 200


class Keyring:
    """Derives the pseudonymous patient ids and signs the choices offered to a patient."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonymisation key must be at least 16 bytes")
        self._ids = hmac.new(key, b"patient-id", hashlib.sha256).digest()
        self._choices = hmac.new(key, b"choice-id", hashlib.sha256).digest()
        self._traces = hmac.new(key, b"trace-id", hashlib.sha256).digest()
        self._messages = hmac.new(key, b"message-key", hashlib.sha256).digest()

    def trace_id(self, message_id: str) -> str:
        """The id logs, metrics-free traces and outbox rows carry for one inbound message:
        Meta's message id itself encodes the sender's number, so it never reaches a log line;
        `clinic trace WAMID` derives the same 16 hex characters from it."""
        return hmac.new(self._traces, message_id.encode(), hashlib.sha256).hexdigest()[:16]

    def message_key(self, message_id: str) -> str:
        """What the database keeps of a Meta message id (the inbound dedup key, an outbound
        message's id for its statuses, a reminder's, a staff alert's): `m-` and 32 hex
        characters (128 bits) of an HMAC under its own derived key. The same id always gives
        the same key, so lookups digest the id they are given; nobody without the key can go
        back to the id, nor to the number it encodes."""
        digest = hmac.new(self._messages, message_id.encode("utf-8", "replace"), hashlib.sha256)
        return f"{MESSAGE_KEY_PREFIX}{digest.hexdigest()[:32]}"

    def patient_id(self, whatsapp_id: str) -> str:
        """`wa-` and 24 hex characters: 96 bits, no collision in any practice's lifetime."""
        digest = hmac.new(self._ids, whatsapp_id.encode(), hashlib.sha256).hexdigest()
        return f"wa-{digest[:24]}"

    def _tag(self, patient_id: str, payload: str) -> str:
        mac = hmac.new(self._choices, f"{patient_id}\n{payload}".encode(), hashlib.sha256)
        return base64.b32encode(mac.digest()).decode()[:TAG_LENGTH].lower()

    def sign_choice(self, patient_id: str, payload: str) -> str | None:
        """The id to put on a button, or None when the payload is too long to carry."""
        choice_id = f"{payload}{TAG_SEPARATOR}{self._tag(patient_id, payload)}"
        return choice_id if len(choice_id) <= MAX_CHOICE_ID else None

    def open_choice(self, patient_id: str, choice_id: str) -> str | None:
        """The payload of a choice this assistant issued to this patient, else None."""
        payload, separator, tag = choice_id.rpartition(TAG_SEPARATOR)
        if not separator or not same_token(tag, self._tag(patient_id, payload)):
            return None
        return payload
