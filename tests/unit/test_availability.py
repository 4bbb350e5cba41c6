"""The availability engine: worked examples, then properties over random inputs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.domain.practice import Practice, load_practice
from clinic.domain.scheduling import Interval, SearchWindow, Slot, find_slots
from tests.conftest import NOW, PARIS


def at(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def window(start: datetime, days: float = 0, **kwargs: object) -> SearchWindow:
    end = start + timedelta(days=days) if days else start.replace(hour=23, minute=59)
    return SearchWindow(start, end, **kwargs)  # type: ignore[arg-type]


def starts(slots: list[Slot]) -> list[str]:
    return [f"{s.start:%a %d %H:%M} {s.practitioner_id}" for s in slots]


def test_first_slot_respects_the_minimum_notice(practice: Practice) -> None:
    slots = find_slots(practice, {}, NOW, window(NOW), "consultation", limit=1)
    assert starts(slots) == ["Mon 30 10:00 dr-martin"]  # now 8:00 + 2 h notice


def test_one_day_is_spread_across_the_day(practice: Practice) -> None:
    day = at(1, 0)
    slots = find_slots(practice, {}, NOW, window(day), "consultation")
    assert starts(slots) == [
        "Tue 01 08:30 dr-martin",
        "Tue 01 09:30 dr-martin",
        "Tue 01 10:30 dr-martin",
    ]


def test_a_wide_window_gives_one_slot_per_day_first(practice: Practice) -> None:
    slots = find_slots(practice, {}, NOW, window(at(1, 0), days=14), "ordonnance")
    assert [s.start.date().day for s in slots] == [1, 2, 3]


def test_holidays_closed_dates_and_sundays_are_never_offered(practice: Practice) -> None:
    # Thursday 24 Dec is a closed date, Friday 25 is Christmas, Sunday 27 is closed.
    slots = find_slots(practice, {}, NOW, window(at(24, 0), days=4), "consultation", limit=10)
    assert {s.start.date() for s in slots} == {date(2026, 12, 26)}
    assert practice.holiday_name(date(2026, 12, 25)) == "Noël"


def test_excluded_weekdays_and_daily_hours(practice: Practice) -> None:
    wide = window(at(1, 0), days=7, excluded_weekdays=frozenset({1, 2}), daily_from=time(17))
    slots = find_slots(practice, {}, NOW, wide, "consultation", limit=10)
    assert slots and all(s.start.weekday() not in (1, 2) for s in slots)
    assert all(s.start.time() >= time(17) for s in slots)


def test_around_ranks_by_distance_to_the_wished_time(practice: Practice) -> None:
    thursday = window(at(3, 0), around=time(10))
    assert starts(find_slots(practice, {}, NOW, thursday, "consultation", limit=1)) == [
        "Thu 03 10:00 dr-martin"
    ]
    assert starts(find_slots(practice, {}, NOW, thursday, "consultation")) == [
        "Thu 03 10:00 dr-martin",  # the wished time first, then by distance, not by clock
        "Thu 03 09:00 dr-martin",
        "Thu 03 11:00 dr-martin",
    ]


@pytest.mark.recette(4)
def test_an_exact_time_comes_first_and_then_the_nearest(practice: Practice) -> None:
    """« le 3 à 15h »: 15h first when free; when taken, the nearest times, by distance."""
    thursday = window(at(3, 0), around=time(15))
    assert starts(find_slots(practice, {}, NOW, thursday, "consultation")) == [
        "Thu 03 15:00 dr-martin",
        "Thu 03 14:00 dr-martin",
        "Thu 03 16:00 dr-martin",
    ]
    taken = {"dr-martin": [Interval(at(3, 14, 50), at(3, 15, 20))]}
    assert starts(find_slots(practice, taken, NOW, thursday, "consultation")) == [
        "Thu 03 14:30 dr-martin",  # 30 min before, 30 min after: the earlier first
        "Thu 03 15:30 dr-martin",
        "Thu 03 16:30 dr-martin",
    ]


def test_reason_and_practitioner_restrictions(practice: Practice) -> None:
    slots = find_slots(practice, {}, NOW, window(at(1, 0), days=7), "suivi-grossesse", limit=10)
    assert {s.practitioner_id for s in slots} == {"dr-martin"}
    benali = find_slots(practice, {}, NOW, window(at(1, 0)), "consultation", "dr-benali")
    assert benali and all(s.start.time() >= time(14) for s in benali)  # Tuesdays: afternoons
    assert find_slots(practice, {}, NOW, window(at(1, 0)), "suivi-grossesse", "dr-benali") == []
    assert find_slots(practice, {}, NOW, window(at(1, 0)), "consultation", "dr-nobody") == []
    with pytest.raises(ValueError, match="unknown visit reason"):
        find_slots(practice, {}, NOW, window(at(1, 0)), "massage")


def test_busy_time_buffer_and_shared_blocks(practice: Practice) -> None:
    busy = {
        "dr-martin": [Interval(at(1, 8, 30), at(1, 12, 30))],
        None: [Interval(at(1, 14), at(1, 15))],  # whole-practice meeting
    }
    slots = find_slots(practice, busy, NOW, window(at(1, 0)), "consultation", "dr-martin")
    assert slots[0].start == at(1, 15)


def test_window_in_the_past_or_beyond_the_horizon_is_empty(practice: Practice) -> None:
    assert find_slots(practice, {}, NOW, window(at(29, 0, month=11)), "consultation") == []
    far = NOW + timedelta(days=61)
    assert find_slots(practice, {}, NOW, window(far, days=3), "consultation") == []


def test_exclude_gives_the_next_ones(practice: Practice) -> None:
    first = find_slots(practice, {}, NOW, window(at(1, 0)), "consultation")
    more = find_slots(
        practice, {}, NOW, window(at(1, 0)), "consultation", exclude=[s.start for s in first]
    )
    assert more and not {s.start for s in first} & {s.start for s in more}
    # « autres créneaux » means other times, not the same ones 15 minutes later
    assert all(abs(m.start - f.start) >= timedelta(minutes=60) for m in more for f in first)


# -- daylight saving -------------------------------------------------------------------------

NIGHT_OWL = """
practice: {name: Nuit, address: Ici, phone: "01", timezone: Europe/Paris}
opening_hours: {dimanche: [0h00-4h00]}
practitioners: [{id: dr-nuit, name: Dr Nuit}]
reasons:
  - {id: court, label: Court, duration_minutes: 15}
  - {id: long, label: Long, duration_minutes: 60}
