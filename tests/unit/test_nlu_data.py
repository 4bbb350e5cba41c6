"""The NLU data's own rules: enough examples per intent, and a held-out set that stays held out."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from clinic.domain.french import fold

ROOT = Path(__file__).parents[2]
CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "book_appointment", "inform",
    "cancel_appointment", "reschedule_appointment", "check_appointment", "ask_opening_hours",
    "ask_address", "emergency", "request_human", "delete_my_data", "bot_challenge", "out_of_scope",
}  # fmt: skip
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def examples(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" in item:
            lines = [line[2:].strip() for line in item["examples"].splitlines() if line.strip()]
            found.setdefault(item["intent"], []).extend(ANNOTATION.sub(r"\1", x) for x in lines)
    return found


def training() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for intent, texts in examples(path).items():
            merged.setdefault(intent, []).extend(texts)
    return merged


def test_every_contract_intent_has_at_least_30_examples() -> None:
    data = training()
    assert CONTRACT_INTENTS <= set(data)
    assert {i: len(data[i]) for i in CONTRACT_INTENTS if len(data[i]) < 30} == {}
    assert len(data["book_appointment"]) >= 80 and len(data["inform"]) >= 80


def test_domain_lists_the_contract_intents() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert CONTRACT_INTENTS <= set(domain["intents"])


def test_the_held_out_set_is_not_in_the_training_data() -> None:
    seen = {fold(t).strip(" !?.") for texts in training().values() for t in texts}
    holdout = examples(ROOT / "tests" / "nlu_holdout.yml")
    leaked = [t for texts in holdout.values() for t in texts if fold(t).strip(" !?.") in seen]
    assert leaked == []
    assert CONTRACT_INTENTS <= set(holdout)
    assert all(len(holdout[i]) >= 10 for i in CONTRACT_INTENTS)


def test_no_duplicate_training_example_across_intents() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for intent, texts in training().items():
        for text in texts:
            key = fold(text).strip(" !?.")
            if owner.setdefault(key, intent) != intent:
                clashes.append((text, owner[key], intent))
    assert clashes == []
