"""50 patients tap the same slot at once: exactly one booking, on SQLite and PostgreSQL,
from threads of one process and from two processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.adapters.calendars.local import LocalCalendar
from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import ACTIVE, AppointmentRepository
from clinic.adapters.storage.tables import appointments
from clinic.domain.clock import FixedClock
from clinic.domain.practice import load_practice
from clinic.domain.scheduling import Slot
from clinic.services.booking import BookingService
from tests.conftest import NOW, PARIS, ROOT, sealer

ATTEMPTS = 50
START = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
SLOT = Slot(START, START + timedelta(minutes=20), "dr-martin")


def _race(
    url: str, first: int, count: int, go: threading.Event | None = None
) -> list[tuple[str, bool]]:
    """`count` threads book SLOT together; returns (status, alternatives without SLOT) per thread."""
    practice = load_practice(ROOT / "tests" / "fixtures" / "practice.yml")
    database = Database(url)
    repository = AppointmentRepository(database, sealer(), practice.rules.buffer)
    service = BookingService(practice, repository, LocalCalendar(), FixedClock(NOW))
    barrier = threading.Barrier(count)
    results: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        outcome = service.book(SLOT, "consultation", f"patient-{n}", f"Patient {n}")
        fresh = bool(outcome.alternatives) and SLOT.start not in {
            s.start for s in outcome.alternatives
        }
        with lock:
            results.append((outcome.status, fresh))

    if go is not None:
        go.wait(60)
    threads = [threading.Thread(target=attempt, args=(first + n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    database.dispose()
    return results


def _child(url: str, first: int, count: int, ready: object, go: object, out: object) -> None:
    ready.put(first)  # type: ignore[attr-defined]
    out.put(_race(url, first, count, go))  # type: ignore[attr-defined, arg-type]


def _assert_one_winner(results: list[tuple[str, bool]], database: Database) -> None:
    assert len(results) == ATTEMPTS
    statuses = Counter(status for status, _ in results)
    assert statuses == {"booked": 1, "taken": ATTEMPTS - 1}
    assert all(fresh for status, fresh in results if status == "taken")  # losers: alternatives
    with database.engine.connect() as connection:
        active = connection.execute(
            select(func.count()).select_from(appointments).where(appointments.c.status.in_(ACTIVE))
        ).scalar_one()
    assert active == 1


def test_threads_one_process(database_url: str, database: Database) -> None:
    _assert_one_winner(_race(database_url, 0, ATTEMPTS), database)


def test_two_processes(database_url: str, database: Database) -> None:
    context = multiprocessing.get_context("spawn")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    half = ATTEMPTS // 2
    processes = [
        context.Process(target=_child, args=(database_url, first, half, ready, go, out))
        for first in (0, half)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    go.set()
    results = [item for _ in processes for item in out.get(timeout=180)]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    _assert_one_winner(results, database)


def test_sqlite_file_is_shared_safely_by_many_writers(tmp_path: Path) -> None:
    """Distinct slots in parallel: every one is booked (no 'database is locked' losses)."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    database = Database(url)
    database.create_schema()
    practice = load_practice(ROOT / "tests" / "fixtures" / "practice.yml")
    service = BookingService(
        practice, AppointmentRepository(database, sealer()), LocalCalendar(), FixedClock(NOW)
    )
    slots = [
        Slot(day + timedelta(minutes=15 * n), day + timedelta(minutes=15 * n + 15), "dr-martin")
        for day in (START, START + timedelta(days=2))  # Tuesday and Thursday mornings
        for n in range(10)
    ]
    results: list[str] = []
    barrier = threading.Barrier(len(slots))

    def book(n: int, slot: Slot) -> None:
        barrier.wait()
        results.append(service.book(slot, "ordonnance", f"p{n}", "P").status)

    threads = [threading.Thread(target=book, args=(n, s)) for n, s in enumerate(slots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results.count("booked") == 20
    database.dispose()


pytestmark = pytest.mark.timeout(300)
