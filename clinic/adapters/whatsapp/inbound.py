"""What Meta posts to the webhook: the verification handshake, the signature, and the payload
read into plain records.

Meta delivers at least once, in batches of up to 1,000 updates, and the shapes drift between API
versions, so parsing never raises on a malformed item: it skips it with a warning.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TypedDict

from clinic.domain.tokens import same_token

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"

#: Inbound message kinds, as the rest of the package sees them.
TEXT = "text"
CHOICE = "choice"  # a reply button, a list row or a template quick-reply
LOCATION = "location"
MEDIA = "media"  # image, audio, video, document, sticker
VOICE = "voice"  # an audio message recorded in WhatsApp
CONTACTS = "contacts"
REACTION = "reaction"
SYSTEM = "system"
UNSUPPORTED = "unsupported"

_MEDIA_TYPES = {"image", "audio", "video", "document", "sticker"}


class SignatureMissing(ValueError):
    """No X-Hub-Signature-256 header: answer 401."""


class SignatureInvalid(ValueError):
    """A signature that does not match the raw body: answer 403."""


def check_signature(body: bytes, header: str | None, app_secret: str) -> None:
    """Check Meta's HMAC-SHA256 of the *raw* body, in constant time.

    Re-serialised JSON would hash differently as soon as a patient types « é » or an emoji.
    """
    if not header:
        raise SignatureMissing("missing signature")
    scheme, _, received = header.strip().partition("=")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    # A forged header may hold any characters: same_token compares bytes, in constant time.
    if scheme.lower() != "sha256" or not same_token(received.strip().lower(), expected):
        raise SignatureInvalid("signature does not match")


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for `body` (used by the simulator and the tests)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def handshake(args: Mapping[str, str], verify_token: str) -> str | None:
    """The `hub.challenge` to echo as text, or None when the request must get a 403."""
    # same_token: any characters, empty or long, and an unset verify token matches nothing.
    if args.get("hub.mode") == "subscribe" and same_token(
        args.get("hub.verify_token"), verify_token
    ):
        return args.get("hub.challenge") or ""
    return None


@dataclass(frozen=True)
class Inbound:
    """One message a patient sent. `wa_id` is the phone number; it never leaves this package."""

    message_id: str
    wa_id: str | None
    user_id: str | None
    sent_at: datetime
    kind: str
    text: str | None = None
    choice_id: str | None = None
    #: For `system` messages: the new number after « user_changed_number ».
    new_wa_id: str | None = None
    #: For `system` messages: what happened (« user_changed_number »).
    system_type: str | None = None
    #: The WhatsApp profile name Meta sends with the message (`contacts[].profile.name`): what
    #: staff see until the patient gives a name. Chosen by the patient, so never trusted as one.
    profile_name: str | None = None

    @property
    def sender(self) -> str:
        """The stable WhatsApp identity: the number when Meta gives it, else the BSUID."""
        return self.wa_id or self.user_id or ""


@dataclass(frozen=True)
class Status:
    """Meta's news about one of *our* messages: sent, delivered, read or failed."""

    message_id: str
    status: str
    at: datetime
    errors: tuple[tuple[int, str], ...] = field(default=())
    #: Echo of what we attached when sending (`reminder:<id>` for reminders).
    callback: str | None = None


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(timezone.utc)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Base(TypedDict):
    """What every kind of inbound message has."""

    message_id: str
    wa_id: str | None
    user_id: str | None
    sent_at: datetime


