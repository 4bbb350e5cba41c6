"""What Rasa's tracker table `events` tells (read with SQL, no Rasa import): intents, the actions
run (fallback, handoff, emergency, offer, recap, booking), the answer time (a patient message to
the first answer, as Rasa recorded both) and the form's `requested_slot`, whose value is sealed
and opened with the data key. That is where a booking conversation stopped.

A *booking conversation* starts at a `book_appointment` intent and ends at the next one, or at
the end of the period; it is *completed* when `action_book_appointment` ran in it. Otherwise
its *drop-off* is the last step reached: reason, time, name, offer, recap (STAGES).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import rasa_events
from clinic.services.report.days import Day, Period

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
class Turns:
    """What Rasa's events tell over the period, beyond the per-day counts."""

    intents: Counter[str] = field(default_factory=Counter)
    drop_offs: Counter[str] = field(default_factory=lambda: Counter({s: 0 for s in STAGES}))
    user_turns: int = 0
    waits: list[float] = field(default_factory=list)  # seconds from a message to its answer


def count_turns(period: Period, events: list[dict[str, Any]], sealer: Sealer) -> Turns:
    """Intents, answer times, fallbacks, handoffs, emergencies and booking conversations."""
    turns = Turns()
    for rows in _by_sender(events).values():
        _follow(period, rows, sealer, turns)
    return turns


def _follow(period: Period, rows: list[dict[str, Any]], sealer: Sealer, turns: Turns) -> None:
    """One sender's events in order: each booking conversation runs to the next one's start."""
    journey: _Journey | None = None
    asked_at: float | None = None
    for row in rows:
        moment = datetime.fromtimestamp(row["timestamp"], timezone.utc)
        bucket = period.day_of(moment)
        if row["type_name"] == "bot":
            if asked_at is not None:
                turns.waits.append(row["timestamp"] - asked_at)
                asked_at = None
        elif row["type_name"] == "user":
            asked_at = row["timestamp"]
            turns.user_turns += 1
            intent = row["intent_name"] or "?"
            turns.intents[intent] += 1
            if intent == "book_appointment":
                if journey is not None:
                    journey.close(period.days, turns.drop_offs)
                journey = _Journey(bucket.day)
        elif row["type_name"] == "action":
            _count_action(row["action_name"], bucket, journey)
        elif row["type_name"] == "slot" and journey is not None:
            value = _slot_value(row["data"], sealer)
            if value in STAGES and journey.stage not in ("offer", "recap"):
                journey.stage = value
    if journey is not None:
        journey.close(period.days, turns.drop_offs)


def _count_action(name: str, bucket: Day, journey: _Journey | None) -> None:
    """An action run: a fallback, handoff or emergency of its day, or a booking step reached."""
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


def read_events(db: sa.engine.Connection, lower: datetime, upper: datetime) -> list[dict[str, Any]]:
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
