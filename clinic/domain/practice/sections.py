"""One reader per section of practice.yml, each returning the model's value for it.

Kept apart from the field types (`fields`) and from the assembly (`loader`) so each section's
defaults and cross-checks (a reason naming an unknown practitioner) read in one place.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic.domain.practice.fields import Reader
from clinic.domain.practice.model import (
    BookingRules,
    HandoffRules,
    Limits,
    NoShowRules,
    Practitioner,
    PrivacyRules,
    ReminderRules,
    VisitReason,
    WaitingListRules,
    WeeklyHours,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Identity(NamedTuple):
    """The `practice:` section: what patients are told and the clock every rule runs on."""

    name: str
    address: str
    phone: str
    timezone: str


def identity(reader: Reader, value: Any) -> Identity:
    """Name, address and phone are required; the time zone must be one the system knows."""
    head = reader.section(value, "practice", {"name", "address", "phone", "timezone"})
    name, address, phone = (
        reader.text(head, key, "practice") for key in ("name", "address", "phone")
    )
    timezone = str(head.get("timezone", "Europe/Paris"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.error(
            "practice.timezone", "fuseau horaire inconnu", "unknown time zone"
        ) from None
    return Identity(name, address, phone, timezone)


def practitioners(reader: Reader, value: Any, opening: WeeklyHours) -> tuple[Practitioner, ...]:
    """At least one, with unique ids; one without `hours` works the practice's opening hours."""
    if not isinstance(value, list) or not value:
        raise reader.error(
            "practitioners", "au moins un praticien (liste)", "at least one practitioner (list)"
        )
    result: list[Practitioner] = []
    for i, item in enumerate(value):
        where = f"practitioners[{i}]"
        item = reader.section(item, where, {"id", "name", "hours", "calendar_id"})
        practitioner_id = reader.id(item.get("id"), f"{where}.id")
        if any(p.id == practitioner_id for p in result):
            raise reader.error(f"{where}.id", "identifiant déjà utilisé", "duplicate id")
        hours = reader.weekly_hours(item["hours"], f"{where}.hours") if "hours" in item else opening
        calendar_id = item.get("calendar_id")
        result.append(
            Practitioner(
                id=practitioner_id,
                name=reader.text(item, "name", where),
                hours=hours,
                calendar_id=str(calendar_id) if calendar_id else None,
            )
        )
    return tuple(result)


def reasons(
    reader: Reader, value: Any, practitioners: tuple[Practitioner, ...]
) -> tuple[VisitReason, ...]:
    """At least one, with unique ids; each names only known practitioners (default: all)."""
    if not isinstance(value, list) or not value:
        raise reader.error(
            "reasons", "au moins un motif de visite (liste)", "at least one visit reason (list)"
        )
    known = [p.id for p in practitioners]
    result: list[VisitReason] = []
    for i, item in enumerate(value):
        where = f"reasons[{i}]"
        item = reader.section(
            item,
            where,
            {"id", "label", "duration_minutes", "practitioners", "instructions", "synonyms"},
        )
        reason_id = reader.id(item.get("id"), f"{where}.id")
        if any(r.id == reason_id for r in result):
            raise reader.error(f"{where}.id", "identifiant déjà utilisé", "duplicate id")
        duration = reader.minutes(item, "duration_minutes", where, 15)
        if duration <= timedelta(0):
            raise reader.error(f"{where}.duration_minutes", "au moins 5", "at least 5")
        allowed = _reason_practitioners(reader, item.get("practitioners", known), known, where)
        synonyms = item.get("synonyms", [])
        if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
            raise reader.error(f"{where}.synonyms", "liste de mots", "list of words")
        result.append(
            VisitReason(
                id=reason_id,
                label=reader.text(item, "label", where),
                duration=duration,
                practitioners=tuple(allowed),
                instructions=str(item.get("instructions") or "").strip(),
                synonyms=tuple(s.strip() for s in synonyms if s.strip()),
            )
        )
    return tuple(result)


def _reason_practitioners(reader: Reader, allowed: Any, known: list[str], where: str) -> list[str]:
    """A reason's practitioners: a non-empty list of ids declared under `practitioners:`."""
    if not isinstance(allowed, list) or not allowed:
        raise reader.error(f"{where}.practitioners", "liste d'identifiants", "list of ids")
    for practitioner_id in allowed:
        if practitioner_id not in known:
            raise reader.error(
                f"{where}.practitioners",
                f"praticien « {practitioner_id} » inconnu (connus : {', '.join(known)})",
                "unknown practitioner",
            )
    return allowed


