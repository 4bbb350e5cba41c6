"""The calendar file: parsed back by a real iCalendar parser, times checked against zoneinfo."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar

from clinic.domain.appointments import Appointment
from clinic.domain.ics import LinkSigner, appointment_ics
from clinic.domain.practice import Practice

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def appointment(start: datetime) -> Appointment:
    return Appointment(
        id="a" * 32,
        patient_id="wa-1",
        patient_name="Marie Dupont",
        practitioner_id="dr-martin",
        reason_id="ordonnance",
        start=start,
        end=start + timedelta(minutes=15),
        sequence=2,
    )


def event_of(ics: bytes):  # noqa: ANN201
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_round_trip_with_timezone_alarm_and_no_reason(practice: Practice) -> None:
    start = datetime(2026, 12, 3, 14, 0, tzinfo=PARIS)
    calendar, event = event_of(appointment_ics(appointment(start), practice, NOW))
    assert str(calendar["method"]) == "PUBLISH"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert event.decoded("dtstart") == start and event.decoded("dtstart").utcoffset() == timedelta(
        hours=1
    )
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=15)
    assert str(event["uid"]) == "a" * 32 + "@clinic-assistant"
    assert int(event["sequence"]) == 2
    assert str(event["location"]) == practice.address
    summary = str(event["summary"])
    assert practice.name in summary and "ordonnance" not in summary.lower()
    assert "ordonnance" not in appointment_ics(appointment(start), practice, NOW).decode().lower()
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(hours=2)


def test_summer_time_is_right_in_the_file(practice: Practice) -> None:
    start = datetime(2027, 3, 29, 9, 0, tzinfo=PARIS)  # the day after the spring change
    _, event = event_of(appointment_ics(appointment(start), practice, NOW))
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=2)
    assert event.decoded("dtstart").astimezone(timezone.utc) == datetime(
        2027, 3, 29, 7, 0, tzinfo=timezone.utc
    )


def test_the_reason_only_when_the_practice_opts_in(practice: Practice) -> None:
    start = datetime(2026, 12, 3, 14, 0, tzinfo=PARIS)
    opted = replace(practice, reason_in_calendar=True)
    _, event = event_of(appointment_ics(appointment(start), opted, NOW))
    assert str(event["summary"]).startswith("Renouvellement d'ordonnance")


def test_cancel_keeps_the_uid(practice: Practice) -> None:
    start = datetime(2026, 12, 3, 14, 0, tzinfo=PARIS)
    calendar, event = event_of(appointment_ics(appointment(start), practice, NOW, cancel=True))
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == "a" * 32 + "@clinic-assistant"
    assert not event.walk("VALARM")


def test_links_are_signed_and_expire() -> None:
    signer = LinkSigner(b"k" * 32)
    token = signer.token("abc", NOW, timedelta(days=1))
    assert signer.open(token, NOW) == "abc"
    assert signer.open(token + ".ics", NOW) == "abc"
    assert signer.open(token, NOW + timedelta(days=2)) is None  # expired
    assert LinkSigner(b"j" * 32).open(token, NOW) is None  # another key
    forged = token.replace("abc", "abd")
    assert signer.open(forged, NOW) is None
    later = token.split(".")
    later[1] = str(int(later[1]) + 86400)
    assert signer.open(".".join(later), NOW + timedelta(days=1, hours=1)) is None
    for junk in ("", "x", "a.b.c", "a.1", "../../etc/passwd"):
        assert signer.open(junk, NOW) is None


def test_a_link_with_characters_beyond_ascii_is_refused_not_an_error() -> None:
    """compare_digest raises TypeError on a str that is not ASCII: a tag, an expiry or an id
    typed (or forged) with accents is a link that does not open, nothing more."""
    signer = LinkSigner(b"k" * 32)
    appointment_id, expires, tag = signer.token("abc", NOW, timedelta(days=1)).split(".")
    for forged in (
        f"{appointment_id}.{expires}.{tag[:-1]}é",
        f"{appointment_id}.{expires}.été",
        f"{appointment_id}.{expires}.{tag}\udcff",
        f"{appointment_id}.{expires[:-1]}².{tag}",  # a digit to isdigit, not to int
        f"abç.{expires}.{tag}",
    ):
        assert signer.open(forged, NOW) is None
        assert signer.open(forged + ".ics", NOW) is None
