"""The French text around Duckling: slang rewritten, and what Duckling must not see or misses.

Duckling reads the text after this module: SMS spellings become words it knows, « pas le lundi »
is cut out (it would read a Monday), and the hour bounds it could not read are found here so the
patient can be asked about them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clinic.domain.french import fold

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# SMS spellings Duckling does not know, rewritten before parsing (on accent-folded text).
_SLANG: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # Negated and bounded hours first (« pas après midi » is not « après-midi »): Duckling
        # reads « pas avant 10h » as « avant 10h » and does not know « au plus tard ».
        (r"\bpas avant (?:le |l')", "a partir du "),
        (
            r"\b(?:pas avant|au plus tot (?:a|vers)|des|pas plus tot qu ?['a]?) ?(?=\d|midi)",
            "a partir de ",
        ),
        (r"\bpas avant\b", "a partir de"),
        (
            r"\b(?:pas apres|pas plus tard qu ?['e]?|au plus tard(?: a| vers)?)(?= ?\d| midi| le)",
            "avant",
        ),
        (r"\b(?:aprem+s?|apres[- ]?m(?:idi)?|ap[- ]?midi|apm|aprm)\b", "après-midi"),
        (r"\b(?:dem1|dmain|dm1|demin)\b", "demain"),
        (r"\b(?:auj|ajd|aujourd ?hui|aujourdhui|aujd)\b", "aujourd'hui"),
        (r"\bsem(?:aine)? pro(?:chaine)?\b", "semaine prochaine"),
        (r"\b(?:mat)\b", "matin"),
        (r"\bmatinee\b", "matinée"),
        (r"\bapres\b", "après"),
        (r"\b(lun|mar|mer|jeu|ven|sam)\.? ?(?=\d)", r"\1 "),
    )
)
_ABBREVIATED_DAYS = {d[:3]: d for d in WEEKDAYS}
_ABBREVIATED_DAY = re.compile(r"\b(lun|mar|mer|jeu|ven|sam) (?=\d)")
ASAP = re.compile(
    r"\b(?:le plus tot(?: possible)?|au plus (?:vite|tot)|des que possible|asap|"
    r"n['’ ]?importe quand|peu importe|quand vous (?:voulez|pouvez)|des que vous pouvez|"
    r"(?:le |la )?premi[eè]re? (?:dispo\w*|creneau|place)|rapidement|au plus pressé)\b"
)
_EXCLUDED = re.compile(
    r"\b(?:pas|sauf|hors|ni|except[eé])\s+(?:le |les |la )?(lundi|mardi|mercredi|jeudi|vendredi|"
    r"samedi|dimanche)s?\b"
)
_CHAINED_EXCLUSION = re.compile(
    r"^\s*(?:,|et|ni|ou)\s+(?:le |les )?(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?\b"
)
# Words that pin a day: without one, « après 17h » or « le matin » is a preference for every day.
DAY_WORDS = re.compile(
    r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|aujourd'hui|hier|ce matin|"
    r"cet après-midi|ce soir|ce midi|semaine|mois|janvier|fevrier|mars|avril|mai|juin|juillet|"
    r"aout|septembre|octobre|novembre|decembre|prochain|dans \d+|\d{1,2}/\d{1,2}|"
    r"(?:le|du|au) \d{1,2}(?:er)?\b|tout a l'heure|maintenant)"
)
#: Words that bound an hour; one Duckling did not cover means a constraint it could not read.
MARKERS = re.compile(
    r"\b(?P<from>a partir d\w*|apres|après)(?!-midi)\b|\b(?P<until>avant|jusqu\w*)\b|"
    r"\b(?P<around>vers)\b"
)


def normalise(text: str) -> str:
    """Rewrite slang Duckling misses: « jeu 14h », « dem1 aprem » -> « jeudi 14h », « demain après-midi »."""
    out = fold(text)
    for pattern, replacement in _SLANG:
        out = pattern.sub(replacement, out)
    return _ABBREVIATED_DAY.sub(lambda m: _ABBREVIATED_DAYS[m[1]] + " ", out)


def exclusions(text: str) -> tuple[frozenset[int], str]:
    """« pas le lundi ni le mardi » -> {0, 1}, and the text without it (Duckling would read a day)."""
    excluded: set[int] = set()
    while match := _EXCLUDED.search(text):
        excluded.add(WEEKDAYS.index(match[1]))
        rest = text[match.end() :]
        while chained := _CHAINED_EXCLUSION.match(rest):
            excluded.add(WEEKDAYS.index(chained[1]))
            rest = rest[chained.end() :]
        text = text[: match.start()] + " " + rest
    return frozenset(excluded), text


def unread_marker(text: str, entities: Sequence[dict[str, Any]]) -> str:
    """The kind of the first bound (« à partir de », « avant », « vers ») no entity covers."""
    spans = [(int(e.get("start", 0)), int(e.get("end", 0))) for e in entities]
    for match in MARKERS.finditer(text):
        if not any(start <= match.start() < end for start, end in spans):
            return match.lastgroup or "from"
    return ""
