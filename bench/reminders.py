"""Benchmark: reminder dispatch throughput of one worker against the fake Graph API.

1,000 due reminders (1,000 patients, appointments tomorrow) in a fresh database; one
ReminderDispatcher, as `clinic worker` runs it, sends them all as templates over HTTP to the
simulator's fake Graph API on loopback. Prints reminders/s and the per-reminder time
(claim + template + Graph call + record). Numbers only.

    .venv/bin/python bench/reminders.py [--count 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import rss_mib, summary, time_each  # noqa: E402

from clinic.adapters.settings import Settings  # noqa: E402
from clinic.adapters.storage import Database  # noqa: E402
from clinic.adapters.storage.tables import metadata  # noqa: E402
from clinic.app.wiring import build_services  # noqa: E402
from clinic.domain.appointments import Appointment  # noqa: E402
from clinic.domain.practice import load_practice  # noqa: E402
from devtools.simulator.server import build  # noqa: E402
from devtools.stack import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--database-url", help="a THROWAWAY database (its tables are dropped)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    throwaway = Database(url)
    metadata.drop_all(throwaway.engine)  # a throwaway database: never point this at real data
    throwaway.dispose()
    practice = load_practice(ROOT / "practice.yml")

    port = free_port()
    simulator, app = build("http://127.0.0.1:1/unused", "secret", "token", statuses=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings = Settings(
        database_url=url,
        whatsapp_verify_token="verify",
        whatsapp_app_secret="secret",
        whatsapp_access_token="token",
        whatsapp_phone_number_id=simulator.graph.phone_number_id,
        whatsapp_api_url=f"http://127.0.0.1:{port}/v21.0",
    )
    services = build_services(settings, practice)  # what `clinic worker` builds
    database, service = services.database, services.whatsapp

    now = datetime.now(timezone.utc)
    tomorrow = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    tomorrow = tomorrow.replace(minute=tomorrow.minute // 5 * 5)
    appointments, reminders = services.appointments, services.reminders
    for i in range(args.count):
        wa_id = f"3362{i:07d}"
        patient_id = service.patient_id(wa_id)
        service.contacts.remember_contact(patient_id, wa_id, None, now - timedelta(days=2), now)
        start = tomorrow + timedelta(minutes=15 * i)
        appointment = appointments.add(
            Appointment(
                f"{i:032x}",
                patient_id,
                "Marie Dupont",
                "dr-martin",
                "ordonnance",
                start,
                start + timedelta(minutes=15),
            ),
            now - timedelta(days=3),
        )
        reminders.schedule(appointment, now - timedelta(days=3))
    from sqlalchemy import update

    from clinic.adapters.storage.tables import reminders as table

    with database.transaction() as connection:
        connection.execute(
            update(table).values(due_at=now - timedelta(minutes=1), status="pending")
        )

    dispatcher = services.reminder_dispatcher
    latencies: list[float] = []
    time_each(dispatcher, "_one", latencies)
    start = time.perf_counter()
    while await dispatcher.run_once():
        pass
    elapsed = time.perf_counter() - start
    sent = len(simulator.graph.accepted)
    backend = url.split(":", 1)[0]
    print(f"One worker, {args.count} due reminders, {backend}, fake Graph API on loopback:")
    print(f"  sent {sent} in {elapsed:.1f} s: {sent / elapsed:.1f} reminders/s")
    print(f"  per reminder (claim → template → Graph → record): {summary(latencies)}")
    print(f"  process RSS: {rss_mib():.0f} MiB")
    await services.close()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
