"""Short answers read with the question they answer (clinic.domain.short_answers)."""

import pytest

from clinic.domain.short_answers import Option, read

RECAP = [Option("Je confirme", "/affirm"), Option("Autre créneau", "/deny")]
CANCEL = [Option("Oui, annuler", "/affirm"), Option("Non, le garder", "/deny")]
OFFER = [
    Option("jeu. 10:30", '/choose_slot{"slot_choice": "1@ab12cd34"}'),
    Option("jeu. 11:00", '/choose_slot{"slot_choice": "2@ab12cd34"}'),
    Option("ven. 9:00", '/choose_slot{"slot_choice": "3@ab12cd34"}'),
    Option("Autres créneaux", "/more_slots"),
]
REASONS = [
    Option("Consultation", '/inform{"reason": "consultation"}'),
    Option("Ordonnance", '/inform{"reason": "ordonnance"}'),
    Option("Vaccination", '/inform{"reason": "vaccination"}'),
]


@pytest.mark.parametrize(
    "text",
    ["ouep", "dac", "ok go", "Ouais 👍", "oui merci", "d'accord", "OK !", "ça marche", "bah oui",
     "Oui svp", "je confirme", "👍", "vas-y", "parfait merci beaucoup", "Daccord"],
)  # fmt: skip
def test_a_yes_is_the_yes_button(text: str) -> None:
    assert read(text, RECAP) == "/affirm"
    assert read(text, CANCEL) == "/affirm"


@pytest.mark.parametrize(
    "text", ["non merci", "nan", "Non", "non pas besoin", "pas la peine", "👎", "non, merci !"]
)
def test_a_no_is_the_no_button(text: str) -> None:
    assert read(text, RECAP) == "/deny"


@pytest.mark.parametrize(
    "text",
    ["oui mais plutôt jeudi", "non c'est pour ma fille", "oui non", "c'est bon", "merci",
     "je voudrais un rdv", "ok mais à quelle heure ?", "un deux trois quatre cinq six sept",
     "", "?!"],
)  # fmt: skip
def test_anything_more_or_mixed_is_left_to_the_model(text: str) -> None:
    assert read(text, RECAP) is None


def test_without_a_yes_or_no_button_a_yes_means_nothing() -> None:
    assert read("ouep", REASONS) is None
    assert read("oui", []) is None
    both = [Option("Oui", "/affirm"), Option("Oui, tout", "/affirm"), Option("Non", "/deny")]
    assert read("ouais", both) is None  # two yes buttons: which one is not for us to guess


@pytest.mark.parametrize(
    ("text", "number"),
    [("le 2e", 2), ("2", 2), ("le deuxième svp", 2), ("le premier", 1), ("Le dernier", 3),
     ("plutôt le 3eme", 3), ("1er", 1)],
)  # fmt: skip
def test_an_ordinal_picks_among_the_slot_buttons(text: str, number: int) -> None:
    assert read(text, OFFER) == OFFER[number - 1].payload


def test_an_ordinal_outside_the_offer_or_without_slots_is_not_read() -> None:
    assert read("le 4e", OFFER) is None  # « Autres créneaux » is not the 4th slot
    assert read("le 2e", REASONS) is None
    assert read("le 2e jeudi", OFFER) is None


def test_a_title_typed_out_is_its_button() -> None:
    assert read("ordonnance", REASONS) == '/inform{"reason": "ordonnance"}'
    assert read("Autres créneaux !", OFFER) == "/more_slots"
    assert read("autre creneau", RECAP) == "/deny"
    assert read("une ordonnance pour ma mère", REASONS) is None
