"""`clinic`: the staff and operator command line.

    clinic config check
    clinic appointments list [--from DATE] [--to DATE] [--status S] [--json]
    clinic appointments cancel ID
    clinic appointments confirm ID      (a pending booking)
    clinic appointments refuse ID       (a pending booking)
    clinic calendar sync
    clinic calendar block START END [--practitioner ID] [--label TEXT]
    clinic conversations list [--status paused|active|all] [--json]
    clinic conversations show ID [--json]
    clinic conversations reply ID TEXT       (free text, inside WhatsApp's 24-hour window)
    clinic conversations reply ID --template (the « reprise de contact » template, outside it)
    clinic conversations resume ID
    clinic flags list [--json]           (= conversations list --status paused)
    clinic patients export ID [--out FILE]   (everything kept about a patient, JSON)
    clinic patients erase ID --yes           (forget a patient: GDPR erasure)
    clinic privacy purge [--dry-run] [--json]   (the retention pass the worker runs daily)
    clinic privacy reseal                    (after DATA_ENCRYPTION_KEY=new,old: all under new)
    clinic reminders list [--status S] [--json]
    clinic audit list [--appointment ID] [--json]
    clinic whatsapp outbox [--status S] [--patient ID] [--json]
    clinic trace WAMID [--logs DIR|-] [--json]   (one message's path: processes, actions, sends)
    clinic conversations export --anonymise --since D [--out DIR]   (Rasa YAML for trainers)
    clinic report --from D --to D [--out F.html] [--json]   (the pilot's figures, no personal data)
    clinic staff add --email E --name N --password-stdin [--role staff|manager]
    clinic staff list [--json]
    clinic staff disable EMAIL           (its open console sessions end too)
    clinic keys rotate --new-key-stdin
    clinic worker [--once]

Dates are the practice's local time: `2026-12-03` (a whole day) or `2026-12-03T14:00`.
A conversation ID is its id or the reference staff alerts give (« 3f9a0c1e »). Staff actions are
recorded under CLINIC_STAFF (default: the system user name).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from clinic.adapters.keys import fingerprint, load_key, rotate
from clinic.adapters.sealing import data_sealer
from clinic.adapters.settings import Settings, SettingsError
from clinic.adapters.storage import Database
from clinic.adapters.storage.audit import Actor, Entry
from clinic.adapters.storage.conversations import Conversation
from clinic.adapters.storage.staff import StaffError, StaffMember
from clinic.adapters.storage.trace import log_files, log_lines, stored
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.identity import Keyring
from clinic.adapters.whatsapp.outbox import OutboundView
from clinic.app import report_page
from clinic.app.wiring import Services, build_services
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.practice import Practice, PracticeConfigError, load_practice
from clinic.domain.statuses import (
    APPOINTMENT_STATUSES,
    OUTBOX_STATUSES,
    REMINDER_STATUSES,
    STAFF_ROLES,
)
from clinic.services import export, report
from clinic.services.frontdesk import DeskOutcome
from clinic.services.handoff import InboxRow
from clinic.services.reminders import Reminder

Row = TypeVar("Row")


class UsageError(ValueError):
    pass


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        practice = load_practice(settings.practice_config)
        if args.group == "config":
            code = _config_check(settings, practice)
        elif args.group == "keys":
            code = _rotate_keys(settings)
        elif args.group == "worker":
            code = _worker(settings, args)
        else:
            services = build_services(settings, practice)
            try:
                code = args.handler(services, args)
            finally:
                services.database.dispose()
    except (SettingsError, PracticeConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 2
    raise SystemExit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    groups = parser.add_subparsers(dest="group", required=True)

    config = groups.add_parser("config", help="the practice configuration").add_subparsers(
        dest="action", required=True
    )
    config.add_parser("check", help="validate the settings and the practice file")

    appts = groups.add_parser("appointments", help="appointments").add_subparsers(
        dest="action", required=True
    )
    listing = appts.add_parser("list", help="list appointments (from today by default)")
    listing.add_argument("--from", dest="start", help="first day or instant (local time)")
    listing.add_argument("--to", dest="end", help="last day (included) or instant")
    listing.add_argument(
        "--status", action="append", choices=APPOINTMENT_STATUSES, help="repeatable"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_list)
    cancel = appts.add_parser("cancel", help="cancel an appointment and free its time")
    cancel.add_argument("id")
    cancel.set_defaults(handler=_cancel)
    confirm = appts.add_parser(
        "confirm", help="confirm a pending booking (checked against the calendar again)"
    )
    confirm.add_argument("id")
    confirm.set_defaults(handler=_confirm_pending)
    refuse = appts.add_parser("refuse", help="refuse a pending booking and free its time")
    refuse.add_argument("id")
    refuse.set_defaults(handler=_refuse_pending)

    calendar = groups.add_parser("calendar", help="the calendar backend").add_subparsers(
        dest="action", required=True
    )
    calendar.add_parser("sync", help="write calendar events left pending").set_defaults(
        handler=_sync
    )
    block = calendar.add_parser("block", help="keep time free of bookings (built-in calendar)")
    block.add_argument("start")
    block.add_argument("end")
    block.add_argument("--practitioner", help="practitioner id (default: the whole practice)")
    block.add_argument("--label", default="")
    block.set_defaults(handler=_block)

    convs = groups.add_parser(
        "conversations", help="conversations with staff (handoff)"
    ).add_subparsers(dest="action", required=True)
    inbox = convs.add_parser("list", help="the inbox: paused conversations by default")
    inbox.add_argument("--status", choices=("paused", "active", "all"), default="paused")
    inbox.add_argument("--json", action="store_true", help="machine-readable output")
    inbox.set_defaults(handler=_conversations)
    show = convs.add_parser("show", help="the transcript, newest last (marks it opened)")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=_show)
    reply = convs.add_parser("reply", help="write to the patient on WhatsApp")
    reply.add_argument("id")
    reply.add_argument("text", nargs="?", default="")
    reply.add_argument(
        "--template", action="store_true", help="send the « reprise de contact » template"
    )
    reply.set_defaults(handler=_reply)
    resume = convs.add_parser("resume", help="hand the conversation back to the assistant")
    resume.add_argument("id")
    resume.set_defaults(handler=_resume)
    exported = convs.add_parser(
        "export", help="real conversations as Rasa YAML for the trainers (anonymised only)"
    )
    exported.add_argument(
        "--anonymise",
        action="store_true",
        required=True,
        help="required: names, phones, "
        "dates of birth and free-text reasons replaced by placeholders",
    )
    exported.add_argument("--since", required=True, type=_day, help="YYYY-MM-DD")
    exported.add_argument("--out", default="var/export", help="folder (default: var/export)")
    exported.set_defaults(handler=_export_conversations)

    people = groups.add_parser("patients", help="a patient's data (GDPR)").add_subparsers(
        dest="action", required=True
    )
    export = people.add_parser("export", help="everything kept about a patient, as JSON")
    export.add_argument("id", help="the patient's id or conversation reference")
    export.add_argument("--out", help="write to this file (default: standard output)")
    export.set_defaults(handler=_export)
    erase = people.add_parser("erase", help="forget a patient; future appointments cancelled")
    erase.add_argument("id", help="the patient's id or conversation reference")
    erase.add_argument("--yes", action="store_true", help="really erase (nothing can undo it)")
    erase.set_defaults(handler=_erase)
    privacy = groups.add_parser("privacy", help="retention").add_subparsers(
        dest="action", required=True
    )
    purge = privacy.add_parser("purge", help="delete and anonymise what is past its retention")
    purge.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    purge.add_argument("--json", action="store_true", help="machine-readable output")
    purge.set_defaults(handler=_purge)
    privacy.add_parser(
        "reseal", help="seal everything with the first DATA_ENCRYPTION_KEY (after a rotation)"
    ).set_defaults(handler=_reseal)

    flags = groups.add_parser(
        "flags", help="same as conversations list --status paused"
    ).add_subparsers(dest="action", required=True)
    open_flags = flags.add_parser("list", help="conversations waiting for staff")
    open_flags.add_argument("--json", action="store_true", help="machine-readable output")
    open_flags.set_defaults(handler=_conversations, status="paused")

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

    trace = groups.add_parser("trace", help="the whole path of one WhatsApp message")
    trace.add_argument("wamid", help="Meta's message id (wamid.…), from the webhook or Meta")
    trace.add_argument(
        "--logs", default="var/log", help="the processes' log directory, or - for stdin"
    )
    trace.add_argument("--json", action="store_true", help="machine-readable output")
    trace.set_defaults(handler=_trace)

    report = groups.add_parser(
        "report", help="the pilot's figures (counts and rates only) as an HTML page or JSON"
    )
    report.add_argument("--from", dest="first", required=True, type=_day, help="YYYY-MM-DD")
    report.add_argument("--to", dest="last", required=True, type=_day, help="YYYY-MM-DD, included")
    report.add_argument("--out", help="the HTML file to write (default: print JSON)")
    report.add_argument("--json", action="store_true", help="print the figures as JSON")
    report.set_defaults(handler=_report)

    staff = groups.add_parser("staff", help="console accounts").add_subparsers(
        dest="action", required=True
    )
    add = staff.add_parser("add", help="create a console account (the first one is a manager)")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password on stdin"
    )
    add.add_argument("--role", choices=STAFF_ROLES, help="default: staff (manager if first)")
    add.set_defaults(handler=_staff_add)
    members = staff.add_parser("list", help="console accounts")
    members.add_argument("--json", action="store_true", help="machine-readable output")
    members.set_defaults(handler=_staff_list)
    disable = staff.add_parser("disable", help="refuse an account from now on")
    disable.add_argument("email")
    disable.set_defaults(handler=_staff_disable)

    keys = groups.add_parser("keys", help="the key behind patient ids").add_subparsers(
        dest="action", required=True
    )
    rotate = keys.add_parser(
        "rotate",
        help="re-key every patient id to the key read on stdin (run it with the current key "
        "still in force: PATIENT_ID_KEY as today, or unset when the database holds the key)",
    )
    rotate.add_argument("--new-key-stdin", action="store_true", required=True)

    worker = groups.add_parser("worker", help="send the outbox and due jobs until stopped")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    return parser


def emit(
    rows: Sequence[Row],
    args: argparse.Namespace,
    as_json: Callable[[Row], Any],
    line: Callable[[Row], str],
    empty: str,
) -> int:
    """Every listing prints the same way: JSON with --json (contract fields), else one French
    line per row, or a sentence saying there is nothing."""
    if args.json:
        print(json.dumps([as_json(row) for row in rows], ensure_ascii=False, indent=2))
    elif not rows:
        print(empty)
    else:
        for row in rows:
            print(line(row))
    return 0


def _config_check(settings: Settings, practice: Practice) -> int:
    print(f"✓ {settings.practice_config}: « {practice.name} » ({practice.timezone})")
    print(
        f"  {len(practice.practitioners)} praticien(s), {len(practice.reasons)} motif(s), "
        f"créneaux de {int(practice.rules.slot_step.total_seconds() // 60)} min, "
        f"horizon {practice.rules.horizon.days} jours"
    )
    print(f"✓ settings: calendar={settings.calendar_backend}, log format={settings.log_format}")
    if not practice.staff_alerts:
        print("⚠ staff_alerts est vide : personne n'est alerté des urgences / nobody is alerted")
    if practice.staff_emails and not settings.smtp_url:
        print("⚠ staff_alerts a des e-mails mais SMTP_URL n'est pas défini / SMTP_URL is not set")
    return 0


def _list(services: Services, args: argparse.Namespace) -> int:
    practice = services.practice
    tz = practice.tz
    today = datetime.now(tz).date()
    start = _instant(args.start, tz, end_of_day=False) if args.start else _midnight(today, tz)
    end = _instant(args.end, tz, end_of_day=True) if args.end else None
    items = services.appointments.list(start, end, statuses=args.status or APPOINTMENT_STATUSES)

    def line(a: Appointment) -> str:
        when = french.day_and_hour(a.start.astimezone(tz))
        who = _practitioner_name(practice, a.practitioner_id)
        return (
            f"{a.id}  {when}  {who}  {_reason_label(practice, a)}  {a.patient_name}  [{a.status}]"
        )

    return emit(
        items, args, lambda a: _as_json(a, practice), line, "Aucun rendez-vous sur cette période."
    )


def _cancel(services: Services, args: argparse.Namespace) -> int:
    outcome = services.frontdesk.cancel(args.id, Actor("staff", _staff()))
    if outcome.status == "not_found":
        print(f"Rendez-vous introuvable / no such appointment: {args.id}", file=sys.stderr)
        return 1
    if outcome.status == "not_active":
        print(f"Déjà annulé / already cancelled: {args.id}")
        return 0
    return _changed(services, outcome, "Annulé / cancelled")


def _changed(services: Services, outcome: DeskOutcome, label: str) -> int:
    assert outcome.appointment is not None
    local = outcome.appointment.start.astimezone(services.practice.tz)
    print(f"{label}: {outcome.appointment.id} ({french.day_and_hour(local)})")
    if outcome.told == "whatsapp":
        print("Le patient est prévenu sur WhatsApp / the patient is told on WhatsApp")
    else:
        print("Patient sans WhatsApp : prévenez-le par téléphone / no WhatsApp: call the patient")
    return 0


def _not_pending(appointment_id: str, outcome: DeskOutcome) -> int:
    if outcome.status == "not_found":
        print(f"Rendez-vous introuvable / no such appointment: {appointment_id}", file=sys.stderr)
    else:
        state = outcome.appointment.status if outcome.appointment else "?"
        print(f"Ce rendez-vous n'est pas en attente ({state}) / not pending", file=sys.stderr)
    return 1


def _confirm_pending(services: Services, args: argparse.Namespace) -> int:
    outcome = services.frontdesk.confirm(args.id, Actor("staff", _staff()))
    if outcome.status == "unverified":
        print(
            "L'agenda Google est toujours injoignable : rien n'est changé, réessayez plus tard "
            "/ the calendar is still unreachable: nothing changed",
            file=sys.stderr,
        )
        return 1
    if outcome.status == "taken":
        print(
            "Ce créneau est occupé dans l'agenda : refusez la demande "
            "(clinic appointments refuse) / the time is taken in the calendar",
            file=sys.stderr,
        )
        return 1
    if outcome.status != "done":
        return _not_pending(args.id, outcome)
    return _changed(services, outcome, "Confirmé / confirmed")


def _refuse_pending(services: Services, args: argparse.Namespace) -> int:
    outcome = services.frontdesk.refuse(args.id, Actor("staff", _staff()))
    if outcome.status != "done":
        return _not_pending(args.id, outcome)
    return _changed(services, outcome, "Demande refusée / request refused")


REASON_LABELS = {
    "emergency": "URGENCE",
    "handoff": "demande l'équipe",
    "fallback": "incompris, demande l'équipe",
    "data_request": "RGPD",
    "number_changed": "a changé de numéro WhatsApp",
}
AUTHORS = {"patient": "Patient", "assistant": "Assistant", "staff": "Équipe", "event": "—"}


def _staff() -> str:
    """Who is acting, for the transcript's audit: CLINIC_STAFF, else the system user."""
    import getpass

    return os.environ.get("CLINIC_STAFF") or getpass.getuser()