def booking_rules(reader: Reader, value: Any) -> BookingRules:
    """The grid, notice and horizon; a zero step or horizon would offer no slot at all."""
    booking = reader.section(
        value,
        "booking",
        {
            "slot_step_minutes", "buffer_minutes", "min_notice_minutes", "horizon_days",
            "cancellation_cutoff_hours", "public_holidays",
        },
    )  # fmt: skip
    rules = BookingRules(
        slot_step=reader.minutes(booking, "slot_step_minutes", "booking", 15),
        buffer=reader.minutes(booking, "buffer_minutes", "booking", 0),
        min_notice=reader.minutes(booking, "min_notice_minutes", "booking", 120),
        horizon=timedelta(days=reader.number(booking, "horizon_days", "booking", 60)),
        cancellation_cutoff=timedelta(
            hours=reader.number(booking, "cancellation_cutoff_hours", "booking", 4)
        ),
        public_holidays=reader.flag(booking, "public_holidays", "booking", True),
    )
    if rules.slot_step <= timedelta(0):
        raise reader.error("booking.slot_step_minutes", "au moins 5 minutes", "at least 5 minutes")
    if rules.horizon <= timedelta(0):
        raise reader.error("booking.horizon_days", "au moins 1 jour", "at least 1 day")
    return rules


def staff_alerts(reader: Reader, value: Any) -> tuple[str, ...]:
    """Phone numbers (+E.164) and e-mail addresses, spaces removed from numbers."""
    alerts = value or []
    if isinstance(alerts, list):
        # YAML reads an unquoted +33612345678 as the number 33612345678: keep what was meant.
        alerts = [f"+{a}" if isinstance(a, int) and not isinstance(a, bool) else a for a in alerts]
    if not isinstance(alerts, list) or not all(
        isinstance(a, str)
        and (re.fullmatch(r"\+\d{8,15}", a.replace(" ", "")) or _EMAIL.fullmatch(a.strip()))
        for a in alerts
    ):
        raise reader.error(
            "staff_alerts",
            "liste de numéros au format +33… et d'adresses e-mail",
            "list of +E.164 phone numbers and e-mail addresses",
        )
    return tuple(a.strip() if "@" in a else a.replace(" ", "") for a in alerts)


def handoff(reader: Reader, value: Any) -> HandoffRules:
    """When staff are alerted again and the bot resumes; 0 means the default, not « never »."""
    section = reader.section(
        value,
        "handoff",
        {"realert_after_minutes", "auto_resume_after_hours", "alert_template", "reengage_template"},
    )
    return HandoffRules(
        realert_after=timedelta(
            minutes=reader.number(section, "realert_after_minutes", "handoff", 10) or 10
        ),
        auto_resume_after=timedelta(
            hours=reader.number(section, "auto_resume_after_hours", "handoff", 24) or 24
        ),
        alert_template=reader.text(section, "alert_template", "handoff", "alerte_equipe"),
        reengage_template=reader.text(section, "reengage_template", "handoff", "reprise_contact"),
    )


def privacy(reader: Reader, value: Any) -> PrivacyRules:
    """The notice version, reminder consent and retention periods (0 days means the default)."""
    section = reader.section(
        value,
        "privacy",
        {
            "notice_version", "reminder_consent", "conversation_retention_days",
            "inactive_patient_retention_days", "appointment_retention_days", "contact",
        },
    )  # fmt: skip
    defaults = PrivacyRules()

    def days(key: str, default: timedelta) -> timedelta:
        return timedelta(days=reader.number(section, key, "privacy", default.days) or default.days)

    return PrivacyRules(
        notice_version=reader.text(section, "notice_version", "privacy", defaults.notice_version),
        reminder_consent=reader.choice(
            section, "reminder_consent", "privacy", ("ask", "required", "none"), "ask"
        ),
        conversation_retention=days("conversation_retention_days", defaults.conversation_retention),
        inactive_patient_retention=days(
            "inactive_patient_retention_days", defaults.inactive_patient_retention
        ),
        appointment_retention=days("appointment_retention_days", defaults.appointment_retention),
        contact=str(section.get("contact") or ""),
    )


