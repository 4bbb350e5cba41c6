"""Patients as the assistant knows them: a pseudonymous id and the name they gave (sealed).

The name lives here, not only in a conversation tracker, so a returning patient is greeted by name
after their session expired, and a GDPR deletion has one place to forget it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import patients
from clinic.domain.french import fold

_INTRO = re.compile(
    r"^\s*(?:(?:bonjour|bonsoir|salut)[ ,.!]*)?(?:je m'?appelle|je suis|moi c'?est|c'?est|"
    r"mon nom(?: est| c'est)?|nom ?:|au nom de|a(?:u|ux) nom de|pour)\s+",
    re.IGNORECASE,
)
_POLITE = re.compile(r"\s*(?:merci|svp|s'il vous pla[iî]t)\W*$", re.IGNORECASE)
_TITLE = re.compile(r"^(?:m\.|mr|mme|mlle|madame|monsieur|mademoiselle)\s+", re.IGNORECASE)
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*\.?$")
_TITLES = {"m.": "M.", "mr": "M.", "mme": "Mme", "mlle": "Mlle", "madame": "Mme", "monsieur": "M."}
MAX_NAME_LENGTH = 60
# Words no name is made of: « pour un vaccin » or « je sais pas » answered to « à quel nom ? ».
_NOT_NAME_WORDS = frozenset(
    "je j tu il elle on nous vous un une pour est suis sais pas veux voudrais voudrai rdv rendez "
    "oui non merci bonjour bonsoir salut avec et mon ma mes ton ta ce cet cette ca demain quoi "
    "qui quand comment pourquoi svp ok".split()
)


@dataclass(frozen=True)
class NameCheck:
    """A cleaned name, or why the text is not one (`problem`: empty, digits, too_long, not_a_name)."""

    name: str | None
    problem: str | None = None


def clean_name(text: str) -> NameCheck:
    """« je m'appelle marie dupont » -> « Marie Dupont »; « 06 12… » or « ??? » -> a problem.

    Kept deliberately permissive (hyphens, apostrophes, particles, any alphabet): a name is what
    the patient says it is; only what cannot be a name is refused.
    """
    text = _POLITE.sub("", _INTRO.sub("", text.strip())).strip(" .,!;:")
    if not text:
        return NameCheck(None, "empty")
    if any(c.isdigit() for c in text):
        return NameCheck(None, "digits")
    if len(text) > MAX_NAME_LENGTH:
        return NameCheck(None, "too_long")
    title = ""
    if match := _TITLE.match(text):
        title = _TITLES.get(match[0].strip().lower(), match[0].strip()) + " "
        text = text[match.end() :]
    words = text.split()
    if not words or len(words) > 5 or not all(_NAME_WORD.match(w) for w in words):
        return NameCheck(None, "not_a_name")
    if any(fold(w).strip(".") in _NOT_NAME_WORDS for w in words):
        return NameCheck(None, "not_a_name")
    if sum(len(w) for w in words) < 2:
        return NameCheck(None, "not_a_name")
    return NameCheck(title + " ".join(_capitalise(w) for w in words))


def _capitalise(word: str) -> str:
    if word.lower() in ("de", "du", "des", "le", "la", "van", "von", "d'", "da"):
        return word.lower()
    return "-".join(
        "'".join(part[:1].upper() + part[1:].lower() for part in piece.split("'"))
        for piece in word.replace("’", "'").split("-")
    )


class PatientRepository:
    """Names by pseudonymous patient id."""

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    def name(self, patient_id: str) -> str | None:
        with self.db.engine.connect() as connection:
            sealed = connection.execute(
                select(patients.c.display_name).where(patients.c.patient_id == patient_id)
            ).scalar()
        return self.sealer.open(sealed) if sealed else None

    def names(self, patient_ids: Sequence[str]) -> dict[str, str]:
        """Known names of these patients, in one query (the console's inbox)."""
        if not patient_ids:
            return {}
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                select(patients.c.patient_id, patients.c.display_name).where(
                    patients.c.patient_id.in_(list(patient_ids))
                )
            ).all()
        return {pid: self.sealer.open(sealed) for pid, sealed in rows if sealed}

    def every_name(self) -> dict[str, str]:
        """Every known name by patient id (the console's search: names are sealed, so they are
        matched in memory; a practice knows thousands of patients, not millions)."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(select(patients.c.patient_id, patients.c.display_name)).all()
        return {pid: self.sealer.open(sealed) for pid, sealed in rows if sealed}

    def remember(self, patient_id: str, name: str, now: datetime) -> None:
        """Store or update the patient's name."""
        with self.db.transaction() as connection:
            self.remember_in(connection, patient_id, name, now)

    def remember_in(
        self, connection: Connection, patient_id: str, name: str, now: datetime
    ) -> None:
        """The same, inside the caller's transaction (a booking and its name commit together):
        one upsert, as SQLite and PostgreSQL both say it, so no conflict can abort the caller."""
        sealed = self.sealer.seal(name)
        upsert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[connection.dialect.name]
        connection.execute(
            upsert(patients)
            .values(patient_id=patient_id, display_name=sealed, created_at=now, updated_at=now)
            .on_conflict_do_update(
                index_elements=[patients.c.patient_id],
                set_={"display_name": sealed, "updated_at": now},
            )
        )
