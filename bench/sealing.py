"""Benchmark: what sealing costs a turn. Rasa's tracker store work for one turn (load the
conversation, add a user message, an action and a bot answer, save) with the plain
SQLTrackerStore and with ours (connectors/tracker_store.py), on the same database; plus one
seal and one open of a name.

    .venv/bin/python bench/sealing.py [--database-url URL] [--events 60] [--turns 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from stats import summary  # noqa: E402

from clinic.adapters.settings import Settings  # noqa: E402
from clinic.adapters.storage import Database  # noqa: E402
from clinic.app.wiring import build_services  # noqa: E402
from connectors.tracker_store import SealedSQLTrackerStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


async def turns(
    store: SQLTrackerStore, domain: Domain, prefix: str, events: int, n: int
) -> list[float]:
    """`n` conversations of `events` events each, then one turn on each (a fixed size, so the
    numbers compare)."""
    for k in range(n):
        tracker = DialogueStateTracker(f"{prefix}-{k}", domain.slots)
        for i in range(events // 3):
            tracker.update(
                UserUttered(f"je voudrais un rdv jeudi {i}", {"name": "book_appointment"})
            )
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(BotUttered(f"Voici les créneaux libres {i}"))
        await store.save(tracker)
    latencies = []
    for k in range(n):
        began = time.perf_counter()
        loaded = await store.retrieve(f"{prefix}-{k}")
        assert loaded is not None
        loaded.update(UserUttered("le premier", {"name": "choose_slot"}))
        loaded.update(ActionExecuted("action_choose_slot"))
        loaded.update(BotUttered("Je récapitule : jeudi 3 décembre à 14h. Je confirme ?"))
        await store.save(loaded)
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a THROWAWAY database (Rasa's events are dropped)")
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    throwaway = Database(url)
    with throwaway.transaction() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS events")
    throwaway.dispose()
    domain = Domain.load(str(ROOT / "domain.yml"))
    key = "bench-data-key-0123456789abcdef"
    services = build_services(Settings(database_url=url, data_encryption_key=key))
    sealer = services.sealer
    plain = await turns(SQLTrackerStore(domain, host=url), domain, "plain", args.events, args.turns)
    sealed_store = SealedSQLTrackerStore(domain, host=url, services=services)
    sealed = await turns(sealed_store, domain, "sealed", args.events, args.turns)
    backend = url.split(":", 1)[0]
    print(
        f"One turn's tracker store work (load, 3 events, save), {args.events}-event conversation, {backend}:"
    )
    print(f"  plain SQLTrackerStore:  {summary(plain)}")
    print(f"  SealedSQLTrackerStore:  {summary(sealed)}")
    seal, open_ = [], []
    for _ in range(10_000):
        began = time.perf_counter()
        token = sealer.seal("Zéphyrine Quillebœuf")
        seal.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        sealer.open(token)
        open_.append((time.perf_counter() - began) * 1000)
    print(f"  seal one name: {summary(seal)}")
    print(f"  open one name: {summary(open_)}")


if __name__ == "__main__":
    asyncio.run(main())
