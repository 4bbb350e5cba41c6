"""Loading the trained Rasa model: Rasa 3.6's own way against `load_models_for_inference`.

    .venv/bin/python bench/rasa_load.py [--runs 2]

Each run is a fresh process that imports Rasa, loads the current model (`make model`) as
`rasa run` does (`load_agent`), then parses one message. Alternates the two ways, prints the
import and load times (p50 and the spread of the runs), the peak memory of each process, and the
red-flag model's load from the cache (`make model` builds it; timed after Rasa's load). Numbers only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.model import model_path  # noqa: E402

PROBE = """
import asyncio, json, resource, sys, time
began = time.perf_counter()
if sys.argv[1] == "inference":
    from connectors.rasa_speedups import load_models_for_inference
    load_models_for_inference()
from rasa.core.agent import load_agent
imported = time.perf_counter()
agent = asyncio.run(load_agent(model_path=sys.argv[2]))
loaded = time.perf_counter()
asyncio.run(agent.parse_message("je voudrais un rdv jeudi aprem"))
parsed = time.perf_counter()
from clinic.domain.safety import classifier
parsed = time.perf_counter()  # the NLU component loaded it in the background: load it again
classifier.DangerModel.load(classifier.cache_path())
flags = time.perf_counter()
print(json.dumps({"import": imported - began, "load": loaded - imported,
                  "first_parse": parsed - loaded, "red_flags": flags - parsed,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(way: str, model: Path) -> dict[str, float]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, way, str(model)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    model = model_path(ROOT)
    if not model.exists():
        raise SystemExit("no trained model for the current data: run `make model` first")
    results: dict[str, list[dict[str, float]]] = {"rasa": [], "inference": []}
    for _ in range(args.runs):
        for way in results:
            results[way].append(run(way, model))
    print(f"model {model.name}, {args.runs} runs each, {os.cpu_count()} cores")
    print(
        f"{'way':<10} {'import s':>9} {'load s':>14} {'1st parse s':>12} {'red flags s':>12} {'peak MiB':>9}"
    )
    for way, runs in results.items():

        def spread(key: str, runs: list[dict[str, float]] = runs) -> str:
            values = sorted(r[key] for r in runs)
            return f"{values[len(values) // 2]:.1f} ({values[0]:.1f}-{values[-1]:.1f})"

        print(
            f"{way:<10} {spread('import'):>9} {spread('load'):>14} {spread('first_parse'):>12} "
            f"{spread('red_flags'):>12} {max(r['rss_mib'] for r in runs):>9.0f}"
        )


if __name__ == "__main__":
    main()
