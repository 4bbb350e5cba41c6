"""Wiring: build the core's objects from settings, once per process, when first needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clinic.appointments import AppointmentRepository
from clinic.audit import AuditTrail
from clinic.booking import BookingService
from clinic.calendars import Calendar
from clinic.calendars.local import LocalCalendar
from clinic.clock import Clock, SystemClock
from clinic.duckling.client import DucklingClient
from clinic.ics import CalendarFiles
from clinic.keys import load_key
from clinic.patients import PatientRepository
from clinic.practice import Practice
from clinic.reminders import ReminderRepository
from clinic.settings import Settings
from clinic.storage import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    practice: Practice
    database: Database
    appointments: AppointmentRepository
    calendar: Calendar
    booking: BookingService
    patients: PatientRepository
    reminders: ReminderRepository
    calendar_files: CalendarFiles
    audit: AuditTrail
    duckling: DucklingClient
    clock: Clock

    def local_now(self) -> datetime:
        """Now, on the practice's wall clock: what « aujourd'hui » and « demain » are relative to."""
        return self.clock.now().astimezone(self.practice.tz)


def build_calendar(settings: Settings, practice: Practice) -> Calendar:
    if settings.calendar_backend == "google":
        from clinic.calendars.google import GoogleCalendar

        assert settings.google_calendar_id and settings.google_application_credentials
        return GoogleCalendar(
            practice,
            calendar_id=settings.google_calendar_id,
            credentials_file=settings.google_application_credentials,
            api_root_url=settings.google_api_root_url,
        )
    return LocalCalendar()


def build_services(settings: Settings, practice: Practice, clock: Clock | None = None) -> Services:
    """Connect to the database (creating missing tables), the calendar backend and Duckling."""
    clock = clock or SystemClock()
    database = Database(settings.database_url)
    database.create_schema()
    repository = AppointmentRepository(database, buffer=practice.rules.buffer)
    calendar = build_calendar(settings, practice)
    reminders = ReminderRepository(database, practice)
    audit = AuditTrail(database)
    return Services(
        settings=settings,
        practice=practice,
        database=database,
        appointments=repository,
        calendar=calendar,
        booking=BookingService(practice, repository, calendar, clock, reminders, audit),
        patients=PatientRepository(database),
        reminders=reminders,
        audit=audit,
        calendar_files=CalendarFiles(
            repository, practice, load_key(database, settings.patient_id_key)
        ),
        duckling=DucklingClient(settings.duckling_url, tz=practice.timezone),
        clock=clock,
    )
