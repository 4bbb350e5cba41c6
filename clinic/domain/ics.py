"""The calendar file sent with each confirmation, and the signed link that serves it.

One VEVENT per appointment with a stable UID (the appointment id), so a later change or
cancellation (same UID, higher SEQUENCE, METHOD:CANCEL) updates the patient's calendar entry
instead of adding one. Times carry TZID=Europe/Paris with its VTIMEZONE; a VALARM reminds two
hours before. The visit reason is health data: it is left out unless the practice opts in
(`calendar.reason_in_event` in practice.yml).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Protocol

from icalendar import Alarm, Calendar, Event

from clinic.domain.appointments import Appointment
from clinic.domain.practice import Practice
from clinic.domain.tokens import same_token

PRODID = "-//Clinic Assistant//Rendez-vous//FR"
UID_DOMAIN = "clinic-assistant"
ALARM_BEFORE = timedelta(hours=2)
#: How long a download link works.
LINK_LIFETIME = timedelta(days=30)
FILENAME = "rendez-vous.ics"
#: An expiry is a Unix time: 10 digits until the year 2286.
EXPIRY_DIGITS = 12


def uid(appointment_id: str) -> str:
    return f"{appointment_id}@{UID_DOMAIN}"


def appointment_ics(
    appointment: Appointment, practice: Practice, now: datetime, *, cancel: bool = False
) -> bytes:
    """The iCalendar file for `appointment` (METHOD:CANCEL when `cancel`)."""
    tz = practice.tz
    practitioner = practice.find_practitioner(appointment.practitioner_id)
    reason = practice.find_reason(appointment.reason_id)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancel else "PUBLISH")
    event = Event()
    event.add("uid", uid(appointment.id))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", appointment.start.astimezone(tz))
    event.add("dtend", appointment.end.astimezone(tz))
    summary = f"Rendez-vous – {practice.name}"
    if practice.reason_in_calendar and reason is not None:
        summary = f"{reason.label} – {practice.name}"
    event.add("summary", summary)
    event.add("location", practice.address)
    who = f"Avec {practitioner.name}. " if practitioner else ""
    event.add(
        "description",
        f"{who}Pour annuler ou déplacer : répondez sur WhatsApp ou appelez le {practice.phone}.",
    )
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    if not cancel:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Rendez-vous au {practice.name}")
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


class LinkSigner:
    """`<id>.<expiry>.<tag>`: a download link nobody can forge or keep using."""

    def __init__(self, key: bytes, label: bytes = b"ics-link") -> None:
        """`label` keeps each kind of link apart (a calendar link opens no export)."""
        self._key = hmac.new(key, label, hashlib.sha256).digest()

    def _tag(self, appointment_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{appointment_id}.{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:18]).decode()

    def token(self, appointment_id: str, now: datetime, lifetime: timedelta = LINK_LIFETIME) -> str:
        expires = int((now + lifetime).timestamp())
        return f"{appointment_id}.{expires}.{self._tag(appointment_id, expires)}"

    def open(self, token: str, now: datetime) -> str | None:
        """The appointment id of a valid, unexpired token; None otherwise."""
        parts = token.removesuffix(".ics").split(".")
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
            return None  # « ² » is a digit to isdigit, not to int
        if len(parts[1]) > EXPIRY_DIGITS:
            return None  # int() refuses more than 4,300 digits (a ValueError, then a 500)
        appointment_id, expires, tag = parts[0], int(parts[1]), parts[2]
        # A link may carry anything: same_token compares bytes, in constant time.
        if not same_token(tag, self._tag(appointment_id, expires)):
            return None
        return appointment_id if now.timestamp() < expires else None


class Appointments(Protocol):
    """Where the files' appointments are read (`clinic.adapters.storage.appointments`)."""

    def get(self, appointment_id: str) -> Appointment | None: ...


class CalendarFiles:
    """Links to the calendar files (action server) and the files themselves (Rasa server)."""

    def __init__(self, repository: Appointments, practice: Practice, key: bytes) -> None:
        self.repository = repository
        self.practice = practice
        self.signer = LinkSigner(key)

    def link(self, appointment_id: str, base_url: str, now: datetime) -> str:
        token = self.signer.token(appointment_id, now)
        return f"{base_url.rstrip('/')}/webhooks/whatsapp/ics/{token}.ics"

    def file(self, token: str, now: datetime) -> bytes | None:
        """The file behind a link, or None for a forged, expired or unknown one (a 404)."""
        appointment_id = self.signer.open(token, now)
        appointment = self.repository.get(appointment_id) if appointment_id else None
        if appointment is None:
            return None
        return appointment_ics(appointment, self.practice, now, cancel=not appointment.active)
