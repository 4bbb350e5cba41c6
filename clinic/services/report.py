"""The pilot's figures: « does it work for our patients? », from the database alone.

Counts and rates only: no name, phone, reason text or message leaves this module. The sources:
- the core's tables: appointments (attendance marked by staff), the audit trail (who booked,
  moved, cancelled, confirmed), reminders, the transcript's timestamps (patient messages, outside
  opening hours), and the outbox's emergency answers (red flags the channel answered before any
  turn, clinic.domain.safety);
- Rasa's tracker table `events` (read with SQL, no Rasa import): intents, the actions run
  (fallback, handoff, emergency, offer, recap, booking), the answer time (a patient message to
  the first answer, as Rasa recorded both) and the form's `requested_slot`, whose value is sealed
  and opened with the data key. That is where a booking conversation stopped.

A *booking conversation* starts at a `book_appointment` intent and ends at the next one, or at
the end of the period; it is *completed* when `action_book_appointment` ran in it. Otherwise
its *drop-off* is the last step reached: reason, time, name, offer, recap (STAGES).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database, rasa_events
from clinic.adapters.storage.tables import (
    appointments,
    audit_log,
    conversation_log,
    reminders,
    whatsapp_outbound,
)
from clinic.domain.practice import Practice

#: Steps of a booking conversation, in order, with their French labels.
STAGES = {
    "reason": "motif",
    "when": "moment",
    "patient_name": "nom",
    "offer": "créneaux proposés",
    "recap": "récapitulatif",
}
_STAGE_ACTIONS = {"action_offer_slots": "offer", "action_choose_slot": "recap"}


@dataclass
class Day:
    """One day's counts (the practice's calendar day)."""

    day: str
    conversations: int = 0
    patient_messages: int = 0
    outside_hours: int = 0
    booking_conversations: int = 0
    completed: int = 0
    bookings_assistant: int = 0
    bookings_staff: int = 0
    moves: int = 0
    cancellations: int = 0
    handoffs: int = 0
    emergencies: int = 0
    fallbacks: int = 0


@dataclass
class Report:
    start: str
    end: str  # inclusive
    days: list[Day]
    conversations: int
    patient_messages: int
    outside_hours: int
    outside_hours_share: float | None
    booking_conversations: int
    completed: int
    completion_rate: float | None
    drop_offs: dict[str, int]
    bookings_assistant: int
    bookings_staff: int
    moves: int
    cancellations: int
    no_show: dict[str, Any]
    reminders: dict[str, int]
    handoffs: int
    emergencies: int
    handoff_rate: float | None
    fallbacks: int
    user_turns: int
    fallback_rate: float | None
    intents: dict[str, int]
    answer_seconds: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build(
    database: Database,
    practice: Practice,
    sealer: Sealer,
    first: date,
    last: date,
    no_show_before: float | None = None,
) -> Report:
    """The figures for the days `first`..`last` (inclusive), in the practice's time zone."""
    tz = practice.tz
    lower = datetime.combine(first, time(0), tz)
    upper = datetime.combine(last + timedelta(days=1), time(0), tz)
    days = {
        (first + timedelta(days=i)).isoformat(): Day((first + timedelta(days=i)).isoformat())
        for i in range((last - first).days + 1)
    }

    def day_of(moment: datetime) -> Day:
        return days[moment.astimezone(tz).date().isoformat()]

    with database.transaction() as db:
        messages = db.execute(
            sa.select(conversation_log.c.patient_id, conversation_log.c.at).where(
                conversation_log.c.author == "patient",
                conversation_log.c.at >= lower,
                conversation_log.c.at < upper,
            )
        ).all()
        audit = db.execute(
            sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.action).where(
                audit_log.c.at >= lower, audit_log.c.at < upper
            )
        ).all()
        marked = db.execute(
            sa.select(appointments.c.attendance, sa.func.count())
            .where(
                appointments.c.start_at >= lower,
                appointments.c.start_at < upper,
                appointments.c.attendance.is_not(None),
            )
            .group_by(appointments.c.attendance)
        ).all()
        reminder_rows = db.execute(
            sa.select(reminders.c.status, sa.func.count())
            .where(reminders.c.due_at >= lower, reminders.c.due_at < upper)
            .group_by(reminders.c.status)
        ).all()
        events = _events(db, lower, upper)
        red_flags = db.execute(  # answered by the channel, before any turn (clinic.domain.safety)
            sa.select(whatsapp_outbound.c.created_at).where(
                whatsapp_outbound.c.kind == "emergency",
                whatsapp_outbound.c.created_at >= lower,
                whatsapp_outbound.c.created_at < upper,
            )
        ).all()

    talked: dict[str, set[str]] = {}
    for patient_id, at in messages:
        bucket = day_of(at)
        bucket.patient_messages += 1
        talked.setdefault(bucket.day, set()).add(patient_id)
        if not practice.is_open(at):
            bucket.outside_hours += 1
    for key, people in talked.items():
        days[key].conversations = len(people)

    confirmed = 0
    for at, actor, action in audit:
        bucket = day_of(at)
        if action in ("booked", "pending"):
            if actor == "staff":
                bucket.bookings_staff += 1
            else:
                bucket.bookings_assistant += 1
        elif action == "moved":
            bucket.moves += 1
        elif action == "cancelled":
            bucket.cancellations += 1
        elif action == "confirmed" and actor == "patient":
            confirmed += 1

    for (at,) in red_flags:
        day_of(at).emergencies += 1

    intents: Counter[str] = Counter()
    drop_offs: Counter[str] = Counter({stage: 0 for stage in STAGES})
    user_turns = 0
    waits: list[float] = []
    for rows in _by_sender(events).values():
        journey: _Journey | None = None
        asked_at: float | None = None
        for row in rows:
            moment = datetime.fromtimestamp(row["timestamp"], timezone.utc)
            bucket = day_of(moment)
            if row["type_name"] == "bot":
                if asked_at is not None:
                    waits.append(row["timestamp"] - asked_at)
                    asked_at = None
            elif row["type_name"] == "user":
                asked_at = row["timestamp"]
                user_turns += 1
                intent = row["intent_name"] or "?"
                intents[intent] += 1
                if intent == "book_appointment":
                    if journey is not None:
                        journey.close(days, drop_offs)
                    journey = _Journey(bucket.day)
            elif row["type_name"] == "action":
                name = row["action_name"]
                if name == "action_fallback":
                    bucket.fallbacks += 1
                elif name == "action_handoff":
                    bucket.handoffs += 1
                elif name == "action_emergency":
                    bucket.emergencies += 1
                if journey is not None:
                    if name == "action_book_appointment":
                        journey.completed = True
                    elif name in _STAGE_ACTIONS:
                        journey.stage = _STAGE_ACTIONS[name]
            elif row["type_name"] == "slot" and journey is not None:
                value = _slot_value(row["data"], sealer)
                if value in STAGES and journey.stage not in ("offer", "recap"):
                    journey.stage = value
        if journey is not None:
            journey.close(days, drop_offs)

    listed = list(days.values())
    total = {name: sum(getattr(d, name) for d in listed) for name in _SUMMED}
    attendance = dict(marked)
    arrived, absent = int(attendance.get("arrived", 0)), int(attendance.get("no_show", 0))
    statuses = dict(reminder_rows)
    waits.sort()
    return Report(
        start=first.isoformat(),
        end=last.isoformat(),
        days=listed,
        conversations=len({p for p, _ in messages}),
        patient_messages=total["patient_messages"],
        outside_hours=total["outside_hours"],
        outside_hours_share=_rate(total["outside_hours"], total["patient_messages"]),
        booking_conversations=total["booking_conversations"],
        completed=total["completed"],
        completion_rate=_rate(total["completed"], total["booking_conversations"]),
        drop_offs=dict(drop_offs),
        bookings_assistant=total["bookings_assistant"],
        bookings_staff=total["bookings_staff"],
        moves=total["moves"],
        cancellations=total["cancellations"],
        no_show={
            "arrived": arrived,
            "absent": absent,
            "rate": _rate(absent, arrived + absent),
            "before_pilot": no_show_before,
        },
        reminders={
            "sent": int(statuses.get("sent", 0)),
            "confirmed": confirmed,
            "failed": int(statuses.get("failed", 0)),
            "skipped": int(statuses.get("skipped", 0)),
        },
        handoffs=total["handoffs"],
        emergencies=total["emergencies"],
        handoff_rate=_rate(total["handoffs"] + total["emergencies"], len({p for p, _ in messages})),
        fallbacks=total["fallbacks"],
        user_turns=user_turns,
        fallback_rate=_rate(total["fallbacks"], user_turns),
        intents=dict(intents.most_common()),
        answer_seconds={
            "p50": _quantile(waits, 0.50),
            "p95": _quantile(waits, 0.95),
            "count": float(len(waits)),
        },
    )


