"""The pilot report's cost: building the figures and rendering the page, on a seeded month.

    .venv/bin/python bench/report.py [--days 30] [--per-day 6] [--runs 10]

Prints p50/p95/p99 of `report.build` (SQL + Rasa events, the requested slots opened) and of
`report_page.render` (ten matplotlib plots), the page's size and the process's memory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stats import rss_mib, summary  # noqa: E402

from bench.pilot_month import run  # noqa: E402
from clinic.adapters.settings import Settings  # noqa: E402
from clinic.app import report_page  # noqa: E402
from clinic.app.wiring import build_services  # noqa: E402
from clinic.domain.clock import FixedClock  # noqa: E402
from clinic.domain.practice import load_practice  # noqa: E402
from clinic.services import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=6)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    practice = load_practice(ROOT / "practice.yml")
    first = datetime(2026, 11, 2, tzinfo=practice.tz).date()
    last = first + timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/pilot.db")
        clock = FixedClock(datetime(2026, 11, 2, tzinfo=practice.tz))
        services = build_services(settings, practice, clock=clock)
        began = time.perf_counter()
        truth = run(services, clock, first, args.days, args.per_day, seed=7)
        simulated = time.perf_counter() - began
        builds, renders = [], []
        page = ""
        for _ in range(args.runs):
            began = time.perf_counter()
            figures = report.build(services.database, practice, services.sealer, first, last)
            builds.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            page = report_page.render(figures, practice.name)
            renders.append((time.perf_counter() - began) * 1000)
        services.database.dispose()
    print(
        f"pilot month: {args.days} days, {len(truth.patients)} conversations, "
        f"{truth.user_turns} patient messages, simulated in {simulated:.1f} s"
    )
    print(f"report.build   ({args.runs} runs)  {summary(builds)}")
    print(f"page render    ({args.runs} runs)  {summary(renders)}")
    print(f"page {len(page) / 1024:.0f} KiB, self-contained; RSS {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
