"""Rasa's conversations at rest (connectors/tracker_store.py): the real SQLTrackerStore code with
the data column sealed, on SQLite and PostgreSQL; what a dump of the events table shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clinic.adapters.sealing import Sealer
from clinic.adapters.settings import Settings
from clinic.adapters.storage import Database
from clinic.app.wiring import build_services
from connectors.tracker_store import ConversationStoreDown, SealedSQLTrackerStore
from tests.conftest import POSTGRES_ADMIN_URL, ROOT

SEALER = Sealer(["tracker-store-test-key-0123456789"])


def store_on(url: str, domain: Domain, sealer: Sealer = SEALER) -> SealedSQLTrackerStore:
    """The store as Rasa builds it, on the composition root's engine for `url`."""
    return SealedSQLTrackerStore(
        domain, host=url, services=build_services(Settings(database_url=url)), sealer=sealer
    )


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
    store = store_on(database_url, domain)
    await store.save(conversation(domain, "wa-000000000000000000000abc"))
    dump = raw_events(database_url)
    assert "wa-000000000000000000000abc" in dump and "inform" in dump  # what Rasa queries on
    assert "Zoé" not in dump and "Vasseur" not in dump and "Zo\\u00e9" not in dump
    loaded = await store.retrieve("wa-000000000000000000000abc")
    assert loaded is not None and loaded.get_slot("patient_name") == "Zoé Vasseur-Kerguelen"
    assert loaded.latest_message is not None
    assert loaded.latest_message.text == "je m'appelle Zoé Vasseur-Kerguelen"
    # another key reads nothing: the events are unreadable, not silently wrong
    other = store_on(database_url, domain, Sealer(["x" * 32]))
    assert (await other.retrieve("wa-000000000000000000000abc")) is None


async def test_events_written_before_sealing_still_load(database_url: str) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    await SQLTrackerStore(domain, host=database_url).save(conversation(domain, "wa-old"))
    store = store_on(database_url, domain)
    loaded = await store.retrieve("wa-old")
    assert loaded is not None and loaded.get_slot("patient_name") == "Zoé Vasseur-Kerguelen"


@pytest.mark.postgres
async def test_connections_cut_by_a_postgresql_restart_are_replaced_unnoticed(
    postgres_url: str,
) -> None:
    """pg_terminate_backend is what a restart does to pooled connections: the next turn still
    reads its conversation (pre-ping), instead of failing once per stale connection."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = store_on(postgres_url, domain)
    await store.save(conversation(domain, "wa-restart"))
    assert await store.retrieve("wa-restart") is not None  # a pooled connection now
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": make_url(postgres_url).database},
        ).scalar_one()
    admin.dispose()
    assert cut >= 1
    loaded = await store.retrieve("wa-restart")
    assert loaded is not None and loaded.get_slot("patient_name") == "Zoé Vasseur-Kerguelen"


def test_rasa_and_the_core_share_one_engine(database_url: str) -> None:
    """The store is wired by the composition root: the core's engine (one pool per process),
    and a URL other than DATABASE_URL is refused instead of silently split."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    services = build_services(Settings(database_url=database_url))
    store = SealedSQLTrackerStore(domain, host=database_url, services=services)
    assert store.engine is services.database.engine and store.sealer is services.sealer
    with pytest.raises(ValueError, match="DATABASE_URL"):
        SealedSQLTrackerStore(domain, host="sqlite:///elsewhere.db", services=services)
    Path("elsewhere.db").unlink(missing_ok=True)


async def test_a_database_down_fails_the_turn_instead_of_forgetting_the_conversation(
    database_url: str,
) -> None:
    """Rasa's FailSafeTrackerStore, which wraps every tracker store, would answer on an empty
    tracker and keep the turn in memory; the store's ConversationStoreDown goes through it."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = store_on(database_url, domain)
    await store.save(conversation(domain, "wa-down"))
    unreachable = "postgresql://postgres@127.0.0.1:1/down"  # nothing listens on port 1
    store.engine = sa.create_engine(unreachable)
    store.sessionmaker = sa.orm.sessionmaker(bind=store.engine)
    failsafe = FailSafeTrackerStore(store)
    with pytest.raises(ConversationStoreDown):
        await failsafe.retrieve("wa-down")
    with pytest.raises(ConversationStoreDown):
        await failsafe.save(conversation(domain, "wa-down"))
