"""`clinic appointments` and `clinic calendar`: what staff do to bookings and to the calendar."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.adapters.storage.audit import Actor
from clinic.app.cli.common import Groups, UsageError, acting_staff, emit
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.practice import Practice
from clinic.domain.statuses import APPOINTMENT_STATUSES
from clinic.services.frontdesk import DeskOutcome


def register(groups: Groups) -> None:
    _add_appointments(groups)
    _add_calendar(groups)


def _add_appointments(groups: Groups) -> None:
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


def _add_calendar(groups: Groups) -> None:
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
    outcome = services.frontdesk.cancel(args.id, Actor("staff", acting_staff()))
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
    outcome = services.frontdesk.confirm(args.id, Actor("staff", acting_staff()))
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
    outcome = services.frontdesk.refuse(args.id, Actor("staff", acting_staff()))
    if outcome.status != "done":
        return _not_pending(args.id, outcome)
    return _changed(services, outcome, "Demande refusée / request refused")


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
