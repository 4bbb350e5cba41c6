"""The red-flag corpus (tests/safety/corpus/) and how the detector is scored on it.

Written for issue 29 by hand, independently of the detector and of data/: danger messages with
their category (and, for suicidal ones, whether the danger is under way), ordinary symptom
messages (the hard negatives) and negated or hypothetical ones. Split once, before any tuning,
into `tuning.jsonl` (the detector was tuned on it) and `heldout.jsonl` (reported and gated).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic.safety import Category, Finding, answer
from clinic.safety.classifier import TUNING

CORPUS = Path(__file__).parent / "corpus"
#: The tuning part trains the detector's model, so it ships with it.
PARTS = {"tuning": TUNING, "heldout": CORPUS / "heldout.jsonl"}


@dataclass(frozen=True)
class Case:
    text: str
    kind: str  # danger, benign, negated
    category: str | None = None
    immediate: bool | None = None


def load(part: str) -> list[Case]:
    """`tuning` or `heldout`."""
    cases = []
    for line in PARTS[part].read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(Case(row["text"], row["kind"], row.get("category"), row.get("immediate")))
    return cases


def missed(case: Case, finding: Finding | None) -> bool:
    """A danger message is caught when it is flagged with the numbers it needs: the 3114 for
    suicidal words, and the 15 as well when the danger is under way."""
    if finding is None:
        return True
    if case.category != Category.SUICIDE.value:
        return False
    said = answer(finding)
    return "3114" not in said or (bool(case.immediate) and "15" not in said)


@dataclass
class Scores:
    caught: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    alarms: Counter[str] = field(default_factory=Counter)  # by kind: benign, negated
    quiet: Counter[str] = field(default_factory=Counter)
    misses: list[Case] = field(default_factory=list)
    false_alarms: list[tuple[Case, Finding]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return sum(self.caught.values()) / max(1, sum(self.total.values()))

    def category_recall(self, category: str) -> float:
        return self.caught[category] / max(1, self.total[category])

    @property
    def false_alarm_rate(self) -> float:
        alarms = sum(self.alarms.values())
        return alarms / max(1, alarms + sum(self.quiet.values()))


def score(cases: list[Case], detect: Callable[[str], Finding | None]) -> Scores:
    scores = Scores()
    for case in cases:
        finding = detect(case.text)
        if case.kind == "danger":
            assert case.category is not None
            scores.total[case.category] += 1
            if missed(case, finding):
                scores.misses.append(case)
            else:
                scores.caught[case.category] += 1
        elif finding is not None:
            scores.alarms[case.kind] += 1
            scores.false_alarms.append((case, finding))
        else:
            scores.quiet[case.kind] += 1
    return scores
