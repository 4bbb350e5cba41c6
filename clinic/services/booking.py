"""Booking: search free slots and book one, never twice, never unverified.

The order inside `book` is what keeps the promises of the product:
1. re-check the slot against the rules, the database and the outside calendar;
2. insert it in one transaction whose slot claims refuse a concurrent winner;
3. mirror it to the outside calendar, and if that fails keep it (the database is the system of
   record) and mark the event to be written later.
When the outside calendar cannot be read, the slot cannot be verified: the request is recorded
as `pending`, holding the time, for staff to confirm; nothing is lost and nothing is confirmed
that could be double-booked.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from clinic.adapters.calendars import Calendar, CalendarUnavailable
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.audit import SYSTEM, Actor, AuditTrail
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.waitlist import WaitlistRepository
from clinic.domain.appointments import (
    Appointment,
    AppointmentNotFound,
    SlotTaken,
    new_appointment_id,
)
from clinic.domain.clock import Clock
from clinic.domain.practice import Practice
from clinic.domain.scheduling import Interval, SearchWindow, Slot, find_slots
from clinic.domain.statuses import ACTIVE
from clinic.services.reminders import ReminderRepository

logger = logging.getLogger(__name__)

#: How far after a taken slot fresh alternatives are looked for.
ALTERNATIVES_SPAN = timedelta(days=14)
#: How long an offered slot stays bookable once the minimum notice has run under it: a patient
#: who taps « 15h » at 13h00m05s, offered at 12h59, gets it (the practice still has ≥ notice − 15 min).
OFFER_GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class Offer:
    slots: list[Slot]
    verified: bool  # False: the outside calendar could not be read, slots are wishes only
    #: The window the slots come from: the wish, or the wish widened to the horizon when full.
    window: SearchWindow | None = None


@dataclass(frozen=True)
class BookingOutcome:
    #: booked, pending (unverifiable), taken (+ alternatives), limit (the patient already holds
    #: the practice's maximum); for a move also moved, gone (no longer active or not theirs),
    #: too_late (within the cancellation cut-off), unverified (calendar down)
    status: Literal[
        "booked", "pending", "taken", "limit", "moved", "gone", "too_late", "unverified"
    ]
    appointment: Appointment | None = None
    alternatives: tuple[Slot, ...] = ()


class BookingService:
    def __init__(
        self,
        practice: Practice,
        repository: AppointmentRepository,
        calendar: Calendar,
        clock: Clock,
        reminders: ReminderRepository | None = None,
        audit: AuditTrail | None = None,
        patients: PatientRepository | None = None,
        holds: WaitlistRepository | None = None,
    ) -> None:
        self.practice = practice
        self.repository = repository
        self.calendar = calendar
        self.clock = clock
        self.reminders = reminders
        self.audit = audit
        #: Where the name a patient gives is kept, written with their booking.
        self.patients = patients
        #: Freed slots kept for a waiting patient (clinic.services.waitlist): busy for others.
        self.holds = holds

    def search(
        self,
        window: SearchWindow,
        reason_id: str,
        practitioner_id: str | None = None,
        limit: int = 3,
        exclude: Collection[datetime] = (),
    ) -> Offer:
        """The best free slots in `window` (see `find_slots` for the order)."""
        now = self.clock.now()
        start = max(window.start, now)
        end = min(window.end, now + self.practice.rules.horizon)
        if start >= end:
            return Offer([], True)
        busy, verified = self._busy(start, end)
        slots = find_slots(
            self.practice, busy, now, window, reason_id, practitioner_id, limit, exclude
        )
        return Offer(slots, verified)

    def offer(
        self,
        window: SearchWindow,
        reason_id: str,
        practitioner_id: str | None = None,
        exclude: Collection[datetime] = (),
    ) -> Offer:
        """What to show for a wish: its best slots, or, when it is full, the first ones after it
        up to the booking horizon (searched once more, never in a loop). `exclude` holds the
        starts already shown for this wish (« autres créneaux »)."""
        result = self.search(window, reason_id, practitioner_id, exclude=exclude)
        if result.slots:
            return replace(result, window=window)
        now = self.clock.now().astimezone(self.practice.tz)
        widened = replace(window, end=max(window.end, now + self.practice.rules.horizon))
        result = self.search(widened, reason_id, practitioner_id, exclude=exclude)
        return replace(result, window=widened)

    def own_upcoming(self, patient_id: str, appointment_id: str) -> Appointment | None:
        """The appointment if it is this patient's, active and still ahead; else None.

        Every change a patient asks for goes through here: an id from a button, a slot or a
        forged payload never reaches someone else's appointment.
        """
        appointment = self.repository.get(appointment_id)
        if (
            appointment is None
            or appointment.patient_id != patient_id
            or not appointment.active
            or appointment.start <= self.clock.now()
        ):
            return None
        return appointment

    def upcoming(self, patient_id: str) -> list[Appointment]:
        """The patient's active appointments from now on, soonest first."""
        return self.repository.list(start=self.clock.now(), statuses=ACTIVE, patient_id=patient_id)

    def usual_practitioner(self, patient_id: str) -> str | None:
        """« mon médecin habituel »: who saw the patient last (not cancelled), else who will."""
        held = self.repository.list(statuses=ACTIVE, patient_id=patient_id)
        past = [a for a in held if a.start <= self.clock.now()]
        latest = past[-1] if past else (held[0] if held else None)
        known = latest is not None and self.practice.find_practitioner(latest.practitioner_id)
        return latest.practitioner_id if latest is not None and known else None

    def at_limit(self, patient_id: str) -> bool:
        """Whether the patient already holds `limits.max_upcoming_per_patient` appointments."""
        most = self.practice.limits.max_upcoming_per_patient
        return most > 0 and len(self.upcoming(patient_id)) >= most

    def confirm(self, appointment_id: str, actor: Actor = SYSTEM) -> Appointment | None:
        """Booked → confirmed (the patient answered the reminder), audited once; None when the
        appointment no longer exists or is not this patient's. Confirming twice changes nothing."""
        now = self.clock.now()
        before = self.repository.get(appointment_id)
        if before is not None and not _may_change(actor, before):
            return None
        confirmed = self.repository.confirm(appointment_id, now)
        if (
            self.audit is not None
            and before is not None
            and confirmed is not None
            and confirmed.status != before.status
        ):
            self.audit.record("confirmed", actor, appointment_id, before, confirmed, now)
        return confirmed

    def alternatives(
        self, wanted: Slot, reason_id: str, practitioner_id: str | None = None
    ) -> list[Slot]:
        """Fresh slots close to `wanted`: same time of day, from that day on."""
        tz = self.practice.tz
        local = wanted.start.astimezone(tz)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        window = SearchWindow(
            start=day_start, end=day_start + ALTERNATIVES_SPAN, around=local.time()
        )
        return self.search(window, reason_id, practitioner_id, exclude=[wanted.start]).slots

    def book(
        self,
        slot: Slot,
        reason_id: str,
        patient_id: str,
        patient_name: str,
        actor: Actor | None = None,
    ) -> BookingOutcome:
        """Book `slot` for the patient: booked, pending (unverifiable) or taken (+ alternatives).

        Idempotent for one patient: booking again the slot they already hold answers booked
        with the existing appointment (a duplicate delivery or a double tap). `actor` is who
        booked, for the audit trail: the patient by default, a staff member at the front desk.
        """
        now = self.clock.now()
        holder = self.repository.holder(slot.practitioner_id, slot.start)
        if holder is not None and holder.patient_id == patient_id and holder.start == slot.start:
            return self._taken(slot, reason_id, patient_id)  # a double tap: the same booking
        if self.at_limit(patient_id):
            logger.info("booking refused: the patient holds the maximum of appointments")
            return BookingOutcome("limit")
        hold_end = slot.end + self.practice.rules.buffer
        busy, verified = self._busy(slot.start, hold_end, holder=patient_id)
        if not self._still_free(busy, now, slot, reason_id):
            return self._taken(slot, reason_id, patient_id)
        appointment = Appointment(
            id=new_appointment_id(),
            patient_id=patient_id,
            patient_name=patient_name,
            practitioner_id=slot.practitioner_id,
            reason_id=reason_id,
            start=slot.start,
            end=slot.end,
            status="booked" if verified and not self._to_confirm(patient_id) else "pending",
            calendar_state="local" if self.calendar.name == "local" else "pending",
        )
        patients = self.patients
        name_too = (
            (lambda c: patients.remember_in(c, patient_id, patient_name, now)) if patients else None
        )
        try:
            appointment = self.repository.add(appointment, now, also=name_too)
        except SlotTaken:
            return self._taken(slot, reason_id, patient_id)
        logger.info(
            "appointment %s %s with %s", appointment.id, appointment.status, slot.practitioner_id
        )
        if appointment.status == "booked":
            self._mirror(appointment)
        if self.reminders is not None:
            self.reminders.schedule(appointment, now)
        if self.audit is not None:
            who = actor or Actor("patient", patient_id)
            self.audit.record(appointment.status, who, appointment.id, None, appointment, now)
        return BookingOutcome(
            "booked" if appointment.status == "booked" else "pending", appointment
        )

    def _to_confirm(self, patient_id: str) -> bool:
        """The practice's policy (practice.yml `no_shows.confirm_after`): after that many
        missed appointments, a patient's new booking waits for staff confirmation."""
        after = self.practice.no_shows.confirm_after
        return after > 0 and self.repository.no_shows([patient_id]).get(patient_id, 0) >= after

    def confirm_pending(self, appointment_id: str, actor: Actor) -> BookingOutcome:
        """Staff confirm a booking recorded `pending` (the outside calendar could not be read
        then). Its time is checked against the outside calendar now: `booked` (the event is
        written, or left for the next sync), `taken` (something else is there: refuse it),
        `unverified` (still unreadable: nothing changes), `gone` (not pending any more)."""
        before = self.repository.get(appointment_id)
        if before is None or before.status != "pending":
            return BookingOutcome("gone", before)
        busy, verified = self._busy(before.start, before.end + self.practice.rules.buffer)
        if not verified:
            return BookingOutcome("unverified", before)
        own = Interval(before.start, before.end + self.practice.rules.buffer)
        others = list(busy.get(before.practitioner_id, [])) + list(busy.get(None, []))
        if own in others:  # its own hold in the database, once: an outside event there counts
            others.remove(own)
        if any(i.start < own.end and own.start < i.end for i in others):
            return BookingOutcome("taken", before)
        now = self.clock.now()
        if not self.repository.promote(appointment_id, now):
            return BookingOutcome("gone", self.repository.get(appointment_id))
        booked = self.repository.get(appointment_id) or before
        self._mirror(booked)
        if self.audit is not None:
            self.audit.record("booked", actor, appointment_id, before, booked, now)
        return BookingOutcome("booked", self.repository.get(appointment_id) or booked)

    def too_late(self, appointment: Appointment) -> bool:
        """Within the practice's cut-off (4 h by default), changes go through the phone."""
        return appointment.start - self.clock.now() < self.practice.rules.cancellation_cutoff

    def reschedule(self, appointment_id: str, slot: Slot, actor: Actor = SYSTEM) -> BookingOutcome:
        """Move an appointment to `slot` (same practitioner): the new time is booked and the old
        one released in one transaction, the outside event is moved (now, or by the next sync if
        the calendar fails half-way), the reminders follow, the audit trail records it."""
        now = self.clock.now()
        before = self.repository.get(appointment_id)
        if before is None or not before.active or not _may_change(actor, before):
            return BookingOutcome("gone")  # someone else's reads as gone: nothing to learn
        if actor.kind == "patient" and self.too_late(before):
            return BookingOutcome("too_late", before)  # staff may still move it
        hold_end = slot.end + self.practice.rules.buffer
        busy, verified = self._busy(slot.start, hold_end, holder=before.patient_id)
        if not verified:
            return BookingOutcome("unverified", before)  # the old appointment stays as it was
        own = Interval(before.start, before.end + self.practice.rules.buffer)
        busy = {
            key: [i for i in value if not (key == before.practitioner_id and i == own)]
            for key, value in busy.items()
        }
        if not self._still_free(busy, now, slot, before.reason_id):
            return BookingOutcome(
                "taken",
                before,
                tuple(self.alternatives(slot, before.reason_id, before.practitioner_id)),
            )
        try:
            moved = self.repository.move(appointment_id, slot.start, slot.end, now)
        except SlotTaken:
            return BookingOutcome(
                "taken",
                before,
                tuple(self.alternatives(slot, before.reason_id, before.practitioner_id)),
            )
        logger.info("appointment %s moved (sequence %d)", moved.id, moved.sequence)
        self._mirror(moved)
        if self.reminders is not None:
            self.reminders.schedule(moved, now)
        if self.audit is not None:
            self.audit.record("moved", actor, moved.id, before, moved, now)
        return BookingOutcome("moved", self.repository.get(moved.id) or moved)

    def cancel(self, appointment_id: str, actor: Actor = SYSTEM) -> Appointment:
        """Cancel and release the time; the outside event is removed now or by the next sync.

        A patient may only cancel their own appointment (AppointmentNotFound otherwise).
        """
        before = self.repository.get(appointment_id)
        if before is not None and not _may_change(actor, before):
            raise AppointmentNotFound(appointment_id)
        appointment = self.repository.cancel(appointment_id, self.clock.now())
        if self.audit is not None and before is not None and before.status != "cancelled":
            self.audit.record(
                "cancelled", actor, appointment_id, before, appointment, self.clock.now()
            )
        if self.reminders is not None:
            self.reminders.cancel(appointment_id, self.clock.now())
        if appointment.calendar_state != "local":
            self._push(appointment)
        return appointment

    def sync_calendar(self) -> int:
        """Write or remove the outside events that earlier failures left behind."""
        return sum(self._push(appointment) for appointment in self.repository.needing_sync())

    def _still_free(
        self, busy: Mapping[str | None, list[Interval]], now: datetime, slot: Slot, reason_id: str
    ) -> bool:
        """Whether `slot` is still one the rules would offer: free, within opening hours, and
        not yet started. The minimum notice is read as of OFFER_GRACE ago, so an offer does not
        expire the minute after it was shown."""
        if slot.start <= now:
            return False
        window = SearchWindow(slot.start, slot.start + timedelta(minutes=1))
        free = find_slots(
            self.practice, busy, now - OFFER_GRACE, window, reason_id, slot.practitioner_id, 1
        )
        return bool(free) and free[0].start == slot.start and free[0].end == slot.end

    def _mirror(self, appointment: Appointment) -> None:
        if appointment.calendar_state != "local":
            self._push(appointment)

    def _push(self, appointment: Appointment) -> bool:
        """Write (active) or remove (cancelled) the outside event: synced, or pending for the
        next sync if the calendar cannot take it now."""
        try:
            if appointment.active and appointment.sequence > 0:
                self.calendar.move_event(appointment)  # moved: the same event, new times
            elif appointment.active:
                self.calendar.create_event(appointment)
            else:
                self.calendar.delete_event(appointment)
        except CalendarUnavailable as error:
            logger.warning("calendar event of %s deferred: %s", appointment.id, error)
            self.repository.set_calendar_state(appointment.id, "pending", self.clock.now())
            return False
        self.repository.set_calendar_state(appointment.id, "synced", self.clock.now())
        return True

    def _taken(self, slot: Slot, reason_id: str, patient_id: str) -> BookingOutcome:
        holder = self.repository.holder(slot.practitioner_id, slot.start)
        if holder and holder.patient_id == patient_id and holder.start == slot.start:
            return BookingOutcome("pending" if holder.status == "pending" else "booked", holder)
        return BookingOutcome("taken", alternatives=tuple(self.alternatives(slot, reason_id)))

    def busy(
        self, start: datetime, end: datetime
    ) -> tuple[Mapping[str | None, list[Interval]], bool]:
        """Busy time of everyone over [start, end), held slots included, and whether the
        outside calendar could be read (the waiting list's sweep)."""
        return self._busy(start, end)

    def _busy(
        self, start: datetime, end: datetime, holder: str | None = None
    ) -> tuple[Mapping[str | None, list[Interval]], bool]:
        """Database busy time, the slots held for waiting patients other than `holder`, plus the
        outside calendar's; False when the latter is unreadable."""
        pad = timedelta(days=1)  # appointments that straddle the edges still count
        busy = self.repository.busy(start - pad, end + pad)
        if self.holds is not None:
            for held in self.holds.live(self.clock.now()):
                if held.patient_id != holder:
                    slot = held.hold.slot
                    held_until = slot.end + self.practice.rules.buffer
                    busy.setdefault(slot.practitioner_id, []).append(
                        Interval(slot.start, held_until)
                    )
        try:
            outside = self.calendar.busy(start - pad, end + pad)
        except CalendarUnavailable as error:
            logger.warning("busy time unavailable: %s", error)
            return busy, False
        merged: dict[str | None, list[Interval]] = {k: list(v) for k, v in busy.items()}
        for key, intervals in outside.items():
            merged.setdefault(key, []).extend(intervals)
        return merged, True


def _may_change(actor: Actor, appointment: Appointment) -> bool:
    """Staff and the system act on any appointment; a patient only on their own."""
    return actor.kind != "patient" or actor.id == appointment.patient_id
