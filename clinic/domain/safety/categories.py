"""The red-flag categories: the situations French emergency guidance sends to the 15 / 112.

Each is named once here and used by the detector, the patient's answer, staff alerts, the
benchmark and docs/safety.md. The staff label says what kind of danger, never the patient's words.
"""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    """A red-flag category; the value is the code stored with the conversation and the alert."""

    BREATHING = "breathing"
    CHEST_PAIN = "chest_pain"
    STROKE = "stroke"
    UNCONSCIOUS = "unconscious"
    SEIZURE = "seizure"
    BLEEDING = "bleeding"
    TRAUMA = "trauma"
    BURN = "burn"
    ANAPHYLAXIS = "anaphylaxis"
    POISONING = "poisoning"
    INFANT_FEVER = "infant_fever"
    MENINGITIS = "meningitis"
    PREGNANCY = "pregnancy"
    CONFUSION = "confusion"
    SUICIDE = "suicide"

    @property
    def label(self) -> str:
        """What staff read (console, alerts): the kind of danger, in French."""
        return LABELS[self]


LABELS: dict[Category, str] = {
    Category.BREATHING: "détresse respiratoire",
    Category.CHEST_PAIN: "douleur thoracique",
    Category.STROKE: "signes d'AVC",
    Category.UNCONSCIOUS: "perte de connaissance",
    Category.SEIZURE: "convulsions",
    Category.BLEEDING: "hémorragie",
    Category.TRAUMA: "chute ou traumatisme grave",
    Category.BURN: "brûlure grave ou d'un enfant",
    Category.ANAPHYLAXIS: "réaction allergique grave",
    Category.POISONING: "intoxication ou ingestion",
    Category.INFANT_FEVER: "fièvre d'un nourrisson de moins de 3 mois",
    Category.MENINGITIS: "fièvre avec raideur de nuque ou taches",
    Category.PREGNANCY: "grossesse avec saignement ou douleur intense",
    Category.CONFUSION: "hypoglycémie ou confusion soudaine",
    Category.SUICIDE: "idées suicidaires ou automutilation",
}


def by_code(code: str | None) -> Category | None:
    """The category stored as `code`, or None (an emergency the model found, or an old row)."""
    try:
        return Category(code) if code else None
    except ValueError:
        return None
