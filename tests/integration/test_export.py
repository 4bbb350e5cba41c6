"""`clinic conversations export --anonymise`: real tracker events (written by the project's
tracker store, sealed), exported as Rasa YAML with no phone, name, relative's name, date of
birth, diagnosis or free-text answer to « quel motif ? » left, visit reasons and appointment
times kept, files in mode 0600 labelled « pseudonymisé », and the result accepted by
`rasa data validate`."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.app.wiring import Services
from clinic.services import export
from clinic.services.deidentify import Deidentifier
from connectors.tracker_store import SealedSQLTrackerStore
from tests.conftest import NOW, ROOT

SENDER = "wa-5e1f0c2a9b8d7e6f5a4b3c2d1e0f9a8b"
SECRETS = (
    "Zéphyrine", "Zephyrine", "zéphyrine", "Quillebœuf", "Quilleboeuf", "06 12 34 56 78",
    "0612345678", "12/03/1985", "3 mars 1985", "zeph@example.org", "hémorroïdes",
    "hemorroides", SENDER,
    # the privacy review: a relative, a diagnosis, a full name the conversation never gave
    "Léa Martin", "Léa", "séropositif", "Gaspard Vermeulen", "Vermeulen",
)  # fmt: skip


def said(text: str, intent: str, **entities: str) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.98}, "entities": [], "text": text}
    return UserUttered(text, parse["intent"], parse_data=parse)  # type: ignore[arg-type]


def conversation() -> list[Event]:
    ask = lambda slot: SlotSet("requested_slot", slot)  # noqa: E731
    return [
        ActionExecuted("action_session_start"),
        ActionExecuted("action_listen"),
        said(
            "Bonjour, je voudrais un rdv pour ma verrue plantaire jeudi, mon numéro est le "
            "06 12 34 56 78",
            "book_appointment",
        ),
        ActionExecuted("action_extract_slots"),
        ActionExecuted("booking_form"),
        ActiveLoop("booking_form"),
        ask("reason"),
        BotUttered("C'est pour quel motif ?"),
        ActionExecuted("action_listen"),
        said("c'est pour mes hémorroïdes", "inform"),
        ActionExecuted("booking_form"),
        ask("patient_name"),
        ActionExecuted("action_listen"),
        said("Zéphyrine Quillebœuf", "inform"),
        SlotSet("patient_name", "Zéphyrine Quillebœuf"),
        ActionExecuted("booking_form"),
        ActiveLoop(None),
        ask(None),
        ActionExecuted("action_offer_slots"),
        ActionExecuted("action_listen"),
        said('/choose_slot{"slot_choice": "1"}', "choose_slot"),
        ActionExecuted("action_choose_slot"),
        ActionExecuted("action_listen"),
        said(
            "oui et au fait zephyrine née le 12/03/1985 (ou le 3 mars 1985), zeph@example.org",
            "affirm",
        ),
        ActionExecuted("action_book_appointment"),
        ActionExecuted("action_listen"),
        said("et aussi pour mon fils pour sa varicelle, quilleboeuf aussi", "book_appointment"),
        ActionExecuted("action_listen"),
        said("ou un vaccin pour mon fils svp", "inform"),
        said("c'est pour ma fille Léa Martin", "inform"),
        said("je suis séropositif", "inform"),
        said("le Dr Gaspard Vermeulen m'a dit de revenir", "inform"),
        said("renouvellement d'ordonnance jeudi 14h", "inform"),
        ActionExecuted("booking_form"),
        ActiveLoop("booking_form"),
        ask("when"),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture
def exported(
    services: Services, tmp_path: Path, deidentifier: Deidentifier
) -> tuple[export.Export, Path]:
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SealedSQLTrackerStore(domain, host=services.settings.database_url, services=services)
    events = conversation()
    for number, event in enumerate(events):
        event.timestamp = NOW.timestamp() + number
    asyncio.run(store.save(DialogueStateTracker.from_events(SENDER, events, domain.slots)))
    store.engine.dispose()
    found = export.export(
        services.database, services.practice, services.sealer, NOW - timedelta(days=1),
        deidentifier,
    )  # fmt: skip
    found.write(tmp_path / "export")
    return found, tmp_path / "export"


def test_no_phone_name_birth_date_or_free_text_reason_is_exported(
    exported: tuple[export.Export, Path],
) -> None:
    found, folder = exported
    written = (folder / "nlu.yml").read_text() + (folder / "test_stories.yml").read_text()
    for secret in SECRETS:
        assert secret.lower() not in written.lower(), secret
    for placeholder in ("<contact>", "<nom>", "<date de naissance>", "<motif>", "<santé>"):
        assert placeholder in written, placeholder
    # what is not personal stays, for training: the practice's reasons (annotated), relatives,
    # visit reasons written freely (decision 43: trainers need them), appointment times
    assert '[vaccin]{"entity": "reason", "value": "vaccination"}' in written
    assert "pour mon fils" in written
    assert found.nlu["book_appointment"][0] == (
        "Bonjour, je voudrais un rdv pour ma verrue plantaire jeudi, mon numéro est le <contact>"
    )
    assert "pour sa varicelle" in written
    examples = found.nlu["inform"]
    assert "c'est pour ma fille <nom>" in examples
    assert "je suis <santé>" in examples
    assert "le Dr <nom> m'a dit de revenir" in examples
    renewal = [e for e in examples if "jeudi 14h" in e]
    assert renewal and renewal[0].startswith("[renouvellement d'ordonnance]{")  # annotated
    assert renewal[0].endswith('"} jeudi 14h')
    assert "      - intent: choose_slot" in written  # a button: its intent, not its payload
    assert "action_extract_slots" not in written and "action_session_start" not in written
    assert len(found.stories) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_files_are_private_and_labelled_pseudonymised(
    exported: tuple[export.Export, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, folder = exported
    for name in ("nlu.yml", "test_stories.yml"):
        path = folder / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert path.read_text().startswith("# pseudonymisé : "), name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # created by the export
    # an older file left readable by all is made private before anything is written into it
    found, _ = exported
    again = tmp_path / "again"
    again.mkdir(mode=0o755)
    (again / "nlu.yml").write_text("ancien\n")
    (again / "nlu.yml").chmod(0o644)
    writes: list[int] = []
    real_fdopen = os.fdopen

    def watching(fd: int, *args: object, **kwargs: object) -> object:
        writes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(export.os, "fdopen", watching)
    found.write(again)
    monkeypatch.undo()
    assert writes == [0o600, 0o600]  # the mode when the content goes in, not after
    assert stat.S_IMODE((again / "nlu.yml").stat().st_mode) == 0o600
    assert stat.S_IMODE(again.stat().st_mode) == 0o755  # a folder the trainer chose: left as is
    umask = os.umask(0)  # the most permissive umask there is changes nothing
    try:
        found.write(tmp_path / "open")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "open" / "test_stories.yml").stat().st_mode) == 0o600


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_export_passes_rasa_data_validate(
    exported: tuple[export.Export, Path], database_url: str, tmp_path: Path
) -> None:
    _, folder = exported
    env = {**os.environ, "DATABASE_URL": database_url,
           "PRACTICE_CONFIG": str(ROOT / "tests" / "fixtures" / "practice.yml")}  # fmt: skip
    clinic = str(Path(sys.executable).parent / "clinic")
    cli = subprocess.run(
        [clinic, "conversations", "export", "--anonymise", "--since",
         (NOW - timedelta(days=1)).date().isoformat(), "--out", str(tmp_path / "cli")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "1 conversations" in cli.stdout and "Export pseudonymisé" in cli.stdout
    assert (tmp_path / "cli" / "nlu.yml").read_text() == (folder / "nlu.yml").read_text()
    refused = subprocess.run(
        [clinic, "conversations", "export", "--since", "2026-11-01"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode == 2  # no export without --anonymise
    validated = subprocess.run(
        [sys.executable, "-m", "connectors.launch", "rasa", "data", "validate", "--data",
         str(folder), "--domain", str(ROOT / "domain.yml"), "--config", str(ROOT / "config.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]
