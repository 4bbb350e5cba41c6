"""Names patients type and the patient store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinic.adapters.storage import Database
from clinic.adapters.storage.patients import PatientRepository, clean_name
from clinic.domain.practice import Practice
from tests.conftest import NOW, sealer


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Marie Dupont", "Marie Dupont"),
        ("je m'appelle marie dupont", "Marie Dupont"),
        ("moi c'est JEAN-PIERRE martin", "Jean-Pierre Martin"),
        ("c'est Mme fatima el idrissi merci", "Mme Fatima El Idrissi"),
        ("au nom de pierre de la tour", "Pierre de la Tour"),
        ("nguyen thi lan", "Nguyen Thi Lan"),
        ("o'connor", "O'Connor"),
        ("Zoé", "Zoé"),
    ],
)
def test_names_are_cleaned(text: str, name: str) -> None:
    assert clean_name(text).name == name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("06 12 34 56 78", "digits"),
        ("marie75", "digits"),
        ("😂😂😂", "not_a_name"),
        ("???", "not_a_name"),
        ("x", "not_a_name"),
        ("a" * 61, "too_long"),
        ("je voudrais un rendez vous demain matin svp merci", "not_a_name"),
        ("c'est pour un vaccin", "not_a_name"),
        ("je sais pas", "not_a_name"),
        ("oui", "not_a_name"),
    ],
)
def test_what_cannot_be_a_name_is_refused(text: str, problem: str) -> None:
    assert clean_name(text).name is None and clean_name(text).problem == problem


def test_names_are_remembered_and_updated(database: Database) -> None:
    patients = PatientRepository(database, sealer())
    assert patients.name("p1") is None
    patients.remember("p1", "Marie Dupont", NOW)
    patients.remember("p1", "Marie Durand", NOW + timedelta(days=1))
    assert patients.name("p1") == "Marie Durand"
    assert patients.name("p2") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("vaccin", "vaccination"),
        ("c'est pour un VACCIN contre la grippe", "vaccination"),
        ("renouvellement d'ordonnance", "ordonnance"),
        ("mon ordo", "ordonnance"),
        ("certif pour le foot", "certificat"),
        ("suivi de grossesse", "suivi-grossesse"),
        ("mes resultats de prise de sang", "suivi"),
        ("Consultation", "consultation"),
        ("une piqure", "vaccination"),
        ("bof", None),
        ("", None),
    ],
)
def test_reasons_are_matched_by_id_label_or_synonym(
    practice: Practice, text: str, reason: str | None
) -> None:
    found = practice.match_reason(text)
    assert (found.id if found else None) == reason
