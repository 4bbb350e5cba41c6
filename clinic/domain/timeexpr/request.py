"""The wish as read from the text, before it is checked against the practice.

Kept apart from the checks so a validator can tell « not understood » from « understood but not
bookable », and so what was written but not read (`unclear`) can be asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from clinic.domain.practice import Practice
from clinic.domain.scheduling.window import SearchWindow
from clinic.domain.timeexpr.entities import Parse, entity_window, open_window
from clinic.domain.timeexpr.text import ASAP, DAY_WORDS, exclusions, normalise, unread_marker
from clinic.domain.timeexpr.weeks import weeks


@dataclass(frozen=True)
class TimeRequest:
    """What the patient asked for, before it is checked against the practice.

    `unclear` names a time constraint that was written but not understood (« pas avant le déj »:
    "from"; « lundi matin ou mardi après 17h »: "which"); `window` is then the part that was, and
    `kept` the text without the unreadable part, so the answer to the question can complete it.
    """

    window: SearchWindow | None
    asap: bool = False
    excluded_weekdays: frozenset[int] = frozenset()
    unclear: str = ""
    kept: str = ""


def read(text: str, now: datetime, parse: Parse, practice: Practice) -> TimeRequest:
    """Turn free text into a TimeRequest; Duckling sees the text after slang and exclusions.

    Each Duckling entity is either a day (it names one: « samedi », « le 22 à 15h ») or an hour
    constraint for any day (« pas avant 10h », « le matin »): the days are united, then every
    hour constraint narrows them, so « samedi, pas avant 10h » is Saturday from 10h.
    """
    tz = practice.tz
    now = now.astimezone(tz)
    normalised = normalise(text)
    excluded, normalised = exclusions(normalised)
    asap = bool(ASAP.search(normalised))
    normalised = ASAP.sub(" ", normalised)
    week_windows, normalised = weeks(normalised, now, practice)
    entities = [e for e in parse(normalised, now) if e.get("dim", "time") == "time"]
    days: list[SearchWindow] = [window for window, _ in week_windows]
    said = [body for _, body in week_windows]  # what was read as days, for `kept`
    hours: list[SearchWindow] = []
    for entity in entities:
        body = str(entity.get("body", ""))
        pinned = bool(DAY_WORDS.search(body))  # `body` is from the normalised text
        window = entity_window(entity, now, practice, pinned)
        if window is not None and pinned:
            days.append(window)
            said.append(body)
        elif window is not None:
            hours.append(window)
    unclear = unread_marker(normalised, entities)
    if unclear and not days:
        unclear = "which"  # « avant mes vacances »: a date or an hour, ask for both
    kept = " ".join(said) if unclear != "which" else ""
    combined = _combine(days, hours, now, practice) if days or hours else None
    if combined is None and (days or hours):
        unclear, kept = "which", ""
    if combined is None and (asap or excluded):
        combined = open_window(now, practice)
    if combined is None:
        return TimeRequest(None, asap, excluded, unclear, kept)
    window = replace(combined, excluded_weekdays=excluded)
    return TimeRequest(window, asap, excluded, unclear, kept)


def _combine(
    days: list[SearchWindow], hours: list[SearchWindow], now: datetime, practice: Practice
) -> SearchWindow | None:
    """The days united, narrowed by every hour constraint; None when they contradict."""
    base = _union(days) if days else None
    if days and base is None:
        return None
    window = base or open_window(now, practice)
    for bound in hours:
        daily_from = max(
            (t for t in (window.daily_from, bound.daily_from) if t is not None), default=None
        )
        daily_to = min(
            (t for t in (window.daily_to, bound.daily_to) if t is not None), default=None
        )
        window = replace(
            window, daily_from=daily_from, daily_to=daily_to, around=window.around or bound.around
        )
    if window.daily_from and window.daily_to and window.daily_from >= window.daily_to:
        return None
    return window


def _union(windows: list[SearchWindow]) -> SearchWindow | None:
    """« mercredi ou jeudi matin »: the span of all days. An hour constraint given once applies
    to every day (« jeudi ou vendredi après 17h »); different ones contradict: None."""
    if len(windows) == 1:
        return windows[0]
    constraints = {
        (w.daily_from, w.daily_to, w.around)
        for w in windows
        if (w.daily_from, w.daily_to, w.around) != (None, None, None)
    }
    if len(constraints) > 1:
        return None
    daily_from, daily_to, around = constraints.pop() if constraints else (None, None, None)
    return SearchWindow(
        start=min(w.start for w in windows),
        end=max(w.end for w in windows),
        daily_from=daily_from,
        daily_to=daily_to,
        around=around,
    )
