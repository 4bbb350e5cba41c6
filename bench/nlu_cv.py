"""Benchmark: repeated stratified cross-validation of NLU pipelines, on the same folds.

Each config is trained (`rasa train nlu`) on k-1 folds of `data/nlu` and scored (`rasa test nlu`)
on the last, for every fold of every repeat. The folds come from scikit-learn's
`RepeatedStratifiedKFold` with a fixed seed, so two configs, or two runs, see exactly the same
splits (Rasa's own `--cross-validation` reshuffles at every run). Prints, per config, the intent
macro-F1 with a 95 % interval, the per-intent mean F1, the mean training time, and how the last
fold's model loads (seconds, peak RSS) and parses (p50/p95, Duckling included), and writes them
as JSON. Run it with Duckling up (`make bench-nlu-cv`). Slow by design (one training per fold):
not part of CI, and its numbers are never asserted.

The interval is Nadeau and Bengio's corrected resampled t-interval: the folds share training
examples, so their scores are not independent and a plain t-interval would be too narrow.

    .venv/bin/python bench/nlu_cv.py [--folds 5] [--repeats 3] [--seed 7] [config.yml ...]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.nlu_overlap import examples  # noqa: E402  (run as a script from bench/)

RASA = [sys.executable, "-m", "connectors.launch", "rasa"]
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")  # « [vaccin](reason) » -> « vaccin »


def load(nlu_dir: Path) -> tuple[list[tuple[str, str]], str]:
    """(intent, example) pairs, entity markup kept, and the rest of the data (synonyms,
    regexes, lookups) written back unchanged into every fold."""
    import yaml

    paths = sorted(nlu_dir.glob("*.yml"))
    other = [
        item
        for path in paths
        for item in yaml.safe_load(path.read_text()).get("nlu", [])
        if "intent" not in item
    ]
    rest = yaml.safe_dump({"nlu": other}, allow_unicode=True, sort_keys=False) if other else ""
    return examples(paths), rest


def write_nlu(path: Path, pairs: list[tuple[str, str]], rest: str) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, text in pairs:
        by_intent[intent].append(text)
    blocks = [
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)
        for intent, texts in by_intent.items()
    ]
    body = 'version: "3.1"\nnlu:\n' + "".join(blocks)
    if rest:
        body += rest.removeprefix("nlu:\n")
    path.write_text(body)


def folds(pairs: list[tuple[str, str]], k: int, repeats: int, seed: int) -> list[list[int]]:
    """The test indices of each fold, repeat after repeat, stratified by intent."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    labels = [intent for intent, _ in pairs]
    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=seed)
    return [list(test) for _, test in splitter.split(labels, labels)]


def corrected_interval(scores: list[float], test_share: float) -> tuple[float, float]:
    """Nadeau-Bengio: variance × (1/n + n_test/n_train), Student's t with n-1 degrees."""
    from scipy import stats

    n = len(scores)
    mean = statistics.fmean(scores)
    if n < 2:
        return mean, mean
    variance = statistics.variance(scores) * (1 / n + test_share / (1 - test_share))
    half = stats.t.ppf(0.975, n - 1) * math.sqrt(variance)
    return mean - half, mean + half


