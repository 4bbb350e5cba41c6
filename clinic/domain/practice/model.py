"""The practice as the code reads it: opening hours, practitioners, visit reasons, rules.

Plain frozen data built once by `clinic.domain.practice.loader`; no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from clinic.domain.french import fold

#: Every duration and time in the file is a multiple of this: it is the grid on which the
#: database claims slots, which is what makes a double booking impossible (see storage).
GRID = timedelta(minutes=5)


@dataclass(frozen=True)
class TimeRange:
    """Wall-clock opening range on one day, end exclusive."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


WeeklyHours = Mapping[int, tuple[TimeRange, ...]]


@dataclass(frozen=True)
class Practitioner:
    id: str
    name: str
    hours: WeeklyHours
    calendar_id: str | None = None


@dataclass(frozen=True)
class VisitReason:
    id: str
    label: str
    duration: timedelta
    practitioners: tuple[str, ...]
    instructions: str = ""
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class BookingRules:
    slot_step: timedelta = timedelta(minutes=15)
    buffer: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=60)
    cancellation_cutoff: timedelta = timedelta(hours=4)
    public_holidays: bool = True


@dataclass(frozen=True)
class Limits:
    """What one patient (one WhatsApp number) may do: against calendar flooding and floods of
    messages, never against a genuine patient."""

    #: Active appointments one patient may hold from now on (0: no limit).
    max_upcoming_per_patient: int = 3
    #: Messages per minute from one number; beyond, one « je vous réponds dans un instant » and
    #: the excess gets no dialogue turn (a red flag still does). 0: no limit.
    messages_per_minute: int = 20


@dataclass(frozen=True)
class ReminderRules:
    """When reminders go out, and the WhatsApp template they use (docs/whatsapp-templates.md)."""

    offsets: tuple[timedelta, ...] = (timedelta(hours=24),)
    #: Reminders are only sent within these hours; one due outside goes out earlier.
    send_hours: TimeRange = TimeRange(time(8, 0), time(21, 0))
    template: str = "rappel_rdv"
    language: str = "fr"
    #: Sent when staff cancel an appointment (the patient's 24-hour window is usually closed).
    cancellation_template: str = "annulation_rdv"
    #: Sent when staff confirm a booking left pending (the calendar could not be checked).
    confirmation_template: str = "confirmation_rdv"
    #: Sent when staff refuse a booking left pending.
    refusal_template: str = "refus_rdv"
    #: Sent when staff move an appointment (from the console's agenda).
    move_template: str = "deplacement_rdv"


@dataclass(frozen=True)
class HandoffRules:
    """When a conversation is with staff (clinic.services.handoff): re-alerts, auto-resume, templates."""

    #: An emergency nobody opened is alerted again after this, during opening hours.
    realert_after: timedelta = timedelta(minutes=10)
    #: A paused conversation (not an emergency) with no staff activity resumes after this.
    auto_resume_after: timedelta = timedelta(hours=24)
    #: The staff alert (utility template, docs/whatsapp-templates.md).
    alert_template: str = "alerte_equipe"
    #: What staff may send once the patient's 24-hour window is closed.
    reengage_template: str = "reprise_contact"


@dataclass(frozen=True)
class PrivacyRules:
    """Information, consent and retention (clinic.services.privacy, docs/privacy/)."""

    #: Changing it shows the notice again to every patient at their next message.
    notice_version: str = "2026-12"
    #: WhatsApp reminders: `ask` (planned, and the patient is asked once, after the first
    #: booking, with a « non » that cancels them), `required` (planned only after a « oui »:
    #: consent, art. 6(1)(a)), `none` (part of the booking the patient asked for).
    reminder_consent: str = "ask"
    #: Conversations (Rasa's events, the staff transcript) are deleted this long after the
    #: patient's last message.
    conversation_retention: timedelta = timedelta(days=90)
    #: A patient with no message and no appointment for this long is erased.
    inactive_patient_retention: timedelta = timedelta(days=3 * 365)
    #: Past appointments lose their link to the patient (name, id) this long after their date.
    appointment_retention: timedelta = timedelta(days=365)
    #: Where patients exercise their rights (e-mail or postal address); default: the practice.
    contact: str = ""


@dataclass(frozen=True)
class WaitingListRules:
    """The waiting list (clinic.services.waitlist): patients told when a slot they wanted frees.

    Off unless the practice turns it on: it sends WhatsApp messages nobody asked for at that
    moment, so the practice decides (docs/guide-equipe.md)."""

    enabled: bool = False
    #: A freed slot is held for one waiting patient this long, then offered to the next one.
    hold: timedelta = timedelta(minutes=30)
    #: The offer outside the patient's 24-hour window (docs/whatsapp-templates.md).
    offer_template: str = "creneau_libere"


