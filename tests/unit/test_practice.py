from dataclasses import replace as copy
from datetime import date
from datetime import time as clock
from pathlib import Path

import pytest

from clinic.domain.practice import Practice, PracticeConfigError, load_practice
from clinic.domain.practice.model import TimeRange

ROOT = Path(__file__).parents[2]


def test_the_shipped_practice_file_is_valid() -> None:
    practice = load_practice(ROOT / "practice.yml")
    assert practice.name and practice.address and practice.phone
    assert practice.tz.key == "Europe/Paris"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("practice:\n  name: X\n  address: Y\n", "practice.phone"),
        ("practice:\n  name: ''\n  address: Y\n  phone: Z\n", "practice.name"),
        ("practice:\n  name: X\n  address: Y\n  phone: Z\n  adress: typo\n", "practice.adress"),
        ("practice:\n  name: X\n  address: Y\n  phone: Z\n  timezone: Mars/Base\n", "timezone"),
        ("name: X\n", "practice"),
        ("practice: [unclosed\n", "line"),
    ],
)
def test_a_mistake_names_the_field_in_french_and_english(
    tmp_path: Path, content: str, field: str
) -> None:
    path = tmp_path / "practice.yml"
    path.write_text(content)
    with pytest.raises(PracticeConfigError) as error:
        load_practice(path)
    message = str(error.value)
    assert field in message and " / " in message and "\n" not in message


HEAD = "practice: {name: X, address: Y, phone: Z}\n"
MINIMAL = HEAD + "practitioners: [{id: dr-a, name: Dr A}]\nreasons: [{id: c, label: C}]\n"


@pytest.mark.parametrize(
    ("content", "field", "hint"),
    [
        (HEAD, "practitioners", "au moins un praticien"),
        (MINIMAL + "opening_hours: {lundy: [8h-12h]}\n", "opening_hours.lundy", "champ inconnu"),
        (MINIMAL + "opening_hours: {lundi: [8h-25h]}\n", "opening_hours.lundi[0]", "impossible"),
        (MINIMAL + "opening_hours: {lundi: [12h-8h]}\n", "opening_hours.lundi[0]", "finit avant"),
        (MINIMAL + "opening_hours: {lundi: [matin]}\n", "opening_hours.lundi[0]", "illisible"),
        (
            MINIMAL + "opening_hours: {lundi: [8h-12h, 11h-14h]}\n",
            "opening_hours.lundi",
            "se chevauchent",
        ),
        (
            MINIMAL + "opening_hours: {lundi: [8h07-12h]}\n",
            "opening_hours.lundi[0]",
            "multiples de 5",
        ),
        (
            HEAD + "practitioners: [{id: Dr A, name: A}]\nreasons: [{id: c, label: C}]\n",
            "practitioners[0].id",
            "identifiant",
        ),
        (
            HEAD
            + "practitioners: [{id: a, name: A}]\nreasons: [{id: c, label: C, practitioners: [b]}]\n",
            "reasons[0].practitioners",
            "« b » inconnu",
        ),
        (
            HEAD
            + "practitioners: [{id: a, name: A}]\nreasons: [{id: c, label: C, duration_minutes: 17}]\n",
            "reasons[0].duration_minutes",
            "multiple de 5",
        ),
        (MINIMAL + "booking: {slot_step_minutes: 0}\n", "booking.slot_step_minutes", "au moins"),
        (MINIMAL + "booking: {horizon_days: -3}\n", "booking.horizon_days", "≥ 0"),
        (MINIMAL + "booking: {public_holidays: oui}\n", "booking.public_holidays", "true ou false"),
        (MINIMAL + "booking: {delay: 3}\n", "booking.delay", "champ inconnu"),
        (MINIMAL + "closed_dates: [2026-13-01]\n", "closed_dates[0]", "illisible"),
        (
            MINIMAL + "closed_dates: [{from: 2026-08-10, to: 2026-08-01}]\n",
            "closed_dates[0]",
            "avant",
        ),
        (MINIMAL + "staff_alerts: ['06 12 34 56 78']\n", "staff_alerts", "+33"),
        (MINIMAL + "calendar: {reason_in_event: 1}\n", "calendar.reason_in_event", "true ou false"),
        (MINIMAL + "opening_hours: {lundi: [8h-24h]}\n", "opening_hours.lundi[0]", "impossible"),
        (MINIMAL + "waiting_list: {enabled: oui}\n", "waiting_list.enabled", "true ou false"),
        (MINIMAL + "waiting_list: {hold_minutes: 0}\n", "waiting_list.hold_minutes", "au moins"),
        (
            MINIMAL + "waiting_list: {offer_template: Créneau}\n",
            "waiting_list.offer_template",
            "nom Meta",
        ),
        (MINIMAL + "no_shows: {confirm_after: -1}\n", "no_shows.confirm_after", "≥ 0"),
        (MINIMAL + "no_shows: {after: 2}\n", "no_shows.after", "champ inconnu"),
    ],
)
def test_every_section_is_validated(tmp_path: Path, content: str, field: str, hint: str) -> None:
    path = tmp_path / "practice.yml"
    path.write_text(content)
    with pytest.raises(PracticeConfigError) as error:
        load_practice(path)
    message = str(error.value)
    assert f": {field}: " in message and hint in message and "\n" not in message


