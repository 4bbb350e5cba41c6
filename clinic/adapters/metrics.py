"""What the assistant does, in numbers: Prometheus metrics shared by every process.

Each process (the Rasa server through its WhatsApp channel, the action server, the worker, the
console) counts what happens in it into prometheus_client's registry, and serves it with
`serve_ops` on its own loopback port (`METRICS_PORT`), never through the reverse proxy. Labels
take a small fixed set of values (a kind, an outcome, an intent name, a Meta error code): never
a phone number, a name or a conversation id.

The counters are updated where the one thing they count happens: Graph API calls in the Graph
client, appointment changes in the audit trail (every change is audited), handoffs in
`Handoff.pause`, reminders and alerts where their rows are settled. State that lives in the
database (the outbox backlog, unopened emergencies, overdue reminders) is read at scrape time
by `DatabaseGauges`, registered by the worker only, so replicas do not report it twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from clinic.adapters.httpserver import LoopbackHTTPServer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import conversations, reminders, waitlist, whatsapp_outbound

logger = logging.getLogger(__name__)

#: Around the 5-second answer budget (decision 29).
TURN_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 15.0, 30.0, 60.0)

WEBHOOK_REQUESTS = Counter(
    "clinic_whatsapp_webhook_requests_total",
    "WhatsApp webhook POSTs by outcome: accepted, missing_signature, bad_signature, malformed, "
    "unavailable (database down: 503, Meta delivers again)",
    ["outcome"],
)
INBOUND_MESSAGES = Counter(
    "clinic_whatsapp_inbound_messages_total",
    "Patient messages received, by kind (text, choice, audio…) and outcome: accepted (a first "
    "delivery) or duplicate (Meta delivered it again)",
    ["kind", "outcome"],
)
MESSAGES_HANDLED = Counter(
    "clinic_whatsapp_messages_handled_total",
    "What became of each accepted message: turn, answered (a fixed reply), paused (staff have "
    "it), throttled, stale, ignored, failed; deferred counts each postponement",
    ["outcome"],
)
TURN_SECONDS = Histogram(
    "clinic_whatsapp_turn_seconds",
    "From a message's arrival to the last answer handed to the Graph API (queue included)",
    buckets=TURN_BUCKETS,
)
HOLDING_ANSWERS = Counter(
    "clinic_whatsapp_holding_answers_total",
    "« Un instant » answers: a turn over its budget, or deferred (a store unreachable)",
)
GRAPH_REQUESTS = Counter(
    "clinic_whatsapp_graph_requests_total",
    "Graph API calls by outcome (ok, error)",
    ["outcome"],
)
GRAPH_ERRORS = Counter(
    "clinic_whatsapp_graph_errors_total",
    "Graph API errors by Meta error code (0: timeout or connection; 190: token refused)",
    ["code"],
)
INTENTS = Counter(
    "clinic_nlu_intents_total",
    "Messages by the intent the NLU gave them (nlu_fallback: not understood)",
    ["intent"],
)
FORMS = Counter(
    "clinic_forms_total",
    "Form outcomes: completed (the booking or change was made) or abandoned (the patient stopped)",
    ["form", "outcome"],
)
APPOINTMENT_CHANGES = Counter(
    "clinic_appointment_changes_total",
    "Appointment changes, from the audit trail: booked, pending, moved, confirmed, cancelled, "
    "arrived, no_show; by actor (patient, staff, system)",
    ["action", "actor"],
)
HANDOFFS = Counter(
    "clinic_handoffs_total",
    "Conversations handed to staff, by reason (emergency, handoff, fallback…)",
    ["reason"],
)
REMINDERS = Counter(
    "clinic_reminders_total",
    "Reminders planned, sent, failed (Meta refused) or skipped (no consent, booked too late…)",
    ["outcome"],
)
STAFF_ALERTS = Counter(
    "clinic_staff_alerts_total",
    "Staff alerts by channel (whatsapp, email) and outcome (sent, failed, retry)",
    ["channel", "outcome"],
)
GOOGLE_ERRORS = Counter(
    "clinic_google_calendar_errors_total",
    "Google Calendar calls that failed, by operation (freebusy, insert, patch, delete)",
    ["operation"],
)
DUCKLING_SECONDS = Histogram(
    "clinic_duckling_request_seconds",
    "Duckling parse time seen by its client (HTTP or in-process)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
DUCKLING_ERRORS = Counter(
    "clinic_duckling_errors_total", "Duckling calls that failed (the fallback parser answered)"
)
CONSOLE_SIGNINS = Counter(
    "clinic_console_signins_total",
    "Console sign-ins by outcome (ok, wrong, locked, disabled)",
    ["outcome"],
)

WAITLIST_EVENTS = Counter(
    "clinic_waitlist_events_total",
    "Waiting list: wishes joined or left, offers sent, accepted, declined or expired",
    ["event"],
)
WAITLIST_FILL_SECONDS = Histogram(
    "clinic_waitlist_time_to_fill_seconds",
    "From a freed slot's offer to its acceptance",
    buckets=(60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600),
)
NO_SHOW_FOLLOW_UPS = Counter(
    "clinic_no_show_follow_ups_total",
    "Patients offered to book again after staff marked a no-show",
)


class DatabaseGauges(Collector):
    """What the alert rules watch in the database, read at each scrape (a few indexed counts)."""

    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self.now = now

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # computed at collect time; nothing to check at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.now()
        try:
            with self.database.transaction() as connection:
                outbox = connection.execute(
                    select(func.count(), func.min(whatsapp_outbound.c.created_at)).where(
                        whatsapp_outbound.c.status.in_(("queued", "sending"))
                    )
                ).one()
                emergencies = connection.execute(
                    select(func.count(), func.min(conversations.c.since)).where(
                        conversations.c.status == "paused",
                        conversations.c.reason == "emergency",
                        conversations.c.opened_at.is_(None),
                    )
                ).one()
                overdue = connection.execute(
                    select(func.count()).where(
                        reminders.c.status.in_(("pending", "sending")), reminders.c.due_at < now
                    )
                ).scalar_one()
                failed = connection.execute(
                    select(func.count()).where(reminders.c.status == "failed")
                ).scalar_one()
                waiting = connection.execute(
                    select(func.count()).where(waitlist.c.status == "waiting")
                ).scalar_one()
        except Exception:  # the database down: no gauges this scrape (`up` still says 1)
            logger.exception("metrics: the database could not be read")
            return

        def age(oldest: datetime | None) -> float:
            return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0

        yield _gauge("clinic_whatsapp_outbox_pending", "Messages queued, not yet sent", outbox[0])
        yield _gauge(
            "clinic_whatsapp_outbox_oldest_pending_seconds",
            "Age of the oldest message still queued (0: none)",
            age(outbox[1]),
        )
        yield _gauge(
            "clinic_emergencies_unopened",
            "Emergencies handed to staff that nobody opened yet",
            emergencies[0],
        )
        yield _gauge(
            "clinic_emergency_unopened_oldest_seconds",
            "How long the oldest unopened emergency has waited (0: none)",
            age(emergencies[1]),
        )
        yield _gauge("clinic_reminders_overdue", "Reminders past their due time, unsent", overdue)
        yield _gauge("clinic_reminders_failed", "Reminders Meta refused, kept for staff", failed)
        yield _gauge("clinic_waitlist_waiting", "Patients' wishes on the waiting list", waiting)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


_database_gauges: list[DatabaseGauges] = []


def register_database_gauges(database: Database, now: Callable[[], datetime]) -> None:
    """The database's state as gauges (the worker): one collector per process, the last
    database registered wins (tests start several workers in one process)."""
    for previous in _database_gauges:
        REGISTRY.unregister(previous)
    _database_gauges[:] = [DatabaseGauges(database, now)]
    REGISTRY.register(_database_gauges[0])


#: A readiness check: its name and a callable saying whether that dependency answers.
Check = Callable[[], bool]


def database_answers(database: Database) -> Check:
    def check() -> bool:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True

    return check


def http_answers(url: str, timeout: float = 2.0) -> Check:
    """A GET that answers 2xx (Duckling's `/`, the action server's `/health`)."""

    def check() -> bool:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300

    return check


def cached(check: Check, seconds: float) -> Check:
    """A check asked at most every `seconds` (a probe every 10 s must not hammer Meta)."""
    last: list[tuple[float, bool]] = []

    def wrapper() -> bool:
        now = time.monotonic()
        if not last or now - last[0][0] > seconds:
            last[:] = [(now, readiness({"_": check})["_"])]
        return last[0][1]

    return wrapper


def readiness(checks: Mapping[str, Check]) -> dict[str, bool]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = bool(check())
        except Exception:
            results[name] = False
    return results


class OpsServer:
    """`/metrics` (Prometheus text), `/health/live` (the process answers) and `/health/ready`
    (every dependency this process needs answers: 200, else 503 with which one) on a loopback
    port of their own, in a thread: never in the public routes, and up even when the process's
    own server is busy."""

    def __init__(self, port: int, checks: Mapping[str, Check], host: str = "127.0.0.1") -> None:
        self.checks = dict(checks)
        ops = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path == "/metrics":
                    self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
                elif self.path == "/health/live":
                    self._send(200, b'{"status": "ok"}', "application/json")
                elif self.path == "/health/ready":
                    results = readiness(ops.checks)
                    ok = all(results.values())
                    body = json.dumps({"ready": ok, "checks": results}).encode()
                    self._send(200 if ok else 503, body, "application/json")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # scrapes every 15 s are not news

        self.server = LoopbackHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> OpsServer:
        self.thread.start()
        host = self.server.server_address[0]
        logger.info("metrics and health on %s:%d", host, self.port)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_ops(
    port: int | None, checks: Mapping[str, Check], host: str = "127.0.0.1"
) -> OpsServer | None:
    """Start the ops server when this process was given a port (METRICS_PORT)."""
    if not port:
        return None
    return OpsServer(port, checks, host).start()


def timed(histogram: Histogram) -> Callable[[], float]:
    """A stopwatch: call the returned function to observe the seconds since."""
    began = time.perf_counter()

    def stop() -> float:
        elapsed = time.perf_counter() - began
        histogram.observe(elapsed)
        return elapsed

    return stop
