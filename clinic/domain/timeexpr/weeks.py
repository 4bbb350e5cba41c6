"""Weeks Duckling reads wrongly, read here and cut from the text before it sees them.

« la semaine du 14 » (Duckling gives this week), « début de semaine prochaine » (two entities),
« fin de semaine prochaine ».
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from clinic.domain.practice import Practice
from clinic.domain.scheduling.window import SearchWindow
from clinic.domain.timeexpr.entities import midnight

_MONTHS = (
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre",
)  # fmt: skip
_WEEK_OF = re.compile(
    r"\b(?:la )?semaine du (\d{1,2})(?:er)?(?: (" + "|".join(_MONTHS) + r"))?\b(?! ?/)"
)
_WEEK_PART = re.compile(r"\b(?:en |au )?(debut|fin) de (?:la )?semaine( prochaine| d'apres)?\b")


def weeks(
    text: str, now: datetime, practice: Practice
) -> tuple[list[tuple[SearchWindow, str]], str]:
    """Read the weeks Duckling gets wrong (see _WEEK_OF, _WEEK_PART) and cut them from the text."""
    tz = practice.tz
    today = now.date()
    windows: list[tuple[SearchWindow, str]] = []
    while match := _WEEK_OF.search(text):
        number, month = int(match[1]), match[2]
        day = _day_of_month(today, number, _MONTHS.index(month) + 1 if month else None)
        if day is None:
            break
        monday = day - timedelta(days=day.weekday())
        week = SearchWindow(midnight(monday, tz), midnight(monday + timedelta(7), tz))
        windows.append((week, match[0]))
        text = text[: match.start()] + " " + text[match.end() :]
    while match := _WEEK_PART.search(text):
        monday = today - timedelta(days=today.weekday())
        if match[2]:
            monday += timedelta(days=7)
        first = monday + (timedelta(0) if match[1] == "debut" else timedelta(days=3))
        part = SearchWindow(midnight(first, tz), midnight(first + timedelta(3), tz))
        windows.append((part, match[0]))
        text = text[: match.start()] + " " + text[match.end() :]
    return windows, text


def _day_of_month(today: date, number: int, month: int | None) -> date | None:
    """The next date numbered `number` (in `month` when given), from today on."""
    for offset in range(13):
        year, index = divmod(today.month - 1 + offset, 12)
        candidate_month = index + 1
        if month is not None and candidate_month != month:
            continue
        try:
            candidate = date(today.year + year, candidate_month, number)
        except ValueError:
            continue
        if candidate >= today - timedelta(days=today.weekday()):
            return candidate
    return None
