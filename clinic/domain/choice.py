"""Which of the offered slots the patient means: a button (« 2 »), « le deuxième »,
« le dernier », or « celui de 10h30 ». French wording, no Rasa: the CLI and the console can
read a choice the same way the conversation does."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import tzinfo

from clinic.domain import french
from clinic.domain.scheduling import Slot

ORDINALS = {
    "1": 0, "premier": 0, "premiere": 0, "1er": 0, "1ere": 0,
    "2": 1, "deuxieme": 1, "second": 1, "seconde": 1, "2e": 1, "2eme": 1, "deux": 1,
    "3": 2, "troisieme": 2, "3e": 2, "3eme": 2, "trois": 2, "dernier": -1, "derniere": -1,
}  # fmt: skip
_HOUR = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?")
#: Separates a button's number from the tag of the offer it belongs to: « 2@1a2b3c4d ».
TAG_SEPARATOR = "@"


def offer_tag(offered: Sequence[Slot]) -> str:
    """A short name for one list of slots: a button carries it, so a button from an older
    list (« 2 » meant another time then) is recognised instead of picking from the new one."""
    key = "|".join(f"{s.start.isoformat()}/{s.practitioner_id}" for s in offered)
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def bound_choice(number: int, offered: Sequence[Slot]) -> str:
    """The value a slot button carries: its number, bound to this offer."""
    return f"{number}{TAG_SEPARATOR}{offer_tag(offered)}"


def stale(choice: str, offered: Sequence[Slot]) -> bool:
    """True for a button of another offer than `offered`; typed answers are never stale."""
    _, separator, tag = choice.partition(TAG_SEPARATOR)
    return bool(separator) and tag != offer_tag(offered)


def chosen_index(offered: Sequence[Slot], choice: str, text: str, tz: tzinfo) -> int | None:
    """The index in `offered` of the slot meant, or None when the answer names none of them.

    `choice` is a button's value; `text` what the patient wrote (ignored when it is a button's
    `/intent` payload). An article (« un ») is not read as « the first »; an hour matches only
    when exactly one offered slot starts then.
    """
    if not offered:
        return None
    typed = "" if text.startswith("/") else french.fold(text)
    choice = choice.partition(TAG_SEPARATOR)[0]
    for word in re.findall(r"[a-z0-9]+", f"{choice} {typed}"):
        if word in ORDINALS and ORDINALS[word] < len(offered):
            return ORDINALS[word] % len(offered)
    if hour := _HOUR.search(typed):
        wanted = (int(hour[1]), int(hour[2] or 0))
        starts = [slot.start.astimezone(tz) for slot in offered]
        matches = [index for index, t in enumerate(starts) if (t.hour, t.minute) == wanted]
        if len(matches) == 1:
            return matches[0]
    return None
