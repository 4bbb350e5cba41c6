"""The built-in calendar: the database is the calendar, staff blocks are rows in it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from clinic.domain.appointments import Appointment
from clinic.domain.scheduling import Interval


class LocalCalendar:
    """Nothing to mirror: appointments and staff blocks already live in the database.

    The repository reports staff blocks with the appointments, so this backend adds no busy
    time of its own.
    """

    name = "local"

    def busy(self, start: datetime, end: datetime) -> Mapping[str | None, list[Interval]]:
        return {}

    def create_event(self, appointment: Appointment) -> None:
        return None

    def move_event(self, appointment: Appointment) -> None:
        return None

    def delete_event(self, appointment: Appointment) -> None:
        return None
