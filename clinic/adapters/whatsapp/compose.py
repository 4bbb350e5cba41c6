"""A Rasa-style response (text, buttons, image, attachment, custom) as Graph message bodies.

Plain data in, plain data out: the connector hands over what Rasa produced, this decides what
WhatsApp can show. Button payloads are signed for the patient, so only they come back honoured.
"""

from __future__ import annotations

import logging
from typing import Any

from clinic.adapters.whatsapp import messages
from clinic.adapters.whatsapp.identity import Keyring

logger = logging.getLogger(__name__)


def _options(keyring: Keyring, patient_id: str, buttons: list[Any]) -> list[messages.Option]:
    options = []
    for button in buttons:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title)
        if not title:
            continue
        signed = keyring.sign_choice(patient_id, payload)
        # A payload too long for Meta's id comes back unsigned: its title is read as text.
        description = str(button.get("description") or "")
        options.append(messages.Option(signed or messages.shorten(title, 200), title, description))
    return options


def compose(keyring: Keyring, patient_id: str, response: dict[str, Any]) -> list[dict[str, Any]]:
    """Graph bodies for one response of the assistant, in the order the patient should see them."""
    bodies: list[dict[str, Any]] = []
    text = str(response.get("text") or "")
    buttons = response.get("buttons") or response.get("quick_replies") or []
    if buttons:
        bodies += messages.choices(text, _options(keyring, patient_id, list(buttons)))
    elif text.strip():
        bodies += messages.text(text)
    custom = response.get("custom")
    if isinstance(custom, dict):
        bodies += _custom(keyring, patient_id, custom)
    if response.get("image"):
        bodies.append(messages.image(str(response["image"])))
    attachment = response.get("attachment")
    if isinstance(attachment, str) and attachment:
        bodies.append(messages.document(attachment))
    elif isinstance(attachment, dict) and attachment.get("link"):
        bodies.append(
            messages.document(
                str(attachment["link"]), attachment.get("filename"), attachment.get("caption")
            )
        )
    if response.get("elements"):
        logger.warning("carousel elements are not supported on WhatsApp; skipped")
    return bodies


#: Key of a body's plain-text stand-in; keys starting with « _ » stay on our side.
FALLBACK = "_fallback"


def _custom(keyring: Keyring, patient_id: str, custom: dict[str, Any]) -> list[dict[str, Any]]:
    """`{"template": {...}}`, `{"document": {...}, "fallback": text}`, or
    `{"whatsapp": <raw Graph body>}`."""
    if isinstance(custom.get("template"), dict):
        spec = custom["template"]
        replies = [
            keyring.sign_choice(patient_id, str(payload)) or str(payload)
            for payload in spec.get("quick_replies", [])
        ]
        return [
            messages.template(
                str(spec["name"]),
                str(spec.get("language", "fr")),
                [str(value) for value in spec.get("body", [])],
                replies,
            )
        ]
    if isinstance(custom.get("document"), dict) and custom["document"].get("link"):
        doc = custom["document"]
        body = messages.document(str(doc["link"]), doc.get("filename"), doc.get("caption"))
        if custom.get("fallback"):
            # Sent instead if WhatsApp refuses the document for good (never sent to Meta).
            body[FALLBACK] = str(custom["fallback"])
        return [body]
    if isinstance(custom.get("whatsapp"), dict) and custom["whatsapp"].get("type"):
        return [custom["whatsapp"]]
    logger.warning("custom response with no WhatsApp form; skipped")
    return []
