"""A short answer to the assistant's last buttons, read as the button it means.

After « Je confirme ce rendez-vous ? [Oui] [Non] », patients type « ouep », « dac », « ok go » or
« non merci »; after a list of slots, « le 2e »; after the reasons, « ordonnance ». Two words carry
too little for the intent model, but with the question they answer they are unambiguous, so they
are read here, deterministically, and the dialogue gets the button's own payload. Anything longer
or mixed (« oui mais plutôt jeudi », « non c'est pour ma fille ») is left to the model.

Pure: the options come from whoever kept the last prompt (the Rasa tracker, at the channel's
edge); no Rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clinic.domain import french
from clinic.domain.choice import ORDINALS

#: Longer messages are never read here: they may say more than yes or no.
MAX_WORDS = 6

YES = frozenset(
    {
        "oui", "ouii", "ouiii", "ouais", "ouai", "ouep", "ouaip", "ouip", "wi", "yes", "yep",
        "ok", "okay", "oki", "okok", "dac", "dacc", "dak", "daccord", "accord", "go", "volontiers",
        "parfait", "super", "top", "nickel", "exact", "exactement", "absolument", "certainement",
        "confirme", "valide", "carrement", "evidemment", "impeccable", "genial", "bien sur",
        "d accord", "ca marche", "ca me va", "vas y", "allez y", "tout a fait",
        "avec plaisir", "pas de souci", "pas de soucis", "pas de probleme", "je confirme",
        "c est ca", "c est parfait", "c est ok", "\U0001f44d", "\U0001f44c", "\u2705",
    }
)  # fmt: skip
NO = frozenset(
    {
        "non", "nan", "nope", "no", "pas besoin", "sans facon", "ca ira", "pas la peine",
        "c est pas la peine", "ce n est pas la peine", "pas pour l instant", "pas maintenant",
        "non plus", "surtout pas", "pas du tout", "jamais", "\U0001f44e", "\u274c",
    }
)  # fmt: skip
#: Words that change nothing to a yes or a no: « oui merci », « non svp », « bah ok ».
FILLER = frozenset(
    {
        "merci", "mercii", "beaucoup", "svp", "stp", "please", "s il vous plait", "s il te plait",
        "alors", "euh", "bah", "ben", "bon", "eh", "ah", "oh", "bien", "du coup", "madame",
        "monsieur", "docteur", "bonjour", "bonsoir", "je", "vous", "remercie", "c", "est",
    }
)  # fmt: skip
#: Around an ordinal: « le 2e », « celui du milieu » is not one, « plutôt le premier » is.
ORDINAL_FILLER = frozenset({"le", "la", "l", "celui", "celle", "plutot", "prends", "je", "svp"})
_PHRASE_WORDS = max(len(p.split()) for p in YES | NO | FILLER)
_TOKENS = re.compile(r"[a-z0-9]+|[\U0001f44c\U0001f44d\U0001f44e\u2705\u274c]")


@dataclass(frozen=True)
class Option:
    """One button of the last prompt: what it shows and what it sends."""

    title: str
    payload: str

    @property
    def intent(self) -> str:
        return self.payload.removeprefix("/").split("{", 1)[0] if self.payload[:1] == "/" else ""


def words(text: str) -> list[str]:
    """The text's words, folded (case, accents), without punctuation or other emoji."""
    return _TOKENS.findall(french.fold(text))


def read(text: str, options: Sequence[Option]) -> str | None:
    """The payload of the option a short `text` means, or None (the model reads it)."""
    tokens = words(text)
    if not options or not tokens or len(tokens) > MAX_WORDS:
        return None
    for option in options:  # a button's title typed out
        if tokens == words(option.title):
            return option.payload
    if (slot := _ordinal(tokens, options)) is not None:
        return slot.payload
    answer = _yes_or_no(tokens)
    if answer is None:
        return None
    matching = [option for option in options if option.intent == answer]
    return matching[0].payload if len(matching) == 1 else None


def _ordinal(tokens: list[str], options: Sequence[Option]) -> Option | None:
    """« le 2e », « 3 », « le dernier »: among the slot buttons, the only numbered ones (the
    offer's « Autres créneaux » is not counted)."""
    slots = [option for option in options if option.intent == "choose_slot"]
    picked = [ORDINALS[t] for t in tokens if t in ORDINALS]
    rest = [t for t in tokens if t not in ORDINALS and t not in ORDINAL_FILLER | FILLER]
    if not slots or len(picked) != 1 or rest or picked[0] >= len(slots):
        return None
    return slots[picked[0]]


def _yes_or_no(tokens: list[str]) -> str | None:
    """ "affirm", "deny", or None when the words are not all a yes (or a no) and fillers."""
    said: set[str] = set()
    at = 0
    while at < len(tokens):
        for size in range(min(_PHRASE_WORDS, len(tokens) - at), 0, -1):
            phrase = " ".join(tokens[at : at + size])
            kind = "affirm" if phrase in YES else "deny" if phrase in NO else None
            if kind is not None or phrase in FILLER:
                if kind is not None:
                    said.add(kind)
                at += size
                break
        else:
            return None  # a word that is neither: « non, jeudi », « oui pour ma fille »
    return said.pop() if len(said) == 1 else None
