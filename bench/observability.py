"""Benchmark: what metrics and traces add to one WhatsApp turn, in microseconds.

One booking turn records, in the Rasa process: the webhook outcome, the message claimed, the
NLU's intent, about four Graph calls, the turn's duration, the outcome; in the action server:
one or two actions announced, the appointment change, the form, a reminder planned, a Duckling
timing; and three to five extra log lines, each carrying the trace id. This replays exactly that
set `--turns` times, with the project's JSON formatter writing to /dev/null, and prints the
cost per turn; then the same log lines without a bound trace id, for the tracing share.

    .venv/bin/python bench/observability.py [--turns 20000]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import rss_mib  # noqa: E402

from clinic.adapters import metrics  # noqa: E402
from clinic.adapters.logs import JsonFormatter, install_masking, traced  # noqa: E402
from clinic.adapters.whatsapp.identity import Keyring  # noqa: E402


def one_turn(log: logging.Logger, keyring: Keyring, n: int, trace: bool) -> None:
    trace_id = keyring.trace_id(f"wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQz{n}") if trace else None
    metrics.WEBHOOK_REQUESTS.labels("accepted").inc()
    metrics.INBOUND_MESSAGES.labels("text", "accepted").inc()
    with traced(trace_id):
        log.info("message received", extra={"kind": "text"})
        metrics.INTENTS.labels("book_appointment").inc()
        log.info("nlu", extra={"intent": "book_appointment", "confidence": 0.98})
        log.info("action %s", "action_book_appointment", extra={"intent": "affirm"})
        metrics.APPOINTMENT_CHANGES.labels("booked", "patient").inc()
        metrics.FORMS.labels("booking_form", "completed").inc()
        metrics.REMINDERS.labels("planned").inc()
        metrics.DUCKLING_SECONDS.observe(0.012)
        for _ in range(4):
            metrics.GRAPH_REQUESTS.labels("ok").inc()
        metrics.TURN_SECONDS.observe(1.2)
        log.info("turn done", extra={"seconds": 1.2})
        metrics.MESSAGES_HANDLED.labels("turn").inc()


def run(turns: int, trace: bool) -> float:
    install_masking()
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("bench.observability")
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    keyring = Keyring(b"k" * 32)
    for n in range(200):  # warm-up
        one_turn(log, keyring, n, trace)
    began = time.perf_counter()
    for n in range(turns):
        one_turn(log, keyring, n, trace)
    return (time.perf_counter() - began) / turns * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20_000)
    args = parser.parse_args()
    with_trace = run(args.turns, trace=True)
    without = run(args.turns, trace=False)
    print(f"metrics and traces: {args.turns} turns replayed")
    print(f"  per turn, metrics + 4 JSON log lines with trace id: {with_trace:7.1f} µs")
    print(f"  per turn, the same without a trace id bound:         {without:7.1f} µs")
    print(f"  share of the trace id (derivation + field):          {with_trace - without:7.1f} µs")
    print(f"  process RSS: {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
