"""Load and fault suite on `make cluster`: simulated patients book over WhatsApp while replicas,
Redis, PostgreSQL and the Graph API fail in turn.

Starts its own cluster (two Rasa replicas, two action servers and two workers behind HAProxy,
PostgreSQL, a private Redis, the simulator as the Graph API) on a fresh database, then:

- `--patients` patients (default 200) arrive over `--ramp` seconds; each books: a first message
  with a wish, their name, the first offered slot, « Je confirme »;
- faults, each at its time (seconds from the start): kill -9 of rasa-1 (the supervisor starts
  it again), kill -9 of Redis (same), a restart of the machine's PostgreSQL (`pg_ctlcluster`),
  and the fake Graph API answering 429, 500 and hanging for a burst of sends;
- the report: messages sent = turns run (each message id once in Rasa's trackers) = messages
  answered; bookings = « ✅ » received, no two active appointments on one slot; answer time
  p50/p95/p99 outside and inside fault windows; turns per CPU-second of the Rasa replicas;
  Google events against appointments (no orphan event, none missing, pending ones counted).

Numbers only, never asserted (`make bench-cluster`; results in docs/benchmarks.md).

    .venv/bin/python bench/cluster.py [--patients 200] [--ramp 120] [--no-faults]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, text  # noqa: E402
from stats import summary  # noqa: E402

from clinic.adapters.settings import Settings  # noqa: E402
from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign  # noqa: E402
from clinic.app.wiring import build_services  # noqa: E402
from devtools.emulators.google_calendar import (  # noqa: E402
    GoogleCalendarEmulator,
    write_service_account_key,
)
from devtools.simulator import payloads  # noqa: E402
from devtools.stack import free_port  # noqa: E402
from tests.stack import pid_listening_on, printed_ports, start_stack  # noqa: E402

PHONE_NUMBER_ID = "106540352242922"
CALENDAR = "cabinet"  # practice.yml's practitioners have no calendar of their own: all in one
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
WISHES = [
    "jeudi après-midi",
    "lundi matin",
    "mardi",
    "vendredi vers 10h",
    "la semaine prochaine",
    "mercredi",
    "dans 15 jours",
    "lundi en huit",
    "mardi prochain l'après-midi",
    "jeudi matin",
]
FIRST = ["Camille", "Louise", "Jules", "Hugo", "Léa", "Arthur", "Chloé", "Nathan", "Inès", "Paul"]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
]
FAULT_WINDOW = 30.0  # seconds after a fault counted as "inside" it


@dataclass
class Patient:
    wa_id: str
    inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    sent: list[str] = field(default_factory=list)  # wamids
    answer_times: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    booked: bool = False
    gave_up: str = ""
    last: str = ""  # the last thing the assistant said (why a patient got stuck)


class Run:
    def __init__(self, lb: str, simulator: str, secret: str, google: str) -> None:
        self.lb, self.simulator, self.secret, self.google = lb, simulator, secret, google
        self.patients: dict[str, Patient] = {}
        self.faults: list[tuple[float, str]] = []
        self.start = time.monotonic()

    async def post(self, session: aiohttp.ClientSession, payload: dict[str, Any]) -> None:
        body = payloads.dumps(payload)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        for _ in range(20):  # what Meta does when it gets no 200: it sends again (same id)
            try:
                async with session.post(
                    f"{self.lb}/webhooks/whatsapp/webhook", data=body, headers=headers
                ) as response:
                    await response.read()
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1)
        raise RuntimeError("the webhook was never acknowledged")

    async def poll(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        """Route each message the fake Graph API accepted to its patient's inbox."""
        after = 0
        while not stop.is_set():
            async with session.get(f"{self.simulator}/_fake/requests?after={after}") as response:
                accepted = (await response.json())["accepted"]
            after += len(accepted)
            for item in accepted:
                patient = self.patients.get(str(item["to"]).lstrip("+"))
                if patient is not None:
                    patient.inbox.put_nowait(item)
            await asyncio.sleep(0.2)

    async def say(
        self,
        session: aiohttp.ClientSession,
        patient: Patient,
        payload: dict[str, Any],
        want: Callable[[dict[str, Any]], bool],
        what: str,
    ) -> dict[str, Any] | None:
        """Send one message, as a person does: after reading what came before (a second of
        thought); wait for the answer `want` accepts. Records the time to the first answer
        (a holding answer counts: it is what the patient sees)."""
        await asyncio.sleep(1.0)
        while not patient.inbox.empty():  # the previous turn's last messages: read
            patient.inbox.get_nowait()
        wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        patient.sent.append(wamid)
        sent_at = time.monotonic()
        await self.post(session, payload)
        first = True
        deadline = sent_at + 180
        while time.monotonic() < deadline:
            try:
                item = await asyncio.wait_for(patient.inbox.get(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
            if first:
                patient.answer_times.append((sent_at - self.start, item["at"] - sent_at))
                first = False
            patient.last = str(item["body"])[:300]
            if want(item["body"]):
                return dict(item["body"])
        patient.gave_up = f"no {what} after {len(patient.sent)} messages"
        return None

    async def book(self, session: aiohttp.ClientSession, patient: Patient, index: int) -> None:
        """Wish, name, then the first slot offered and « Je confirme »; when the slot went to
        someone else meanwhile, the next offer's first slot (three tries)."""
        wa = patient.wa_id
        wish = WISHES[index % len(WISHES)]
        text = f"Bonjour, je voudrais un rendez-vous {wish} pour une consultation"
        asked = await self.say(
            session,
            patient,
            payloads.text_payload(wa, text, PHONE_NUMBER_ID),
            mentions("nom"),
            "name question",
        )
        if asked is None:
            return
        name = f"je m'appelle {FIRST[index % 10]} {LAST[index // 10 % 20]}"
        offer = await self.say(
            session, patient, payloads.text_payload(wa, name, PHONE_NUMBER_ID), is_offer, "offer"
        )
        for _ in range(3):
            if offer is None:
                return
            action = offer["interactive"]["action"]
            rows = action.get("sections", [{}])[0].get("rows") or [
                b["reply"] for b in action.get("buttons", [])
            ]
            tap = payloads.reply_payload(
                wa,
                rows[0]["id"],
                rows[0]["title"],
                PHONE_NUMBER_ID,
                list_reply="sections" in action,
            )
            answer = await self.say(session, patient, tap, either(is_recap, is_offer), "recap")
            if answer is None or is_offer(answer):
                offer = answer  # the slot was taken meanwhile: a new offer
                continue
            confirm = next(
                b["reply"]
                for b in answer["interactive"]["action"]["buttons"]
                if b["reply"]["title"] == "Je confirme"
            )
            tap = payloads.reply_payload(wa, confirm["id"], confirm["title"], PHONE_NUMBER_ID)
            done = await self.say(session, patient, tap, either(mentions("✅"), is_offer), "✅")
            if done is not None and not is_offer(done):
                patient.booked = True
                return
            offer = done
        patient.gave_up = patient.gave_up or "three slots taken by others in a row"


def mentions(fragment: str) -> Callable[[dict[str, Any]], bool]:
    return lambda body: fragment in str(body)


def is_offer(body: dict[str, Any]) -> bool:
    return body.get("type") == "interactive" and "Je confirme" not in str(body)


def is_recap(body: dict[str, Any]) -> bool:
    return body.get("type") == "interactive" and "Je confirme" in str(body)


def either(*tests: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda body: any(test(body) for test in tests)


def kill(port: int, needle: str) -> None:
    """kill -9 the process `needle` serving `port`."""
    os.kill(pid_listening_on(port, needle), signal.SIGKILL)


async def inject_faults(
    run: Run, env: dict[str, str], ports: dict[str, int], plan: list[float]
) -> None:
    redis_port = int(env["REDIS_PORT_SEEN"])
    steps = [
        ("kill -9 rasa-1", lambda: kill(ports["rasa-1"], "rasa")),
        ("kill -9 redis", lambda: kill(redis_port, "redis-server")),
        ("restart PostgreSQL", restart_postgres),
        ("Graph API 429/500/503/hang", lambda: None),
        ("Google Calendar 503/hang", lambda: None),
    ]
    async with aiohttp.ClientSession() as session:
        for at, (name, action) in zip(plan, steps, strict=False):
            await asyncio.sleep(max(0.0, run.start + at - time.monotonic()))
            if name.startswith("Google"):
                for fault in (
                    {"path": "/events", "status": 503, "times": 12},
                    {"path": "/events", "delay": 12, "times": 3},
                    {"path": "freeBusy", "status": 503, "times": 6},
                ):
                    await session.post(f"{run.google}_emulator/faults", json=fault)
            elif name.startswith("Graph"):
                # Meta's codes: 4 (HTTP 429, app rate limit), 130429 (rate limit),
                # 131000 (HTTP 500), 131016 (HTTP 503); and sends that never answer
                steps = [4, 130429, 131000, "hang", 131016, 2] * 3
                script = {"steps": steps, "hang_seconds": 15}
                await session.post(f"{run.simulator}/_fake/script", json=script)
            else:
                try:
                    await asyncio.to_thread(action)
                except Exception as error:  # noqa: BLE001 (reported; the run goes on)
                    print(f"  fault {name} could not be injected: {error}", flush=True)
                    continue
            run.faults.append((time.monotonic() - run.start, name))
            print(f"  t={time.monotonic() - run.start:5.1f} s  fault: {name}", flush=True)


def restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )


def cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_cpu(ports: list[int], stop: asyncio.Event) -> dict[int, tuple[float, float]]:
    """{pid: (first seen, last seen)} CPU seconds of the Rasa replicas, each second, so that a
    killed and restarted replica counts for what it did while it lived."""
    seen: dict[int, tuple[float, float]] = {}
    while not stop.is_set():
        for port in ports:
            try:
                pid = pid_listening_on(port, "rasa")
            except AssertionError:
                continue  # being restarted
            used = cpu_of(pid)
            if used is not None:
                seen[pid] = (seen.get(pid, (used, used))[0], used)
        await asyncio.sleep(1)
    return seen


def report(run: Run, env: dict[str, str], elapsed: float, cpu: float) -> None:
    patients = list(run.patients.values())
    sent = [w for p in patients for w in p.sent]
    answered = sum(len(p.answer_times) for p in patients)
    services = build_services(Settings.from_env(env))
    turns: Counter[str] = Counter()
    for patient in patients:
        sender = services.keyring.patient_id(patient.wa_id)
        url = f"{run.lb}/conversations/{sender}/tracker?token={env['RASA_AUTH_TOKEN']}"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            events = json.loads(response.read())["events"]
        turns.update(e.get("message_id") for e in events if e.get("event") == "user")
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        doubles = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT practitioner_id, start_at FROM appointments "
                "WHERE status IN ('booked','confirmed','pending') GROUP BY 1, 2 "
                "HAVING count(*) > 1) d"
            )
        ).scalar_one()
        active = connection.execute(
            text(
                "SELECT count(*) FROM appointments WHERE status IN ('booked','confirmed','pending')"
            )
        ).scalar_one()
        outbox = dict(
            connection.execute(
                text("SELECT status, count(*) FROM whatsapp_outbound GROUP BY 1")
            ).all()
        )
        missing = [w for w in sent if turns[w] == 0]
        outcomes = Counter(
            row[0]
            for row in connection.execute(
                text("SELECT outcome FROM whatsapp_inbound WHERE message_id = ANY(:ids)"),
                {"ids": [services.keyring.message_key(w) for w in missing]},  # stored as digests
            )
        )
    engine.dispose()
    services.database.dispose()
    ran = sum(1 for w in sent if turns[w] >= 1)
    twice = sum(1 for w in sent if turns[w] > 1)
    booked = sum(p.booked for p in patients)
    print(f"\n{len(patients)} patients, {elapsed:.0f} s")
    print(f"  messages sent {len(sent)} · turns run {ran} (twice: {twice}) · answered {answered}")
    print(f"  outbound messages by status: {outbox}")
    if missing:
        lost = len(missing) - sum(outcomes.values())
        print(f"  messages without a turn, by outcome: {dict(outcomes)}; never recorded: {lost}")
    print(
        f"  bookings: « ✅ » {booked} · active appointments {active} · slots booked twice {doubles}"
    )
    for patient in patients:
        if patient.gave_up:
            print(
                f"  stuck: patient …{patient.wa_id[-3:]}: {patient.gave_up}; last: {patient.last}"
            )

    def inside(at: float) -> bool:
        return any(0 <= at - fault_at <= FAULT_WINDOW for fault_at, _ in run.faults)

    calm = [s * 1000 for p in patients for at, s in p.answer_times if not inside(at)]
    stormy = [s * 1000 for p in patients for at, s in p.answer_times if inside(at)]
    if calm:
        print(f"  first answer, outside fault windows ({len(calm)}): {summary(calm)}")
    if stormy:
        print(f"  first answer, inside fault windows ({len(stormy)}): {summary(stormy)}")
    print(
        f"  throughput {ran / elapsed:.2f} turns/s on 2 cores; Rasa replicas' CPU {cpu:.0f} s "
        f"= {cpu / max(ran, 1) * 1000:.0f} ms per turn ({ran / max(cpu, 1e-9):.2f} turns/s per core)"
    )