booking: {slot_step_minutes: 15, min_notice_minutes: 0, public_holidays: false, horizon_days: 400}
"""


@pytest.fixture
def night_owl(tmp_path: Path) -> Practice:
    path = tmp_path / "practice.yml"
    path.write_text(NIGHT_OWL)
    return load_practice(path)


@pytest.mark.parametrize("reason", ["court", "long"])
def test_spring_forward_skips_the_missing_hour(night_owl: Practice, reason: str) -> None:
    day = datetime(2027, 3, 28, tzinfo=PARIS)  # 02:00 -> 03:00
    slots = find_slots(night_owl, {}, NOW, window(day), reason, limit=50)
    duration = night_owl.reason(reason).duration
    assert slots
    for slot in slots:
        assert slot.end - slot.start == duration
        assert not time(2) <= slot.start.time() < time(3)
        assert slot.start.utcoffset() == slot.end.utcoffset()  # no slot spans the change


@pytest.mark.parametrize("reason", ["court", "long"])
def test_fall_back_never_offers_a_slot_across_the_repeated_hour(
    night_owl: Practice, reason: str
) -> None:
    now = datetime(2026, 10, 1, tzinfo=PARIS)
    day = datetime(2026, 10, 25, tzinfo=PARIS)  # 03:00 -> 02:00
    slots = find_slots(night_owl, {}, now, window(day), reason, limit=50)
    assert slots
    for slot in slots:
        assert slot.end - slot.start == night_owl.reason(reason).duration
        assert slot.start.utcoffset() == slot.end.utcoffset()
    assert len({s.start for s in slots}) == len(slots)


# -- properties ------------------------------------------------------------------------------


def _valid(
    practice: Practice, slot: Slot, busy: dict, now: datetime, win: SearchWindow, reason: str
) -> None:
    """Every rule a slot must satisfy, checked independently of the engine's code."""
    rules = practice.rules
    local_start, local_end = slot.start.astimezone(PARIS), slot.end.astimezone(PARIS)
    assert slot.end - slot.start == practice.reason(reason).duration
    assert slot.start >= now + rules.min_notice and slot.start >= now
    assert slot.start < now + rules.horizon
    assert win.start <= slot.start < win.end
    assert not practice.is_closed(local_start.date())
    assert local_start.weekday() not in win.excluded_weekdays
    assert win.daily_from is None or local_start.time() >= win.daily_from
    assert win.daily_to is None or local_start.time() < win.daily_to
    assert slot.practitioner_id in practice.reason(reason).practitioners
    ranges = practice.practitioner(slot.practitioner_id).hours.get(local_start.weekday(), ())
    assert any(r.start <= local_start.time() and local_end.time() <= r.end for r in ranges)
    assert local_start.date() == local_end.date()
    for interval in [*busy.get(slot.practitioner_id, []), *busy.get(None, [])]:
        assert interval.end <= slot.start or interval.start >= slot.end + rules.buffer


