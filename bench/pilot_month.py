"""A seeded pilot month on one database, with the truth kept, for `clinic report`.

    python -m bench.pilot_month --database sqlite:///var/pilot.db [--seed 7] [--start 2026-11-02]
        [--days 30] [--per-day 6]   then   clinic report --from … --to … --out var/pilot.html

The business side goes through the real core services, on a clock that walks through the month:
bookings (`BookingService.book`, which schedules the reminders and writes the audit trail),
moves and cancellations by the patient, the reminders the worker would send or fail, the
confirmations by button, staff's « arrivé / absent » marks (`FrontDesk.mark`), the transcript.
The dialogue side is what Rasa writes for each turn — the intent, the actions run, the form's
`requested_slot`, the answers — saved through the project's own tracker store
(`SealedSQLTrackerStore`), with the month's timestamps. The model itself is not run here (a
month of turns would take an hour); the e2e stack test checks the report on real conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.adapters.settings import Settings
from clinic.adapters.storage.audit import Actor
from clinic.app.wiring import Services, build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice, load_practice
from clinic.domain.scheduling import SearchWindow
from connectors.tracker_store import SealedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[1]
#: How conversations end, with their weights: a booking stopped at each step, or not at all.
KINDS = {
    "booked": 40,
    "drop_reason": 4,
    "drop_when": 5,
    "drop_patient_name": 3,
    "drop_offer": 6,
    "drop_recap": 3,
    "move": 6,
    "cancel": 5,
    "info": 8,
    "fallback": 6,
    "handoff": 3,
    "emergency": 1,
}
STEPS = ("reason", "when", "patient_name", "offer", "recap")
FIRST_NAMES = ("Zéphyrine", "Anatole", "Bérénice", "Léopold")  # the report must never show them


@dataclass
class Truth:
    """What the simulation did, counted independently of the report."""

    conversations_by_day: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    patients: set[str] = field(default_factory=set)
    patient_messages: int = 0
    outside_hours: int = 0
    booking_conversations: int = 0
    completed: int = 0
    drop_offs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STEPS, 0))
    bookings: int = 0
    moves: int = 0
    cancellations: int = 0
    arrived: int = 0
    absent: int = 0
    reminders_sent: int = 0
    reminders_failed: int = 0
    confirmed: int = 0
    handoffs: int = 0
    emergencies: int = 0
    fallbacks: int = 0
    user_turns: int = 0
    intents: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    waits: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": len(self.patients),
            "conversations_by_day": {
                d: len(p) for d, p in sorted(self.conversations_by_day.items())
            },
            "patient_messages": self.patient_messages,
            "outside_hours": self.outside_hours,
            "booking_conversations": self.booking_conversations,
            "completed": self.completed,
            "drop_offs": self.drop_offs,
            "bookings": self.bookings,
            "moves": self.moves,
            "cancellations": self.cancellations,
            "arrived": self.arrived,
            "absent": self.absent,
            "reminders_sent": self.reminders_sent,
            "reminders_failed": self.reminders_failed,
            "confirmed": self.confirmed,
            "handoffs": self.handoffs,
            "emergencies": self.emergencies,
            "fallbacks": self.fallbacks,
            "user_turns": self.user_turns,
            "intents": dict(self.intents),
        }


class Month:
    """One simulated month: the services on a walking clock, the dialogue's events per sender."""

    def __init__(self, services: Services, clock: FixedClock, seed: int) -> None:
        self.services = services
        self.clock = clock
        self.practice: Practice = services.practice
        self.random = random.Random(seed)
        self.truth = Truth()
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.booked: list[tuple[str, str]] = []  # (patient, appointment id), for moves

    # --- one turn -------------------------------------------------------------------------------

    def message(self, sender: str, at: datetime) -> None:
        """The patient writes: the transcript staff read."""
        self.truth.patient_messages += 1
        self.truth.patients.add(sender)
        day = at.astimezone(self.practice.tz).date().isoformat()
        self.truth.conversations_by_day[day].add(sender)
        if not self.practice.is_open(at):
            self.truth.outside_hours += 1
        self.services.transcript.add(sender, "patient", "…", at)

    def red_flag(self, sender: str, at: datetime) -> None:
        """A red flag over WhatsApp: the channel answers (outbox kind `emergency`), no turn."""
        self.message(sender, at)
        self.services.outbox.queue(sender, "emergency", {"type": "text"}, at)

    def turn(self, sender: str, at: datetime, intent: str, *after: Event) -> datetime:
        """The patient writes (transcript + Rasa's user event), Rasa runs `after`, answers."""
        self.message(sender, at)
        self.truth.user_turns += 1
        self.truth.intents[intent] += 1
        stamp = at.timestamp()
        events = self.events[sender]
        events.append(UserUttered("…", {"name": intent, "confidence": 0.99}, timestamp=stamp))
        for event in after:
            event.timestamp = stamp + 0.01
            events.append(event)
        wait = round(self.random.lognormvariate(0.1, 0.45), 3)  # seconds, ~1.1 s median
        self.truth.waits.append(wait)
        events.append(BotUttered("…", timestamp=stamp + wait))
        return at + timedelta(seconds=self.random.randint(20, 120))

    # --- conversations --------------------------------------------------------------------------

    def conversation(self, sender: str, at: datetime) -> None:
        kind = self.random.choices(list(KINDS), weights=list(KINDS.values()))[0]
        if kind in ("move", "cancel") and not self.upcoming(at):
            kind = "info"
        if kind == "booked" or kind.startswith("drop_"):
            self.booking(sender, at, None if kind == "booked" else kind[5:])
        elif kind in ("move", "cancel"):
            self.change(kind, at)
        elif kind == "info":
            self.turn(sender, at, "ask_opening_hours", ActionExecuted("action_opening_hours"))
        elif kind == "fallback":
            self.truth.fallbacks += 1
            at = self.turn(sender, at, "nlu_fallback", ActionExecuted("action_fallback"))
            self.turn(sender, at, "greet", ActionExecuted("action_greet"))
        elif kind == "handoff":
            self.truth.handoffs += 1
            self.turn(sender, at, "request_human", ActionExecuted("action_handoff"))
        elif self.random.random() < 0.5:  # the model's emergency (its words escaped the detector)
            self.truth.emergencies += 1
            self.turn(sender, at, "emergency", ActionExecuted("action_emergency"))
        else:  # the detector's, answered by the channel before any turn
            self.truth.emergencies += 1
            self.red_flag(sender, at)

    def booking(self, sender: str, at: datetime, stop: str | None) -> None:
        """book_appointment, then the form's questions, the offer, the recap, « je confirme »."""
        self.truth.booking_conversations += 1
        asked = ActionExecuted("booking_form")
        at = self.turn(sender, at, "book_appointment", asked, SlotSet("requested_slot", "reason"))
        if stop == "reason":
            self.truth.drop_offs["reason"] += 1
            return
        at = self.turn(sender, at, "inform", SlotSet("requested_slot", "when"))
        if stop == "when":
            self.truth.drop_offs["when"] += 1
            return
        at = self.turn(sender, at, "inform", SlotSet("requested_slot", "patient_name"))
        if stop == "patient_name":
            self.truth.drop_offs["patient_name"] += 1
            return
        name = f"{self.random.choice(FIRST_NAMES)} Quillebœuf"
        at = self.turn(
            sender,
            at,
            "inform",
            SlotSet("patient_name", name),
            SlotSet("requested_slot", None),
            ActionExecuted("action_offer_slots"),
        )
        if stop == "offer":
            self.truth.drop_offs["offer"] += 1
            return
        at = self.turn(sender, at, "choose_slot", ActionExecuted("action_choose_slot"))
        if stop == "recap":
            self.truth.drop_offs["recap"] += 1
            return
        self.clock.set(at)
        reason = self.random.choice(self.practice.reasons).id
        days_ahead = self.random.randint(1, 12)
        window = SearchWindow(at + timedelta(days=days_ahead), at + timedelta(days=days_ahead + 7))
        offer = self.services.booking.search(window, reason)
        outcome = self.services.booking.book(offer.slots[0], reason, sender, name)
        assert outcome.status == "booked" and outcome.appointment is not None, outcome
        self.turn(sender, at, "affirm", ActionExecuted("action_book_appointment"))
        self.truth.completed += 1
        self.truth.bookings += 1
        self.truth.names.append(name)
        self.booked.append((sender, outcome.appointment.id))

    def upcoming(self, at: datetime) -> list[tuple[str, str]]:
        """Booked appointments more than a day ahead (outside the cancellation cut-off)."""
        out = []
        for patient, appointment_id in self.booked:
            appointment = self.services.appointments.get(appointment_id)
            if appointment and appointment.active and appointment.start > at + timedelta(days=1):
                out.append((patient, appointment_id))
        return out

    def change(self, kind: str, at: datetime) -> None:
        """The patient who booked earlier moves or cancels it (same conversation id)."""
        patient, appointment_id = self.random.choice(self.upcoming(at))
        actor = Actor("patient", patient)
        self.clock.set(at)
        if kind == "cancel":
            at = self.turn(
                patient, at, "cancel_appointment", ActionExecuted("action_find_appointment")
            )
            self.clock.set(at)
            self.services.booking.cancel(appointment_id, actor)
            self.turn(patient, at, "affirm", ActionExecuted("action_cancel_appointment"))
            self.truth.cancellations += 1
            return
        appointment = self.services.appointments.get(appointment_id)
        assert appointment is not None
        at = self.turn(
            patient, at, "reschedule_appointment", ActionExecuted("action_find_appointment")
        )
        self.clock.set(at)
        later = appointment.start + timedelta(days=self.random.randint(1, 5))
        window = SearchWindow(later, later + timedelta(days=7))
        offer = self.services.booking.search(
            window, appointment.reason_id, appointment.practitioner_id
        )
        moved = self.services.booking.reschedule(appointment_id, offer.slots[0], actor)
        assert moved.status == "moved", moved
        self.turn(patient, at, "affirm", ActionExecuted("action_book_appointment"))
        self.truth.moves += 1

    # --- the practice's day ----------------------------------------------------------------------

    def evening(self, day: date, first: date) -> None:
        """At 20h: due reminders sent (or failed), a few confirmed; today's attendance marked."""
        tz = self.practice.tz
        self.clock.set(datetime.combine(day, time(20), tz))
        now = self.clock.now()
        lower = datetime.combine(first, time(0), tz)
        for reminder in self.services.reminders.claim_due(now, limit=1000):
            failed = self.random.random() < 0.05
            self.services.reminders.finish(reminder.id, "failed" if failed else "sent", now)
            if reminder.due >= lower:
                if failed:
                    self.truth.reminders_failed += 1
                else:
                    self.truth.reminders_sent += 1
            if not failed and self.random.random() < 0.6:
                confirmed = self.services.booking.confirm(
                    reminder.appointment_id, Actor("patient", self._owner(reminder.appointment_id))
                )
                if confirmed is not None:
                    self.truth.confirmed += 1
        for appointment in self.services.appointments.list(
            start=datetime.combine(day, time(0), tz),
            end=datetime.combine(day + timedelta(days=1), time(0), tz),
        ):
            if not appointment.active:
                continue
            absent = self.random.random() < 0.06
            outcome = self.services.frontdesk.mark(
                appointment.id, "no_show" if absent else "arrived", Actor("staff", "accueil")
            )
            if outcome.status == "done":
                self.truth.absent += absent
                self.truth.arrived += not absent

    def _owner(self, appointment_id: str) -> str:
        appointment = self.services.appointments.get(appointment_id)
        return appointment.patient_id if appointment else ""


