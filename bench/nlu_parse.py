"""Benchmark: latency of Rasa's `POST /model/parse` (NLU + Duckling) on a running server.

`make bench` runs it inside `devtools.stack exec --with duckling,rasa`, which sets RASA_URL and
RASA_AUTH_TOKEN; or give --url/--token for any running server. Sends held-out-style patient
messages sequentially, then from concurrent clients, and prints p50/p95/p99, throughput and the
Rasa server's resident memory. Numbers only: nothing is asserted.

    .venv/bin/python bench/nlu_parse.py [--requests 1000] [--concurrency 4] [--url URL --token T]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from stats import rss_mib, summary

MESSAGES = [
    "Bonjour, je voudrais un rdv jeudi aprem pour un renouvellement d'ordonnance",
    "bjr",
    "Marie Dupont",
    "le plus tôt possible",
    "vous êtes ouverts le samedi ?",
    "je voudrais annuler mon rdv de mardi",
    "mon père a fait un malaise",
    "merci beaucoup, bonne journée",
    "c'est pour un vaccin, demain matin si possible, sinon n'importe quand sauf le lundi",
    "le deuxième",
]


def parse_once(url: str, token: str, text: str) -> float:
    request = urllib.request.Request(
        f"{url}/model/parse?token={token}",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


def run(url: str, token: str, n: int, concurrency: int) -> tuple[list[float], float]:
    texts = [MESSAGES[i % len(MESSAGES)] for i in range(n)]
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(lambda t: parse_once(url, token, t), texts))
    return latencies, n / (time.perf_counter() - start)


def rasa_pid(port: str) -> str | None:
    """The process listening on `port` (for its memory), if `ss` can tell."""
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    except OSError:
        return None
    marker = "pid="
    if marker not in out.stdout:
        return None
    return out.stdout.split(marker, 1)[1].split(",", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--token", default=os.environ.get("RASA_AUTH_TOKEN", ""))
    args = parser.parse_args()

    run(args.url, args.token, 50, 1)  # warm-up
    print(f"Rasa POST /model/parse at {args.url}, {args.requests} requests, patient messages")
    for concurrency in (1, args.concurrency):
        latencies, throughput = run(args.url, args.token, args.requests, concurrency)
        print(
            f"  concurrency {concurrency:>2}: {summary(latencies)}  "
            f"throughput {throughput:7.1f} req/s"
        )
    pid = rasa_pid(args.url.rsplit(":", 1)[1].rstrip("/"))
    if pid:
        print(f"  rasa server resident memory: {rss_mib(pid):.0f} MiB")


if __name__ == "__main__":
    main()
