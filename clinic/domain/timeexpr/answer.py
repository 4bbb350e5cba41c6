"""The wish checked against the practice: bookable, or why not and the nearest bookable day.

A wish that cannot be served (past, too soon, closed, beyond the booking horizon) still gets an
alternative, and one written but not understood gets a question whose answer completes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from clinic.domain.french import fold
from clinic.domain.practice import Practice
from clinic.domain.scheduling.window import SearchWindow
from clinic.domain.timeexpr.entities import Parse, midnight
from clinic.domain.timeexpr.phrasing import describe
from clinic.domain.timeexpr.request import TimeRequest, read
from clinic.domain.timeexpr.text import DAY_WORDS, MARKERS, normalise

PROBLEMS = ("not_understood", "unclear", "past", "too_soon", "beyond_horizon", "closed")

#: What to ask when the hour after a marker was not understood, by marker kind.
_QUESTIONS = {
    "from": "à partir de quelle heure",
    "until": "avant quelle heure",
    "around": "vers quelle heure",
    "which": "quel jour et à quelle heure",
}
_PHRASES = {"from": "à partir de", "until": "avant", "around": "vers", "which": ""}


@dataclass(frozen=True)
class TimeAnswer:
    """The window to search, or why the wish cannot be served and the nearest bookable window.

    `problem` is None when `window` is what the patient asked for; otherwise one of PROBLEMS and
    `window` is the alternative (None when there is nothing to suggest). `detail` names a closed
    day's reason (« Noël », « fermeture exceptionnelle »), or for "unclear" the question to ask
    (« à partir de quelle heure samedi »); `pending` is then what the answer completes.
    """

    window: SearchWindow | None
    problem: str | None = None
    requested: date | None = None
    detail: str = ""
    pending: dict[str, str] | None = None

    @property
    def understood(self) -> bool:
        return self.problem not in ("not_understood", "unclear")


def understand(text: str, now: datetime, parse: Parse, practice: Practice) -> TimeAnswer:
    """Read `text` and check it against the practice (see `check`)."""
    request = read(text, now, parse, practice)
    if request.unclear:
        return _clarification(request, now, practice)
    if request.window is None:
        return TimeAnswer(None, "not_understood")
    return check(request.window, now, practice)


def complete(pending: dict[str, str], answer: str) -> str:
    """The wish once the patient answered the question about its hour: « samedi » + « à partir
    de » + « 10h ». An answer that names a day or its own bound stands alone (« plutôt dimanche »)."""
    folded = fold(answer)
    if DAY_WORDS.search(folded) or not pending.get("kept"):
        return answer
    if MARKERS.search(normalise(answer)) or not pending.get("phrase"):
        return f"{pending['kept']} {answer}"
    return f"{pending['kept']} {pending['phrase']} {answer}"


def check(window: SearchWindow, now: datetime, practice: Practice) -> TimeAnswer:
    """Is `window` bookable? If not, say why and give the nearest bookable day instead."""
    tz = practice.tz
    rules = practice.rules
    earliest = now + rules.min_notice
    latest = now + rules.horizon
    requested = window.start.astimezone(tz).date()
    if window.end <= now:
        return TimeAnswer(_nearest(window, now, practice), "past", requested)
    if window.end <= earliest:
        return TimeAnswer(_nearest(window, now, practice), "too_soon", requested)
    if window.start >= latest:
        return TimeAnswer(_nearest(window, now, practice), "beyond_horizon", requested)
    clipped = replace(window, start=max(window.start, earliest), end=min(window.end, latest))
    if any(_fits(day, clipped, practice) for day in _days(clipped, tz)):
        return TimeAnswer(clipped)
    first = clipped.start.astimezone(tz).date()
    detail = _closed_reason(first, practice)
    return TimeAnswer(_nearest(clipped, now, practice), "closed", first, detail)


def _clarification(request: TimeRequest, now: datetime, practice: Practice) -> TimeAnswer:
    """Ask about the part of the wish that was not read, naming the part that was."""
    tz = practice.tz
    window = request.window
    day = ""
    requested = None
    if window is not None and window.end - window.start <= timedelta(days=1):
        day = " " + describe(
            replace(window, daily_from=None, daily_to=None, around=None), now.date(), tz
        )
        requested = window.start.astimezone(tz).date()
    question = _QUESTIONS[request.unclear] + day
    pending = {"kept": request.kept, "phrase": _PHRASES[request.unclear]}
    return TimeAnswer(None, "unclear", requested, question, pending)


def _days(window: SearchWindow, tz: Any) -> list[date]:
    """Every local date the window touches: it is bookable if the practice opens on one."""
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _fits(day: date, window: SearchWindow, practice: Practice) -> bool:
    """Is the practice open on `day` at a time the window allows (ignoring busy time)?"""
    if day.weekday() in window.excluded_weekdays or practice.is_closed(day):
        return False
    tz = practice.tz
    lower = max(window.start, midnight(day, tz))
    upper = min(window.end, midnight(day + timedelta(days=1), tz))
    for practitioner in practice.practitioners:
        for opening in practitioner.hours.get(day.weekday(), ()):
            begin = max(datetime.combine(day, opening.start, tz), lower)
            finish = min(datetime.combine(day, opening.end, tz), upper)
            if window.daily_from is not None:
                begin = max(begin, datetime.combine(day, window.daily_from, tz))
            if window.daily_to is not None:
                finish = min(finish, datetime.combine(day, window.daily_to, tz))
            if begin < finish:
                return True
    return False


def _nearest(window: SearchWindow, now: datetime, practice: Practice) -> SearchWindow | None:
    """The bookable day closest to what was asked, keeping the time of day when it can."""
    tz = practice.tz
    earliest = now + practice.rules.min_notice
    latest = now + practice.rules.horizon
    wished = min(max(window.start, earliest), latest).astimezone(tz).date()
    first, last = earliest.astimezone(tz).date(), latest.astimezone(tz).date()
    candidates = sorted(
        (first + timedelta(days=i) for i in range((last - first).days + 1)),
        key=lambda d: (abs((d - wished).days), d < wished),
    )
    for keep_time in (True, False):
        for day in candidates:
            start = max(midnight(day, tz), earliest)
            end = min(midnight(day + timedelta(days=1), tz), latest)
            if start >= end:
                continue
            span = SearchWindow(
                start,
                end,
                daily_from=window.daily_from if keep_time else None,
                daily_to=window.daily_to if keep_time else None,
                around=window.around if keep_time else None,
                excluded_weekdays=window.excluded_weekdays,
            )
            if _fits(day, span, practice):
                return span
    return None


def _closed_reason(day: date, practice: Practice) -> str:
    """A closed day's name for the patient: the holiday, or an exceptional closure."""
    holiday = practice.holiday_name(day)
    if holiday:
        return holiday
    if day in practice.closed_dates:
        return "fermeture exceptionnelle"
    return ""
