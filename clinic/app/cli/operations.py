"""`clinic reminders`, `audit`, `whatsapp outbox`, `trace` and `report`: reading what the
assistant did and sent, message by message or as the pilot's figures."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from clinic.adapters.storage.audit import Entry
from clinic.adapters.storage.trace import log_files, log_lines, stored
from clinic.adapters.whatsapp.outbox import OutboundView
from clinic.app import report_page
from clinic.app.cli.common import Groups, UsageError, emit, iso_day
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.statuses import OUTBOX_STATUSES, REMINDER_STATUSES
from clinic.services import report
from clinic.services.reminders import Reminder

REMINDER_LABELS = {
    "pending": "à envoyer",
    "sending": "en cours",
    "sent": "envoyé",
    "failed": "ÉCHEC",
    "cancelled": "annulé",
    "skipped": "non envoyé",
}


def register(groups: Groups) -> None:
    _add_listings(groups)
    _add_trace(groups)
    _add_report(groups)


def _add_listings(groups: Groups) -> None:
    reminders = groups.add_parser("reminders", help="WhatsApp reminders").add_subparsers(
        dest="action", required=True
    )
    due = reminders.add_parser("list", help="reminders by due time (practice time)")
    due.add_argument("--status", choices=REMINDER_STATUSES)
    due.add_argument("--json", action="store_true", help="machine-readable output")
    due.set_defaults(handler=_reminders)

    audit = groups.add_parser("audit", help="who booked, changed or cancelled what").add_subparsers(
        dest="action", required=True
    )
    trail = audit.add_parser("list", help="the audit trail, oldest first")
    trail.add_argument("--appointment", help="one appointment's history")
    trail.add_argument("--json", action="store_true", help="machine-readable output")
    trail.set_defaults(handler=_audit)

    whatsapp = groups.add_parser("whatsapp", help="the WhatsApp channel").add_subparsers(
        dest="action", required=True
    )
    outbox = whatsapp.add_parser("outbox", help="messages sent or waiting (no text, no number)")
    outbox.add_argument("--status", choices=OUTBOX_STATUSES)
    outbox.add_argument("--patient", help="a pseudonymous conversation id")
    outbox.add_argument("--json", action="store_true", help="machine-readable output")
    outbox.set_defaults(handler=_outbox)


def _add_trace(groups: Groups) -> None:
    trace = groups.add_parser("trace", help="the whole path of one WhatsApp message")
    trace.add_argument("wamid", help="Meta's message id (wamid.…), from the webhook or Meta")
    trace.add_argument(
        "--logs", default="var/log", help="the processes' log directory, or - for stdin"
    )
    trace.add_argument("--json", action="store_true", help="machine-readable output")
    trace.set_defaults(handler=_trace)


def _add_report(groups: Groups) -> None:
    figures = groups.add_parser(
        "report", help="the pilot's figures (counts and rates only) as an HTML page or JSON"
    )
    figures.add_argument("--from", dest="first", required=True, type=iso_day, help="YYYY-MM-DD")
    figures.add_argument(
        "--to", dest="last", required=True, type=iso_day, help="YYYY-MM-DD, included"
    )
    figures.add_argument("--out", help="the HTML file to write (default: print JSON)")
    figures.add_argument("--json", action="store_true", help="print the figures as JSON")
    figures.set_defaults(handler=_report)


def _audit(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz

    def line(e: Entry) -> str:
        when = french.day_and_hour(e.at.astimezone(tz))
        who = f"{e.actor} {e.actor_id or ''}".strip()
        slot = ""
        if e.after:
            start = datetime.fromisoformat(e.after["start"]).astimezone(tz)
            slot = f" → {french.day_and_hour(start)}"
        return f"{when}  {e.action:<10} rdv {e.appointment_id}  par {who}{slot}"

    entries = services.audit.entries(appointment_id=args.appointment)
    return emit(entries, args, lambda e: e.as_json(tz), line, "Aucune opération.")


def _reminders(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz

    def line(r: Reminder) -> str:
        note = f"  ({r.note})" if r.note else ""
        when = french.day_and_hour(r.due.astimezone(tz))
        label = REMINDER_LABELS.get(r.status, r.status)
        return f"{when}  {r.kind:<4} {label:<10} rdv {r.appointment_id}{note}"

    rows = services.reminders.list(status=args.status)
    return emit(rows, args, lambda r: r.as_json(tz), line, "Aucun rappel.")


def _outbox(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz

    def line(row: OutboundView) -> str:
        when = french.day_and_hour(row.created_at.astimezone(tz))
        error = f"  erreur {row.error_code}: {row.error_title}" if row.error_code else ""
        return f"#{row.id}  {when}  {row.kind:<12} {row.status:<9} {row.patient_id}{error}"

    rows = services.outbox.outbox(patient_id=args.patient, status=args.status)
    return emit(rows, args, lambda row: row.as_json(), line, "Aucun message.")


def _report(services: Services, args: argparse.Namespace) -> int:
    if args.last < args.first:
        raise UsageError("--to is before --from")
    practice = services.practice
    figures = report.build(
        services.database,
        practice,
        services.sealer,
        args.first,
        args.last,
        practice.no_show_rate_before,
    )
    if args.out:
        Path(args.out).write_text(report_page.render(figures, practice.name), encoding="utf-8")
        print(f"Bilan écrit / report written: {args.out}", file=sys.stderr)
    if args.json or not args.out:
        print(json.dumps(figures.to_json(), ensure_ascii=False, indent=2))
    return 0


def _trace(services: Services, args: argparse.Namespace) -> int:
    trace_id = services.keyring.trace_id(args.wamid)
    found = stored(services.database, services.keyring.message_key(args.wamid), trace_id)
    sources = [("stdin", sys.stdin)] if args.logs == "-" else log_files(Path(args.logs))
    lines = log_lines(sources, trace_id)
    if args.json:
        print(
            json.dumps(
                {"trace_id": trace_id, **found, "log": [line.as_json() for line in lines]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0 if found["inbound"] or lines else 1
    inbound = found["inbound"]
    if inbound is None and not lines:
        print(f"Message inconnu / unknown message (trace {trace_id})", file=sys.stderr)
        return 1
    tz = services.practice.tz

    def clock(moment: datetime) -> str:
        return f"{moment.astimezone(tz):%H:%M:%S}.{moment.microsecond // 1000:03d}"

    print(f"trace {trace_id}")
    if inbound is not None:
        received = datetime.fromisoformat(inbound["received_at"])
        took = ""
        if inbound["handled_at"]:
            seconds = (datetime.fromisoformat(inbound["handled_at"]) - received).total_seconds()
            took = f" en {seconds:.2f} s"
        print(
            f"reçu / received {received.astimezone(tz):%d/%m %H:%M:%S} ({inbound['kind']}), "
            f"issue / outcome: {inbound['outcome']}{took}, essais / tries: {inbound['attempts']}"
        )
    for line in lines:
        extra = " ".join(f"{k}={v}" for k, v in line.fields.items())
        print(f"  {clock(line.at)}  {line.process:<10} {line.message} {extra}".rstrip())
    for row in found["outbox"]:
        queued = datetime.fromisoformat(row["queued_at"])
        error = f" erreur {row['error_code']}" if row["error_code"] else ""
        print(f"  envoi / sent #{row['id']} {row['kind']} {row['status']}{error} ({clock(queued)})")
    return 0
