"""Webhook bodies exactly as Meta posts them (Meta's own samples: tests/fixtures/whatsapp/)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"


def new_wamid() -> str:
    return "wamid.SIM" + uuid.uuid4().hex.upper()


def envelope(value: dict[str, Any], phone_number_id: str) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def message(
    wa_id: str,
    kind: str,
    content: dict[str, Any],
    *,
    message_id: str | None = None,
    timestamp: int | None = None,
    context_id: str | None = None,
) -> dict[str, Any]:
    """One `messages[]` item: `kind` is Meta's type, `content` its object."""
    item: dict[str, Any] = {
        "from": wa_id,
        "id": message_id or new_wamid(),
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "type": kind,
    }
    if content:
        item[kind] = content
    if context_id:
        item["context"] = {"from": DISPLAY_NUMBER, "id": context_id}
    return item


def messages_payload(
    items: list[dict[str, Any]], phone_number_id: str, name: str = "Patient"
) -> dict[str, Any]:
    senders = list(dict.fromkeys(item["from"] for item in items))
    contacts = [{"profile": {"name": name}, "wa_id": sender} for sender in senders]
    return envelope({"contacts": contacts, "messages": items}, phone_number_id)


def text_payload(wa_id: str, body: str, phone_number_id: str, **kwargs: Any) -> dict[str, Any]:
    return messages_payload([message(wa_id, "text", {"body": body}, **kwargs)], phone_number_id)


def reply_payload(
    wa_id: str,
    reply_id: str,
    title: str,
    phone_number_id: str,
    list_reply: bool = False,
    **kwargs: Any,
) -> dict[str, Any]:
    kind = "list_reply" if list_reply else "button_reply"
    content = {"type": kind, kind: {"id": reply_id, "title": title}}
    return messages_payload([message(wa_id, "interactive", content, **kwargs)], phone_number_id)


def quick_reply_payload(
    wa_id: str, payload: str, text: str, phone_number_id: str, **kwargs: Any
) -> dict[str, Any]:
    content = {"payload": payload, "text": text}
    return messages_payload([message(wa_id, "button", content, **kwargs)], phone_number_id)


def status_payload(
    wamid: str,
    status: str,
    wa_id: str,
    phone_number_id: str,
    errors: list[dict[str, Any]] | None = None,
    callback: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": wa_id,
    }
    if errors:
        item["errors"] = errors
    if callback:
        item["biz_opaque_callback_data"] = callback
    return envelope({"statuses": [item]}, phone_number_id)


def dumps(payload: dict[str, Any]) -> bytes:
    """Meta's bodies escape non-ASCII as \\uXXXX; signing works on exactly these bytes."""
    return json.dumps(payload, separators=(",", ":")).encode()
