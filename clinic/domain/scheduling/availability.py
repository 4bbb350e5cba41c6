"""The availability engine: free slots as a pure function of configuration, busy time and a clock.

Pure on purpose: it is the part with the most rules (opening hours per practitioner, notice,
horizon, holidays, buffers, daylight-saving days), so it is tested by properties over random
inputs, and every backend (local database, Google Calendar) only has to supply busy intervals.
All arithmetic runs on UTC epoch seconds; wall-clock times exist only at the edges.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from clinic.domain.practice import Practice, TimeRange
from clinic.domain.scheduling.window import SearchWindow

#: Slots offered on one day are kept at least this far apart when the day has room for it,
#: so « 9h00, 9h15, 9h30 » becomes « 9h00, 10h00, 11h00 »: a real choice on a phone screen.
SPREAD = timedelta(minutes=60)


class Interval(NamedTuple):
    """Busy time [start, end), aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime
    end: datetime
    practitioner_id: str


class _Busy:
    """Merged busy intervals of one practitioner, as epoch seconds, for O(log n) lookups."""

    def __init__(self, intervals: Iterable[Interval], lower: datetime, upper: datetime) -> None:
        """Keep only intervals touching [lower, upper): a 60-day busy list costs nothing then."""
        merged: list[list[int]] = []
        relevant = ((i.start, i.end) for i in intervals if i.end > lower and i.start < upper)
        for start, end in sorted((_ts(s), _ts(e)) for s, e in relevant):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def is_free(self, start: int, end: int) -> bool:
        index = bisect_right(self.ends, start)
        return index == len(self.starts) or self.starts[index] >= end


@dataclass(frozen=True)
class _Scan:
    """One search's fixed terms, as epoch seconds (instants) and wall seconds (times of day)."""

    ids: list[str]
    earliest: int
    latest: int
    duration: int
    hold: int  # the slot plus the practice's buffer: what must be free
    step: int
    skipped: set[int]
    daily_from: int
    daily_to: int


class _Index:
    """Busy time indexed only as far as the scan goes (it usually stops within days), growing ×4,
    so a 60-day busy list costs nothing when the first free slots are this week."""

    def __init__(
        self, busy: Mapping[str | None, Sequence[Interval]], ids: list[str], earliest: int, end: int
    ) -> None:
        """`end` is the last instant a slot's hold may reach (the search's end plus the hold)."""
        self._busy = busy
        self._ids = ids
        self._shared = busy.get(None, ())
        self._lower = datetime.fromtimestamp(earliest, timezone.utc)
        self._earliest = earliest
        self._end = end
        self._span = 3 * 86_400
        self._until = min(end, earliest + self._span)
        self._by_id = self._build()

    def _build(self) -> dict[str, _Busy]:
        bound = datetime.fromtimestamp(self._until, timezone.utc)
        return {
            pid: _Busy([*self._busy.get(pid, ()), *self._shared], self._lower, bound)
            for pid in self._ids
        }

    def until(self, upper: int) -> dict[str, _Busy]:
        """Each practitioner's busy time, indexed at least up to `upper` (capped at the end)."""
        while self._until < min(upper, self._end):
            self._span *= 4
            self._until = min(self._end, self._earliest + self._span)
            self._by_id = self._build()
        return self._by_id


def find_slots(
    practice: Practice,
    busy: Mapping[str | None, Sequence[Interval]],
    now: datetime,
    window: SearchWindow,
    reason_id: str,
    practitioner_id: str | None = None,
    limit: int = 3,
    exclude: Collection[datetime] = (),
) -> list[Slot]:
    """Up to `limit` free slots for `reason_id` in `window`: in chronological order, or, when the
    window has a wished time (`around`), day by day, nearest to that time first.

    `busy` maps a practitioner id to their busy intervals; the key None holds intervals that
    block everyone (a practice-wide closure). Appointments should be given with their buffer
    already added. A wide window is spread across days (one slot per day first); one day's slots
    are spread across the day. Slots starting at an instant in `exclude` (already offered) are
    skipped, and new ones are kept SPREAD away from them when the day has room. An unknown reason gives a ValueError; an unknown practitioner gives no slot.
    """
    reason = practice.find_reason(reason_id)
    if reason is None:
        raise ValueError(f"unknown visit reason: {reason_id!r}")
    ids = [p for p in reason.practitioners if practitioner_id in (None, p)]
    tz = practice.tz
    rules = practice.rules
    earliest = _ts(max(window.start, now + rules.min_notice))
    latest = _ts(min(window.end, now + rules.horizon))
    if earliest >= latest or not ids or limit <= 0:
        return []
    duration = int(reason.duration.total_seconds())
    hold = duration + int(rules.buffer.total_seconds())
    index = _Index(busy, ids, earliest, latest + hold)
    scan = _Scan(
        ids=ids,
        earliest=earliest,
        latest=latest,
        duration=duration,
        hold=hold,
        step=int(rules.slot_step.total_seconds()),
        skipped={_ts(e) for e in exclude},
        daily_from=_seconds(window.daily_from) if window.daily_from else 0,
        daily_to=_seconds(window.daily_to) if window.daily_to else 86_400,
    )
    days = _scan_days(practice, window, scan, index, limit)
    picked = _pick(days, limit, scan.skipped)
    slots = sorted(Slot(_dt(start, tz), _dt(start + duration, tz), pid) for start, pid in picked)
    return _nearest_first(slots, window.around, tz)


