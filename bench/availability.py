"""Benchmark: the availability search over 60 days x 5 practitioners with 2,000 appointments.

Two levels, both printed with p50/p95/p99 and throughput:
- the pure engine (`find_slots`) with busy time already in memory;
- the service (`BookingService.search`): busy time read from a real SQLite database each time,
  as a conversation turn does.
Queries mix what patients ask: the earliest slot in 60 days, one day, a week of afternoons,
« vers 10h », one practitioner, a fully booked practitioner. Numbers only: nothing is asserted.

    .venv/bin/python bench/availability.py [--queries 2000] [--appointments 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import rss_mib, summary  # noqa: E402

from clinic.adapters.calendars.local import LocalCalendar  # noqa: E402
from clinic.adapters.sealing import Sealer  # noqa: E402
from clinic.adapters.storage import Database  # noqa: E402
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.domain.appointments import Appointment, new_appointment_id  # noqa: E402
from clinic.domain.clock import FixedClock  # noqa: E402
from clinic.domain.practice import Practice, load_practice  # noqa: E402
from clinic.domain.scheduling import SearchWindow, find_slots  # noqa: E402
from clinic.services.booking import BookingService  # noqa: E402

PRACTICE = """
practice: {name: Maison de santé, address: 1 place du Marché, phone: "04 00 00 00 00"}
opening_hours:
  lundi: [8h00-12h30, 13h30-19h30]
  mardi: [8h00-12h30, 13h30-19h30]
  mercredi: [8h00-12h30, 13h30-19h30]
  jeudi: [8h00-12h30, 13h30-19h30]
  vendredi: [8h00-12h30, 13h30-19h00]
  samedi: [8h30-12h30]
practitioners: [%s]
reasons:
  - {id: consultation, label: Consultation, duration_minutes: 20}
  - {id: ordonnance, label: Ordonnance, duration_minutes: 15}
  - {id: long, label: Consultation longue, duration_minutes: 40}
booking: {slot_step_minutes: 5, horizon_days: 60, min_notice_minutes: 60}
"""


def build(tmp: Path, appointments: int, seed: int) -> tuple[Practice, BookingService, datetime]:
    ids = [f"dr-{n}" for n in range(1, 6)]
    (tmp / "practice.yml").write_text(
        PRACTICE % ", ".join(f"{{id: {i}, name: Dr {i}}}" for i in ids)
    )
    practice = load_practice(tmp / "practice.yml")
    now = datetime(2026, 11, 30, 7, 0, tzinfo=practice.tz)
    clock = FixedClock(now)
    database = Database(f"sqlite:///{tmp / 'bench.db'}")
    database.create_schema()
    repository = AppointmentRepository(database, Sealer(["bench-data-key-0123456789"]))
    service = BookingService(practice, repository, LocalCalendar(), clock)
    rng = random.Random(seed)
    made = 0
    while made < appointments:
        start = now + timedelta(days=rng.randint(0, 59))
        window = SearchWindow(
            start, start + timedelta(days=1), around=clock_time(rng.randint(8, 18))
        )
        reason = rng.choice(["consultation", "ordonnance", "long"])
        slots = find_slots(
            practice,
            repository.busy(start, start + timedelta(days=1)),
            now,
            window,
            reason,
            rng.choice(ids),
            limit=1,
        )
        if not slots:
            continue
        slot = slots[0]
        repository.add(
            Appointment(
                new_appointment_id(),
                f"p{made}",
                "Patient",
                slot.practitioner_id,
                reason,
                slot.start,
                slot.end,
            ),
            now,
        )
        made += 1
    # dr-5 is fully booked for the first 10 days: the worst case, a long scan
    day = now
    for _ in range(10):
        for opening in practice.practitioner("dr-5").hours.get(day.weekday(), ()):
            repository.add_block(
                datetime.combine(day.date(), opening.start, practice.tz),
                datetime.combine(day.date(), opening.end, practice.tz),
                "dr-5",
            )
        day += timedelta(days=1)
    return practice, service, now


def queries(now: datetime, n: int, seed: int) -> list[tuple[str, SearchWindow, str, str | None]]:
    """(kind, window, reason, practitioner) tuples mixing what patients ask."""
    rng = random.Random(seed)
    shapes = {
        "earliest-60d": lambda day: (SearchWindow(now, now + timedelta(days=60)), None),
        "one-day": lambda day: (SearchWindow(day, day + timedelta(days=1)), None),
        "week-afternoons": lambda day: (
            SearchWindow(day, day + timedelta(days=7), daily_from=clock_time(14)),
            None,
        ),
        "around-10h": lambda day: (
            SearchWindow(day, day + timedelta(days=1), around=clock_time(10)),
            None,
        ),
        "one-practitioner": lambda day: (
            SearchWindow(day, day + timedelta(days=14)),
            f"dr-{rng.randint(1, 4)}",
        ),
        "full-practitioner": lambda day: (SearchWindow(now, now + timedelta(days=60)), "dr-5"),
    }
    items = []
    for _ in range(n):
        day = (now + timedelta(days=rng.randint(0, 50))).replace(hour=0, minute=0)
        kind = rng.choice(list(shapes))
        reason = rng.choice(["consultation", "ordonnance", "long"])
        window, practitioner = shapes[kind](day)
        items.append((kind, window, reason, practitioner))
    return items


def measure(label: str, run, items) -> None:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    started = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        run(item)
        ms = (time.perf_counter() - t0) * 1000
        latencies.append(ms)
        by_kind.setdefault(item[0], []).append(ms)
    throughput = len(items) / (time.perf_counter() - started)
    print(f"{label}: {summary(latencies)}  throughput {throughput:7.1f} searches/s")
    for kind, values in sorted(by_kind.items()):
        print(f"    {kind:<18} {summary(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--appointments", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        practice, service, now = build(Path(tmp), args.appointments, args.seed)
        busy = service.repository.busy(now - timedelta(days=1), now + timedelta(days=61))
        items = queries(now, args.queries, args.seed)
        total = sum(len(v) for v in busy.values())
        print(
            f"availability search, 60 days x 5 practitioners, {total} busy intervals, {len(items)} queries"
        )
        tracemalloc.start()
        measure(
            "  engine (busy in memory)",
            lambda q: find_slots(practice, busy, now, q[1], q[2], q[3]),
            items,
        )
        peak = tracemalloc.get_traced_memory()[1] / 1024
        tracemalloc.stop()
        measure(
            "  service (SQLite read + engine)", lambda q: service.search(q[1], q[2], q[3]), items
        )
        print(f"  engine peak allocation {peak:.0f} KiB, process RSS {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
