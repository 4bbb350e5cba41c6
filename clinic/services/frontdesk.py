"""What staff do to appointments, for the CLI and the console alike.

Each change goes through `BookingService` (the same availability engine, claims and calendar
sync as the assistant), is recorded in the audit trail under the staff member, and the patient
is told with the practice's approved template when they are on WhatsApp (`told` says whether,
so a person can phone the others).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from clinic.adapters import metrics
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.audit import Actor, AuditTrail
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.notify import Messenger
from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow, Slot
from clinic.domain.statuses import ACTIVE, APPOINTMENT_STATUSES, Attendance
from clinic.services.booking import BookingService
from clinic.services.reminders import staff_notice

DeskStatus = Literal[
    "done",  # changed; `told` says how the patient learns it
    "not_found",
    "not_pending",  # confirm / refuse of a booking that is not pending any more
    "not_active",  # already cancelled
    "unverified",  # the outside calendar still cannot be read: nothing changed
    "taken",  # the time is held by something else
    "not_yet",  # attendance marked before the appointment's day
    "limit",  # the patient already holds the practice's maximum of appointments
]
Told = Literal["whatsapp", "phone"]


@dataclass(frozen=True)
class DeskOutcome:
    status: DeskStatus
    appointment: Appointment | None = None
    told: Told | None = None


@dataclass(frozen=True)
class Agenda:
    """Appointments of a period, per day and practitioner, with each patient's no-show count."""

    first_day: date
    days: int
    by_day: dict[date, dict[str, list[Appointment]]]
    no_shows: dict[str, int]