def reminders(reader: Reader, value: Any) -> ReminderRules:
    """Offsets, sending hours and the Meta template names (which Meta accepts only in [a-z0-9_])."""
    section = reader.section(
        value,
        "reminders",
        {
            "offsets_hours",
            "send_hours",
            "template",
            "language",
            "cancellation_template",
            "confirmation_template",
            "refusal_template",
            "move_template",
        },
    )
    offsets = section.get("offsets_hours", [24])
    if (
        not isinstance(offsets, list)
        or not offsets
        or not all(
            isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 24 * 14 for h in offsets
        )
    ):
        raise reader.error(
            "reminders.offsets_hours",
            "liste d'heures avant le rendez-vous (ex. [24])",
            "list of hours before the appointment (e.g. [24])",
        )
    templates = _reminder_templates(reader, section)
    return ReminderRules(
        offsets=tuple(timedelta(hours=h) for h in sorted(set(offsets), reverse=True)),
        send_hours=reader.time_range(
            section.get("send_hours", "8h00-21h00"), "reminders.send_hours", until_midnight=True
        ),
        template=templates["template"],
        language=reader.text(section, "language", "reminders", "fr"),
        cancellation_template=templates["cancellation_template"],
        confirmation_template=templates["confirmation_template"],
        refusal_template=templates["refusal_template"],
        move_template=templates["move_template"],
    )


def _reminder_templates(reader: Reader, section: dict[str, Any]) -> dict[str, str]:
    """Each template name by key, all read before any is checked against Meta's alphabet."""
    names = {
        key: reader.text(section, key, "reminders", default)
        for key, default in (
            ("template", "rappel_rdv"),
            ("cancellation_template", "annulation_rdv"),
            ("confirmation_template", "confirmation_rdv"),
            ("refusal_template", "refus_rdv"),
            ("move_template", "deplacement_rdv"),
        )
    }
    for key, name in names.items():
        if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
            raise reader.error(
                f"reminders.{key}", "minuscules, chiffres et _ (nom Meta)", "lowercase, digits, _"
            )
    return names


def waiting_list(reader: Reader, value: Any) -> WaitingListRules:
    """On or off, how long a freed slot is held for one patient, and the offer's template."""
    section = reader.section(value, "waiting_list", {"enabled", "hold_minutes", "offer_template"})
    hold = reader.minutes(section, "hold_minutes", "waiting_list", 30)
    if hold <= timedelta(0):
        raise reader.error("waiting_list.hold_minutes", "au moins 5 minutes", "at least 5 minutes")
    return WaitingListRules(
        enabled=reader.flag(section, "enabled", "waiting_list", False),
        hold=hold,
        offer_template=_template(
            reader, section, "waiting_list", "offer_template", WaitingListRules.offer_template
        ),
    )


def no_shows(reader: Reader, value: Any) -> NoShowRules:
    """The follow-up after a missed appointment, and the confirmation policy."""
    section = reader.section(value, "no_shows", {"follow_up", "template", "confirm_after"})
    return NoShowRules(
        follow_up=reader.flag(section, "follow_up", "no_shows", False),
        template=_template(reader, section, "no_shows", "template", NoShowRules.template),
        confirm_after=reader.number(section, "confirm_after", "no_shows", 0),
    )


def _template(reader: Reader, section: dict[str, Any], where: str, key: str, default: str) -> str:
    """A Meta template name, which Meta accepts only in [a-z0-9_]."""
    name = reader.text(section, key, where, default)
    if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
        raise reader.error(
            f"{where}.{key}", "minuscules, chiffres et _ (nom Meta)", "lowercase, digits, _"
        )
    return name


def limits(reader: Reader, value: Any) -> Limits:
    """Per-patient caps that keep one number from filling the diary or flooding the bot."""
    section = reader.section(value, "limits", {"max_upcoming_per_patient", "messages_per_minute"})
    return Limits(
        max_upcoming_per_patient=reader.number(section, "max_upcoming_per_patient", "limits", 3),
        messages_per_minute=reader.number(section, "messages_per_minute", "limits", 20),
    )


def no_show_rate_before(reader: Reader, value: Any) -> float | None:
    """The pilot's baseline no-show rate, a percentage in the file and a fraction in the model."""
    section = reader.section(value, "pilot", {"no_show_rate_before"})
    before = section.get("no_show_rate_before")
    if before is not None and (
        isinstance(before, bool) or not isinstance(before, (int, float)) or not 0 <= before <= 100
    ):
        raise reader.error(
            "pilot.no_show_rate_before", "un pourcentage entre 0 et 100", "a percentage, 0-100"
        )
    return None if before is None else float(before) / 100
