"""The held-out NLU set measures what it claims: every intent, and nothing the model was trained on
under another spelling (issue 33: the old set held « Bonjour 😊 » against « bonjour »)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from devtools.nlu_overlap import THRESHOLD, closest, examples, normalise, training

ROOT = Path(__file__).parents[2]
HELD_OUT = ROOT / "tests" / "nlu_holdout.yml"


def test_what_the_similarity_sets_aside() -> None:
    assert normalise("Bonjour 😊") == normalise("bonjour !!")
    assert normalise("je dois reporter mon rendez vous") == normalise(
        "Je dois reporter mon rendez-vous."
    )
    assert normalise("un [vaccin](reason) svp") == "un vaccin svp"
    [same_words] = closest([("x", "mon rdv annuler je veux")], [("y", "je veux annuler mon rdv")])
    assert same_words.score == 100  # word order is not a new test


def test_every_intent_has_at_least_ten_held_out_messages() -> None:
    intents = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
    counts = Counter(intent for intent, _ in examples([HELD_OUT]))
    assert {i: counts[i] for i in intents if counts[i] < 10} == {}
    assert set(counts) <= set(intents)


def test_no_held_out_message_is_a_training_example_retyped() -> None:
    near = [m for m in closest(examples([HELD_OUT]), training()) if m.score >= THRESHOLD]
    assert [(m.text, m.closest, m.score) for m in near] == []
