"""The export's de-identifier (clinic/services/deidentify.py) on the labelled corpus of
tests/privacy/deid/ (floors a little under the measured values, decision 43: a regression fails),
and the cases the privacy review found passing through the export unchanged."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from clinic.domain.practice import Practice
from clinic.services import export
from clinic.services.deidentify import PLACEHOLDERS, Deidentifier
from tests.conftest import ROOT
from tests.privacy.corpus import LABELS, Score, load, score

#: The corpus's present (its README): birth dates are judged against this year.
TODAY = date(2026, 12, 7)

#: Measured on 2026-12-07 (bench/deidentify.py, docs/decisions.md 43), floors a little under.
#: dev: recall by label, then overall recall, precision, untouched empty lines, kept reasons.
DEV = {
    "PERSON": 0.92, "AGE": 0.95, "LOCATION": 0.95, "DATE": 0.95, "CONTACT": 0.95, "HEALTH": 0.95,
    "recall": 0.96, "precision": 0.97, "untouched": 0.96, "kept": 0.97,
}  # fmt: skip
#: held-out, run once with the method frozen (commit 797678c): PERSON 79/88, AGE 26/27,
#: LOCATION 21/24, DATE 19/20, CONTACT 21/21, HEALTH 36/40; recall 0.918, precision 0.986,
#: 49/49 empty lines untouched, 106/106 reasons and times kept. Never tuned on.
HELDOUT = {
    "PERSON": 0.86, "AGE": 0.92, "LOCATION": 0.83, "DATE": 0.90, "CONTACT": 0.95, "HEALTH": 0.85,
    "recall": 0.90, "precision": 0.97, "untouched": 0.95, "kept": 0.97,
}  # fmt: skip


@pytest.fixture(scope="module")
def model(deidentifier: Deidentifier) -> Deidentifier:
    """The session's de-identifier, on the corpus's year."""
    return Deidentifier(deidentifier.nlp, today=TODAY)


def check(result: Score, floors: dict[str, float]) -> None:
    measured = {label: result.recall(label) for label in LABELS}
    measured |= {
        "recall": result.recall(),
        "precision": result.precision,
        "untouched": result.untouched_share,
        "kept": result.kept_share,
    }
    below = {k: round(v, 3) for k, v in measured.items() if v < floors[k]}
    assert not below, f"under the floors {floors}: {below}"


def test_the_dev_corpus_stays_above_its_floors(model: Deidentifier) -> None:
    check(score(load("dev"), model, list(PLACEHOLDERS.values())), DEV)


def test_the_heldout_corpus_stays_above_its_floors(model: Deidentifier) -> None:
    check(score(load("heldout"), model, list(PLACEHOLDERS.values())), HELDOUT)


def test_what_the_review_found_is_replaced(model: Deidentifier) -> None:
    assert model("Bonjour, c'est pour ma fille Léa Martin") == "Bonjour, c'est pour ma fille <nom>"
    assert model("je suis séropositif") == "je suis <santé>"
    # a full name the conversation never gave (its names: the patient's own)
    assert model("le Dr Gaspard Vermeulen m'a dit de revenir", {"Odile Marchetti"}) == (
        "le Dr <nom> m'a dit de revenir"
    )
    assert model("Bonjour, Jérôme Lambert m'a conseillé le cabinet") == (
        "Bonjour, <nom> m'a conseillé le cabinet"
    )


def test_visit_reasons_and_appointment_times_stay(model: Deidentifier) -> None:
    for kept in (
        "renouvellement d'ordonnance jeudi 14h",
        "rdv le 12/04 à 9h pour un certificat de sport",
        "mal de gorge depuis 3 jours, dispo demain matin ?",
        "je voudrais un rdv le 12 janvier 2027 à 9h, c'est pour une gastro",
    ):
        assert model(kept) == kept


def test_each_kind_gets_its_placeholder(model: Deidentifier) -> None:
    text = (
        "Mme Odile Marchetti, née le 3 mars 1961, 58 ans, 12 rue des Lilas, 69100 Villeurbanne, "
        "06 12 34 56 78, diabétique"
    )
    assert model(text) == (
        "Mme <nom>, née le <date de naissance>, <âge>, <adresse>, <contact>, <santé>"
    )
    assert model("mon numéro de sécu : 1 54 03 69 123 456 78") == "mon numéro de sécu : <contact>"


def test_the_conversations_own_names_are_replaced_in_every_spelling(
    model: Deidentifier,
) -> None:
    names = {"Zéphyrine Quillebœuf"}
    assert model("oui zephyrine quilleboeuf c'est moi", names) == "oui <nom> c'est moi"
    # the particles of a name are not names themselves
    assert model("la date de la visite, roche", {"Enguerrand de la Roche"}) == (
        "la date de la visite, <nom>"
    )


def test_the_export_uses_it(model: Deidentifier, practice: Practice) -> None:
    said = "c'est pour ma fille Léa Martin, elle est enceinte"
    assert export.anonymise(said, set(), practice, None, model) == (
        "c'est pour ma fille <nom>, elle est <santé>"
    )
    assert export.anonymise("Léa Martin", set(), practice, "patient_name", model) == "<nom>"
    assert export.anonymise("le roi des chats", set(), practice, "patient_name", model) == "<nom>"


def test_importing_it_loads_no_model() -> None:
    """The model is loaded by `Deidentifier.load()` (once per export), never at import."""
    probe = (
        "import sys, clinic.services.export, clinic.services.deidentify; "
        "print('spacy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
