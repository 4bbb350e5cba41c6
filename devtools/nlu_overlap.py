"""How close a held-out NLU message is to the training data, ignoring what does not make it new.

Two messages are the same test when they differ only by accents, case, punctuation, emoji,
spacing or word order (« Bonjour 😊 » and « bonjour », « je dois reporter mon rendez vous » and
« …rendez-vous »). `normalise` removes those differences, and the similarity is rapidfuzz's
`token_sort_ratio` (0 to 100) on what is left. A held-out message is kept only if its best
match among the training examples is below `THRESHOLD` (docs/nlu-tuning.md says why 80).

    .venv/bin/python -m devtools.nlu_overlap tests/nlu_holdout.yml [--show 75]
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "data" / "nlu"
#: At 80 and above, the pairs read as the same sentence retyped: one word swapped for a synonym
#: of the same length, a typo, a word more (« je voudrais annuler mon rdv » / « je voudrais
#: annuler mon rdv svp »). Below it, another way of saying the thing.
THRESHOLD = 80.0
_ENTITY = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def normalise(text: str) -> str:
    """Lower case, no accents, letters and digits only, words sorted out by the scorer."""
    text = _ENTITY.sub(lambda m: m.group(1) or m.group(2), text)
    folded = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(
        c if c.isalnum() and not unicodedata.combining(c) else " "
        for c in folded
        if not unicodedata.combining(c)
    )
    return " ".join(kept.split())


def examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(intent, example) of Rasa NLU YAML files, entity markup kept."""
    found = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in str(item.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    found.append((item["intent"], line.strip()[2:].strip()))
    return found


def training() -> list[tuple[str, str]]:
    return examples(sorted(TRAINING.glob("*.yml")))


@dataclass(frozen=True)
class Match:
    intent: str
    text: str
    score: float
    closest_intent: str
    closest: str


def closest(held_out: list[tuple[str, str]], train: list[tuple[str, str]]) -> list[Match]:
    """Each held-out message with its nearest training example and their similarity."""
    choices = [normalise(text) for _, text in train]
    matches = []
    for intent, text in held_out:
        best = process.extractOne(normalise(text), choices, scorer=fuzz.token_sort_ratio)
        assert best is not None
        _, score, index = best
        matches.append(Match(intent, text, float(score), train[index][0], train[index][1]))
    return matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("held_out", type=Path)
    parser.add_argument("--show", type=float, default=THRESHOLD, help="print pairs from this score")
    args = parser.parse_args()
    matches = closest(examples([args.held_out]), training())
    for match in sorted(matches, key=lambda m: -m.score):
        if match.score >= args.show:
            print(
                f"{match.score:5.1f}  {match.intent}: {match.text}  ~  {match.closest_intent}: {match.closest}"
            )
    near = sum(m.score >= THRESHOLD for m in matches)
    print(
        f"{near} of {len(matches)} held-out messages are ≥ {THRESHOLD:.0f} similar to a training one"
    )


if __name__ == "__main__":
    main()
