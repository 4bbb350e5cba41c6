"""De-identification of the trainers' export: the candidates compared on the labelled corpus.

    .venv/bin/python bench/deidentify.py [--part dev|heldout] [--misses]

Scores each candidate on tests/privacy/deid/<part>.jsonl (tests/privacy/corpus.py says how):

- `export rules (before)`: `clinic.services.export.anonymise` as it was before decision 43 (a
  copy below: phones, e-mails, the conversation's names, dates with an old year, « pour <motif> »),
  with no names given (a relative, a doctor, a name not in the conversation) and with the line's
  gold names given (the best the conversation's names could do);
- `spaCy NER alone`: `fr_core_news_md`'s PER and LOC entities, nothing else;
- `rules alone`: `Deidentifier(None)`, without the model (no NER, no lexicon);
- `spaCy + rules`: `Deidentifier.load()`, what the export uses;
- `Presidio`: presidio-analyzer + presidio-anonymizer with the same spaCy model, their French
  defaults, alone and with our rules' spans added (only when presidio is importable: it is not
  a project dependency; decision 43 says how it was installed beside the project to measure it).

The protocol: tune on `dev` only; `heldout` is run once, with the chosen method, and reported.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinic.adapters.logs import mask  # noqa: E402
from clinic.domain.french import fold  # noqa: E402
from clinic.domain.practice import Practice, load_practice  # noqa: E402
from clinic.services.deidentify import PLACEHOLDERS, Deidentifier, Span  # noqa: E402
from clinic.services.deidentify import _merge as merge  # noqa: E402
from tests.privacy.corpus import HEADER, load, score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The corpus's present: its birth dates are judged against this year.
TODAY = date(2026, 12, 7)


def baseline(practice: Practice, names: dict[str, set[str]] | None) -> Callable[[str], str]:
    """The export's rules before decision 43 (commit 73c2c71), copied so that the row stays
    reproducible once the export changed."""
    months = (
        "janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|"
        "novembre|decembre|décembre"
    )
    full_date = re.compile(
        r"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-]|\d{1,2}(?:er)?\s+(?:"
        + months
        + r")\s+)((?:19|20)\d{2})\b",
        re.IGNORECASE,
    )
    relatives = {
        "fils", "fille", "mere", "pere", "mari", "femme", "epoux", "epouse", "enfant", "enfants",
        "bebe", "frere", "soeur", "grand-mere", "grand-pere", "compagnon", "compagne", "ado",
        "moi", "petit", "petite", "garcon", "grand", "grands-parents", "parents",
    }  # fmt: skip
    for_something = re.compile(
        r"\bpour\s+(?:un|une|mon|ma|mes|le|la|les|son|sa|ses|des|du)\s+([^,.;!?\n]+)",
        re.IGNORECASE,
    )
    reason_end = re.compile(
        r"\s(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|aujourd|ce|cet|cette|"
        r"le|la|les|à|a|vers|avant|après|apres|pas|dès|des|entre|svp|s'il|merci|si|de|d')\b",
        re.IGNORECASE,
    )

    def keep_or_hide(match: re.Match[str]) -> str:
        words = match[1]
        cut = reason_end.search(" " + words)
        phrase = words[: cut.start() - 1] if cut and cut.start() > 0 else words
        head = fold(phrase.split()[0]) if phrase.split() else ""
        if not phrase.strip() or head in relatives or practice.match_reason(phrase) is not None:
            return match[0]
        return match[0].replace(phrase, "<motif>", 1)

    def run(text: str, given: set[str]) -> str:
        text = mask(text)
        tokens = {t for name in given for t in re.split(r"[\s\-']+", name) if len(t) >= 2}
        for token in sorted(tokens, key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(token)}(?!\w)", "<nom>", text, flags=re.I)
        text = full_date.sub(
            lambda m: "<date de naissance>" if int(m[1]) < TODAY.year - 1 else m[0], text
        )
        parts = re.split(r"(?i)(?=\bpour\s)", text)
        return "".join(for_something.sub(keep_or_hide, p) for p in parts)

    return lambda text: run(text, (names or {}).get(text, set()))


def spacy_alone(deidentifier: Deidentifier) -> Callable[[str], str]:
    def run(text: str) -> str:
        assert deidentifier.nlp is not None
        for entity in reversed(deidentifier.nlp(text).ents):
            if entity.label_ in ("PER", "LOC"):
                placeholder = "<nom>" if entity.label_ == "PER" else "<adresse>"
                text = text[: entity.start_char] + placeholder + text[entity.end_char :]
        return text

    return run


def presidio(with_rules: Deidentifier | None = None) -> Callable[[str], str] | None:
    """Presidio's French defaults; with `with_rules`, the union of its spans and ours."""
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine
        from presidio_anonymizer.entities import OperatorConfig
    except ImportError:
        return None
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
    }
    engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["fr"])
    anonymizer = AnonymizerEngine()
    placeholders = {
        "PERSON": "<nom>", "LOCATION": "<adresse>", "DATE_TIME": "<date de naissance>",
        "AGE": "<âge>", "DEFAULT": "<contact>",
    }  # fmt: skip
    operators = {
        entity: OperatorConfig("replace", {"new_value": value})
        for entity, value in placeholders.items()
    }

    def run(text: str) -> str:
        found = analyzer.analyze(text=text, language="fr")
        if with_rules is None:
            result = anonymizer.anonymize(text=text, analyzer_results=found, operators=operators)
            return str(result.text)
        labels = {"PERSON": "PERSON", "LOCATION": "LOCATION", "DATE_TIME": "DATE", "AGE": "AGE"}
        theirs = [Span(r.start, r.end, labels.get(r.entity_type, "CONTACT")) for r in found]
        spans = merge([*with_rules.spans(text), *theirs], text)
        return with_rules.replace(text, spans)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", default="dev", choices=("dev", "heldout"))
    parser.add_argument("--misses", action="store_true", help="print what the last method missed")
    parser.add_argument("--only", help="score this method alone (a row's name)")
    args = parser.parse_args()
    lines = load(args.part)
    practice = load_practice(ROOT / "practice.yml")
    gold_names = {
        line.text: {line.text[s:e] for s, e, label in line.spans if label == "PERSON"}
        for line in lines
    }
    started = time.perf_counter()
    model = Deidentifier.load(today=TODAY)
    load_seconds = time.perf_counter() - started
    candidates: list[tuple[str, Callable[[str], str] | None]] = [
        ("export rules before (no names given)", baseline(practice, None)),
        ("export rules before (the line's gold names given)", baseline(practice, gold_names)),
        ("spaCy NER alone (PER, LOC)", spacy_alone(model)),
        ("rules alone (no model)", Deidentifier(None, today=TODAY)),
        ("Presidio, French defaults", presidio()),
        ("Presidio's French defaults + our rules (union)", presidio(model)),
        ("spaCy + rules (chosen)", model),
    ]
    placeholders = [*PLACEHOLDERS.values(), "<motif>", "<phone>", "<email>"]
    print(
        f"{args.part}: {len(lines)} lines, model loaded in {load_seconds:.1f} s, {datetime.now():%Y-%m-%d}"
    )
    print(HEADER)
    last = None
    for name, run in candidates:
        if run is None:
            print(f"| {name} | not importable here: skipped |")
            continue
        if args.only and args.only not in name:
            continue
        started = time.perf_counter()
        last = score(lines, run, placeholders)
        per_line = (time.perf_counter() - started) / len(lines) * 1000
        print(last.row(name) + f" {per_line:.1f} ms/line")
    if args.misses and last is not None:
        for title, items in (("missed", last.misses), ("removed wrongly", last.false),
                             ("reasons or times lost", last.lost)):  # fmt: skip
            print(f"\n{title}:")
            print("\n".join(f"  {item}" for item in items) or "  none")


if __name__ == "__main__":
    main()
