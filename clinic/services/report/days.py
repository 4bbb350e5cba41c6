"""The report's calendar: one `Day` of counts per day of the period, and the practice's calendar
day of a moment (a message at 23:30 in Paris counts on that day, not on UTC's next one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


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


class Period:
    """The days `first`..`last` (inclusive) in the practice's time zone, and their bounds."""

    def __init__(self, first: date, last: date, tz: tzinfo) -> None:
        self.first, self.last, self.tz = first, last, tz
        self.lower = datetime.combine(first, time(0), tz)
        self.upper = datetime.combine(last + timedelta(days=1), time(0), tz)
        self.days = {
            (first + timedelta(days=i)).isoformat(): Day((first + timedelta(days=i)).isoformat())
            for i in range((last - first).days + 1)
        }

    def day_of(self, moment: datetime) -> Day:
        return self.days[moment.astimezone(self.tz).date().isoformat()]
