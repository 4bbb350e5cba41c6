"""Which offered slot the patient means (clinic/domain/choice.py), in the words patients use."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.domain.choice import chosen_index
from clinic.domain.scheduling import Slot

PARIS = ZoneInfo("Europe/Paris")
STARTS = [datetime(2026, 12, 3, h, m, tzinfo=PARIS) for h, m in ((10, 30), (14, 0), (16, 15))]
OFFERED = [Slot(s, s + timedelta(minutes=15), "dr-martin") for s in STARTS]


@pytest.mark.parametrize(
    ("choice", "text", "expected"),
    [
        ("2", '/choose_slot{"slot_choice": "2"}', 1),  # a button
        ("", "le deuxième svp", 1),
        ("", "Le 1er", 0),
        ("", "le dernier", 2),
        ("", "celui de 10h30", 0),
        ("", "16 h 15 c'est parfait", 2),
        ("", "à 14h", 1),
        ("", "un créneau plus tard", None),  # « un » is an article, not « the first »
        ("", "le septième", None),
        ("", "celui de 9h", None),  # not offered: the conversation looks around 9h instead
        ("", "", None),
    ],
)
def test_chosen_index(choice: str, text: str, expected: int | None) -> None:
    assert chosen_index(OFFERED, choice, text, PARIS) == expected


def test_an_hour_offered_twice_is_not_a_choice() -> None:
    twice = [*OFFERED, Slot(STARTS[0], STARTS[0] + timedelta(minutes=15), "dr-petit")]
    assert chosen_index(twice, "", "celui de 10h30", PARIS) is None
    assert chosen_index([], "1", "le premier", PARIS) is None


def test_a_button_is_bound_to_its_offer() -> None:
    from clinic.domain.choice import bound_choice, stale

    later = [
        Slot(s + timedelta(days=1), s + timedelta(days=1, minutes=15), "dr-martin") for s in STARTS
    ]
    button = bound_choice(2, OFFERED)
    assert not stale(button, OFFERED) and chosen_index(OFFERED, button, "/choose_slot", PARIS) == 1
    assert stale(button, later)  # « 2 » of yesterday's list is not « 2 » of today's
    assert not stale("2", later) and not stale("", later)  # typed answers carry no offer