PROBE = """
import asyncio, json, resource, sys, time
from connectors.rasa_speedups import load_models_for_inference
load_models_for_inference()
from rasa.core.agent import load_agent
began = time.perf_counter()
agent = asyncio.run(load_agent(model_path=sys.argv[1]))
loaded = time.perf_counter() - began
texts = json.loads(sys.argv[2])
async def parse_all():
    times = []
    for text in texts:
        start = time.perf_counter()
        await agent.parse_message(text)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)
times = asyncio.run(parse_all())
print(json.dumps({"load_seconds": loaded, "parse_p50_ms": times[len(times) // 2],
                  "parse_p95_ms": times[int(len(times) * 0.95)],
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def probe(model: Path, texts: list[str]) -> dict[str, float]:
    """A fresh process loads `model` as `rasa run` does here (patched for inference) and parses
    `texts` one by one: load time, parse p50/p95 (Duckling included), peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(model), json.dumps(texts)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_fold(config: Path, train: Path, test: Path, work: Path) -> tuple[dict[str, Any], float]:
    """Train on `train`, score on `test`: Rasa's intent report, and the training seconds."""
    began = time.monotonic()
    subprocess.run(
        [*RASA, "train", "nlu", "--config", str(config), "--nlu", str(train), "--out", str(work),
         "--fixed-model-name", "fold"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    seconds = time.monotonic() - began
    out = work / "report"
    subprocess.run(
        [*RASA, "test", "nlu", "--model", str(work / "fold.tar.gz"), "--nlu", str(test),
         "--out", str(out), "--no-plot", "--no-errors"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    report = json.loads((out / "intent_report.json").read_text())
    entities = out / "DIETClassifier_report.json"  # the visit reason, as DIET extracts it
    if entities.exists():
        report["entity macro avg"] = json.loads(entities.read_text()).get("macro avg", {})
    return report, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["config.yml"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nlu", default="data/nlu")
    parser.add_argument("--out", default="results/nlu-cv.json")
    args = parser.parse_args()

    pairs, rest = load(ROOT / args.nlu)
    splits = folds(pairs, args.folds, args.repeats, args.seed)
    print(
        f"{len(pairs)} examples, {len(splits)} folds ({args.repeats} × {args.folds}), seed {args.seed}"
    )
    results: dict[str, Any] = {}
    for config in args.configs:
        scores: list[float] = []
        seconds: list[float] = []
        per_intent: dict[str, list[float]] = defaultdict(list)
        runtime: dict[str, float] = {}
        entity_scores: list[float] = []
        for number, test_index in enumerate(splits, start=1):
            held = set(test_index)
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                write_nlu(
                    work / "train.yml", [p for i, p in enumerate(pairs) if i not in held], rest
                )
                write_nlu(work / "test.yml", [pairs[i] for i in test_index], rest)
                report, trained = run_fold(
                    ROOT / config, work / "train.yml", work / "test.yml", work
                )
                if number == len(splits):  # the last fold's model: how it loads and parses
                    texts = [_ENTITY.sub(r"\1", pairs[i][1]) for i in test_index]
                    runtime = probe(work / "fold.tar.gz", texts[:200])
            scores.append(report["macro avg"]["f1-score"])
            if "f1-score" in report.get("entity macro avg", {}):
                entity_scores.append(report["entity macro avg"]["f1-score"])
            seconds.append(trained)
            for intent, row in report.items():
                if (
                    isinstance(row, dict)
                    and "support" in row
                    and intent not in ("macro avg", "weighted avg", "micro avg", "entity macro avg")
                ):
                    per_intent[intent].append(row["f1-score"])
            print(
                f"  {config} fold {number}/{len(splits)}: macro-F1 {scores[-1]:.3f} ({trained:.0f} s)",
                flush=True,
            )
        low, high = corrected_interval(scores, 1 / args.folds)
        mean = statistics.fmean(scores)
        results[config] = {
            "macro_f1": mean, "interval_95": [low, high], "folds": scores,
            "train_seconds": statistics.fmean(seconds),
            "entity_macro_f1": statistics.fmean(entity_scores) if entity_scores else None,
            **runtime,
            "per_intent": {k: statistics.fmean(v) for k, v in sorted(per_intent.items())},
        }  # fmt: skip
        print(f"{config}: intent macro-F1 {mean:.3f}  95 % [{low:.3f}, {high:.3f}]  "
              f"training {statistics.fmean(seconds):.0f} s per fold; load {runtime['load_seconds']:.1f} s, "
              f"parse p95 {runtime['parse_p95_ms']:.0f} ms, peak RSS {runtime['peak_rss_mib']:.0f} MiB")  # fmt: skip
        if entity_scores:
            print(f"    entities (DIET, macro-F1)  {statistics.fmean(entity_scores):.3f}")
        for intent, f1 in sorted(results[config]["per_intent"].items(), key=lambda kv: kv[1]):
            print(f"    {intent:<22} {f1:.3f}")
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
