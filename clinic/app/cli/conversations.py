"""`clinic conversations`, `flags`, `patients` and `privacy`: staff answering the patients handed
to them, and what the practice keeps about a patient (GDPR export, erasure, retention)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, time
from pathlib import Path

from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.conversations import Conversation
from clinic.app.cli.common import Groups, UsageError, acting_staff, emit, iso_day
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.services import export
from clinic.services.handoff import InboxRow

REASON_LABELS = {
    "emergency": "URGENCE",
    "handoff": "demande l'équipe",
    "fallback": "incompris, demande l'équipe",
    "data_request": "RGPD",
    "number_changed": "a changé de numéro WhatsApp",
}
AUTHORS = {"patient": "Patient", "assistant": "Assistant", "staff": "Équipe", "event": "—"}


def register(groups: Groups) -> None:
    _add_conversations(groups)
    _add_patients(groups)
    _add_privacy(groups)
    _add_flags(groups)


def _add_conversations(groups: Groups) -> None:
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
        "export", help="real conversations as Rasa YAML for the trainers (pseudonymised only)"
    )
    exported.add_argument(
        "--anonymise",
        action="store_true",
        required=True,
        help="required: names, ages, addresses, dates of birth, contacts and diagnoses "
        "replaced by placeholders (files written 0600, labelled « pseudonymisé »)",
    )
    exported.add_argument("--since", required=True, type=iso_day, help="YYYY-MM-DD")
    exported.add_argument("--out", default="var/export", help="folder (default: var/export)")
    exported.set_defaults(handler=_export_conversations)


def _add_patients(groups: Groups) -> None:
    people = groups.add_parser("patients", help="a patient's data (GDPR)").add_subparsers(
        dest="action", required=True
    )
    exported = people.add_parser("export", help="everything kept about a patient, as JSON")
    exported.add_argument("id", help="the patient's id or conversation reference")
    exported.add_argument("--out", help="write to this file (default: standard output)")
    exported.set_defaults(handler=_export)
    erase = people.add_parser("erase", help="forget a patient; future appointments cancelled")
    erase.add_argument("id", help="the patient's id or conversation reference")
    erase.add_argument("--yes", action="store_true", help="really erase (nothing can undo it)")
    erase.set_defaults(handler=_erase)


def _add_privacy(groups: Groups) -> None:
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


def _add_flags(groups: Groups) -> None:
    flags = groups.add_parser(
        "flags", help="same as conversations list --status paused"
    ).add_subparsers(dest="action", required=True)
    open_flags = flags.add_parser("list", help="conversations waiting for staff")
    open_flags.add_argument("--json", action="store_true", help="machine-readable output")
    open_flags.set_defaults(handler=_conversations, status="paused")


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
    lines = services.handoff.open(conversation.patient_id, acting_staff())
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
    handoff, staff = services.handoff, acting_staff()
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


def _resume(services: Services, args: argparse.Namespace) -> int:
    conversation = _conversation(services, args.id)
    if conversation is None:
        return 1
    if not services.handoff.resume(conversation.patient_id, acting_staff()):
        print(f"Déjà avec l'assistant / not paused: {conversation.reference}")
        return 0
    print(f"Conversation rendue à l'assistant / resumed: {conversation.reference}")
    return 0


def _export_conversations(services: Services, args: argparse.Namespace) -> int:
    since = datetime.combine(args.since, time(0), services.practice.tz)
    found = export.export(services.database, services.practice, services.sealer, since)
    nlu, stories = found.write(Path(args.out))
    examples = sum(len(v) for v in found.nlu.values())
    print("Export pseudonymisé (pas anonyme) : fichiers lisibles par vous seul (0600).")
    print(f"{examples} exemples NLU → {nlu}\n{len(found.stories)} conversations → {stories}")
    print("Relisez-les (rasa interactive, docs/guide-formateurs.md) avant de les ajouter à data/.")
    return 0


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
        export.write_private(Path(args.out), body + "\n")  # 0600 before a byte is written
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
    erasure = services.privacy.erase(patient_id, Actor("staff", acting_staff()))
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