def _message(raw: dict[str, Any]) -> Inbound | None:
    message_id = raw.get("id")
    wa_id = raw.get("from")
    user_id = raw.get("from_user_id")
    if not isinstance(message_id, str) or not (isinstance(wa_id, str) or isinstance(user_id, str)):
        return None
    kind = raw.get("type")
    base = _Base(
        message_id=message_id,
        wa_id=wa_id if isinstance(wa_id, str) else None,
        user_id=user_id if isinstance(user_id, str) else None,
        sent_at=_timestamp(raw.get("timestamp")),
    )
    if kind == "text":
        body = _dict(raw.get("text")).get("body")
        return Inbound(**base, kind=TEXT, text=body if isinstance(body, str) else "")
    if kind == "interactive":
        interactive = _dict(raw.get("interactive"))
        reply = _dict(interactive.get(interactive.get("type") or ""))
        if not reply:
            return Inbound(**base, kind=UNSUPPORTED)
        return Inbound(
            **base, kind=CHOICE, choice_id=str(reply.get("id") or ""), text=reply.get("title")
        )
    if kind == "button":  # a template's quick-reply button
        button = _dict(raw.get("button"))
        return Inbound(
            **base, kind=CHOICE, choice_id=str(button.get("payload") or ""), text=button.get("text")
        )
    if kind == "location":
        return Inbound(**base, kind=LOCATION)
    if kind == "audio" and _dict(raw.get("audio")).get("voice"):
        return Inbound(**base, kind=VOICE)
    if kind in _MEDIA_TYPES:
        caption = _dict(raw.get(kind)).get("caption")
        return Inbound(**base, kind=MEDIA, text=caption if isinstance(caption, str) else None)
    if kind == "contacts":
        return Inbound(**base, kind=CONTACTS)
    if kind == "reaction":
        return Inbound(**base, kind=REACTION)
    if kind == "system":
        system = _dict(raw.get("system"))
        new, what = system.get("wa_id"), system.get("type")
        return Inbound(
            **base,
            kind=SYSTEM,
            new_wa_id=new if isinstance(new, str) else None,
            system_type=what if isinstance(what, str) else None,
        )
    return Inbound(**base, kind=UNSUPPORTED)


def _status(raw: dict[str, Any]) -> Status | None:
    message_id, status = raw.get("id"), raw.get("status")
    if not isinstance(message_id, str) or not isinstance(status, str):
        return None
    errors = tuple(
        (int(error.get("code") or 0), str(error.get("title") or error.get("message") or ""))
        for error in _list(raw.get("errors"))
        if isinstance(error, dict)
    )
    callback = raw.get("biz_opaque_callback_data")
    return Status(
        message_id,
        status,
        _timestamp(raw.get("timestamp")),
        errors,
        callback if isinstance(callback, str) else None,
    )


#: Longest profile name kept (WhatsApp's own limit is 25 characters; this leaves room).
MAX_PROFILE_NAME = 60


def _profiles(value: dict[str, Any]) -> dict[str, str]:
    """`contacts[].profile.name` by WhatsApp id (and by BSUID), cleaned of control characters."""
    found: dict[str, str] = {}
    for contact in _list(value.get("contacts")):
        contact = _dict(contact)
        name = _dict(contact.get("profile")).get("name")
        if not isinstance(name, str):
            continue
        name = " ".join("".join(c for c in name if c.isprintable()).split())[:MAX_PROFILE_NAME]
        for key in ("wa_id", "user_id"):
            if name and isinstance(contact.get(key), str):
                found[contact[key]] = name
    return found


def parse(payload: Any, phone_number_id: str | None = None) -> tuple[list[Inbound], list[Status]]:
    """Every message and status of every change of every entry, in the order Meta sent them.

    With `phone_number_id`, changes addressed to another number of the same Meta app are left
    out: answering them from ours would reply to someone who wrote elsewhere.
    """
    messages: list[Inbound] = []
    statuses: list[Status] = []
    skipped = 0
    for entry in _list(_dict(payload).get("entry")):
        for change in _list(_dict(entry).get("changes")):
            value = _dict(_dict(change).get("value"))
            addressed_to = _dict(value.get("metadata")).get("phone_number_id")
            if phone_number_id and addressed_to and str(addressed_to) != phone_number_id:
                logger.info("a webhook change for another phone number of the app was ignored")
                continue
            profiles = _profiles(value)
            for raw in _list(value.get("messages")):
                message = _message(raw) if isinstance(raw, dict) else None
                if message is None:
                    skipped += 1
                else:
                    profile = profiles.get(message.wa_id or "") or profiles.get(
                        message.user_id or ""
                    )
                    messages.append(replace(message, profile_name=profile) if profile else message)
            for raw in _list(value.get("statuses")):
                status = _status(raw) if isinstance(raw, dict) else None
                if status is None:
                    skipped += 1
                else:
                    statuses.append(status)
            for error in _list(value.get("errors")):
                logger.warning("WhatsApp reported an error: %s", _dict(error).get("code"))
    if skipped:
        logger.warning("skipped %d malformed item(s) in a WhatsApp webhook", skipped)
    return messages, statuses
