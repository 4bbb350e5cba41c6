"""The time-wish table: fresh patient phrasings -> the search window, or a targeted question.

Written for issue 22 (not copied from the training data). Each wish either maps to the window a
receptionist would search, or to a question naming what was not understood: none is silently
widened to « le plus tôt possible ». The clock is Monday 30 November 2026, 08:00 (tests.conftest);
the fixture practice reopens at 14h, so « l'après-midi » starts at 14h.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from clinic.domain.timeexpr import Parse, complete, read, understand
from tests.conftest import NOW, PARIS


def D(month: int, number: int) -> date:  # noqa: N802 - reads as a date in the table
    return date(2026 if month > 6 else 2027, month, number)


def days(first: date, last: date | None = None, **kwargs: Any) -> SearchWindow:
    """Whole days first..last (inclusive), with daily constraints."""
    end = (last or first) + timedelta(days=1)
    return SearchWindow(
        datetime.combine(first, time(0), PARIS), datetime.combine(end, time(0), PARIS), **kwargs
    )


def anyday(**kwargs: Any) -> SearchWindow:
    """From now to the 60-day horizon."""
    return SearchWindow(NOW, NOW + timedelta(days=60), **kwargs)


def since(first: date) -> SearchWindow:
    return SearchWindow(datetime.combine(first, time(0), PARIS), NOW + timedelta(days=60))


def until(last: date) -> SearchWindow:
    return SearchWindow(NOW, datetime.combine(last, time(0), PARIS))


MON, TUE, WED, THU, FRI, SAT = (D(11, 30) + timedelta(days=i) for i in range(6))
NEXT_MON = D(12, 7)
ASAP = "asap"

WINDOWS: list[tuple[str, SearchWindow | str]] = [
    # days
    ("mercredi", days(WED)),
    ("le 22", days(D(12, 22))),
    ("le 9 décembre", days(D(12, 9))),
    ("lundi en huit", days(NEXT_MON)),
    ("dans 15 jours", days(D(12, 15))),
    ("dans 3 semaines", days(D(12, 21))),
    ("après-demain", days(WED)),
    ("dem1", days(TUE)),
    ("la semaine du 14", days(D(12, 14), D(12, 20))),
    ("semaine du 4 janvier", days(D(1, 4), D(1, 10))),
    ("la semaine prochaine", days(NEXT_MON, D(12, 13))),
    ("en début de semaine prochaine", days(NEXT_MON, D(12, 9))),
    ("fin de semaine prochaine", days(D(12, 10), D(12, 12))),
    ("entre le 7 et le 10", days(NEXT_MON, D(12, 10))),
    ("mardi ou mercredi", days(TUE, WED)),
    # parts of the day
    ("jeudi aprem", days(THU, daily_from=time(14), daily_to=time(18))),
    ("vendredi en début d'après-midi", days(FRI, daily_from=time(14), daily_to=time(16))),
    ("cet aprem", days(MON, daily_from=time(14), daily_to=time(18))),
    ("demain mat", days(TUE, daily_to=time(12))),
    ("jeudi en fin d'après-midi", days(THU, daily_from=time(17), daily_to=time(19))),
    ("le matin de préférence", anyday(daily_to=time(12))),
    ("plutôt l'après-midi", anyday(daily_from=time(14), daily_to=time(18))),
    ("demain en fin de matinée", days(TUE, daily_from=time(10), daily_to=time(12))),
    ("en soirée", anyday(daily_from=time(18))),
    ("mercredi ou jeudi matin", days(WED, THU, daily_to=time(12))),
    # bounds
    ("samedi pas avant 10h", days(SAT, daily_from=time(10))),
    ("samedi, pas avant 10 h svp", days(SAT, daily_from=time(10))),
    ("jeudi à partir de 15h", days(THU, daily_from=time(15))),
    ("mardi après 16h30", days(TUE, daily_from=time(16, 30))),
    ("lundi 7 avant 11h", days(NEXT_MON, daily_to=time(11))),
    ("pas après 11h", anyday(daily_to=time(11))),
    ("pas avant 17h", anyday(daily_from=time(17))),
    ("dès 9h", anyday(daily_from=time(9))),
    ("au plus tard 10h mardi", days(TUE, daily_to=time(10))),
    ("mercredi pas plus tard que 10h", days(WED, daily_to=time(10))),
    ("jeudi entre 15h et 17h", days(THU, daily_from=time(15), daily_to=time(17))),
    ("vendredi de 9h à 11h", days(FRI, daily_from=time(9), daily_to=time(11))),
    ("à partir du 10", since(D(12, 10))),
    ("pas avant le 15", since(D(12, 15))),
    ("avant le 10", until(D(12, 10))),
    ("jeudi ou vendredi après 17h", days(THU, FRI, daily_from=time(17))),
    ("mardi pas après midi", days(TUE, daily_to=time(12))),
    ("le matin mardi", days(TUE, daily_to=time(12))),
    # an exact time
    ("le 22 à 15h", days(D(12, 22), around=time(15))),
    ("mardi 15h30", days(TUE, around=time(15, 30))),
    ("jeudi à 9 heures", days(THU, around=time(9))),
    ("vers 10h", anyday(around=time(10))),
    ("demain midi", days(TUE, around=time(12))),
    ("le 3 décembre vers 9h", days(THU, around=time(9))),
    ("10h mardi", days(TUE, around=time(10))),
    # exclusions
    ("sauf le mercredi", anyday(excluded_weekdays=frozenset({2}))),
    (
        "la semaine prochaine sauf lundi",
        days(NEXT_MON, D(12, 13), excluded_weekdays=frozenset({0})),
    ),
    ("pas le lundi ni le mardi", anyday(excluded_weekdays=frozenset({0, 1}))),
    ("n'importe quel jour sauf samedi", anyday(excluded_weekdays=frozenset({5}))),
    # as soon as possible
    ("le plus tôt possible", ASAP),
    ("dès que possible", ASAP),
    ("au plus vite svp", ASAP),
    ("la première dispo", ASAP),
    ("quand vous pouvez", ASAP),
]

#: Wishes with a part that could not be read: the question names it, nothing is guessed.
QUESTIONS: list[tuple[str, str]] = [
    ("samedi pas avant le déjeuner", "à partir de quelle heure samedi 5 décembre"),
    ("jeudi après l'école", "à partir de quelle heure jeudi 3 décembre"),
    ("mardi avant la fermeture de la crèche", "avant quelle heure demain"),
    ("vendredi vers l'heure du goûter", "vers quelle heure vendredi 4 décembre"),
    ("avant mes vacances", "quel jour et à quelle heure"),
    ("lundi matin ou mardi après 17h", "quel jour et à quelle heure"),
    ("après 17h mais avant 10h", "quel jour et à quelle heure"),
    ("la semaine du 14 après le boulot", "à partir de quelle heure"),
]


@pytest.mark.recette(5, 7)
@pytest.mark.parametrize(("text", "expected"), WINDOWS, ids=[t for t, _ in WINDOWS])
def test_a_wish_maps_to_its_window(
    text: str, expected: SearchWindow | str, parse: Parse, practice: Practice
) -> None:
    request = read(text, NOW, parse, practice)
    assert not request.unclear
    if expected == ASAP:
        assert request.asap
        assert request.window == anyday()
    else:
        assert request.window == expected


@pytest.mark.parametrize(("text", "question"), QUESTIONS, ids=[t for t, _ in QUESTIONS])
def test_an_unreadable_bound_gets_a_targeted_question(
    text: str, question: str, parse: Parse, practice: Practice
) -> None:
    answer = understand(text, NOW, parse, practice)
    assert (answer.problem, answer.window, answer.detail) == ("unclear", None, question)


def test_the_table_is_large_enough() -> None:
    assert len(WINDOWS) + len(QUESTIONS) >= 60


@pytest.mark.parametrize(
    ("wish", "reply", "expected"),
    [
        ("samedi pas avant le déjeuner", "11h", days(SAT, daily_from=time(11))),
        ("samedi pas avant le déjeuner", "après 10h30", days(SAT, daily_from=time(10, 30))),
        ("jeudi avant la sortie de l'école", "16h", days(THU, daily_to=time(16))),
        ("jeudi après l'école", "plutôt vendredi 17h", days(FRI, around=time(17))),
    ],
)
def test_the_reply_to_the_question_completes_the_wish(
    wish: str, reply: str, expected: SearchWindow, parse: Parse, practice: Practice
) -> None:
    pending = understand(wish, NOW, parse, practice).pending
    assert pending is not None
    assert read(complete(pending, reply), NOW, parse, practice).window == expected


def test_nothing_to_read_is_not_understood(parse: Parse, practice: Practice) -> None:
    assert understand("euh je sais pas trop", NOW, parse, practice).problem == "not_understood"
