"""Real conversations, anonymised, as Rasa training data: the trainers' learning loop.

`clinic conversations export --anonymise --since D` reads Rasa's tracker table (`events`, its
sealed data opened with the data key; no Rasa import) and writes two Rasa YAML files: `nlu.yml`
(each patient message under the intent the model gave it, visit reasons annotated) and
`test_stories.yml` (each conversation, turn by turn, as a test story). A trainer reviews them
(`rasa interactive`, docs/guide-formateurs.md), moves what is right into `data/`, fixes what
is wrong, and retrains.

What is replaced, in every message, before anything is written:
- phone numbers and e-mail addresses (`clinic.adapters.logs.mask`, the logs' own masking): <phone>, <email>;
- the patient's names: every name the conversation gave (the `patient_name` slot, the patient's
  record, their appointments), token by token, and the whole answer to « à quel nom ? »: <nom>;
- dates with a year before last year (dates of birth): <date de naissance>;
- free-text visit reasons: the answer to « quel motif ? » becomes the practice's own word for it
  (« vaccin ») or <motif>; « pour ma verrue plantaire » elsewhere becomes « pour <motif> »
  unless the words are a reason of practice.yml or a relative (« pour mon fils »).
The sender ids are not written at all: stories are numbered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clinic.adapters.logs import mask
from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database, rasa_events
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.tables import appointments
from clinic.domain.french import fold
from clinic.domain.practice import Practice

NAME, BIRTH, REASON = "<nom>", "<date de naissance>", "<motif>"
#: Actions a story leaves out: Rasa's own bookkeeping, not the dialogue's decisions.
_HIDDEN_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}
_MONTHS = (
    "janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|novembre|"
    "decembre|décembre"
)
_FULL_DATE = re.compile(
    r"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-]|\d{1,2}(?:er)?\s+(?:" + _MONTHS + r")\s+)((?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_RELATIVES = (
    "fils", "fille", "mere", "pere", "mari", "femme", "epoux", "epouse", "enfant", "enfants",
    "bebe", "frere", "soeur", "grand-mere", "grand-pere", "compagnon", "compagne", "ado", "moi",
    "petit", "petite", "garcon", "grand", "grands-parents", "parents",
)  # fmt: skip
_FOR_SOMETHING = re.compile(
    r"\bpour\s+(?:un|une|mon|ma|mes|le|la|les|son|sa|ses|des|du)\s+([^,.;!?\n]+)", re.IGNORECASE
)
#: Where a free-text reason stops: the time and the politeness that follow it.
_REASON_END = re.compile(
    r"\s(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|aujourd|ce|cet|cette|"
    r"le|la|les|à|a|vers|avant|après|apres|pas|dès|des|entre|svp|s'il|merci|si|de|d')\b",
    re.IGNORECASE,
)
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
        folder.mkdir(parents=True, exist_ok=True)
        nlu, stories = folder / "nlu.yml", folder / "test_stories.yml"
        nlu.write_text(nlu_yaml(self.nlu), encoding="utf-8")
        stories.write_text(stories_yaml(self.stories), encoding="utf-8")
        return nlu, stories


def export(database: Database, practice: Practice, sealer: Sealer, since: datetime) -> Export:
    """Every conversation with a patient message since `since`, anonymised."""
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
    patients = PatientRepository(database, sealer)
    nlu: dict[str, list[str]] = {}
    stories: list[list[Turn]] = []
    for sender, events in grouped.items():
        names = _names(sender, events, patients, database, sealer)
        story = _turns(events, names, practice)
        for turn in story:
            if turn.text is None:
                continue
            examples = nlu.setdefault(turn.intent, [])
            if turn.text not in examples:
                examples.append(turn.text)
        if story:
            stories.append(story)
    return Export(nlu, stories)


def anonymise(text: str, names: set[str], practice: Practice, asked: str | None = None) -> str:
    """`text` without phone, e-mail, name, date of birth or free-text reason (see the module)."""
    text = " ".join(_SPECIAL.sub(" ", text).split())
    if asked == "patient_name":
        replaced = _replace_names(text, names)
        return replaced if replaced != text else NAME
    if asked == "reason":
        reason = practice.match_reason(text)
        return _reason_word(text, practice) if reason is not None else REASON
    text = mask(text)
    text = _replace_names(text, names)
    this_year = datetime.now().year
    text = _FULL_DATE.sub(lambda m: BIRTH if int(m[1]) < this_year - 1 else m[0], text)
    # Each « pour … » on its own: « pour ma fille pour sa varicelle » hides the second only.
    parts = re.split(r"(?i)(?=\bpour\s)", text)
    return "".join(_FOR_SOMETHING.sub(lambda m: _keep_or_hide(m, practice), p) for p in parts)


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


def _replace_names(text: str, names: set[str]) -> str:
    tokens = {t for name in names for t in re.split(r"[\s\-']+", name) if len(t) >= 2}
    for token in sorted(tokens, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(token)}(?!\w)", NAME, text, flags=re.IGNORECASE)
        folded = fold(token)
        for variant in {folded, folded.replace("œ", "oe").replace("æ", "ae")} - {token.lower()}:
            text = re.sub(rf"(?<!\w){re.escape(variant)}(?!\w)", NAME, text, flags=re.IGNORECASE)
    return re.sub(rf"{re.escape(NAME)}(?:\s+{re.escape(NAME)})+", NAME, text)


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


def _keep_or_hide(match: re.Match[str], practice: Practice) -> str:
    words = match[1]
    cut = _REASON_END.search(" " + words)
    phrase = words[: cut.start() - 1] if cut and cut.start() > 0 else words
    head = fold(phrase.split()[0]) if phrase.split() else ""
    if not phrase.strip() or head in _RELATIVES or practice.match_reason(phrase) is not None:
        return match[0]
    return match[0].replace(phrase, REASON, 1)


def _turns(events: list[dict[str, Any]], names: set[str], practice: Practice) -> list[Turn]:
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
            clean = anonymise(text, names, practice, asked)
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
