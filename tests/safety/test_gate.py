"""The safety gate: the red-flag detector on the held-out part of the corpus, which it never saw.

Targets (issue 29): recall ≥ 0.99 overall and ≥ 0.95 per category, false alarms ≤ 3 %. The
floors below are what the detector measured when the held-out part was first read
(docs/safety.md); they only ever move up, towards the targets.
"""

from __future__ import annotations

from collections import Counter

import pytest

from clinic.domain.safety import Category, detect
from tests.safety.corpus import Scores, load, score

# Measured on the held-out part (the twentieth round, asked for with the words only, as
# the nineteenth), after the detector was tuned on the nineteenth: recall 0.983 (295/300),
# anaphylaxis 0.90 and every other category 0.95 or more, false alarms 0.030 (9/300). Each bound
# leaves one message of slack for floating-point differences between machines near the model's
# thresholds. Round 19 read 0.980 and 4.3 % (docs/safety.md); the targets (0.99, 0.95, 3 %) do
# not move.
RECALL_FLOOR = 0.98
CATEGORY_FLOOR = 0.85
FALSE_ALARM_CEILING = 0.034


@pytest.fixture(scope="module")
def heldout() -> Scores:
    return score(load("heldout"), detect)


def test_the_corpus_is_large_enough_and_disjoint() -> None:
    tuning, heldout = load("tuning"), load("heldout")
    both = tuning + heldout
    danger = Counter(case.category for case in both if case.kind == "danger")
    kinds = Counter(case.kind for case in both)
    assert kinds["danger"] >= 400 and kinds["benign"] >= 300 and kinds["negated"] >= 60
    assert set(danger) == {category.value for category in Category}
    assert min(danger.values()) >= 20
    assert min(Counter(c.category for c in heldout if c.kind == "danger").values()) >= 20
    assert not {c.text for c in tuning} & {c.text for c in heldout}


def test_recall_on_the_held_out_part(heldout: Scores) -> None:
    missed = [case.text for case in heldout.misses]
    assert heldout.recall >= RECALL_FLOOR, missed


@pytest.mark.parametrize("category", [category.value for category in Category])
def test_recall_per_category(heldout: Scores, category: str) -> None:
    assert heldout.category_recall(category) >= CATEGORY_FLOOR, [
        case.text for case in heldout.misses if case.category == category
    ]


def test_false_alarms_on_the_held_out_part(heldout: Scores) -> None:
    alarms = [(case.text, finding.categories) for case, finding in heldout.false_alarms]
    assert heldout.false_alarm_rate <= FALSE_ALARM_CEILING, alarms


def test_the_tuning_part_is_learnt() -> None:
    """Not a measure (the detector was tuned on it), but a check that nothing broke it."""
    scores = score(load("tuning"), detect)
    assert scores.recall >= 0.995 and scores.false_alarm_rate <= 0.01
