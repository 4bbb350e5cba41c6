"""Duckling's `time` entities read as search windows, with the practice's idea of the day.

Duckling's grain decides how wide a window is (an hour, a day, a week); its intervals end one
grain late for clock times and give parts of the day as fixed hours, so both are corrected here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from clinic.domain.french import fold
from clinic.domain.practice import Practice
from clinic.domain.scheduling.window import SearchWindow

#: (text, reference time) -> Duckling's `time` entities, as its HTTP API returns them.
Parse = Callable[[str, datetime], Sequence[dict[str, Any]]]

_GRAIN = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}
_CLOCK = re.compile(r"\d ?h|\d:\d|heure|midi|minuit|matin|soir|nuit")
_EXPLICIT_RANGE = re.compile(r"\b(?:entre|de \d|\d+ ?h ?\d* ?-)")


def open_window(now: datetime, practice: Practice) -> SearchWindow:
    """Everything bookable from now: the base for a wish that names no day."""
    return SearchWindow(start=now, end=now + practice.rules.horizon)


def midnight(day: date, tz: Any) -> datetime:
    """The start of `day` in the practice's zone, where every day window begins."""
    return datetime.combine(day, time(0), tz)


def _at(value: dict[str, Any] | None, tz: Any) -> datetime | None:
    return datetime.fromisoformat(value["value"]).astimezone(tz) if value else None


def entity_window(
    entity: dict[str, Any], now: datetime, practice: Practice, pins_day: bool
) -> SearchWindow | None:
    """One entity as a window: a day (`pins_day`) or an hour constraint on every day."""
    tz = practice.tz
    value = entity.get("value") or {}
    horizon_end = now + practice.rules.horizon
    if value.get("type") == "value":
        start = _at(value, tz)
        grain = value.get("grain", "day")
        if start is None:
            return None
        if grain in ("minute", "hour", "second") and not _CLOCK.search(
            fold(str(entity.get("body", "")))
        ):
            grain = "day"  # « dans 15 jours »: Duckling keeps the hour of now
            start = midnight(start.date(), tz)
        if grain in ("minute", "hour", "second"):
            if not pins_day:  # « vers 10h »: 10h on any day
                return SearchWindow(now, horizon_end, around=start.time())
            day = start.date()
            return SearchWindow(
                midnight(day, tz), midnight(day + timedelta(days=1), tz), around=start.time()
            )
        if grain == "day":
            return SearchWindow(start, midnight(start.date() + timedelta(days=1), tz))
        if grain == "week":
            return SearchWindow(start, midnight(start.date() + timedelta(days=7), tz))
        if grain == "month":
            following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            return SearchWindow(start, midnight(following.date(), tz))
        return SearchWindow(start, midnight(start.date().replace(year=start.year + 1), tz))
    if value.get("type") == "interval":
        return _interval_window(entity, value, now, practice, pins_day)
    return None


def _interval_window(
    entity: dict[str, Any], value: dict[str, Any], now: datetime, practice: Practice, pins_day: bool
) -> SearchWindow | None:
    """Duckling's intervals end one grain late for clock times (« entre 14h et 16h » -> 17h).

    Parts of the day come back as fixed hours (matin 4h-12h, après-midi 12h-19h): read as a
    patient means them, morning = before noon, afternoon = after lunch (`afternoon_start`) to 18h.
    """
    tz = practice.tz
    lower, upper = value.get("from"), value.get("to")
    start, end = _at(lower, tz), _at(upper, tz)
    clock_grained = any(v and v.get("grain") in _GRAIN for v in (lower, upper))
    if not clock_grained:  # days: [from, to) already
        return SearchWindow(start or now, end or now + practice.rules.horizon)
    if end is not None and upper and _EXPLICIT_RANGE.search(fold(entity.get("body", ""))):
        end -= _GRAIN[upper["grain"]]
    daily_from = start.time() if start else None
    daily_to = end.time() if end else None
    if start is not None and start.hour == 12 and "après-midi" in entity.get("body", ""):
        daily_from = practice.afternoon_start  # « l'après-midi »: after lunch, not at noon
        if end is not None and end.hour == 19:
            daily_to = time(18)
        elif end is not None:  # « début d'après-midi » (12h-14h): as long, from after lunch
            shift = datetime.combine(end.date(), daily_from) - start.replace(tzinfo=None)
            daily_to = (end.replace(tzinfo=None) + shift).time()
    if daily_from == time(4):
        daily_from = None
    if daily_to == time(0):
        daily_to = None
    bound = start or end
    if bound is None:  # an interval with neither end: nothing to anchor a day on
        return None
    anchor = bound.date()
    if pins_day:
        return SearchWindow(
            midnight(anchor, tz),
            midnight(anchor + timedelta(days=1), tz),
            daily_from=daily_from,
            daily_to=daily_to,
        )
    return SearchWindow(now, now + practice.rules.horizon, daily_from=daily_from, daily_to=daily_to)
