"""A search window said back to the patient in French, so they can see what was understood."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from clinic.domain import french
from clinic.domain.scheduling.window import SearchWindow


def describe(window: SearchWindow, today: date, tz: Any) -> str:
    """« jeudi 3 décembre après-midi », « à partir de demain »: the window, as said back to a patient."""
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    named = french.day(first, today)
    days = (
        named
        if first == last
        else ("à partir d'" if named[0] in "aeiou" else "à partir de ") + named
    )
    part = ""
    if window.around is not None:
        part = f" vers {french.hour(window.around)}"
    elif window.daily_to is not None and window.daily_to <= time(13):
        part = " le matin" if first != last else " matin"
    elif window.daily_from is not None and window.daily_from >= time(17):
        part = f" après {french.hour(window.daily_from)}"
    elif window.daily_from is not None and window.daily_from >= time(12):
        part = " l'après-midi" if first != last else " après-midi"
    return days + part