def _conversations(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz
    status = None if args.status == "all" else args.status

    def line(row: InboxRow) -> str:
        since = french.day_and_hour(row.since.astimezone(tz)) if row.since else "—"
        label = REASON_LABELS.get(row.reason or "", row.reason or "")
        state = f"EN PAUSE ({label})" if row.status == "paused" else "active"
        return f"{row.reference}  {state:<32} depuis {since}  {row.patient_name or '(nom inconnu)'}"

    rows = services.handoff.inbox(status)
    return emit(rows, args, lambda row: row.as_json(tz), line, "Aucune conversation à traiter.")


def _conversation(services: Services, ref: str) -> Conversation | None:
    conversation = services.handoff.find(ref)
    if conversation is None:
        print(f"Conversation introuvable / no such conversation: {ref}", file=sys.stderr)
    return conversation


def _show(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz
    conversation = _conversation(services, args.id)
    if conversation is None:
        return 1
    lines = services.handoff.open(conversation.patient_id, _staff())
    if args.json:
        print(
            json.dumps(
                {
                    "id": conversation.patient_id,
                    "status": conversation.status,
                    "reason": conversation.reason,
                    "since": conversation.since.astimezone(tz).isoformat(),
                    "patient_name": services.patients.name(conversation.patient_id),
                    "messages": [
                        {
                            "at": line.at.astimezone(tz).isoformat(),
                            "author": line.author,
                            "staff": line.actor_id if line.author == "staff" else None,
                            "text": line.text,
                        }
                        for line in lines
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    name = services.patients.name(conversation.patient_id) or "nom inconnu"
    state = "en pause" if conversation.paused else "active"
    reason = REASON_LABELS.get(conversation.reason, conversation.reason)
    print(f"Conversation {conversation.reference} ({name}) : {state}, {reason}")
    for line in lines:
        who = AUTHORS[line.author] + (f" ({line.actor_id})" if line.author == "staff" else "")
        print(f"{line.at.astimezone(tz):%d/%m %H:%M}  {who} : {line.text}")
    alerts = services.alerts.list(conversation.patient_id)
    if alerts:
        done = sum(a.status == "sent" for a in alerts)
        print(f"Alertes équipe : {done} envoyée(s) sur {len(alerts)}")
    return 0


def _reply(services: Services, args: argparse.Namespace) -> int:
    conversation = _conversation(services, args.id)
    if conversation is None:
        return 1
    handoff, staff = services.handoff, _staff()
    if args.template:
        if not handoff.reengage(conversation.patient_id, staff):
            print("Patient sans WhatsApp : appelez-le / no WhatsApp: call the patient")
            return 1
        print("Modèle « reprise de contact » envoyé / re-engagement template queued")
        return 0
    if not args.text.strip():
        raise UsageError('write the reply: clinic conversations reply ID "texte"')
    outcome = handoff.reply(conversation.patient_id, args.text.strip(), staff)
    if outcome == "queued":
        print("Réponse envoyée au patient / reply queued for WhatsApp")
        return 0
    if outcome == "window_closed":
        print(
            "Le patient n'a pas écrit depuis plus de 24 h : WhatsApp n'accepte plus de texte "
            "libre. Envoyez le modèle approuvé « reprise de contact » : "
            f"clinic conversations reply {conversation.reference} --template",
            file=sys.stderr,
        )
        return 3
    print("Patient sans WhatsApp : appelez-le / no WhatsApp: call the patient", file=sys.stderr)
    return 1


def _patient(services: Services, ref: str) -> str | None:
    patient_id = services.privacy.find(ref)
    if patient_id is None:
        print(f"Patient introuvable / no such patient: {ref}", file=sys.stderr)
    return patient_id


def _export(services: Services, args: argparse.Namespace) -> int:
    patient_id = _patient(services, args.id)
    if patient_id is None:
        return 1
    body = json.dumps(services.privacy.export(patient_id), ensure_ascii=False, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.write(body + "\n")
        os.chmod(args.out, 0o600)
        print(f"Export écrit dans {args.out} / export written")
    else:
        print(body)
    return 0


def _erase(services: Services, args: argparse.Namespace) -> int:
    patient_id = _patient(services, args.id)
    if patient_id is None:
        return 1
    if not args.yes:
        print(
            "L'effacement est définitif : relancez avec --yes / erasure cannot be undone: "
            "run again with --yes",
            file=sys.stderr,
        )
        return 2
    erasure = services.privacy.erase(patient_id, Actor("staff", _staff()))
    tz = services.practice.tz
    for appointment in erasure.cancelled:
        when = french.day_and_hour(appointment.start.astimezone(tz))
        print(f"Rendez-vous annulé / cancelled: {appointment.id} ({when})")
    print(
        f"Données effacées / erased: {erasure.anonymised} rendez-vous passé(s) anonymisé(s), "
        f"preuve {erasure.token}"
    )
    return 0


def _purge(services: Services, args: argparse.Namespace) -> int:
    report = services.privacy.purge(dry_run=args.dry_run)
    if args.json:
        print(json.dumps({**report.as_json(), "dry_run": args.dry_run}, indent=2))
        return 0
    verb = "à supprimer" if args.dry_run else "supprimé(s)"
    print(
        f"Messages {verb} : {report.transcript_lines} ligne(s) de {report.conversations} "
        f"conversation(s), {report.events} événement(s) Rasa"
    )
    print(f"Patients inactifs {verb} : {report.patients_erased}")
    print(f"Rendez-vous passés anonymisés : {report.appointments_anonymised}")
    return 0


def _reseal(services: Services, args: argparse.Namespace) -> int:
    count = services.privacy.reseal()
    print(
        f"{count} valeur(s) re-chiffrée(s) avec la première clé : l'ancienne peut être retirée "
        f"de DATA_ENCRYPTION_KEY / {count} value(s) re-sealed"
    )
    return 0


def _resume(services: Services, args: argparse.Namespace) -> int:
    conversation = _conversation(services, args.id)
    if conversation is None:
        return 1
    if not services.handoff.resume(conversation.patient_id, _staff()):
        print(f"Déjà avec l'assistant / not paused: {conversation.reference}")
        return 0
    print(f"Conversation rendue à l'assistant / resumed: {conversation.reference}")
    return 0


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


REMINDER_LABELS = {
    "pending": "à envoyer",
    "sending": "en cours",
    "sent": "envoyé",
    "failed": "ÉCHEC",
    "cancelled": "annulé",
    "skipped": "non envoyé",
}


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


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD") from error


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


def _export_conversations(services: Services, args: argparse.Namespace) -> int:
    since = datetime.combine(args.since, time(0), services.practice.tz)
    found = export.export(services.database, services.practice, services.sealer, since)
    nlu, stories = found.write(Path(args.out))
    examples = sum(len(v) for v in found.nlu.values())
    print(f"{examples} exemples NLU → {nlu}\n{len(found.stories)} conversations → {stories}")
    print("Relisez-les (rasa interactive, docs/guide-formateurs.md) avant de les ajouter à data/.")
    return 0


def _trace(services: Services, args: argparse.Namespace) -> int:
    trace_id = services.keyring.trace_id(args.wamid)
    found = stored(services.database, args.wamid, trace_id)
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


ROLE_LABELS = {"staff": "équipe", "manager": "responsable"}


def _staff_add(services: Services, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        member = services.staff.add(args.email, args.name, password, args.role)
    except StaffError as error:
        print(f"Compte non créé : {error}", file=sys.stderr)
        return 1
    print(f"Compte créé / account created: {member.email} ({ROLE_LABELS[member.role]})")
    return 0


def _staff_list(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz

    def line(m: StaffMember) -> str:
        state = "actif" if m.active else "DÉSACTIVÉ"
        return f"{m.email:<32} {m.name:<24} {ROLE_LABELS[m.role]:<12} {state}"

    return emit(services.staff.list(), args, lambda m: m.as_json(tz), line, "Aucun compte.")


def _staff_disable(services: Services, args: argparse.Namespace) -> int:
    if not services.staff.disable(args.email):
        print(f"Compte introuvable / no such account: {args.email}", file=sys.stderr)
        return 1
    print(f"Compte désactivé / account disabled: {args.email}")
    return 0


def _rotate_keys(settings: Settings) -> int:
    """Re-key the ids of every patient whose WhatsApp number is known, in one transaction."""
    new = sys.stdin.readline().strip().encode()
    database = Database(settings.database_url)
    try:
        database.create_schema()
        old = load_key(database, settings.patient_id_key)
        keyring = Keyring(new) if len(new) >= 16 else None
        if keyring is None:
            raise SettingsError("the new key must be at least 16 characters long")
        numbers = Contacts(database, data_sealer(settings)).numbers()
        rekey = {patient_id: keyring.patient_id(wa_id) for patient_id, wa_id in numbers.items()}
        count = rotate(database, old, new, rekey)
    finally:
        database.dispose()
    print(f"{count} identifiant(s) patient re-chiffré(s) / patient id(s) re-keyed")
    print(f"Empreinte de la nouvelle clé / new key fingerprint: {fingerprint(new)}")
    print(
        "Mettez maintenant PATIENT_ID_KEY à la nouvelle clé et redémarrez / now set PATIENT_ID_KEY"
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from clinic.adapters.logs import configure_logging
    from clinic.app.worker import main_async

    configure_logging(settings.log_format, settings.log_level)
    return asyncio.run(main_async(settings, args.once))


def _sync(services: Services, args: argparse.Namespace) -> int:
    done = services.booking.sync_calendar()
    left = len(services.appointments.needing_sync())
    print(f"{done} événement(s) synchronisé(s), {left} en attente / {done} synced, {left} pending")
    return 0 if left == 0 else 1


def _block(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz
    start = _instant(args.start, tz, end_of_day=False)
    end = _instant(args.end, tz, end_of_day=True)
    if end <= start:
        raise UsageError("END must be after START")
    if args.practitioner and not services.practice.find_practitioner(args.practitioner):
        raise UsageError(f"unknown practitioner: {args.practitioner}")
    services.appointments.add_block(start, end, args.practitioner, args.label)
    print(f"Plage bloquée / blocked: {start.isoformat()} → {end.isoformat()}")
    return 0


def _as_json(appointment: Appointment, practice: Practice) -> dict[str, object]:
    tz = practice.tz
    return {
        "id": appointment.id,
        "start": appointment.start.astimezone(tz).isoformat(),
        "end": appointment.end.astimezone(tz).isoformat(),
        "practitioner": appointment.practitioner_id,
        "practitioner_name": _practitioner_name(practice, appointment.practitioner_id),
        "reason": appointment.reason_id,
        "reason_label": _reason_label(practice, appointment),
        "status": appointment.status,
        "patient_name": appointment.patient_name,
        "calendar_state": appointment.calendar_state,
    }


def _practitioner_name(practice: Practice, practitioner_id: str) -> str:
    practitioner = practice.find_practitioner(practitioner_id)
    return practitioner.name if practitioner else practitioner_id


def _reason_label(practice: Practice, appointment: Appointment) -> str:
    reason = practice.find_reason(appointment.reason_id)
    return reason.label if reason else appointment.reason_id


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _instant(text: str, tz: ZoneInfo, end_of_day: bool) -> datetime:
    """`2026-12-03` (start, or end when `end_of_day`, of that local day) or an ISO instant."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _midnight(day + timedelta(days=1) if end_of_day else day, tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


if __name__ == "__main__":
    main()
