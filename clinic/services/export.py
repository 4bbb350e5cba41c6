"""Real conversations, pseudonymised, as Rasa training data: the trainers' learning loop.

`clinic conversations export --anonymise --since D` reads Rasa's tracker table (`events`, its
sealed data opened with the data key; no Rasa import) and writes two Rasa YAML files: `nlu.yml`
(each patient message under the intent the model gave it, visit reasons annotated) and
`test_stories.yml` (each conversation, turn by turn, as a test story). A trainer reviews them
(`rasa interactive`, docs/guide-formateurs.md), moves what is right into `data/`, fixes what
is wrong, and retrains.

What is replaced, in every message, before anything is written (`clinic.services.deidentify`,
spaCy's French model loaded once per export, measured on a labelled corpus: decision 43):
- names: spaCy's NER, rules (« ma fille Léa », « Mme Colin », « je m'appelle … », « c'est … »)
  and every name the conversation gave (the `patient_name` slot, the patient's record, their
  appointments); the whole answer to « à quel nom ? »: <nom>;
- ages (« 3 ans », not « depuis 3 jours »): <âge>; addresses, towns, postcodes: <adresse>;
- dates of birth (after « né le », or with a year before last year): <date de naissance>;
  appointment dates (« jeudi 14h », « le 12/04 ») stay;
- phone numbers, e-mail addresses, social-security numbers: <contact>;
- sensitive diagnoses and statuses (« séropositif », « enceinte », « dépression »…): <santé>;
  ordinary visit reasons (« mal de gorge », « renouvellement d'ordonnance ») stay, trainers
  need them;
- the answer to « quel motif ? » becomes the practice's own word for it (« vaccin ») or <motif>.
The sender ids are not written at all: stories are numbered. The files are pseudonymised, not
anonymous (a rare name, a detail of a story may still point to someone): each is created with
mode 0600 and opens with a « pseudonymisé » header.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database, rasa_events
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.tables import appointments
from clinic.domain.french import fold
from clinic.domain.practice import Practice
from clinic.services.deidentify import Deidentifier

NAME, REASON = "<nom>", "<motif>"
#: Actions a story leaves out: Rasa's own bookkeeping, not the dialogue's decisions.
_HIDDEN_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}
#: The first lines of each file written: what it is, and what it is not.
HEADER = """\
# pseudonymisé : conversations réelles des patients, pour les formateurs
# (clinic conversations export). Noms, âges, adresses, dates de naissance, contacts et
# diagnostics sont remplacés par <nom>, <âge>, <adresse>, <date de naissance>, <contact>,
# <santé>. Ce n'est pas anonyme : à relire avant d'ajouter quoi que ce soit à data/, à garder
# hors de git et à supprimer après usage (docs/guide-formateurs.md, section 5).
"""
_SPECIAL = re.compile(r"[\[\]{}()]")


@dataclass
class Turn:
    """One patient message (anonymised) and what the assistant did after it."""

    text: str | None  # None: a button's payload, nothing the patient wrote
    intent: str
    actions: list[tuple[str, Any]] = field(default_factory=list)  # ("action"|"loop"|"slot", …)


@dataclass
class Export:
    nlu: dict[str, list[str]]
    stories: list[list[Turn]]

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Both files, each readable by its owner alone (0600 from its creation: the content
        is never on disk under another mode), each opening with the « pseudonymisé » header."""
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
        nlu, stories = folder / "nlu.yml", folder / "test_stories.yml"
        write_private(nlu, HEADER + nlu_yaml(self.nlu))
        write_private(stories, HEADER + stories_yaml(self.stories))
        return nlu, stories