class FrontDesk:
    def __init__(
        self,
        booking: BookingService,
        appointments: AppointmentRepository,
        audit: AuditTrail,
        messenger: Messenger,
        practice: Practice,
        clock: Clock,
        calendar_link: Callable[[str], str] | None = None,
    ) -> None:
        """`calendar_link(appointment_id)` is the signed link to the appointment's calendar
        file (the assistant sends the same one)."""
        self.calendar_link = calendar_link
        self.booking = booking
        self.appointments = appointments
        self.audit = audit
        self.messenger = messenger
        self.practice = practice
        self.clock = clock

    # --- reading -------------------------------------------------------------------------------

    def agenda(self, first_day: date, days: int = 1) -> Agenda:
        """`days` days from `first_day` (practice time), cancelled ones included (staff want to
        see a freed time), ordered by time."""
        tz = self.practice.tz
        start = datetime.combine(first_day, time(), tzinfo=tz)
        end = datetime.combine(first_day + timedelta(days=days), time(), tzinfo=tz)
        items = self.appointments.list(start, end, statuses=APPOINTMENT_STATUSES)
        by_day: dict[date, dict[str, list[Appointment]]] = defaultdict(lambda: defaultdict(list))
        for appointment in items:
            day = appointment.start.astimezone(tz).date()
            by_day[day][appointment.practitioner_id].append(appointment)
        no_shows = self.appointments.no_shows(sorted({a.patient_id for a in items}))
        return Agenda(first_day, days, {d: dict(p) for d, p in by_day.items()}, no_shows)

    def free_slots(self, appointment: Appointment, days: int = 14, limit: int = 30) -> list[Slot]:
        """Where this appointment could move: the same reason and practitioner, from now."""
        now = self.clock.now()
        window = SearchWindow(now, now + timedelta(days=days))
        offer = self.booking.search(
            window, appointment.reason_id, appointment.practitioner_id, limit=limit
        )
        return [s for s in offer.slots if s.start != appointment.start]

    def caller_slots(
        self, reason_id: str, practitioner_id: str | None, first_day: date, limit: int = 12
    ) -> list[Slot]:
        """Free slots for a caller from `first_day` on (a week), in the assistant's order."""
        start = datetime.combine(first_day, time(), tzinfo=self.practice.tz)
        window = SearchWindow(start, start + timedelta(days=7))
        return self.booking.search(window, reason_id, practitioner_id, limit=limit).slots

    # --- changing ------------------------------------------------------------------------------

    def book_for_caller(
        self, slot: Slot, reason_id: str, patient_id: str, name: str, actor: Actor
    ) -> DeskOutcome:
        """A patient who phoned: booked through the assistant's own path (the same claims, so
        never a double booking), audited under the staff member. The patient is told on
        WhatsApp with the confirmation template when they can be reached, and gets the
        calendar file's link as text while their 24-hour window is open."""
        outcome = self.booking.book(slot, reason_id, patient_id, name, actor)
        if outcome.status == "limit":
            return DeskOutcome("limit")
        if outcome.status == "taken" or outcome.appointment is None:
            return DeskOutcome("taken")
        appointment = outcome.appointment
        done = self._done(
            appointment, "confirmation", self.practice.reminders.confirmation_template
        )
        if (
            done.told == "whatsapp"
            and self.calendar_link is not None
            and self.messenger.window_open(patient_id)
        ):
            link = self.calendar_link(appointment.id)
            self.messenger.queue_text(
                patient_id, "calendar", f"📅 Pour ajouter le rendez-vous à votre agenda : {link}"
            )
        return done

    def confirm(self, appointment_id: str, actor: Actor) -> DeskOutcome:
        """A booking left pending: checked against the calendar again, then booked."""
        pending, refused = self._pending(appointment_id)
        if pending is None:
            return refused
        outcome = self.booking.confirm_pending(appointment_id, actor)
        if outcome.status in ("unverified", "taken"):
            return DeskOutcome(outcome.status, pending)
        if outcome.status != "booked" or outcome.appointment is None:
            return DeskOutcome("not_pending", outcome.appointment)
        template = self.practice.reminders.confirmation_template
        return self._done(outcome.appointment, "confirmation", template)

    def refuse(self, appointment_id: str, actor: Actor) -> DeskOutcome:
        pending, refused = self._pending(appointment_id)
        if pending is None:
            return refused
        cancelled = self.booking.cancel(appointment_id, actor)
        return self._done(cancelled, "refusal", self.practice.reminders.refusal_template)

    def _pending(self, appointment_id: str) -> tuple[Appointment | None, DeskOutcome]:
        """The appointment if it is pending, else None and why not."""
        appointment = self.appointments.get(appointment_id)
        if appointment is None:
            return None, DeskOutcome("not_found")
        if appointment.status != "pending":
            return None, DeskOutcome("not_pending", appointment)
        return appointment, DeskOutcome("done", appointment)

    def cancel(self, appointment_id: str, actor: Actor) -> DeskOutcome:
        existing = self.appointments.get(appointment_id)
        if existing is None:
            return DeskOutcome("not_found")
        if not existing.active:
            return DeskOutcome("not_active", existing)
        cancelled = self.booking.cancel(appointment_id, actor)
        template = self.practice.reminders.cancellation_template
        return self._done(cancelled, "cancellation", template)

    def move(self, appointment_id: str, start: datetime, actor: Actor) -> DeskOutcome:
        """To a free time of the same reason and practitioner (inside the cut-off too: staff
        have usually phoned the patient); the reminders and the calendar follow."""
        existing = self.appointments.get(appointment_id)
        if existing is None:
            return DeskOutcome("not_found")
        if not existing.active:
            return DeskOutcome("not_active", existing)
        slot = Slot(start, start + (existing.end - existing.start), existing.practitioner_id)
        outcome = self.booking.reschedule(appointment_id, slot, actor)
        if outcome.status == "moved" and outcome.appointment is not None:
            return self._done(outcome.appointment, "move", self.practice.reminders.move_template)
        if outcome.status == "unverified":
            return DeskOutcome("unverified", existing)
        if outcome.status == "gone":
            return DeskOutcome("not_active", existing)
        return DeskOutcome("taken", existing)

    def mark(self, appointment_id: str, attendance: Attendance, actor: Actor) -> DeskOutcome:
        """Arrived or no-show, from the appointment's day on (the no-show KPI)."""
        before = self.appointments.get(appointment_id)
        if before is None:
            return DeskOutcome("not_found")
        if before.status not in ACTIVE:
            return DeskOutcome("not_active", before)
        today = self.clock.now().astimezone(self.practice.tz).date()
        if before.start.astimezone(self.practice.tz).date() > today:
            return DeskOutcome("not_yet", before)
        now = self.clock.now()
        if attendance == "no_show" and before.start > now:
            return DeskOutcome("not_yet", before)  # absent only once the time has come
        marked_before = {e.action for e in self.audit.entries(appointment_id=appointment_id)}
        after = self.appointments.mark(appointment_id, attendance, now)
        if after is None:
            return DeskOutcome("not_active", before)
        self.audit.record(attendance, actor, appointment_id, before, after, now)
        rules = self.practice.no_shows
        if attendance == "no_show" and rules.follow_up and "no_show" not in marked_before:
            return self._follow_up(after, rules.template)  # once per appointment, ever
        return DeskOutcome("done", after)

    def _follow_up(self, appointment: Appointment, template: str) -> DeskOutcome:
        """After a no-show: a kind word and a button to book again (a template: the 24-hour
        window is usually closed by then). Once per appointment."""
        if not self.messenger.reachable(appointment.patient_id):
            return DeskOutcome("done", appointment, "phone")
        notice = staff_notice(appointment, self.practice, template)
        message = replace(notice, quick_replies=("/book_appointment",))
        self.messenger.queue(appointment.patient_id, "no_show", message)
        metrics.NO_SHOW_FOLLOW_UPS.inc()
        return DeskOutcome("done", appointment, "whatsapp")

    def _done(self, appointment: Appointment, kind: str, template: str) -> DeskOutcome:
        """Queue the practice's template for the patient, or say to phone them."""
        if self.messenger.reachable(appointment.patient_id):
            notice = staff_notice(appointment, self.practice, template)
            self.messenger.queue(appointment.patient_id, kind, notice)
            return DeskOutcome("done", appointment, "whatsapp")
        return DeskOutcome("done", appointment, "phone")