def test_french_and_english_notation(tmp_path: Path) -> None:
    path = tmp_path / "practice.yml"
    path.write_text(
        MINIMAL
        + "opening_hours: {lundi: 8h30-12h, tuesday: ['08:00-12:00', '14:00-18:30'], samedi: fermé}\n"
        + "closed_dates: [2026-12-24, {from: 2027-08-09, to: 2027-08-11}]\n"
        + "staff_alerts: ['+33 6 12 34 56 78', +33700000001, ' accueil@cabinet.fr ']\n"
        + "handoff: {realert_after_minutes: 5, auto_resume_after_hours: 48}\n"
    )
    practice = load_practice(path)
    assert [str(r) for r in practice.opening_hours[0]] == ["08:30-12:00"]
    assert [str(r) for r in practice.opening_hours[1]] == ["08:00-12:00", "14:00-18:30"]
    assert practice.opening_hours[5] == ()
    assert practice.practitioners[0].hours == practice.opening_hours  # follows the practice
    assert len(practice.closed_dates) == 4
    assert practice.staff_alerts == ("+33612345678", "+33700000001", "accueil@cabinet.fr")
    assert practice.staff_numbers == ("+33612345678", "+33700000001")
    assert practice.staff_emails == ("accueil@cabinet.fr",)
    assert practice.handoff.realert_after.total_seconds() == 300
    assert practice.handoff.auto_resume_after.total_seconds() == 48 * 3600
    assert practice.reasons[0].duration.total_seconds() == 15 * 60  # default
    assert practice.is_closed(date(2027, 5, 1))  # Fête du Travail
    assert practice.rules.public_holidays


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PracticeConfigError, match="introuvable"):
        load_practice(tmp_path / "nope.yml")


def test_the_afternoon_starts_after_lunch(practice: Practice) -> None:
    """« L'après-midi » is after lunch: the first opening after noon (14h here), at least 13h,
    and noon only when someone works through lunch."""
    assert practice.afternoon_start == clock(14)
    early = {0: (TimeRange(clock(8), clock(12)), TimeRange(clock(12, 30), clock(18)))}
    assert copy(practice, opening_hours=early, practitioners=()).afternoon_start == clock(13)
    later = {0: (TimeRange(clock(8), clock(12)), TimeRange(clock(13, 30), clock(18)))}
    assert copy(practice, opening_hours=later, practitioners=()).afternoon_start == clock(13, 30)
    through = {0: (TimeRange(clock(8), clock(18)),)}
    assert copy(practice, opening_hours=through, practitioners=()).afternoon_start == clock(12)


def test_the_waiting_list_and_the_no_show_rules(tmp_path: Path) -> None:
    """Off by default; on, with its hold and templates; sending at any hour with « 0h00-24h00 »."""
    path = tmp_path / "practice.yml"
    path.write_text(MINIMAL)
    plain = load_practice(path)
    assert not plain.waiting_list.enabled and not plain.no_shows.follow_up
    assert plain.no_shows.confirm_after == 0
    path.write_text(
        MINIMAL
        + "waiting_list: {enabled: true, hold_minutes: 45}\n"
        + "no_shows: {follow_up: true, confirm_after: 2}\n"
        + "reminders: {send_hours: 0h00-24h00}\n"
    )
    tuned = load_practice(path)
    assert tuned.waiting_list.enabled and tuned.waiting_list.hold.total_seconds() == 45 * 60
    assert tuned.waiting_list.offer_template == "creneau_libere"
    assert tuned.no_shows.follow_up and tuned.no_shows.confirm_after == 2
    assert tuned.no_shows.template == "rdv_manque"
    assert str(tuned.reminders.send_hours) == "00:00-23:59"
