"""Benchmark: what a handoff costs. Three numbers, printed with their percentiles:

1. the pause check the WhatsApp channel makes before every turn (`Handoff.paused`: one
   primary-key read in our table), with 1,000 paused conversations in the database;
2. what the same check would cost through Rasa's own mechanism: loading the conversation's
   tracker from Rasa's SQLTrackerStore (same database engine) to read `is_paused()`, for a
   conversation of `--events` events (a booking conversation is about 60);
3. staff alert throughput of one worker: `--alerts` pauses, each alerting one staff number (fake
   Graph API on loopback) and one address (aiosmtpd on loopback).

    .venv/bin/python bench/handoff.py [--database-url URL] [--events 60] [--alerts 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import rss_mib, summary, time_each  # noqa: E402

from clinic.adapters.settings import Settings  # noqa: E402
from clinic.adapters.storage import Database  # noqa: E402
from clinic.adapters.storage.tables import metadata  # noqa: E402
from clinic.app.wiring import build_services  # noqa: E402
from clinic.domain.practice import load_practice  # noqa: E402
from devtools.simulator.server import build  # noqa: E402
from devtools.stack import free_port  # noqa: E402
from tests.smtp import smtp_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


async def tracker_lookup(url: str, events: int, rounds: int) -> list[float]:
    """Rasa's way: retrieve the tracker (all its events) and ask whether it is paused."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.engine import make_url

    domain = Domain.load(str(ROOT / "domain.yml"))
    parts = make_url(url)
    store = SQLTrackerStore(
        domain,
        dialect=parts.drivername.split("+")[0],
        host=parts.host,
        port=parts.port,
        db=parts.database,
        username=parts.username,
        password=parts.password,
    )
    tracker = DialogueStateTracker("bench-patient", domain.slots)
    for i in range(events // 3):
        tracker.update(UserUttered(f"message {i}", {"name": "inform", "confidence": 0.9}))
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(BotUttered(f"réponse {i}"))
    await store.save(tracker)
    latencies = []
    for _ in range(rounds):
        began = time.perf_counter()
        loaded = await store.retrieve("bench-patient")
        assert loaded is not None and not loaded.is_paused()
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a THROWAWAY database (its tables are dropped)")
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--alerts", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("clinic").setLevel(logging.ERROR)  # one warning per pause otherwise
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    throwaway = Database(url)
    metadata.drop_all(throwaway.engine)  # a throwaway database: never point this at real data
    with throwaway.transaction() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS events")  # Rasa's, from a former run
    throwaway.dispose()
    backend = url.split(":", 1)[0]

    port = free_port()
    simulator, app = build("http://127.0.0.1:1/unused", "secret", "token", statuses=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    with smtp_server() as (smtp_url, mailbox):
        practice = replace(
            load_practice(ROOT / "practice.yml"),
            staff_alerts=("+33600000001", "equipe@cabinet.test"),
        )
        settings = Settings(
            database_url=url,
            whatsapp_verify_token="verify",
            whatsapp_app_secret="secret",
            whatsapp_access_token="token",
            whatsapp_phone_number_id=simulator.graph.phone_number_id,
            whatsapp_api_url=f"http://127.0.0.1:{port}/v21.0",
            smtp_url=smtp_url,
        )
        services = build_services(settings, practice)
        handoff = services.handoff

        for i in range(1000):
            services.conversations.pause(f"wa-{i:024x}", "handoff", services.clock.now())
        latencies = []
        for i in range(2000):
            began = time.perf_counter()
            handoff.paused(f"wa-{i % 2000:024x}")  # half paused, half not
            latencies.append((time.perf_counter() - began) * 1000)
        print(f"Pause check before a turn, {backend}, 1,000 paused conversations:")
        print(f"  Handoff.paused (our table, primary key): {summary(latencies)}")
        tracker = await tracker_lookup(url, args.events, 500)
        print(
            f"  Rasa tracker store retrieve + is_paused, {args.events} events: {summary(tracker)}"
        )

        for i in range(args.alerts):
            handoff.pause(f"wa-{10**6 + i:024x}", "emergency")
        per_alert: list[float] = []
        dispatcher = services.alert_dispatcher
        time_each(dispatcher, "_one", per_alert)
        start = time.perf_counter()
        while await dispatcher.run_once():
            pass
        elapsed = time.perf_counter() - start
        sent = len(simulator.graph.accepted) + len(mailbox.messages)
        print(f"One worker, {args.alerts} pauses × (1 staff number + 1 address), {backend}:")
        print(f"  sent {sent} alerts in {elapsed:.1f} s: {sent / elapsed:.1f} alerts/s")
        print(f"  per alert (claim → render → Graph or SMTP → record): {summary(per_alert)}")
        print(f"  process RSS: {rss_mib():.0f} MiB")
        await services.close()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
