"""`clinic report` on a seeded pilot month (bench/pilot_month.py: the core services and the
tracker store on one database, SQLite and PostgreSQL), checked against the month's own truth."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from bench.pilot_month import FIRST_NAMES, Truth, run
from clinic.app import report_page
from clinic.app.wiring import Services
from clinic.domain.clock import FixedClock
from clinic.services import report
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
FIRST = (NOW - timedelta(days=40)).astimezone(NOW.tzinfo).date()
DAYS = 30
LAST = FIRST + timedelta(days=DAYS - 1)


@pytest.fixture
def month(services: Services, clock: FixedClock) -> Truth:
    clock.set(NOW - timedelta(days=40))
    return run(services, clock, FIRST, DAYS, per_day=5, seed=11)


def test_every_figure_matches_the_seeded_truth(services: Services, month: Truth) -> None:
    figures = report.build(services.database, services.practice, services.sealer, FIRST, LAST, 0.08)
    assert figures.conversations == len(month.patients) > 100
    assert {d.day: d.conversations for d in figures.days if d.conversations} == {
        day: len(people) for day, people in month.conversations_by_day.items()
    }
    assert figures.patient_messages == month.patient_messages
    assert figures.user_turns == month.user_turns < month.patient_messages  # red flags: no turn
    assert figures.outside_hours == month.outside_hours > 0
    assert figures.booking_conversations == month.booking_conversations
    assert figures.completed == month.completed
    assert figures.drop_offs == month.drop_offs and sum(month.drop_offs.values()) > 0
    assert figures.completion_rate == round(month.completed / month.booking_conversations, 4)
    assert figures.bookings_assistant == month.bookings and figures.bookings_staff == 0
    assert (figures.moves, figures.cancellations) == (month.moves, month.cancellations)
    assert figures.no_show["arrived"] == month.arrived and figures.no_show["absent"] == month.absent
    assert figures.no_show["before_pilot"] == 0.08
    assert figures.reminders["sent"] == month.reminders_sent > 0
    assert figures.reminders["failed"] == month.reminders_failed
    assert figures.reminders["confirmed"] == month.confirmed
    assert (figures.handoffs, figures.emergencies) == (month.handoffs, month.emergencies)
    assert figures.fallbacks == month.fallbacks
    assert figures.intents == month.intents
    waits = np.array(month.waits)
    for key, q in (("p50", 50), ("p95", 95)):
        expected = float(np.percentile(waits, q, method="inverted_cdf"))
        assert figures.answer_seconds[key] == pytest.approx(expected, abs=0.002)
    # a period is a period: the day before the month has nothing
    before = report.build(
        services.database,
        services.practice,
        services.sealer,
        FIRST - timedelta(1),
        FIRST - timedelta(1),
    )
    assert before.conversations == 0 and before.completion_rate is None


@pytest.mark.recette(29)
def test_the_page_has_every_kpi_with_its_plot_and_no_personal_data(
    services: Services, month: Truth
) -> None:
    figures = report.build(services.database, services.practice, services.sealer, FIRST, LAST)
    page = report_page.render(figures, services.practice.name)
    sections = (
        "conversations", "bookings", "funnel", "changes", "no-show", "reminders", "handoffs",
        "intents", "answer", "outside-hours",
    )  # fmt: skip
    for section in sections:
        part = page.split(f'id="{section}"', 1)[1].split("<h2", 1)[0]
        [png] = re.findall(r'src="data:image/png;base64,([^"]+)"', part)
        assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n", section
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere
    text = page + json.dumps(figures.to_json(), ensure_ascii=False)
    for secret in (*FIRST_NAMES, "Quillebœuf", *month.patients):
        assert secret not in text
    assert f"{figures.completion_rate * 100:.1f} %".replace(".", ",") in page  # type: ignore[operator]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_command_writes_the_page_and_prints_json(
    services: Services, month: Truth, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "bilan.html"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), "report", "--from", FIRST.isoformat(),
         "--to", LAST.isoformat(), "--out", str(out), "--json"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url,
             "PRACTICE_CONFIG": str(ROOT / "tests" / "fixtures" / "practice.yml")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )  # fmt: skip
    assert json.loads(done.stdout)["completed"] == month.completed
    assert "Bilan du pilote" in out.read_text()
    wrong = subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), "report", "--from", "2026-12-10", "--to",
         "2026-12-01"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert wrong.returncode == 2 and "--to" in wrong.stderr
