"""Benchmark: the staff console's pages with a busy practice's data behind them.

A fresh database gets 1,000 conversations (`--paused` of them waiting for staff, the rest handed
back; 6 transcript lines each) and 5,000 appointments over about two months for the shipped
practice's practitioners, all written through the core's repositories (sealed names, slot
claims). The console runs in this process on a loopback port, as `python -m clinic.app.console`
serves it; one signed-in client asks for each page `--requests` times in a row (latency), then
`--clients` clients ask for the inbox at once for `--seconds` (throughput). Numbers only.

    .venv/bin/python bench/console.py [--database-url URL] [--paused 100] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import rss_mib, summary  # noqa: E402

from clinic.adapters.settings import Settings  # noqa: E402
from clinic.adapters.storage import Database  # noqa: E402
from clinic.adapters.storage.tables import metadata  # noqa: E402
from clinic.app.console.app import Console  # noqa: E402
from clinic.app.wiring import Services, build_services  # noqa: E402
from clinic.domain.appointments import Appointment, new_appointment_id  # noqa: E402
from clinic.domain.practice import load_practice  # noqa: E402
from devtools.stack import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONVERSATIONS = 1000
APPOINTMENTS = 5000
PASSWORD = "mot de passe du banc"


def patient(n: int) -> str:
    """A pseudonymous id whose reference (its first 8 hex digits) is unique."""
    return f"wa-{n:08x}" + "b" * 24


def seed(services: Services, paused: int) -> str:
    """Returns the reference of one waiting conversation (the page the bench opens)."""
    now = services.clock.now()
    for n in range(CONVERSATIONS):
        patient_id = patient(n)
        services.patients.remember(patient_id, f"Patient{n} Banc", now)
        for line in range(3):
            at = now - timedelta(minutes=90 - line)
            services.transcript.add(patient_id, "patient", f"message {line} du patient", at)
            services.transcript.add(patient_id, "assistant", "Réponse de l'assistant.", at)
        services.conversations.pause(
            patient_id, "emergency" if n % 10 == 0 else "handoff", now - timedelta(minutes=n)
        )
        if n >= paused:
            services.conversations.resume(patient_id, now)
    practice = services.practice
    tz = practice.tz
    day = now.astimezone(tz).date() - timedelta(days=20)
    added = 0
    while added < APPOINTMENTS:
        for minutes in range(8 * 60, 18 * 60, 15):
            for practitioner in practice.practitioners:
                start = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(
                    minutes=minutes
                )
                n = added % CONVERSATIONS
                appointment = Appointment(
                    new_appointment_id(),
                    patient(n),
                    f"Patient{n} Banc",
                    practitioner.id,
                    "consultation",
                    start,
                    start + timedelta(minutes=15),
                    status="cancelled" if added % 17 == 0 else "booked",
                    attendance="no_show" if added % 23 == 0 else None,
                )
                services.appointments.add(appointment, now)
                added += 1
                if added == APPOINTMENTS:
                    return "00000000"
        day += timedelta(days=1)
    return "00000000"


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    page = await (await session.get(f"{base}/connexion")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    form = {"csrf": token.group(1), "email": "banc@cabinet.test", "password": PASSWORD}
    async with session.post(f"{base}/connexion", data=form, allow_redirects=False) as response:
        assert response.status == 303, await response.text()


async def timed(session: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        began = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200, url
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a THROWAWAY database (its tables are dropped)")
    parser.add_argument("--paused", type=int, default=100, help="conversations waiting")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    throwaway = Database(url)
    metadata.drop_all(throwaway.engine)  # a throwaway database: never point this at real data
    throwaway.dispose()
    services = build_services(Settings(database_url=url), load_practice(ROOT / "practice.yml"))
    began = time.perf_counter()
    reference = seed(services, args.paused)
    services.staff.add("banc@cabinet.test", "Banc", PASSWORD)
    print(
        f"console on {url.split(':', 1)[0]}: {CONVERSATIONS} conversations ({args.paused} waiting), "
        f"{APPOINTMENTS} appointments, seeded in {time.perf_counter() - began:.0f} s"
    )
    runner = web.AppRunner(Console(services).app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await sign_in(session, base)
        pages = {
            "inbox  /": "/",
            "poll   /boite.json": "/boite.json",
            "agenda today": "/agenda",
            "agenda week": "/agenda?vue=semaine",
            "conversation": f"/conversations/{reference}",
        }
        for name, path in pages.items():
            await timed(session, base + path, 5)  # warm-up
            latencies = await timed(session, base + path, args.requests)
            print(f"  {name:<20} {summary(latencies)}")

        done = 0
        stop = time.perf_counter() + args.seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                async with session.get(base + "/") as response:
                    await response.read()
                done += 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(args.clients)))
        rate = done / (time.perf_counter() - began)
        print(f"  inbox throughput: {rate:.0f} pages/s with {args.clients} clients at once")
    print(f"  console process RSS: {rss_mib():.0f} MiB (bench client included)")
    await runner.cleanup()
    services.database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
