"""Benchmark: the WhatsApp channel inside the real Rasa server.

1. Webhook acknowledgement: 50 concurrent senders post signed Meta webhooks; latency is from the
   request to Meta's 200. Measured twice: status callbacks (no dialogue behind them) and patient
   text messages (each starts a real Rasa turn in the background, competing for the CPU).
2. Reply latency of a text turn: a signed text webhook in, until the assistant's first answer
   reaches the simulator's fake Graph API (NLU, policies, action server, Graph call).

`make bench` runs it inside `devtools.stack exec --with duckling,actions,rasa`, which starts
the simulator and sets RASA_URL, SIMULATOR_URL and WHATSAPP_APP_SECRET. Numbers only.

    .venv/bin/python bench/whatsapp.py [--senders 50] [--acks 1000] [--turns 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from stats import rss_mib, summary  # noqa: E402

from clinic.adapters.storage import Database  # noqa: E402
from clinic.adapters.storage.tables import whatsapp_inbound  # noqa: E402
from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign  # noqa: E402
from devtools.simulator import payloads  # noqa: E402

PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "106540352242922")


async def post(session: aiohttp.ClientSession, url: str, secret: str, payload: dict) -> float:
    body = payloads.dumps(payload)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}
    start = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - start) * 1000


async def acks(
    url: str, secret: str, senders: int, total: int, kind: str, rate: float | None = None
) -> list[float]:
    """`senders` concurrent clients; each as fast as it can, or at `rate` webhooks per second."""
    latencies: list[float] = []
    per_sender = total // senders

    async def sender(index: int, session: aiohttp.ClientSession) -> None:
        wa_id = f"3360{int(time.time()) % 1000:03d}{index:04d}"
        for i in range(per_sender):
            if kind == "status":
                payload = payloads.status_payload(
                    payloads.new_wamid(), "delivered", wa_id, PHONE_NUMBER_ID
                )
            else:
                payload = payloads.text_payload(wa_id, f"bonjour {i}", PHONE_NUMBER_ID)
            began = time.perf_counter()
            latencies.append(await post(session, url, secret, payload))
            if rate:
                await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - began)))

    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(sender(i, session) for i in range(senders)))
        elapsed = time.perf_counter() - start
    pace = f"{rate:g}/s each" if rate else "flat out"
    print(
        f"  {kind:<6} {len(latencies)} webhooks, {senders} senders {pace}: {summary(latencies)}  "
        f"{len(latencies) / elapsed:7.1f} req/s"
    )
    return latencies


async def drain(expected: int, since: datetime, timeout: float = 900) -> float:
    """Wait until `expected` text messages received since `since` have had their turn; seconds."""
    database = Database(os.environ["DATABASE_URL"])
    table = whatsapp_inbound
    query = select(func.count()).where(
        table.c.received_at >= since, table.c.kind == "text", table.c.outcome != "received"
    )
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout:
            with database.transaction() as connection:
                if connection.execute(query).scalar_one() >= expected:
                    return time.monotonic() - start
            await asyncio.sleep(0.5)
        return float("nan")
    finally:
        database.dispose()


async def reply_latency(url: str, simulator: str, secret: str, turns: int) -> list[float]:
    run = int(time.time()) % 100_000
    latencies = []
    async with aiohttp.ClientSession() as session:
        for i in range(turns):
            async with session.get(f"{simulator}/_fake/requests") as response:
                before = len((await response.json())["accepted"])
            wa_id = f"3369{run:05d}{i // 10:02d}"  # a new conversation every 10 messages
            text = "bonjour" if i % 2 == 0 else "vous êtes ouverts le samedi ?"
            start = time.perf_counter()
            await post(session, url, secret, payloads.text_payload(wa_id, text, PHONE_NUMBER_ID))
            while True:
                async with session.get(f"{simulator}/_fake/requests") as response:
                    accepted = (await response.json())["accepted"][before:]
                if any(a["to"] == wa_id for a in accepted):
                    break
                await asyncio.sleep(0.005)
            latencies.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.3)  # let the turn's other messages go before the next one
    print(f"  text turn → first answer at the Graph API, {turns} turns: {summary(latencies)}")
    return latencies


async def burst(url: str, simulator: str, secret: str, patients: int) -> list[float]:
    """`patients` new conversations write at the same moment; each one's time to its first
    answer (the holding answer counts: it is what the patient sees)."""
    run = int(time.time()) % 100_000
    senders = [f"3368{run:05d}{i:03d}" for i in range(patients)]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{simulator}/_fake/requests") as response:
            before = len((await response.json())["accepted"])
        start = time.perf_counter()
        await asyncio.gather(
            *(
                post(session, url, secret, payloads.text_payload(w, "bonjour", PHONE_NUMBER_ID))
                for w in senders
            )
        )
        first: dict[str, float] = {}
        real: dict[str, float] = {}
        while len(real) < patients and time.perf_counter() - start < 300:
            async with session.get(f"{simulator}/_fake/requests") as response:
                accepted = (await response.json())["accepted"][before:]
            now = (time.perf_counter() - start) * 1000
            for item in accepted:
                to = item["to"]
                first.setdefault(to, now)
                body = item["body"].get("text", {}).get("body", "")
                if body.startswith("Bonjour"):
                    real.setdefault(to, now)
            await asyncio.sleep(0.01)
    print(
        f"  {patients} patients at once, first message (holding answer included): "
        f"{summary(list(first.values()))}  max {max(first.values()):.0f} ms"
    )
    print(
        f"  {patients} patients at once, the greeting itself: "
        f"{summary(list(real.values()))}  max {max(real.values()):.0f} ms"
    )
    return list(real.values())


def rasa_pid(port: str) -> str | None:
    try:
        out = subprocess.run(
            ["fuser", f"{port}/tcp"], capture_output=True, text=True
        ).stdout.split()
    except FileNotFoundError:
        return None
    return out[0] if out else None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--acks", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    rasa, simulator = os.environ["RASA_URL"], os.environ["SIMULATOR_URL"]
    secret = os.environ["WHATSAPP_APP_SECRET"]
    url = f"{rasa}/webhooks/whatsapp/webhook"
    with urllib.request.urlopen(f"{rasa}/") as response:  # noqa: S310 (loopback)
        response.read()
    print(f"WhatsApp webhook at {url}")
    print("Reply latency (one patient, sequential):")
    await reply_latency(url, simulator, secret, args.turns)
    print("Burst (first come, first served):")
    await burst(url, simulator, secret, args.burst)
    print("Acknowledgement latency (Meta's POST → 200):")
    await acks(url, secret, args.senders, args.acks, "status", rate=5)
    await acks(url, secret, args.senders, args.acks, "status")
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    texts = args.acks // 4
    started = time.monotonic()
    await acks(url, secret, args.senders, texts, "text")
    acked = time.monotonic() - started
    waited = await drain(texts, since)
    print(
        f"  the {texts} turns behind those acks all finished {waited:.0f} s after the last ack "
        f"({texts / (acked + waited):.1f} turns/s through NLU, policies and the action server)"
    )
    pid = rasa_pid(rasa.rsplit(":", 1)[1])
    if pid:
        print(f"Rasa server RSS: {rss_mib(pid):.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