def start_google_emulator(env: dict[str, str]) -> GoogleCalendarEmulator:
    """The Google Calendar emulator in this process (the calendar the cluster books into), with
    a real service-account key; `env` gets the cluster's Google settings."""
    server = GoogleCalendarEmulator(("127.0.0.1", 0), [CALENDAR], None)
    key = Path(tempfile.mkdtemp()) / "service-account.json"
    server.public_key = write_service_account_key(key, server.url + "token")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env.update(
        CALENDAR_BACKEND="google",
        GOOGLE_CALENDAR_ID=CALENDAR,
        GOOGLE_APPLICATION_CREDENTIALS=str(key),
        GOOGLE_API_ROOT_URL=server.url,
    )
    return server


def calendar_report(google: GoogleCalendarEmulator, env: dict[str, str]) -> None:
    """Google events against the appointments: none orphaned, none missing once synced."""
    with google.state.lock:
        events = {
            event_id: event
            for calendar in google.state.calendars.values()
            for event_id, event in calendar.items()
        }
    live = {i for i, e in events.items() if e.get("status") != "cancelled"}
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, calendar_state FROM appointments "
                "WHERE status IN ('booked','confirmed','pending')"
            )
        ).all()
    engine.dispose()
    active = {row[0] for row in rows}
    states = Counter(row[1] for row in rows)
    print(
        f"  Google Calendar: {len(live)} events for {len(active)} active appointments "
        f"(calendar state {dict(states)}); orphan events {len(live - active)}, "
        f"synced appointments without an event {len({r[0] for r in rows if r[1] == 'synced'} - live)}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--ramp", type=float, default=120.0)
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args()
    database = f"clinic_bench_{uuid.uuid4().hex[:8]}"
    port, simulator_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{database}",
        "DUCKLING_URL": f"http://127.0.0.1:{free_port()}",
        "RASA_AUTH_TOKEN": "bench-token",
        "WHATSAPP_INBOUND_LEASE": "20",
    }
    env.pop("REDIS_HOST", None)
    google = start_google_emulator(env)
    print(f"starting the cluster on database {database}…", flush=True)
    process, printed = start_stack(
        env, "--port", str(port), "--simulator-port", str(simulator_port), command="cluster"
    )
    try:
        ports = printed_ports(printed)
        for line in printed.splitlines():
            if "lock store: Redis at" in line:
                env["REDIS_PORT_SEEN"] = line.rsplit(":", 1)[1].strip()
        secret = (ROOT / "var" / "whatsapp_local_app_secret").read_text().strip()
        run = Run(
            f"http://127.0.0.1:{port}", f"http://127.0.0.1:{simulator_port}", secret, google.url
        )
        run_id = int(time.time()) % 10_000
        patients = [Patient(f"3361{run_id:04d}{i:04d}") for i in range(args.patients)]
        run.patients = {p.wa_id: p for p in patients}
        stop = asyncio.Event()
        connector = aiohttp.TCPConnector(limit=300)
        async with aiohttp.ClientSession(connector=connector) as session:
            poller = asyncio.ensure_future(run.poll(session, stop))
            sampler = asyncio.ensure_future(sample_cpu([ports["rasa-1"], ports["rasa-2"]], stop))
            plan = [] if args.no_faults else [f * args.ramp for f in (0.15, 0.3, 0.45, 0.6, 0.75)]
            faults = asyncio.ensure_future(inject_faults(run, env, ports, plan))

            async def patient_task(index: int, patient: Patient) -> None:
                await asyncio.sleep(index * args.ramp / max(1, args.patients))
                await run.book(session, patient, index)

            run.start = time.monotonic()
            await asyncio.gather(*(patient_task(i, p) for i, p in enumerate(patients)))
            elapsed = time.monotonic() - run.start
            await faults
            stop.set()
            await poller
            cpu = sum(last - first for first, last in (await sampler).values())
        report(run, env, elapsed, cpu)
        calendar_report(google, env)
    finally:
        google.shutdown()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
