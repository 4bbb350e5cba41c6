"""Rasa's conversations at rest (connectors/tracker_store.py): the real SQLTrackerStore code with
the data column sealed, on SQLite and PostgreSQL; what a dump of the events table shows."""

from __future__ import annotations

import json

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from clinic.sealing import Sealer
from clinic.storage import Database
from connectors.tracker_store import SealedSQLTrackerStore
from tests.conftest import ROOT

SEALER = Sealer(["tracker-store-test-key-0123456789"])


def conversation(domain: Domain, sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(UserUttered("je m'appelle Zoé Vasseur-Kerguelen", {"name": "inform"}))
    tracker.update(SlotSet("patient_name", "Zoé Vasseur-Kerguelen"))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def raw_events(database_url: str) -> str:
    database = Database(database_url)
    try:
        with database.transaction() as connection:
            rows = connection.execute(text("SELECT * FROM events")).all()
    finally:
        database.dispose()
    return json.dumps([list(row) for row in rows], default=str)


async def test_events_are_sealed_at_rest_and_read_back(database_url: str) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SealedSQLTrackerStore(domain, host=database_url, sealer=SEALER)
    await store.save(conversation(domain, "wa-000000000000000000000abc"))
    dump = raw_events(database_url)
    assert "wa-000000000000000000000abc" in dump and "inform" in dump  # what Rasa queries on
    assert "Zoé" not in dump and "Vasseur" not in dump and "Zo\\u00e9" not in dump
    loaded = await store.retrieve("wa-000000000000000000000abc")
    assert loaded is not None and loaded.get_slot("patient_name") == "Zoé Vasseur-Kerguelen"
    assert loaded.latest_message is not None
    assert loaded.latest_message.text == "je m'appelle Zoé Vasseur-Kerguelen"
    # another key reads nothing: the events are unreadable, not silently wrong
    other = SealedSQLTrackerStore(domain, host=database_url, sealer=Sealer(["x" * 32]))
    assert (await other.retrieve("wa-000000000000000000000abc")) is None


async def test_events_written_before_sealing_still_load(database_url: str) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    await SQLTrackerStore(domain, host=database_url).save(conversation(domain, "wa-old"))
    store = SealedSQLTrackerStore(domain, host=database_url, sealer=SEALER)
    loaded = await store.retrieve("wa-old")
    assert loaded is not None and loaded.get_slot("patient_name") == "Zoé Vasseur-Kerguelen"