def _brute_force_count(
    practice: Practice, busy: dict, now: datetime, win: SearchWindow, reason: str
) -> int:
    """Distinct free start instants, enumerated naively from the rules."""
    visit = practice.reason(reason)
    found = set()
    day = win.start.astimezone(PARIS).date() - timedelta(days=1)
    while day <= win.end.astimezone(PARIS).date():
        for pid in visit.practitioners:
            for r in practice.practitioner(pid).hours.get(day.weekday(), ()):
                wall = datetime.combine(day, r.start)
                while wall + visit.duration <= datetime.combine(day, r.end):
                    start = wall.replace(tzinfo=PARIS)
                    end = (wall + visit.duration).replace(tzinfo=PARIS)
                    wall += practice.rules.slot_step
                    exists = start.astimezone(timezone.utc).astimezone(PARIS).replace(
                        tzinfo=None
                    ) == start.replace(tzinfo=None)
                    if not exists or start.astimezone(
                        timezone.utc
                    ) + visit.duration != end.astimezone(timezone.utc):
                        continue
                    try:
                        _valid(practice, Slot(start, end, pid), busy, now, win, reason)
                    except AssertionError:
                        continue
                    found.add(start.astimezone(timezone.utc))
        day += timedelta(days=1)
    return len(found)


@st.composite
def scenarios(draw: st.DrawFn, practice: Practice) -> tuple:
    now = NOW + timedelta(minutes=5 * draw(st.integers(0, 12 * 24 * 20)))
    start = now + timedelta(minutes=15 * draw(st.integers(-100, 96 * 10)))
    win = SearchWindow(
        start,
        start + timedelta(hours=draw(st.integers(1, 24 * 6))),
        daily_from=draw(st.sampled_from([None, time(9), time(14)])),
        daily_to=draw(st.sampled_from([None, time(12), time(18)])),
        around=draw(st.sampled_from([None, time(10), time(16, 30)])),
        excluded_weekdays=frozenset(draw(st.sets(st.integers(0, 6), max_size=3))),
    )
    pids = [None, *(p.id for p in practice.practitioners)]
    busy: dict = {}
    for _ in range(draw(st.integers(0, 30))):
        b_start = start + timedelta(minutes=5 * draw(st.integers(-50, 12 * 24 * 6)))
        b_end = b_start + timedelta(minutes=5 * draw(st.integers(1, 40)))
        busy.setdefault(draw(st.sampled_from(pids)), []).append(Interval(b_start, b_end))
    reason = draw(st.sampled_from([r.id for r in practice.reasons]))
    limit = draw(st.integers(1, 6))
    return now, win, busy, reason, limit


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_offered_slot_obeys_every_rule(practice: Practice, data: st.DataObject) -> None:
    now, win, busy, reason, limit = data.draw(scenarios(practice))
    slots = find_slots(practice, busy, now, win, reason, limit=limit)
    assert len(slots) <= limit
    if win.around is None:
        assert slots == sorted(slots)
    else:  # day by day, nearest to the wished time first
        target = win.around.hour * 60 + win.around.minute
        keys = [
            (
                s.start.astimezone(PARIS).date(),
                abs(
                    s.start.astimezone(PARIS).hour * 60 + s.start.astimezone(PARIS).minute - target
                ),
            )
            for s in slots
        ]
        assert keys == sorted(keys)
    assert len({s.start for s in slots}) == len(slots)
    for slot in slots:
        _valid(practice, slot, busy, now, win, reason)
    if len(slots) < limit:  # nothing was left out
        assert len(slots) == _brute_force_count(practice, busy, now, win, reason)


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(0, 60 * 24 * 30), busy_minutes=st.integers(5, 600))
def test_a_booked_slot_is_never_offered_again(
    practice: Practice, offset: int, busy_minutes: int
) -> None:
    now = NOW + timedelta(minutes=offset)
    win = SearchWindow(now, now + timedelta(days=5))
    first = find_slots(practice, {}, now, win, "consultation", limit=3)
    busy = {s.practitioner_id: [Interval(s.start, s.end)] for s in first[:1]}
    again = find_slots(practice, busy, now, win, "consultation", limit=3)
    for slot in again:
        if first and slot.practitioner_id == first[0].practitioner_id:
            assert slot.end <= first[0].start or slot.start >= first[0].end
