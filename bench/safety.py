"""The red-flag detector: recall per category, false alarms and latency per message.

    .venv/bin/python bench/safety.py [--part heldout|tuning] [--rounds 5]

Scores the held-out part of the safety corpus (tests/safety/corpus/heldout.jsonl) with the
patterns alone, the model alone and both (what patients get), then times `detect` on every
message of both parts, `rounds` times, after the model is built. Prints p50/p95/p99 per message,
throughput, the model's training time and the process's memory.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stats import rss_mib, summary  # noqa: E402

from clinic.domain.safety import Category, Finding, detect  # noqa: E402
from clinic.domain.safety import classifier as red_flag_model  # noqa: E402
from clinic.domain.safety.detector import ALONE, matched  # noqa: E402
from tests.safety.corpus import load, score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", default="heldout", choices=("heldout", "tuning"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    before = rss_mib()
    began = time.perf_counter()
    model = red_flag_model.model(wait=True)
    trained = time.perf_counter() - began
    assert model is not None, "the red-flag model could not be built"
    cases = load(args.part)

    def patterns(text: str) -> Finding | None:
        found = matched(text)
        return Finding(found) if found else None

    def model_only(text: str) -> Finding | None:
        scored = model.score(text)
        return Finding((scored.category,)) if scored.danger >= ALONE else None

    print(f"red-flag detector on the {args.part} part ({len(cases)} messages)")
    for name, reader in (("patterns", patterns), ("model", model_only), ("both", detect)):
        scores = score(cases, reader)
        caught, total = sum(scores.caught.values()), sum(scores.total.values())
        alarms = sum(scores.alarms.values())
        quiet = alarms + sum(scores.quiet.values())
        print(
            f"  {name:8}  recall {scores.recall:.3f} ({caught}/{total})  "
            f"false alarms {scores.false_alarm_rate:.3f} ({alarms}/{quiet})"
        )
    scores = score(cases, detect)
    print("  recall per category (both):")
    for category in Category:
        code = category.value
        print(
            f"    {code:13} {scores.category_recall(code):.2f} "
            f"({scores.caught[code]}/{scores.total[code]})  {category.label}"
        )
    texts = [case.text for case in load("tuning") + load("heldout")]
    latencies: list[float] = []
    began = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            start = time.perf_counter()
            detect(text)
            latencies.append((time.perf_counter() - start) * 1000)
    elapsed = time.perf_counter() - began
    print(f"  latency per message ({len(latencies)} calls): {summary(latencies)}")
    print(f"  throughput {len(latencies) / elapsed:.0f} messages/s on one core")
    print(f"  model trained in {trained:.1f} s; memory {before:.0f} -> {rss_mib():.0f} MiB RSS")


if __name__ == "__main__":
    main()
