"""Appointments as values: what a booking is, whatever stores it (`clinic.adapters.storage`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from clinic.domain.statuses import ACTIVE, AppointmentStatus, Attendance, CalendarState


class SlotTaken(Exception):
    """Another appointment already holds (part of) this time."""


class AppointmentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Appointment:
    id: str
    patient_id: str
    patient_name: str
    practitioner_id: str
    reason_id: str
    start: datetime
    end: datetime
    status: AppointmentStatus = "booked"
    sequence: int = 0
    calendar_state: CalendarState = "local"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    attendance: Attendance | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def moved(self) -> bool:
        """Moved at least once (each move bumps the calendar event's sequence)."""
        return self.sequence > 0


def new_appointment_id() -> str:
    """32 lowercase hex characters: also a valid Google Calendar event id (base32hex)."""
    return uuid.uuid4().hex
