"""Benchmark: latency and throughput of the embedded Duckling's `POST /parse` over HTTP.

Starts the server in a child process on a free port (or uses --url), sends French patient
phrases sequentially and then from concurrent clients, and prints p50/p95/p99, throughput and
the server's resident memory. Numbers only: nothing is asserted.

    .venv/bin/python bench/duckling_parse.py [--requests 2000] [--concurrency 8] [--url URL]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stats import rss_mib, summary

PHRASES = [
    "demain à 14h",
    "je voudrais un rdv jeudi après-midi pour un renouvellement d'ordonnance",
    "mardi vers 10h",
    "la semaine prochaine le matin",
    "le 12/12 à 9h30",
    "bonjour",
    "après 17h svp",
    "dans 3 jours",
]


def parse_once(url: str, text: str) -> float:
    body = urllib.parse.urlencode(
        {"text": text, "locale": "fr_FR", "tz": "Europe/Paris", "dims": '["time"]'}
    ).encode()
    start = time.perf_counter()
    with urllib.request.urlopen(f"{url}/parse", data=body, timeout=10) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


def run(url: str, n: int, concurrency: int) -> tuple[list[float], float]:
    texts = [PHRASES[i % len(PHRASES)] for i in range(n)]
    start = time.perf_counter()
    if concurrency == 1:
        latencies = [parse_once(url, t) for t in texts]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(lambda t: parse_once(url, t), texts))
    return latencies, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url", help="an already running Duckling (default: start one)")
    args = parser.parse_args()

    server = None
    url = args.url
    if url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from devtools.stack import free_port, http_ok

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "clinic.adapters.duckling", "--port", str(port)]
        )
        url = f"http://127.0.0.1:{port}"
        while not http_ok(f"{url}/health"):
            time.sleep(0.1)
    try:
        run(url, 100, 1)  # warm-up
        print(f"Duckling POST /parse at {url}, {args.requests} requests, French phrases")
        for concurrency in (1, args.concurrency):
            latencies, throughput = run(url, args.requests, concurrency)
            print(
                f"  concurrency {concurrency:>2}: {summary(latencies)}  "
                f"throughput {throughput:7.1f} req/s"
            )
        if server is not None:
            print(f"  server resident memory: {rss_mib(server.pid):.0f} MiB")
    finally:
        if server is not None:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
