"""The waiting list: patients told over WhatsApp when a slot they wanted frees.

A patient asks to wait (« prévenez-moi si un créneau se libère ») or accepts to after booking a
distant date. `clinic worker` then runs `sweep` every pass: wishes past their date end, holds past
their time are passed on, and each free slot that fits a waiting wish is held for the patient who
asked first and offered to them (free text with buttons inside the 24-hour window, the approved
template outside it), never at night. Whatever freed the slot, the sweep sees it: there is no
hook to forget in cancel, move, erasure, refusal or block removal.

Accepting books the slot, or moves the patient's later appointment for the same reason there, in
one transaction; the slot claims refuse a concurrent winner, and a stale offer says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from clinic.adapters import metrics
from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.waitlist import StoredHold, WaitlistRepository
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.notify import Messenger, TemplateMessage
from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from clinic.domain.scheduling.waitlist import (
    Hold,
    Wish,
    earlier_window,
    match,
    new_wish_id,
    sending_hours,
)
from clinic.domain.statuses import ACTIVE
from clinic.services.booking import BookingService

logger = logging.getLogger(__name__)

#: Every start already free in a new wish's window is recorded as seen, up to this many: only a
#: slot freed afterwards is offered.
SEEN_LIMIT = 2000


@dataclass(frozen=True)
class Acceptance:
    """booked, moved (the later appointment brought forward), taken (gone meanwhile), limit,
    unknown (not this patient's offer, or already answered)."""

    status: Literal["booked", "moved", "taken", "limit", "unknown"]
    appointment: Appointment | None = None


class WaitlistService:
    def __init__(
        self,
        practice: Practice,
        repository: WaitlistRepository,
        booking: BookingService,
        patients: PatientRepository,
        messenger: Messenger,
        clock: Clock,
    ) -> None:
        self.practice = practice
        self.repository = repository
        self.booking = booking
        self.patients = patients
        self.messenger = messenger
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.practice.waiting_list.enabled

    # --- the patient's side ---------------------------------------------------------------------

    def join(
        self,
        patient_id: str,
        reason_id: str,
        window: SearchWindow,
        practitioner_id: str | None = None,
        replaces: str | None = None,
    ) -> Wish | None:
        """Wait for a slot in `window` (capped at the booking horizon); None when the list is off
        or the window is already over. Every slot free now counts as seen."""
        if not self.enabled:
            return None
        now = self.clock.now()
        end = min(window.end, now + self.practice.rules.horizon)
        if end <= max(window.start, now):
            return None
        window = SearchWindow(
            max(window.start, now).astimezone(self.practice.tz),
            end,
            window.daily_from,
            window.daily_to,
            None,
            window.excluded_weekdays,
        )
        free = self.booking.search(window, reason_id, practitioner_id, limit=SEEN_LIMIT).slots
        wish = Wish(
            id=new_wish_id(),
            patient_id=patient_id,
            reason_id=reason_id,
            window=window,
            practitioner_id=practitioner_id,
            created_at=now,
            seen=frozenset(s.start for s in free),
            replaces=replaces,
        )
        self.repository.add(wish)
        metrics.WAITLIST_EVENTS.labels("joined").inc()
        logger.info("waiting list: wish %s added", wish.id)
        return wish

    def join_earlier(self, patient_id: str, appointment: Appointment) -> Wish | None:
        """« Prévenez-moi si un créneau se libère plus tôt »: before the booked appointment, same
        reason and practitioner; accepting moves it."""
        window = earlier_window(self.practice, self.clock.now(), appointment.start)
        if window is None:
            return None
        return self.join(
            patient_id,
            appointment.reason_id,
            window,
            appointment.practitioner_id,
            replaces=appointment.id,
        )

    def waiting(self, patient_id: str) -> list[Wish]:
        return self.repository.waiting(patient_id)

    def leave(self, patient_id: str) -> int:
        """« Plus besoin »: every wish of the patient ends; returns how many."""
        now = self.clock.now()
        ended = sum(
            self.repository.end(w.id, "cancelled", now) for w in self.repository.waiting(patient_id)
        )
        if ended:
            metrics.WAITLIST_EVENTS.labels("left").inc(ended)
        return ended

    def accept(self, patient_id: str, hold_id: int) -> Acceptance:
        """Book the held slot, or move the patient's later appointment for that reason there.

        Held for this patient, or let expire and held by nobody else since: the claims decide
        between concurrent takers; the loser is told it is gone."""
        now = self.clock.now()
        stored = self.repository.get_hold(hold_id)
        if stored is None or stored.patient_id != patient_id:
            return Acceptance("unknown")
        if stored.status == "accepted":
            found = self.booking.repository.get(stored.appointment_id or "")
            return Acceptance("booked", found) if found is not None else Acceptance("unknown")
        live = stored.status == "held" and stored.hold.expires_at > now
        late = stored.status in ("held", "expired") and not self.repository.slot_held_by_other(
            stored
        )
        if not (live or late):
            return Acceptance("taken")
        wish = self.repository.get(stored.hold.wish_id)
        if wish is None:
            return Acceptance("unknown")
        slot = stored.hold.slot
        actor = Actor("patient", patient_id)
        replaced = self._replaced(patient_id, wish, slot.start)
        if replaced is not None and replaced.practitioner_id == slot.practitioner_id:
            moved = self.booking.reschedule(replaced.id, slot, actor)  # one transaction
            if moved.status == "unverified":
                return Acceptance("taken")  # nothing changed; the hold stays for a retry
            if moved.status != "moved" or moved.appointment is None:
                self._settle(stored, "stale", now)
                return Acceptance("taken")
            return self._accepted(stored, wish, "moved", moved.appointment, now)
        name = self.patients.name(patient_id) or ""
        outcome = self.booking.book(slot, wish.reason_id, patient_id, name)
        if outcome.status == "limit":
            return Acceptance("limit")
        if outcome.status not in ("booked", "pending") or outcome.appointment is None:
            self._settle(stored, "stale", now)
            return Acceptance("taken")
        if replaced is not None:  # another practitioner: the new one booked, then the old freed
            self.booking.cancel(replaced.id, actor)
            return self._accepted(stored, wish, "moved", outcome.appointment, now)
        return self._accepted(stored, wish, "booked", outcome.appointment, now)

    def live_hold(self, patient_id: str) -> int | None:
        """The one slot held for this patient now, if exactly one: a typed « je le prends »."""
        held = [h.id for h in self.repository.live(self.clock.now()) if h.patient_id == patient_id]
        return held[0] if len(held) == 1 else None

    def decline(self, patient_id: str, hold_id: int) -> bool:
        """« Non merci »: the slot goes to the next patient now; the wish keeps waiting."""
        declined = self.repository.settle(
            hold_id, patient_id, ("held",), "declined", self.clock.now()
        )
        if declined:
            metrics.WAITLIST_EVENTS.labels("declined").inc()
        return declined

    # --- the worker's side ----------------------------------------------------------------------

    def sweep(self) -> int:
        """One pass: end old wishes, pass on expired holds, hold and offer freed slots. Returns
        how many offers were sent."""
        if not self.enabled:
            return 0
        now = self.clock.now()
        expired = self.repository.expire(now)
        if expired:
            metrics.WAITLIST_EVENTS.labels("expired").inc(expired)
        waiting = []
        for wish in self.repository.waiting():
            if wish.until <= now:
                self.repository.end(wish.id, "expired", now)
            elif self._satisfied(wish):
                self.repository.end(wish.id, "booked", now)
            else:
                waiting.append(wish)
        waiting = [w for w in waiting if self._still_offered(w)]
        if not waiting or not sending_hours(self.practice, now):
            return 0  # nothing to offer, or night: no calendar read either
        horizon = now + self.practice.rules.horizon
        busy, verified = self.booking.busy(now, horizon)
        if not verified:
            return 0  # the outside calendar is unreadable: nothing can be promised
        live = [h.hold for h in self.repository.live(now)]
        holds = match(
            self.practice,
            busy,
            now,
            [w for w in waiting if self.messenger.reachable(w.patient_id)],
            live,
            self.repository.refused(),
            self.practice.waiting_list.hold,
        )
        sent = 0
        by_id = {w.id: w for w in waiting}
        for hold in holds:
            wish = by_id[hold.wish_id]
            hold_id = self.repository.hold(hold, wish.patient_id, now)
            if hold_id is None:
                continue  # another worker held it first
            self._offer(wish, hold, hold_id)
            sent += 1
        if sent:
            metrics.WAITLIST_EVENTS.labels("offered").inc(sent)
        return sent

    # --- inside ---------------------------------------------------------------------------------

    def offer_text(self, wish: Wish, hold: Hold) -> str:
        tz = self.practice.tz
        when = french.day_and_hour(hold.slot.start.astimezone(tz))
        who = self.practice.practitioner(hold.slot.practitioner_id).name
        until = french.hour(hold.expires_at.astimezone(tz))
        reason = self.practice.reason(wish.reason_id).label
        return (
            f"🔔 Un créneau s'est libéré : {when} avec {who} ({reason}). "
            f"Je vous le garde jusqu'à {until}. Le voulez-vous ?"
        )

    def _offer(self, wish: Wish, hold: Hold, hold_id: int) -> None:
        """Free text with two buttons inside the 24-hour window, else the approved template
        (no visit reason nor practitioner in a template: Meta stores them)."""
        accept = f'/accept_offer{{"hold": "{hold_id}"}}'
        decline = f'/decline_offer{{"hold": "{hold_id}"}}'
        patient = wish.patient_id
        if self.messenger.window_open(patient):
            self.messenger.queue_choice(
                patient,
                "waitlist",
                self.offer_text(wish, hold),
                (("Je le prends", accept), ("Non merci", decline)),
            )
            return
        tz = self.practice.tz
        rules = self.practice.waiting_list
        template = TemplateMessage(
            rules.offer_template,
            self.practice.reminders.language,
            (  # the day and the hold's end only: no reason, no practitioner in a template
                french.day_and_hour(hold.slot.start.astimezone(tz)),
                french.hour(hold.expires_at.astimezone(tz)),
            ),
            (accept, decline),
        )
        self.messenger.queue(patient, "waitlist", template)

    def _still_offered(self, wish: Wish) -> bool:
        """Its reason (and practitioner) still in practice.yml: else it waits, unread, until the
        file is fixed or the wish ends."""
        practice = self.practice
        if practice.find_reason(wish.reason_id) is None:
            logger.warning("waiting list: wish %s names a reason practice.yml lost", wish.id)
            return False
        return (
            wish.practitioner_id is None
            or practice.find_practitioner(wish.practitioner_id) is not None
        )

    def _satisfied(self, wish: Wish) -> bool:
        """The patient booked something that fits the wish themselves: it ends."""
        held = self.booking.repository.list(
            start=wish.window.start, statuses=ACTIVE, patient_id=wish.patient_id
        )
        return any(
            a.reason_id == wish.reason_id and a.start < wish.window.end and a.id != wish.replaces
            for a in held
        )

    def _replaced(self, patient_id: str, wish: Wish, start: datetime) -> Appointment | None:
        """The appointment taking this slot replaces, so the patient never holds two for one
        need: the wish's own (« plus tôt », or the one being moved, earlier or later), else the
        next one for the same reason after this slot."""
        upcoming = self.booking.upcoming(patient_id)
        own = next((a for a in upcoming if a.id == wish.replaces), None)
        if own is not None:
            return own
        return next(
            (a for a in upcoming if a.reason_id == wish.reason_id and a.start > start), None
        )

    def _accepted(
        self,
        stored: StoredHold,
        wish: Wish,
        status: Literal["booked", "moved"],
        appointment: Appointment,
        now: datetime,
    ) -> Acceptance:
        self.repository.settle(
            stored.id, stored.patient_id, ("held", "expired"), "accepted", now, appointment.id
        )
        self.repository.end(wish.id, "booked", now)
        metrics.WAITLIST_EVENTS.labels("accepted").inc()
        metrics.WAITLIST_FILL_SECONDS.observe(
            max(0.0, (now - stored.created_at) / timedelta(seconds=1))
        )
        return Acceptance(status, appointment)

    def _settle(self, stored: StoredHold, status: str, now: datetime) -> None:
        self.repository.settle(stored.id, stored.patient_id, ("held", "expired"), status, now)