_SUMMED = (
    "patient_messages",
    "outside_hours",
    "booking_conversations",
    "completed",
    "bookings_assistant",
    "bookings_staff",
    "moves",
    "cancellations",
    "handoffs",
    "emergencies",
    "fallbacks",
)


@dataclass
class _Journey:
    """One booking conversation: where it started, the furthest step, whether it booked."""

    day: str
    stage: str = "reason"
    completed: bool = False

    def close(self, days: dict[str, Day], drop_offs: Counter[str]) -> None:
        days[self.day].booking_conversations += 1
        if self.completed:
            days[self.day].completed += 1
        else:
            drop_offs[self.stage] += 1


def _events(db: sa.engine.Connection, lower: datetime, upper: datetime) -> list[dict[str, Any]]:
    """Rasa's events in the period, oldest first; none when Rasa never ran on this database."""
    if not rasa_events.exists(db):
        return []
    query = (
        sa.select(rasa_events.EVENTS)
        .where(
            rasa_events.EVENTS.c.timestamp >= lower.timestamp(),
            rasa_events.EVENTS.c.timestamp < upper.timestamp(),
            rasa_events.EVENTS.c.type_name.in_(("user", "bot", "action", "slot")),
            sa.or_(
                rasa_events.EVENTS.c.type_name != "slot",
                rasa_events.EVENTS.c.action_name == "requested_slot",
            ),
        )
        .order_by(rasa_events.EVENTS.c.id)
    )
    return [dict(row._mapping) for row in db.execute(query)]


def _by_sender(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["sender_id"], []).append(row)
    return grouped


def _slot_value(data: str | None, sealer: Sealer) -> Any:
    """A `requested_slot` event's value (the data column is sealed by the tracker store)."""
    event = rasa_events.open_event(data, sealer)
    return event.get("value") if event and event.get("name") == "requested_slot" else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (no interpolation: a figure that was measured)."""
    if not values:
        return None
    index = max(0, min(len(values) - 1, math.ceil(q * len(values)) - 1))
    return round(values[index], 3)