def _scan_days(
    practice: Practice, window: SearchWindow, scan: _Scan, index: _Index, limit: int
) -> list[list[tuple[int, str]]]:
    """Each open day's free slots, ranked, day after day until `limit` days have some."""
    tz = practice.tz
    days: list[list[tuple[int, str]]] = []
    day = _local_date(scan.earliest, tz)
    last_day = _local_date(scan.latest - 1, tz)
    while day <= last_day and len(days) < limit:
        day_end = int(datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).timestamp())
        busy = index.until(day_end + scan.hold)
        if day.weekday() not in window.excluded_weekdays and not practice.is_closed(day):
            found = _free_on(practice, day, scan, busy)
            if found:
                days.append(_rank(found, window.around))
        day += timedelta(days=1)
    return days


def _free_on(
    practice: Practice, day: date, scan: _Scan, busy: Mapping[str, _Busy]
) -> dict[int, tuple[int, str]]:
    """Free starts on `day` -> (wall seconds, practitioner); a start two practitioners share
    goes to the first listed for the reason."""
    tz = practice.tz
    found: dict[int, tuple[int, str]] = {}
    for pid in scan.ids:
        for opening in practice.practitioner(pid).hours.get(day.weekday(), ()):
            for start, wall in _starts(day, opening, scan.step, scan.duration, tz):
                if (
                    start in found
                    or not scan.earliest <= start < scan.latest
                    or not scan.daily_from <= wall < scan.daily_to
                    or start in scan.skipped
                    or not busy[pid].is_free(start, start + scan.hold)
                ):
                    continue
                found[start] = (wall, pid)
    return found


def _nearest_first(slots: list[Slot], around: time | None, tz: ZoneInfo) -> list[Slot]:
    """« le 22 à 15h »: the wished time first when free, then the nearest, day by day."""
    if around is None:
        return slots
    target = _seconds(around)
    return sorted(
        slots,
        key=lambda s: (
            s.start.astimezone(tz).date(),
            abs(_seconds(s.start.astimezone(tz).time()) - target),
            s.start,
        ),
    )


def _starts(
    day: date, opening: TimeRange, step: int, duration: int, tz: ZoneInfo
) -> Iterable[tuple[int, int]]:
    """(epoch start, wall seconds of day) of each slot fitting in `opening` on `day`.

    On an ordinary day the offset is constant, so epochs are plain sums. On a clock-change day
    each slot is converted: a wall time that does not exist (the spring-forward gap) or a slot
    whose real length differs from its wall length (it spans the change) is skipped.
    """
    first, stop = _seconds(opening.start), _seconds(opening.end)
    midnight = _uniform_midnight(day, tz)
    for wall in range(first, stop - duration + 1, step):
        if midnight is not None:
            yield midnight + wall, wall
            continue
        start = _wall_ts(day, wall, tz)
        end = _wall_ts(day, wall + duration, tz)
        if start is not None and end is not None and end - start == duration:
            yield start, wall


def _uniform_midnight(day: date, tz: ZoneInfo) -> int | None:
    """Epoch of local midnight if `day` has no clock change, else None."""
    morning = datetime.combine(day, time(), tzinfo=tz)
    evening = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    if morning.utcoffset() != evening.utcoffset() or _wall_ts(day, 0, tz) is None:
        return None
    return int(morning.timestamp())


def _rank(found: Mapping[int, tuple[int, str]], around: time | None) -> list[tuple[int, str]]:
    """One day's (start, practitioner), best first: chronological, or closest to `around`."""
    if around is None:
        order = sorted(found)
    else:
        target = _seconds(around)
        order = sorted(found, key=lambda s: (abs(found[s][0] - target), s))
    return [(start, found[start][1]) for start in order]


def _pick(
    days: list[list[tuple[int, str]]], limit: int, shown: Collection[int]
) -> list[tuple[int, str]]:
    """Round-robin over days (best slot of each day first), each day in spread order."""
    queues = [_spread(ranked, limit, shown) for ranked in days]
    picked: list[tuple[int, str]] = []
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def _spread(
    ranked: list[tuple[int, str]], limit: int, shown: Collection[int]
) -> list[tuple[int, str]]:
    """Ranked slots reordered so the first ones (up to `limit`) are at least SPREAD apart, from
    each other and from slots already shown (« autres créneaux » must not mean « 15 min later »)."""
    gap = int(SPREAD.total_seconds())
    apart: list[tuple[int, str]] = []
    rest: list[tuple[int, str]] = []
    for item in ranked:
        taken = [other[0] for other in apart] + [s for s in shown if abs(s - item[0]) < 86_400]
        if len(apart) < limit and all(abs(item[0] - other) >= gap for other in taken):
            apart.append(item)
        else:
            rest.append(item)
    return apart + rest


def _ts(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the availability engine")
    return int(moment.timestamp())


def _dt(epoch: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(epoch, tz)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _local_date(epoch: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(epoch, tz).date()


def _wall_ts(day: date, seconds: int, tz: ZoneInfo) -> int | None:
    """Epoch of wall time `seconds` after midnight on `day`, or None if the clock skips it."""
    naive = datetime.combine(day, time()) + timedelta(seconds=seconds)
    aware = naive.replace(tzinfo=tz)
    epoch = int(aware.timestamp())
    if datetime.fromtimestamp(epoch, tz).replace(tzinfo=None) != naive:
        return None
    return epoch
