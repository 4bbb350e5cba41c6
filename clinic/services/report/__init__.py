"""The pilot's figures: « does it work for our patients? », from the database alone.

Counts and rates only: no name, phone, reason text or message leaves this package. The sources:
- the core's tables: appointments (attendance marked by staff), the audit trail (who booked,
  moved, cancelled, confirmed), reminders, the transcript's timestamps (patient messages, outside
  opening hours), and the outbox's emergency answers (red flags the channel answered before any
  turn, clinic.domain.safety);
- Rasa's tracker table `events`: intents, actions, answer times and where a booking conversation
  stopped (`turns`, which says what a booking conversation and its drop-off are).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import (
    appointments,
    audit_log,
    conversation_log,
    reminders,
    waitlist_holds,
    whatsapp_outbound,
)
from clinic.domain.practice import Practice
from clinic.services.report.days import Day, Period
from clinic.services.report.turns import STAGES, Turns, count_turns, read_events

__all__ = ["STAGES", "Day", "Report", "build"]


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
    #: Freed slots offered to waiting patients: offers, accepted, declined, expired, gone
    #: (stale), the fill rate (accepted / offers) and the median minutes to fill.
    waiting_list: dict[str, Any] = field(default_factory=dict)

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
    period = Period(first, last, practice.tz)
    rows = _read(database, period)
    _count_messages(period, rows.messages, practice)
    confirmed = _count_changes(period, rows.audit)
    for (at,) in rows.red_flags:  # answered by the channel, before any turn: no Rasa event
        period.day_of(at).emergencies += 1
    turns = count_turns(period, rows.events, sealer)
    return _report(period, rows, confirmed, turns, no_show_before)


@dataclass(frozen=True)
class _Rows:
    """What the period's figures are counted from, read in one transaction (one snapshot)."""

    messages: Sequence[Any]  # (patient_id, at) of each patient message
    audit: Sequence[Any]  # (at, actor, action)
    marked: Sequence[Any]  # (attendance, count)
    reminders: Sequence[Any]  # (status, count)
    events: list[dict[str, Any]]  # Rasa's, oldest first
    red_flags: Sequence[Any]  # (created_at,) of the channel's emergency answers
    holds: Sequence[Any] = ()  # (status, created_at, settled_at) of the freed slots offered
    follow_ups: int = 0  # no-show follow-ups queued (outbox kind « no_show »)


def _read(database: Database, period: Period) -> _Rows:
    lower, upper = period.lower, period.upper
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
        events = read_events(db, lower, upper)
        red_flags = db.execute(  # answered by the channel, before any turn (clinic.domain.safety)
            sa.select(whatsapp_outbound.c.created_at).where(
                whatsapp_outbound.c.kind == "emergency",
                whatsapp_outbound.c.created_at >= lower,
                whatsapp_outbound.c.created_at < upper,
            )
        ).all()
        holds = db.execute(
            sa.select(
                waitlist_holds.c.status, waitlist_holds.c.created_at, waitlist_holds.c.settled_at
            ).where(waitlist_holds.c.created_at >= lower, waitlist_holds.c.created_at < upper)
        ).all()
        follow_ups = db.execute(
            sa.select(sa.func.count()).where(
                whatsapp_outbound.c.kind == "no_show",
                whatsapp_outbound.c.created_at >= lower,
                whatsapp_outbound.c.created_at < upper,
            )
        ).scalar_one()
    return _Rows(messages, audit, marked, reminder_rows, events, red_flags, holds, int(follow_ups))


def _count_messages(period: Period, messages: Sequence[Any], practice: Practice) -> None:
    """Patient messages, those sent while the practice was closed, and who wrote each day."""
    talked: dict[str, set[str]] = {}
    for patient_id, at in messages:
        bucket = period.day_of(at)
        bucket.patient_messages += 1
        talked.setdefault(bucket.day, set()).add(patient_id)
        if not practice.is_open(at):
            bucket.outside_hours += 1
    for key, people in talked.items():
        period.days[key].conversations = len(people)