def write_private(path: Path, text: str) -> None:
    """`text` into `path` with mode 0600: created so, or an older file set to 0600 (and
    emptied) before a byte is written; a symbolic link there is refused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            descriptor = -1
            file.write(text)
    finally:
        if descriptor != -1:
            os.close(descriptor)


def export(
    database: Database,
    practice: Practice,
    sealer: Sealer,
    since: datetime,
    deidentifier: Deidentifier | None = None,
) -> Export:
    """Every conversation with a patient message since `since`, pseudonymised. The French model
    is loaded here (once) unless a loaded `deidentifier` is given."""
    with database.transaction() as db:
        if not rasa_events.exists(db):
            return Export({}, [])
        rows = db.execute(
            sa.select(
                rasa_events.EVENTS.c.sender_id,
                rasa_events.EVENTS.c.type_name,
                rasa_events.EVENTS.c.data,
            )
            .where(rasa_events.EVENTS.c.timestamp >= since.timestamp())
            .order_by(rasa_events.EVENTS.c.sender_id, rasa_events.EVENTS.c.id)
        ).all()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for sender, type_name, data in rows:
        event = rasa_events.open_event(data, sealer)
        if event is not None:
            grouped.setdefault(sender, []).append({**event, "event": type_name})
    if not grouped:
        return Export({}, [])
    deidentifier = deidentifier or Deidentifier.load()
    patients = PatientRepository(database, sealer)
    nlu: dict[str, list[str]] = {}
    stories: list[list[Turn]] = []
    for sender, events in grouped.items():
        names = _names(sender, events, patients, database, sealer)
        story = _turns(events, names, practice, deidentifier)
        for turn in story:
            if turn.text is None:
                continue
            examples = nlu.setdefault(turn.intent, [])
            if turn.text not in examples:
                examples.append(turn.text)
        if story:
            stories.append(story)
    return Export(nlu, stories)


def anonymise(
    text: str,
    names: set[str],
    practice: Practice,
    asked: str | None = None,
    deidentifier: Deidentifier | None = None,
) -> str:
    """`text` without what identifies a person or discloses their health (see the module).
    `deidentifier`: a loaded one (`Deidentifier.load()`); without, the rules alone."""
    deidentifier = deidentifier or Deidentifier(None)
    text = " ".join(_SPECIAL.sub(" ", text).split())
    if asked == "patient_name":
        replaced = deidentifier(text, names)
        return replaced if replaced != text else NAME
    if asked == "reason":
        reason = practice.match_reason(text)
        return _reason_word(text, practice) if reason is not None else REASON
    return deidentifier(text, names)


def annotate(text: str, practice: Practice) -> str:
    """Mark the visit reasons the practice knows, as Rasa's `[vaccin]{"entity": …}`."""
    folded = fold(text)
    spans: list[tuple[int, int, str]] = []
    for reason in practice.reasons:
        for name in sorted({reason.label, *reason.synonyms}, key=len, reverse=True):
            needle = fold(name)
            for match in re.finditer(rf"(?<!\w){re.escape(needle)}(?!\w)", folded):
                if not any(s < match.end() and match.start() < e for s, e, _ in spans):
                    spans.append((match.start(), match.end(), reason.id))
    for start, end, value in sorted(spans, reverse=True):
        entity = json.dumps({"entity": "reason", "value": value}, ensure_ascii=False)
        text = f"{text[:start]}[{text[start:end]}]{entity}{text[end:]}"
    return text


def nlu_yaml(nlu: dict[str, list[str]]) -> str:
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in sorted(nlu.items()):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {example}" for example in examples]
    return "\n".join(lines) + "\n"


def stories_yaml(stories: list[list[Turn]]) -> str:
    lines = ['version: "3.1"', "stories:"]
    for number, story in enumerate(stories, start=1):
        lines += [f'  - story: "conversation {number:04d}"', "    steps:"]
        for turn in story:
            if turn.text is None:
                lines.append(f"      - intent: {turn.intent}")
            else:
                lines += [
                    "      - user: |",
                    f"          {turn.text}",
                    f"        intent: {turn.intent}",
                ]
            for kind, value in turn.actions:
                if kind == "action":
                    lines.append(f"      - action: {value}")
                elif kind == "loop":
                    lines.append(f"      - active_loop: {value or 'null'}")
                else:
                    lines += [
                        "      - slot_was_set:",
                        f"          - requested_slot: {value or 'null'}",
                    ]
    return "\n".join(lines) + "\n"


# --- internals ---------------------------------------------------------------------------------


def _names(
    sender: str,
    events: list[dict[str, Any]],
    patients: PatientRepository,
    database: Database,
    sealer: Sealer,
) -> set[str]:
    """Every name this conversation or its patient record gave."""
    found = {
        str(e.get("value"))
        for e in events
        if e["event"] == "slot" and e.get("name") == "patient_name" and e.get("value")
    }
    recorded = patients.name(sender)
    if recorded:
        found.add(recorded)
    with database.transaction() as db:
        for (sealed,) in db.execute(
            sa.select(appointments.c.patient_name).where(appointments.c.patient_id == sender)
        ):
            if sealed:
                found.add(sealer.open(sealed))
    return found


def _reason_word(text: str, practice: Practice) -> str:
    """The answer to « quel motif ? », reduced to the practice's word it contains."""
    folded = fold(text)
    best = ""
    for reason in practice.reasons:
        for name in (reason.label, *reason.synonyms):
            if re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded) and len(name) > len(
                best
            ):
                best = name
    return best or REASON


def _turns(
    events: list[dict[str, Any]], names: set[str], practice: Practice, deidentifier: Deidentifier
) -> list[Turn]:
    story: list[Turn] = []
    asked: str | None = None
    for event in events:
        kind = event["event"]
        if kind == "user":
            text = str(event.get("text") or "")
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if not intent:
                continue
            if not text or text.startswith("/"):
                story.append(Turn(None, intent))  # a button: its intent, no text
                continue
            clean = anonymise(text, names, practice, asked, deidentifier)
            story.append(Turn(annotate(clean, practice), intent))
        elif not story:
            continue
        elif kind == "action" and event.get("name") not in _HIDDEN_ACTIONS:
            story[-1].actions.append(("action", event.get("name")))
        elif kind == "active_loop":
            story[-1].actions.append(("loop", event.get("name")))
        elif kind == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
            story[-1].actions.append(("slot", asked))
    return story
