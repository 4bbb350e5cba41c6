"""Time expressions: what a patient wrote (« jeudi aprem », « pas le lundi ») -> a search window.

Duckling does the hard part (« jeudi 3 décembre à 10h30 », « la semaine prochaine »). This module
adds what a practice needs around it: the slang Duckling misses is rewritten first, « pas le
lundi » and « le plus tôt possible » are read here, the grain decides how wide the window is, and
the window is checked against the practice (past, too soon, closed, beyond the booking horizon),
with the nearest bookable day as the alternative. Parsing is injected (`Parse`), so the HTTP
client runs in production and the embedded engine in unit tests, both the real Duckling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from clinic.domain import french
from clinic.domain.french import fold
from clinic.domain.practice import Practice
from clinic.domain.scheduling.window import SearchWindow

#: (text, reference time) -> Duckling's `time` entities, as its HTTP API returns them.
Parse = Callable[[str, datetime], Sequence[dict[str, Any]]]

PROBLEMS = ("not_understood", "unclear", "past", "too_soon", "beyond_horizon", "closed")

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_GRAIN = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}

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
_ABBREVIATED_DAYS = {d[:3]: d for d in _WEEKDAYS}
_ABBREVIATED_DAY = re.compile(r"\b(lun|mar|mer|jeu|ven|sam) (?=\d)")
_ASAP = re.compile(
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
_DAY_WORDS = re.compile(
    r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|aujourd'hui|hier|ce matin|"
    r"cet après-midi|ce soir|ce midi|semaine|mois|janvier|fevrier|mars|avril|mai|juin|juillet|"
    r"aout|septembre|octobre|novembre|decembre|prochain|dans \d+|\d{1,2}/\d{1,2}|"
    r"(?:le|du|au) \d{1,2}(?:er)?\b|tout a l'heure|maintenant)"
)
_EXPLICIT_RANGE = re.compile(r"\b(?:entre|de \d|\d+ ?h ?\d* ?-)")


def normalise(text: str) -> str:
    """Rewrite slang Duckling misses: « jeu 14h », « dem1 aprem » -> « jeudi 14h », « demain après-midi »."""
    out = fold(text)
    for pattern, replacement in _SLANG:
        out = pattern.sub(replacement, out)
    return _ABBREVIATED_DAY.sub(lambda m: _ABBREVIATED_DAYS[m[1]] + " ", out)


#: Words that bound an hour; one Duckling did not cover means a constraint it could not read.
_MARKERS = re.compile(
    r"\b(?P<from>a partir d\w*|apres|après)(?!-midi)\b|\b(?P<until>avant|jusqu\w*)\b|"
    r"\b(?P<around>vers)\b"
)
#: What to ask when the hour after a marker was not understood, by marker kind.
_QUESTIONS = {
    "from": "à partir de quelle heure",
    "until": "avant quelle heure",
    "around": "vers quelle heure",
    "which": "quel jour et à quelle heure",
}
_PHRASES = {"from": "à partir de", "until": "avant", "around": "vers", "which": ""}
_CLOCK = re.compile(r"\d ?h|\d:\d|heure|midi|minuit|matin|soir|nuit")
_MONTHS = (
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre",
)  # fmt: skip
# Weeks Duckling reads wrongly: « la semaine du 14 » (it gives this week), « début de semaine
# prochaine » (two entities), « fin de semaine prochaine ».
_WEEK_OF = re.compile(
    r"\b(?:la )?semaine du (\d{1,2})(?:er)?(?: (" + "|".join(_MONTHS) + r"))?\b(?! ?/)"
)
_WEEK_PART = re.compile(r"\b(?:en |au )?(debut|fin) de (?:la )?semaine( prochaine| d'apres)?\b")


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


def read(text: str, now: datetime, parse: Parse, practice: Practice) -> TimeRequest:
    """Turn free text into a TimeRequest; Duckling sees the text after slang and exclusions.

    Each Duckling entity is either a day (it names one: « samedi », « le 22 à 15h ») or an hour
    constraint for any day (« pas avant 10h », « le matin »): the days are united, then every
    hour constraint narrows them, so « samedi, pas avant 10h » is Saturday from 10h.
    """
    tz = practice.tz
    now = now.astimezone(tz)
    normalised = normalise(text)
    excluded, normalised = _exclusions(normalised)
    asap = bool(_ASAP.search(normalised))
    normalised = _ASAP.sub(" ", normalised)
    weeks, normalised = _weeks(normalised, now, practice)
    entities = [e for e in parse(normalised, now) if e.get("dim", "time") == "time"]
    days: list[SearchWindow] = [window for window, _ in weeks]
    said = [body for _, body in weeks]  # what was read as days, for `kept`
    hours: list[SearchWindow] = []
    for entity in entities:
        body = str(entity.get("body", ""))
        pinned = bool(_DAY_WORDS.search(body))  # `body` is from the normalised text
        window = _entity_window(entity, now, practice, pinned)
        if window is not None and pinned:
            days.append(window)
            said.append(body)
        elif window is not None:
            hours.append(window)
    unclear = _unread_marker(normalised, entities)
    if unclear and not days:
        unclear = "which"  # « avant mes vacances »: a date or an hour, ask for both
    kept = " ".join(said) if unclear != "which" else ""
    combined = _combine(days, hours, now, practice) if days or hours else None
    if combined is None and (days or hours):
        unclear, kept = "which", ""
    if combined is None and (asap or excluded):
        combined = _open_window(now, practice)
    if combined is None:
        return TimeRequest(None, asap, excluded, unclear, kept)
    window = replace(combined, excluded_weekdays=excluded)
    return TimeRequest(window, asap, excluded, unclear, kept)


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
    if _DAY_WORDS.search(folded) or not pending.get("kept"):
        return answer
    if _MARKERS.search(normalise(answer)) or not pending.get("phrase"):
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


def window_to_dict(window: SearchWindow) -> dict[str, Any]:
    """A JSON-safe form, for a conversation slot."""
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "daily_from": window.daily_from.isoformat() if window.daily_from else None,
        "daily_to": window.daily_to.isoformat() if window.daily_to else None,
        "around": window.around.isoformat() if window.around else None,
        "excluded_weekdays": sorted(window.excluded_weekdays),
    }


def window_from_dict(data: dict[str, Any]) -> SearchWindow:
    def clock(key: str) -> time | None:
        return time.fromisoformat(data[key]) if data.get(key) else None

    return SearchWindow(
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        daily_from=clock("daily_from"),
        daily_to=clock("daily_to"),
        around=clock("around"),
        excluded_weekdays=frozenset(data.get("excluded_weekdays") or ()),
    )


# --- internals ---------------------------------------------------------------------------------


def _exclusions(text: str) -> tuple[frozenset[int], str]:
    """« pas le lundi ni le mardi » -> {0, 1}, and the text without it (Duckling would read a day)."""
    excluded: set[int] = set()
    while match := _EXCLUDED.search(text):
        excluded.add(_WEEKDAYS.index(match[1]))
        rest = text[match.end() :]
        while chained := _CHAINED_EXCLUSION.match(rest):
            excluded.add(_WEEKDAYS.index(chained[1]))
            rest = rest[chained.end() :]
        text = text[: match.start()] + " " + rest
    return frozenset(excluded), text


def _weeks(
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
        week = SearchWindow(_midnight(monday, tz), _midnight(monday + timedelta(7), tz))
        windows.append((week, match[0]))
        text = text[: match.start()] + " " + text[match.end() :]
    while match := _WEEK_PART.search(text):
        monday = today - timedelta(days=today.weekday())
        if match[2]:
            monday += timedelta(days=7)
        first = monday + (timedelta(0) if match[1] == "debut" else timedelta(days=3))
        part = SearchWindow(_midnight(first, tz), _midnight(first + timedelta(3), tz))
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


def _unread_marker(text: str, entities: Sequence[dict[str, Any]]) -> str:
    """The kind of the first bound (« à partir de », « avant », « vers ») no entity covers."""
    spans = [(int(e.get("start", 0)), int(e.get("end", 0))) for e in entities]
    for match in _MARKERS.finditer(text):
        if not any(start <= match.start() < end for start, end in spans):
            return match.lastgroup or "from"
    return ""


def _combine(
    days: list[SearchWindow], hours: list[SearchWindow], now: datetime, practice: Practice
) -> SearchWindow | None:
    """The days united, narrowed by every hour constraint; None when they contradict."""
    base = _union(days) if days else None
    if days and base is None:
        return None
    window = base or _open_window(now, practice)
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


def _open_window(now: datetime, practice: Practice) -> SearchWindow:
    return SearchWindow(start=now, end=now + practice.rules.horizon)


def _at(value: dict[str, Any] | None, tz: Any) -> datetime | None:
    return datetime.fromisoformat(value["value"]).astimezone(tz) if value else None


def _midnight(day: date, tz: Any) -> datetime:
    return datetime.combine(day, time(0), tz)


def _entity_window(
    entity: dict[str, Any], now: datetime, practice: Practice, pins_day: bool
) -> SearchWindow | None:
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
            start = _midnight(start.date(), tz)
        if grain in ("minute", "hour", "second"):
            if not pins_day:  # « vers 10h »: 10h on any day
                return SearchWindow(now, horizon_end, around=start.time())
            day = start.date()
            return SearchWindow(
                _midnight(day, tz), _midnight(day + timedelta(days=1), tz), around=start.time()
            )
        if grain == "day":
            return SearchWindow(start, _midnight(start.date() + timedelta(days=1), tz))
        if grain == "week":
            return SearchWindow(start, _midnight(start.date() + timedelta(days=7), tz))
        if grain == "month":
            following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            return SearchWindow(start, _midnight(following.date(), tz))
        return SearchWindow(start, _midnight(start.date().replace(year=start.year + 1), tz))
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
            _midnight(anchor, tz),
            _midnight(anchor + timedelta(days=1), tz),
            daily_from=daily_from,
            daily_to=daily_to,
        )
    return SearchWindow(now, now + practice.rules.horizon, daily_from=daily_from, daily_to=daily_to)


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


def _days(window: SearchWindow, tz: Any) -> list[date]:
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _fits(day: date, window: SearchWindow, practice: Practice) -> bool:
    """Is the practice open on `day` at a time the window allows (ignoring busy time)?"""
    if day.weekday() in window.excluded_weekdays or practice.is_closed(day):
        return False
    tz = practice.tz
    lower = max(window.start, _midnight(day, tz))
    upper = min(window.end, _midnight(day + timedelta(days=1), tz))
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
            start = max(_midnight(day, tz), earliest)
            end = min(_midnight(day + timedelta(days=1), tz), latest)
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
    holiday = practice.holiday_name(day)
    if holiday:
        return holiday
    if day in practice.closed_dates:
        return "fermeture exceptionnelle"
    return ""
