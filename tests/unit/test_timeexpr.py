"""Time expressions against the real Duckling engine, with a fixed reference clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from clinic.domain.timeexpr import (
    Parse,
    check,
    describe,
    normalise,
    read,
    understand,
    window_from_dict,
    window_to_dict,
)
from tests.conftest import NOW, PARIS


def day_window(day: date, **kwargs: Any) -> SearchWindow:
    start = datetime.combine(day, time(0), PARIS)
    return SearchWindow(start, datetime.combine(day + timedelta(days=1), time(0), PARIS), **kwargs)


MONDAY = NOW.date()  # Monday 30 November 2026, 08:00
TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + timedelta(days=i) for i in (1, 2, 3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jeudi aprem", "jeudi après-midi"),
        ("dem1 ap-midi", "demain après-midi"),
        ("Jeu 14h", "jeudi 14h"),
        ("cet APREM", "cet après-midi"),
        ("sem pro", "semaine prochaine"),
        ("auj", "aujourd'hui"),
        ("demain mat", "demain matin"),
        ("apres 17h", "après 17h"),
    ],
)
def test_slang_is_rewritten_before_duckling(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("demain", day_window(TUESDAY)),
        ("dem1", day_window(TUESDAY)),
        ("jeudi aprem", day_window(THURSDAY, daily_from=time(14), daily_to=time(18))),
        ("jeudi ap-midi", day_window(THURSDAY, daily_from=time(14), daily_to=time(18))),
        ("jeudi après-midi", day_window(THURSDAY, daily_from=time(14), daily_to=time(18))),
        ("mardi vers 10h", day_window(TUESDAY, around=time(10))),
        ("demain matin", day_window(TUESDAY, daily_to=time(12))),
        ("mardi entre 14h et 16h", day_window(TUESDAY, daily_from=time(14), daily_to=time(16))),
        ("jeudi après 17h", day_window(THURSDAY, daily_from=time(17))),
        (
            "la semaine prochaine",
            SearchWindow(datetime(2026, 12, 7, tzinfo=PARIS), datetime(2026, 12, 14, tzinfo=PARIS)),
        ),
        (
            "du lundi au mercredi",  # Duckling: [Mon, Thu) in days
            SearchWindow(NOW.replace(hour=0), datetime(2026, 12, 3, tzinfo=PARIS)),
        ),
    ],
)
def test_days_and_parts_of_day(
    text: str, window: SearchWindow, parse: Parse, practice: Practice
) -> None:
    assert read(text, NOW, parse, practice).window == window


def test_a_time_without_a_day_is_a_preference_for_every_day(
    parse: Parse, practice: Practice
) -> None:
    horizon = NOW + practice.rules.horizon
    assert read("après 17h", NOW, parse, practice).window == SearchWindow(
        NOW, horizon, daily_from=time(17)
    )
    assert read("plutôt le matin", NOW, parse, practice).window == SearchWindow(
        NOW, horizon, daily_to=time(12)
    )
    assert read("vers 10h", NOW, parse, practice).window == SearchWindow(
        NOW, horizon, around=time(10)
    )


@pytest.mark.parametrize(
    "text", ["le plus tôt possible", "au plus vite svp", "n'importe quand", "asap"]
)
def test_as_soon_as_possible_is_the_whole_horizon(
    text: str, parse: Parse, practice: Practice
) -> None:
    request = read(text, NOW, parse, practice)
    assert request.asap
    assert request.window == SearchWindow(NOW, NOW + practice.rules.horizon)


def test_excluded_weekdays_are_read_and_not_taken_for_a_wish(
    parse: Parse, practice: Practice
) -> None:
    request = read("la semaine prochaine mais pas le lundi ni le mercredi", NOW, parse, practice)
    assert request.excluded_weekdays == {0, 2}
    assert request.window is not None
    assert request.window.start == datetime(2026, 12, 7, tzinfo=PARIS)
    only = read("n'importe quand sauf le vendredi", NOW, parse, practice)
    assert only.excluded_weekdays == {4} and only.asap


def test_nothing_understood(parse: Parse, practice: Practice) -> None:
    answer = understand("euh je sais pas trop", NOW, parse, practice)
    assert answer.problem == "not_understood" and answer.window is None


def test_a_bookable_wish_is_clipped_to_the_notice(parse: Parse, practice: Practice) -> None:
    answer = understand("ce matin", NOW, parse, practice)  # 08:00 + 2 h notice
    assert answer.problem is None
    assert answer.window == SearchWindow(
        NOW + timedelta(hours=2), datetime(2026, 12, 1, tzinfo=PARIS), daily_to=time(12)
    )


def test_past_gets_the_nearest_bookable_day(parse: Parse, practice: Practice) -> None:
    answer = understand("hier", NOW, parse, practice)
    assert answer.problem == "past"
    assert answer.requested == date(2026, 11, 29)
    assert answer.window is not None and answer.window.start == NOW + timedelta(hours=2)


def test_too_soon(parse: Parse, practice: Practice) -> None:
    # « à 9h » with no day is 9h on any day: bookable from the end of the notice on
    answer = understand("à 9h", NOW, parse, practice)
    assert answer.problem is None and answer.window is not None
    assert answer.window.around == time(9) and answer.window.start == NOW + timedelta(hours=2)
    soon = check(SearchWindow(NOW, NOW + timedelta(hours=1)), NOW, practice)
    assert soon.problem == "too_soon" and soon.window is not None


def test_closed_weekday_offers_the_nearest_open_day(parse: Parse, practice: Practice) -> None:
    answer = understand("dimanche", NOW, parse, practice)
    assert answer.problem == "closed" and answer.requested == date(2026, 12, 6)
    assert answer.window is not None and answer.window.start.date() == date(2026, 12, 7)


def test_closed_half_day_keeps_the_time_of_day(parse: Parse, practice: Practice) -> None:
    # Saturdays are 9h-12h: Friday afternoon is the closest afternoon.
    answer = understand("samedi aprem", NOW, parse, practice)
    assert answer.problem == "closed"
    friday = MONDAY + timedelta(days=4)
    assert answer.window == day_window(friday, daily_from=time(14), daily_to=time(18))
    # Wednesdays are 8h30-12h30: « après 14h » that day cannot be served; Thursday can.
    late = understand("mercredi après 14h", NOW, parse, practice)
    assert late.problem == "closed"
    assert late.window == day_window(THURSDAY, daily_from=time(14))


def test_public_holiday_is_named(parse: Parse, practice: Practice) -> None:
    answer = understand("le 25 décembre", NOW, parse, practice)
    assert answer.problem == "closed" and answer.detail == "Noël"
    assert answer.window is not None and answer.window.start.date() == date(2026, 12, 26)
    closed = understand("le 24 décembre", NOW, parse, practice)
    assert closed.detail == "fermeture exceptionnelle"


def test_beyond_the_horizon_gets_the_last_bookable_days(parse: Parse, practice: Practice) -> None:
    answer = understand("en mars", NOW, parse, practice)
    assert answer.problem == "beyond_horizon"
    assert answer.window is not None
    assert answer.window.start.date() >= date(2027, 1, 27)
    assert answer.window.end <= NOW + practice.rules.horizon


def test_window_round_trips_through_a_slot(parse: Parse, practice: Practice) -> None:
    window = read("jeudi aprem sauf lundi", NOW, parse, practice).window
    assert window is not None
    assert window_from_dict(window_to_dict(window)) == window


def test_describe() -> None:
    today = MONDAY
    assert describe(day_window(THURSDAY, daily_from=time(12)), today, PARIS) == (
        "jeudi 3 décembre après-midi"
    )
    assert describe(day_window(TUESDAY, around=time(10)), today, PARIS) == "demain vers 10h"
    assert describe(
        SearchWindow(NOW, NOW + timedelta(days=60), daily_to=time(12)), today, PARIS
    ) == ("à partir d'aujourd'hui le matin")


# -- daylight saving: the window is in wall-clock days, whatever the offset --------------------


def test_spring_forward_week(parse: Parse, practice: Practice) -> None:
    saturday = datetime(2027, 3, 27, 10, 0, tzinfo=PARIS)  # clocks go forward Sunday 28 at 2h
    window = read("la semaine prochaine", saturday, parse, practice).window
    assert window is not None
    assert window.start == datetime(2027, 3, 29, tzinfo=PARIS)
    assert window.start.utcoffset() == timedelta(hours=2)
    monday = read("lundi 9h", saturday, parse, practice).window
    assert monday == day_window(date(2027, 3, 29), around=time(9))
    easter_monday = understand("lundi 9h", saturday, parse, practice)
    assert easter_monday.problem == "closed" and easter_monday.detail == "Lundi de Pâques"
    answer = understand("demain", saturday, parse, practice)  # Easter Sunday, then Easter Monday
    assert answer.problem == "closed"
    assert answer.window == day_window(date(2027, 3, 30), around=None)
    assert answer.window.end - answer.window.start == timedelta(days=1)


def test_fall_back_day(parse: Parse, practice: Practice) -> None:
    night = datetime(2026, 10, 25, 1, 30, tzinfo=PARIS)  # Sunday, before the 3h -> 2h change
    window = read("demain matin", night, parse, practice).window
    assert window == day_window(date(2026, 10, 26), daily_to=time(12))
    assert window is not None and window.start.utcoffset() == timedelta(hours=1)
    sunday = read("aujourd'hui", night, parse, practice).window
    assert sunday is not None
    assert sunday.end.astimezone(timezone.utc) - sunday.start.astimezone(timezone.utc) == timedelta(
        hours=25
    )
