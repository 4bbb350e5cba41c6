"""Fail the build when the NLU's intent macro-F1 on the held-out set is below a threshold."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def macro_f1(report: dict[str, Any]) -> float:
    return float(report["macro avg"]["f1-score"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path, help="rasa test nlu's intent_report.json")
    parser.add_argument("--min-f1", type=float, default=0.90)
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    score = macro_f1(report)
    weak = sorted(
        (name, values["f1-score"])
        for name, values in report.items()
        if isinstance(values, dict)
        and "f1-score" in values
        and " avg" not in name
        and values["f1-score"] < args.min_f1
    )
    print(f"intent macro-F1 on the held-out set: {score:.3f} (gate {args.min_f1:.2f})")
    for name, f1 in weak:
        print(f"  below the gate: {name} {f1:.3f}")
    if score < args.min_f1:
        raise SystemExit(f"error: NLU macro-F1 {score:.3f} < {args.min_f1:.2f}")


if __name__ == "__main__":
    main()