def _count_changes(period: Period, audit: Sequence[Any]) -> int:
    """Bookings (by the assistant or staff), moves and cancellations per day, from the audit
    trail; returns the reminders confirmed by the patient, a figure of the whole period."""
    confirmed = 0
    for at, actor, action in audit:
        bucket = period.day_of(at)
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
    return confirmed


def _report(
    period: Period,
    rows: _Rows,
    confirmed: int,
    turns: Turns,
    no_show_before: float | None,
) -> Report:
    """The period's totals and rates, from the days' counts and the rest."""
    listed = list(period.days.values())
    total = {name: sum(getattr(d, name) for d in listed) for name in _SUMMED}
    people = len({p for p, _ in rows.messages})
    turns.waits.sort()
    return Report(
        start=period.first.isoformat(),
        end=period.last.isoformat(),
        days=listed,
        conversations=people,
        patient_messages=total["patient_messages"],
        outside_hours=total["outside_hours"],
        outside_hours_share=_rate(total["outside_hours"], total["patient_messages"]),
        booking_conversations=total["booking_conversations"],
        completed=total["completed"],
        completion_rate=_rate(total["completed"], total["booking_conversations"]),
        drop_offs=dict(turns.drop_offs),
        bookings_assistant=total["bookings_assistant"],
        bookings_staff=total["bookings_staff"],
        moves=total["moves"],
        cancellations=total["cancellations"],
        no_show={**_no_show(rows.marked, no_show_before), "follow_ups": rows.follow_ups},
        reminders=_reminders(rows.reminders, confirmed),
        handoffs=total["handoffs"],
        emergencies=total["emergencies"],
        handoff_rate=_rate(total["handoffs"] + total["emergencies"], people),
        fallbacks=total["fallbacks"],
        user_turns=turns.user_turns,
        fallback_rate=_rate(total["fallbacks"], turns.user_turns),
        intents=dict(turns.intents.most_common()),
        answer_seconds={
            "p50": _quantile(turns.waits, 0.50),
            "p95": _quantile(turns.waits, 0.95),
            "count": float(len(turns.waits)),
        },
        waiting_list=_waiting_list(rows.holds),
    )


def _waiting_list(holds: Sequence[Any]) -> dict[str, Any]:
    """The freed slots offered in the period and what became of them."""
    statuses: dict[str, int] = {}
    for status, _, _ in holds:
        statuses[status] = statuses.get(status, 0) + 1
    fills = sorted(
        (settled - created).total_seconds() / 60
        for status, created, settled in holds
        if status == "accepted" and settled is not None
    )
    offers = len(holds)
    accepted = statuses.get("accepted", 0)
    return {
        "offers": offers,
        "accepted": accepted,
        "declined": statuses.get("declined", 0),
        "expired": statuses.get("expired", 0),
        "stale": statuses.get("stale", 0),
        "fill_rate": _rate(accepted, offers),
        "median_fill_minutes": _quantile(fills, 0.5),
    }


def _no_show(marked: Sequence[Any], before_pilot: float | None) -> dict[str, Any]:
    """Attendance as staff marked it, against the practice's figure from before the pilot."""
    attendance = dict(marked)
    arrived, absent = int(attendance.get("arrived", 0)), int(attendance.get("no_show", 0))
    return {
        "arrived": arrived,
        "absent": absent,
        "rate": _rate(absent, arrived + absent),
        "before_pilot": before_pilot,
    }


def _reminders(statuses_counted: Sequence[Any], confirmed: int) -> dict[str, int]:
    statuses = dict(statuses_counted)
    return {
        "sent": int(statuses.get("sent", 0)),
        "confirmed": confirmed,
        "failed": int(statuses.get("failed", 0)),
        "skipped": int(statuses.get("skipped", 0)),
    }


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


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (no interpolation: a figure that was measured)."""
    if not values:
        return None
    index = max(0, min(len(values) - 1, math.ceil(q * len(values)) - 1))
    return round(values[index], 3)
