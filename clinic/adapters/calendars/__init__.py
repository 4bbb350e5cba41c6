"""Calendar backends behind one interface: the built-in one (the database) and Google Calendar.

The appointments table stays the system of record with either; a backend supplies busy time
that lives outside it (staff blocks) and mirrors appointments as events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from clinic.domain.scheduling import Interval

if TYPE_CHECKING:
    from clinic.domain.appointments import Appointment


class CalendarUnavailable(Exception):
    """The outside calendar could not be read or written within the time budget."""


class Calendar(Protocol):
    name: str

    def busy(self, start: datetime, end: datetime) -> Mapping[str | None, list[Interval]]:
        """Busy time outside the appointments table, by practitioner id (None: everyone)."""

    def create_event(self, appointment: Appointment) -> None:
        """Mirror a new appointment; calling it twice never makes two events."""

    def move_event(self, appointment: Appointment) -> None:
        """Move the mirrored event to the appointment's (new) time."""

    def delete_event(self, appointment: Appointment) -> None:
        """Remove the mirrored event; a missing event is not an error."""
