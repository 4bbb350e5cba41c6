"""Which practitioner a patient asks for, in their own words.

« le docteur Benali », « Dr Martin », « avec Karim Benali », « mon médecin habituel », « n'importe
quel médecin »: general practice patients want their own doctor, and say so in many ways. Pure:
the practice's names in, a wish out; who « habituel » is comes from the patient's appointments,
which the caller looks up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinic.domain.french import fold
from clinic.domain.practice.model import Practice, Practitioner

#: The wish « n'importe quel médecin »: every practitioner the reason allows.
ANY = "any"

_TITLE = r"(?:dr|dre|docteur|docteure|doctoresse|doc|toubib|medecin|pr|professeur)"
#: Words that introduce a practitioner's bare name: « avec Benali », « voir Martin », « chez… ».
_BEFORE_NAME = rf"(?:{_TITLE}|avec|voir|chez|par)(?: (?:le|la|l))?"
_USUAL = re.compile(
    r"\b(?:mon|ma|notre) (?:medecin|docteur|docteure|doctoresse|doc|toubib|generaliste)"
    r"(?: (?:habituel\w*|traitant\w*|de famille|referent\w*))?\b|"
    r"\b(?:le|la) meme (?:medecin|docteur|docteure|doctoresse|praticien\w*)\b|"
    r"\b(?:medecin|docteur|docteure|doctoresse) (?:habituel\w*|traitant\w*|de d habitude)\b"
)
_ANY = re.compile(
    r"\b(?:n importe (?:quel|lequel|laquelle)|peu importe (?:le|la|quel)|(?:un|une) autre|"
    r"tous les|pas forcement (?:le|la)|pas de preference (?:pour le|de))"
    r" (?:medecin|docteur|docteure|doctoresse|praticien\w*)\b|"
    r"\b(?:medecin|docteur|praticien) (?:peu importe|indifferent)\b"
)


@dataclass(frozen=True)
class PractitionerWish:
    """A named practitioner (`practitioner_id`), any of them (ANY), or the usual one (`usual`)."""

    practitioner_id: str | None = None
    usual: bool = False


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def _names(practitioner: Practitioner) -> tuple[list[str], str]:
    """(first names, surname) of « Dr Karim Benali »: the title dropped, accents folded."""
    words = _words(practitioner.name).split()
    while len(words) > 1 and re.fullmatch(_TITLE, words[0]):
        words = words[1:]
    return words[:-1], words[-1]


def _named(practitioner: Practitioner, haystack: str) -> bool:
    first, surname = _names(practitioner)
    full = " ".join([*first, surname])
    if re.search(rf"\b{re.escape(full)}\b", haystack):
        return True
    names = [surname, *(f"{name} {surname}" for name in first[-1:]), *first]
    alternatives = "|".join(re.escape(name) for name in names)
    return bool(re.search(rf"\b{_BEFORE_NAME} (?:{alternatives})\b", haystack))


def practitioner_wish(practice: Practice, text: str) -> PractitionerWish | None:
    """The practitioner the message asks for, or None when it names none (or two)."""
    haystack = _words(text)
    if not haystack:
        return None
    named = [p for p in practice.practitioners if _named(p, haystack)]
    if len(named) == 1:
        return PractitionerWish(named[0].id)
    if named:
        return None  # « le Dr Martin ou le Dr Benali »: both are fine, so neither is a wish
    if _ANY.search(haystack):
        return PractitionerWish(ANY)
    if _USUAL.search(haystack):
        return PractitionerWish(usual=True)
    return None
