"""The red-flag model on rounds it never saw: leave one round of the tuning part out.

    .venv/bin/python bench/safety_rounds.py [--thresholds 0.6,0.7,0.8]

The tuning part (clinic/domain/safety/data/tuning.jsonl) was written in rounds by different
hands, each message tagged with its `round`. For each round from the second on, the model is
trained on every other round (and the NLU examples, as `make model` does) and scored on that
round. This is how a setting of the model (its ALONE threshold) is chosen without reading the
held-out part: the patterns were tuned on every round, so only the model's own figures here are
honest; they tell how it reads words written by hands it never learnt from.

Prints, per threshold, pooled over the left-out rounds: the model's recall on danger messages
(flagged at or above the threshold, and heard by the detector's plausibility checks), and its
false alarms on the benign and negated ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinic.domain.safety import classifier  # noqa: E402
from clinic.domain.safety.classifier import NONE, TUNING, DangerModel, nlu_examples  # noqa: E402
from clinic.domain.safety.detector import _plausible  # noqa: E402
from clinic.domain.safety.normalise import sentences  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--thresholds", default="0.5,0.6,0.7,0.75,0.8,0.9")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    rows = [json.loads(line) for line in TUNING.read_text(encoding="utf-8").splitlines() if line]
    ordinary = [(text, NONE) for text in nlu_examples()]
    rounds = sorted({row["round"] for row in rows})
    caught: Counter[float] = Counter()
    alarms: Counter[float] = Counter()
    dangers = quiet = 0
    for left_out in rounds[1:]:
        began = time.perf_counter()
        train = [(r["text"], r.get("category") or NONE) for r in rows if r["round"] != left_out]
        model = DangerModel.train(train + ordinary)
        tested = [r for r in rows if r["round"] == left_out]
        round_caught: Counter[float] = Counter()
        round_alarms: Counter[float] = Counter()
        for row in tested:
            parsed = sentences(row["text"])
            whole = classifier.join(parsed)
            score = model.score_normalised(whole)
            heard = _plausible(score, parsed, whole)
            for threshold in thresholds:
                flagged = heard and score.danger >= threshold
                if row["kind"] == "danger":
                    # any category gets the 15 / 112; suicidal words need the 3114
                    right = row["category"] != "suicide" or score.category.value == "suicide"
                    round_caught[threshold] += flagged and right
                else:
                    round_alarms[threshold] += flagged
        n_danger = sum(r["kind"] == "danger" for r in tested)
        n_quiet = len(tested) - n_danger
        dangers, quiet = dangers + n_danger, quiet + n_quiet
        caught.update(round_caught)
        alarms.update(round_alarms)
        cells = "  ".join(
            f"{t:.2f}: {round_caught[t] / n_danger:.3f}/{round_alarms[t] / n_quiet:.3f}"
            for t in thresholds
        )
        print(f"round {left_out} left out ({time.perf_counter() - began:.0f} s)  {cells}")
    print(f"pooled over rounds {rounds[1]}-{rounds[-1]} ({dangers} danger, {quiet} others):")
    for threshold in thresholds:
        print(
            f"  ALONE {threshold:.2f}: model recall {caught[threshold] / dangers:.3f}, "
            f"false alarms {alarms[threshold] / quiet:.3f} ({alarms[threshold]}/{quiet})"
        )


if __name__ == "__main__":
    main()