def run(
    services: Services, clock: FixedClock, first: date, days: int, per_day: int, seed: int
) -> Truth:
    """Simulate `days` days from `first`, about `per_day` conversations a day; the truth."""
    month = Month(services, clock, seed)
    tz = services.practice.tz
    number = 0
    for offset in range(days):
        day = first + timedelta(days=offset)
        count = max(0, round(month.random.gauss(per_day, per_day / 3)))
        starts = sorted(
            datetime.combine(day, time(0), tz)
            + timedelta(minutes=month.random.choice(_MINUTES_OF_DAY))
            for _ in range(count)
        )
        for start in starts:
            number += 1
            month.conversation(f"wa-sim-{seed:02d}-{number:05d}", start)
        month.evening(day, first)
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SealedSQLTrackerStore(domain, host=services.settings.database_url, services=services)
    for sender, events in month.events.items():
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    return month.truth


#: When patients write: mostly in the day, some in the evening and at night (minutes after 0h).
_MINUTES_OF_DAY = [m for m in range(0, 24 * 60, 5) for _ in range(4 if 480 <= m < 1200 else 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL (a new database)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=6)
    parser.add_argument("--truth", help="write the truth as JSON to this file")
    args = parser.parse_args()
    settings = Settings.from_env({**os.environ, "DATABASE_URL": args.database})
    practice = load_practice(settings.practice_config)
    clock = FixedClock(datetime.combine(args.start, time(0), practice.tz))
    services = build_services(settings, practice, clock=clock)
    try:
        truth = run(services, clock, args.start, args.days, args.per_day, args.seed)
    finally:
        services.database.dispose()
    summary = json.dumps(truth.as_json(), ensure_ascii=False, indent=2)
    if args.truth:
        Path(args.truth).write_text(summary)
    print(summary)
    last = args.start + timedelta(days=args.days - 1)
    print(f"clinic report --from {args.start} --to {last} --out var/pilot.html", flush=True)


if __name__ == "__main__":
    main()
