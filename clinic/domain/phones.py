"""Phone numbers as staff type them and as WhatsApp knows them.

WhatsApp ids are the international number in digits, without « + » (« 33612345678 »). Staff type
what a caller says: « 06 12 34 56 78 », « 06.12.34.56.78 », « +33 6 12 34 56 78 », « 0033 6… ».
The practice is in France, so a 10-digit number starting with 0 is French.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()/]")
_TYPED = re.compile(r"^\+?\d{8,15}$")


def whatsapp_id(typed: str) -> str | None:
    """The WhatsApp id a typed number stands for, or None when it is not a phone number."""
    text = _SEPARATORS.sub("", typed.strip())
    if not _TYPED.match(text):
        return None
    if text.startswith("+"):
        return text[1:]
    if text.startswith("00"):
        return text[2:]
    if len(text) == 10 and text.startswith("0"):
        return "33" + text[1:]
    return text


def display(wa_id: str) -> str:
    """« +33 6 12 34 56 78 » for a French number, « +44 7700900123 » for the others."""
    if wa_id.startswith("33") and len(wa_id) == 11:
        rest = wa_id[2:]
        return "+33 " + rest[0] + " " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))
    return "+" + wa_id


def tel(wa_id: str) -> str:
    """The `tel:` link a phone or a softphone dials (RFC 3966, global number)."""
    return "tel:+" + wa_id
