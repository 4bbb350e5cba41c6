"""The practitioner a patient asks for, read from their words (clinic.domain.practice.doctors)."""

from pathlib import Path

import pytest

from clinic.domain.practice import load_practice
from clinic.domain.practice.doctors import ANY, PractitionerWish, practitioner_wish

#: The tests' practice: Dr Claire Martin and Dr Karim Benali.
PRACTICE = load_practice(Path(__file__).parents[1] / "fixtures" / "practice.yml")


@pytest.mark.parametrize(
    ("text", "wish"),
    [
        ("je voudrais voir le docteur Benali jeudi", "dr-benali"),
        ("rdv avec Dr Martin svp", "dr-martin"),
        ("avec Karim Benali si possible", "dr-benali"),
        ("Bonjour, un rendez-vous chez le Dr. BENALI", "dr-benali"),
        ("c'est pour voir la doctoresse martin", "dr-martin"),
        ("avec le docteur Karim", "dr-benali"),
        ("Claire Martin mardi matin", "dr-martin"),
        ("dr benali pr un vaccin", "dr-benali"),
        ("voir Benali", "dr-benali"),
        ("n'importe quel médecin", ANY),
        ("peu importe le docteur, le plus tôt possible", ANY),
        ("un autre médecin", ANY),
    ],
)
def test_a_named_practitioner_or_any(text: str, wish: str) -> None:
    assert practitioner_wish(PRACTICE, text) == PractitionerWish(wish)


@pytest.mark.parametrize(
    "text",
    [
        "avec mon médecin habituel",
        "mon médecin traitant svp",
        "le même médecin que la dernière fois",
        "ma doctoresse",
        "mon doc",
    ],
)
def test_the_usual_practitioner(text: str) -> None:
    assert practitioner_wish(PRACTICE, text) == PractitionerWish(usual=True)


@pytest.mark.parametrize(
    "text",
    [
        "un rendez-vous jeudi pour un vaccin",
        "mon fils Martin a de la fièvre",  # a first name, not the doctor
        "Martin Dupont, pour un certificat",  # the patient's own name
        "le Dr Martin ou le Dr Benali, peu importe",  # both named: no wish
        "le docteur Dupuis",  # not at this practice
        "",
        "/choose_slot",
    ],
)
def test_no_wish(text: str) -> None:
    assert practitioner_wish(PRACTICE, text) is None