@dataclass(frozen=True)
class NoShowRules:
    """After a missed appointment (staff mark it in the console's agenda)."""

    #: Send the patient a kind offer to book again (the `template`, any time of the window).
    follow_up: bool = False
    template: str = "rdv_manque"
    #: A patient's new bookings wait for staff confirmation after this many no-shows (0: never).
    #: A choice the practice makes: it protects the diary and slows down a patient who may have
    #: had good reasons (docs/guide-equipe.md).
    confirm_after: int = 0


@dataclass(frozen=True)
class Practice:
    name: str
    address: str
    phone: str
    timezone: str = "Europe/Paris"
    opening_hours: WeeklyHours = field(default_factory=dict)
    practitioners: tuple[Practitioner, ...] = ()
    reasons: tuple[VisitReason, ...] = ()
    rules: BookingRules = BookingRules()
    closed_dates: frozenset[date] = frozenset()
    #: Staff alerted when a conversation goes to a human: WhatsApp numbers (+33…) and e-mails.
    staff_alerts: tuple[str, ...] = ()
    reason_in_calendar: bool = False
    reminders: ReminderRules = ReminderRules()
    limits: Limits = Limits()
    handoff: HandoffRules = HandoffRules()
    privacy: PrivacyRules = PrivacyRules()
    waiting_list: WaitingListRules = WaitingListRules()
    no_shows: NoShowRules = NoShowRules()
    #: The practice's no-show rate before the pilot (0.05 = 5 %), for the report; None: unknown.
    no_show_rate_before: float | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("FR", language="fr")

    def holiday_name(self, day: date) -> str | None:
        """The French public holiday on `day`, if the practice closes on them."""
        if not self.rules.public_holidays:
            return None
        return self._holidays.get(day)

    def is_closed(self, day: date) -> bool:
        return day in self.closed_dates or self.holiday_name(day) is not None

    def is_open(self, moment: datetime) -> bool:
        """Whether the practice is open at `moment` (its opening hours, closed days, holidays)."""
        local = moment.astimezone(self.tz)
        if self.is_closed(local.date()):
            return False
        now = local.time()
        return any(r.start <= now < r.end for r in self.opening_hours.get(local.weekday(), ()))

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the practice next opens after `moment` (within two weeks), on its wall clock."""
        local = moment.astimezone(self.tz)
        for days in range(15):
            day = local.date() + timedelta(days=days)
            if self.is_closed(day):
                continue
            for opening in self.opening_hours.get(day.weekday(), ()):
                start = datetime.combine(day, opening.start, tzinfo=self.tz)
                if start > local:
                    return start
        return None

    @cached_property
    def afternoon_start(self) -> time:
        """When « l'après-midi » begins for this practice: patients mean after lunch.

        13h, or the first opening after noon when that is later (« 14h » for a practice closed
        12h30-14h); noon only when someone works through lunch (an opening spanning 12h-13h).
        """
        ranges = [
            r
            for hours in (self.opening_hours, *(p.hours for p in self.practitioners))
            for day in hours.values()
            for r in day
        ]
        if any(r.start <= time(12) and r.end >= time(13) for r in ranges):
            return time(12)
        afternoon = [r.start for r in ranges if r.start >= time(12)]
        return max(time(13), min(afternoon)) if afternoon else time(13)

    @property
    def staff_numbers(self) -> tuple[str, ...]:
        return tuple(a for a in self.staff_alerts if a.startswith("+"))

    @property
    def staff_emails(self) -> tuple[str, ...]:
        return tuple(a for a in self.staff_alerts if "@" in a)

    def practitioner(self, practitioner_id: str) -> Practitioner:
        return next(p for p in self.practitioners if p.id == practitioner_id)

    def reason(self, reason_id: str) -> VisitReason:
        return next(r for r in self.reasons if r.id == reason_id)

    def find_practitioner(self, practitioner_id: str) -> Practitioner | None:
        return next((p for p in self.practitioners if p.id == practitioner_id), None)

    def find_reason(self, reason_id: str) -> VisitReason | None:
        return next((r for r in self.reasons if r.id == reason_id), None)

    def match_reason(self, text: str) -> VisitReason | None:
        """The visit reason named in free text (id, label or synonym; accents and case ignored).

        A specific reason beats the general one (the first in practice.yml, « consultation »):
        « voir le médecin pour un vaccin » is a vaccination, whoever it is for. Among specific
        ones the longest name wins, so « suivi de grossesse » is not read as « suivi ».
        """
        haystack = f" {re.sub(r'[^a-z0-9]+', ' ', fold(text))} "
        found: dict[str, tuple[int, VisitReason]] = {}
        for reason in self.reasons:
            for name in (reason.id, reason.label, *reason.synonyms):
                needle = re.sub(r"[^a-z0-9]+", " ", fold(name)).strip()
                if needle and f" {needle} " in haystack:
                    longest = max(len(needle), found.get(reason.id, (0, reason))[0])
                    found[reason.id] = (longest, reason)
        if len(found) > 1 and self.reasons:
            found.pop(self.reasons[0].id, None)
        best = max(found.values(), key=lambda item: item[0], default=None)
        return best[1] if best else None
