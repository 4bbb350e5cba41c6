"""The waiting list's rules: which freed slot goes to which waiting patient, and when.

A wish is what the patient asked for and could not get (a window of days and hours, a reason, a
practitioner or anyone). A slot that is free now and fits a wish is offered to the patient who
asked first, held for them a while, then passed to the next one. Whatever freed it (a patient
or staff cancelling or moving, an erasure, a refused booking, a block removed, new hours) the
rule is the same: it is free and it fits. Pure functions; clinic.services.waitlist does the I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from clinic.domain import french
from clinic.domain.practice import Practice
from clinic.domain.scheduling.availability import Interval, Slot, find_slots
from clinic.domain.scheduling.window import SearchWindow


@dataclass(frozen=True)
class Wish:
    """A patient waiting for a slot: the window they asked for, until its end."""

    id: str
    patient_id: str
    reason_id: str
    window: SearchWindow
    practitioner_id: str | None  # None: any practitioner who sees this reason
    created_at: datetime
    #: Starts the patient was already shown and did not take: never offered to them again.
    seen: frozenset[datetime] = frozenset()
    #: The patient's appointment this wish would bring forward (« plus tôt »), if any.
    replaces: str | None = None

    @property
    def until(self) -> datetime:
        return self.window.end


@dataclass(frozen=True)
class Hold:
    """A freed slot kept for one waiting patient until `expires_at`."""

    wish_id: str
    slot: Slot
    expires_at: datetime


def new_wish_id() -> str:
    return uuid.uuid4().hex


def sending_hours(practice: Practice, now: datetime) -> bool:
    """Offers go out only when reminders may: never at night (practice.yml `send_hours`)."""
    hours = practice.reminders.send_hours
    wall = now.astimezone(practice.tz).time()
    return hours.start <= wall < hours.end


def earlier_window(practice: Practice, now: datetime, before: datetime) -> SearchWindow | None:
    """« Prévenez-moi si un créneau se libère plus tôt »: from now to the booked start."""
    start = now.astimezone(practice.tz)
    end = before.astimezone(practice.tz)
    return SearchWindow(start, end) if end > start else None


def busy_with_holds(
    busy: Mapping[str | None, Sequence[Interval]],
    holds: Iterable[Hold],
    buffer: timedelta = timedelta(0),
) -> dict[str | None, list[Interval]]:
    """Busy time plus the slots held for other patients (with the practice's buffer after each,
    as an appointment): a held slot is not free for anyone else until the hold ends."""
    merged: dict[str | None, list[Interval]] = {k: list(v) for k, v in busy.items()}
    for hold in holds:
        merged.setdefault(hold.slot.practitioner_id, []).append(
            Interval(hold.slot.start, hold.slot.end + buffer)
        )
    return merged


def slot_for(
    practice: Practice,
    busy: Mapping[str | None, Sequence[Interval]],
    now: datetime,
    wish: Wish,
    refused: Collection[datetime] = (),
    hold_for: timedelta = timedelta(0),
) -> Slot | None:
    """The first free slot that fits `wish` now, if any: within its window and the booking rules
    (horizon, hours, the reason's practitioners), not one it has seen or refused, and still
    outside the minimum notice when the hold ends, so the patient can take it until then."""
    start = max(wish.window.start, now)
    end = min(wish.window.end, now + practice.rules.horizon)
    if start >= end:
        return None
    window = replace(wish.window, start=start, end=end, around=None)
    found = find_slots(
        practice,
        busy,
        now + hold_for,
        window,
        wish.reason_id,
        wish.practitioner_id,
        limit=1,
        exclude=set(wish.seen) | set(refused),
    )
    return found[0] if found else None


def match(
    practice: Practice,
    busy: Mapping[str | None, Sequence[Interval]],
    now: datetime,
    waiting: Sequence[Wish],
    holds: Sequence[Hold],
    refused: Mapping[str, Collection[datetime]],
    hold_for: timedelta,
) -> list[Hold]:
    """New holds for this pass: wishes in the order they were made, each with at most one slot
    held at a time, each slot held for one wish only. Nothing at night."""
    if not sending_hours(practice, now):
        return []
    taken = list(holds)
    holding = {h.wish_id for h in holds}
    new: list[Hold] = []
    for wish in sorted(waiting, key=lambda w: (w.created_at, w.id)):
        if wish.id in holding or wish.until <= now:
            continue
        slot = slot_for(
            practice,
            busy_with_holds(busy, taken, practice.rules.buffer),
            now,
            wish,
            refused.get(wish.id, ()),
            hold_for,
        )
        if slot is None:
            continue
        hold = Hold(wish.id, slot, now + hold_for)
        taken.append(hold)
        new.append(hold)
    return new


def describe_wish(practice: Practice, wish: Wish) -> str:
    """« Vaccination, jusqu'au 18 décembre, le matin, avec Dr Karim Benali »: the patient's wish
    in a line, for the patient's own list (no name, no number)."""
    last = (wish.until - timedelta(microseconds=1)).astimezone(practice.tz).date()
    parts = [practice.reason(wish.reason_id).label, f"jusqu'au {french.day(last)}"]
    window = wish.window
    if window.daily_to is not None and window.daily_to <= time(12, 30):
        parts.append("le matin")
    elif window.daily_from is not None and window.daily_from >= time(12):
        parts.append("l'après-midi")
    if wish.practitioner_id is not None:
        found = practice.find_practitioner(wish.practitioner_id)
        if found is not None:
            parts.append(f"avec {found.name}")
    return ", ".join(parts)
