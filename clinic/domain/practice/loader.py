"""Reads and validates practice.yml: one bilingual line naming the first bad field.

Weekdays and times may be written the way people write them in France (« lundi »,
« 8h30-12h30 »).
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from clinic.domain.practice.model import (
    BookingRules,
    HandoffRules,
    Limits,
    Practice,
    Practitioner,
    PrivacyRules,
    ReminderRules,
    TimeRange,
    VisitReason,
    WeeklyHours,
)

WEEKDAYS = {
    "monday": 0, "lundi": 0,
    "tuesday": 1, "mardi": 1,
    "wednesday": 2, "mercredi": 2,
    "thursday": 3, "jeudi": 3,
    "friday": 4, "vendredi": 4,
    "saturday": 5, "samedi": 5,
    "sunday": 6, "dimanche": 6,
}  # fmt: skip
_RANGE = re.compile(r"^\s*(\d{1,2})\s*[h:](\d{2})?\s*-\s*(\d{1,2})\s*[h:](\d{2})?\s*$", re.I)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported with its field name
    (PyYAML's own timestamp parsing raises a bare ValueError with no position)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PracticeConfigError(ValueError):
    """The practice file is missing, unreadable or has a wrong field."""


class _Reader:
    """Reads one YAML document and raises one bilingual line naming the first bad field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, where: str, fr: str, en: str) -> PracticeConfigError:
        return PracticeConfigError(f"{self.path}: {where}: {fr} / {en}")

    def section(self, value: Any, where: str, known: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(where, "doit être une liste de champs", "must be a mapping")
        unknown = sorted(str(k) for k in set(value) - known)
        if unknown:
            raise self.error(
                f"{where}.{unknown[0]}",
                f"champ inconnu (attendus : {', '.join(sorted(known))})",
                "unknown field",
            )
        return value

    def text(
        self, section: dict[str, Any], key: str, where: str, default: str | None = None
    ) -> str:
        value = section.get(key, default)
        if not isinstance(value, (str, int)) or not str(value).strip():
            raise self.error(
                f"{where}.{key}", "texte non vide obligatoire", "required non-empty text"
            )
        return str(value).strip()

    def minutes(self, section: dict[str, Any], key: str, where: str, default: int) -> timedelta:
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(
                f"{where}.{key}", "nombre entier de minutes ≥ 0", "whole minutes, 0 or more"
            )
        if value % 5:
            raise self.error(f"{where}.{key}", "multiple de 5 minutes", "a multiple of 5 minutes")
        return timedelta(minutes=value)

    def number(self, section: dict[str, Any], key: str, where: str, default: int) -> int:
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(f"{where}.{key}", "nombre entier ≥ 0", "a whole number, 0 or more")
        return value

    def choice(
        self, section: dict[str, Any], key: str, where: str, allowed: tuple[str, ...], default: str
    ) -> str:
        value = str(section.get(key, default))
        if value not in allowed:
            raise self.error(f"{where}.{key}", " ou ".join(allowed), " or ".join(allowed))
        return value

    def flag(self, section: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = section.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{where}.{key}", "true ou false", "true or false")
        return value

    def id(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise self.error(
                where,
                "identifiant en minuscules, chiffres, - ou _ (ex. dr-martin)",
                "lowercase id of letters, digits, - or _",
            )
        return value

    def time_range(self, value: Any, where: str) -> TimeRange:
        match = _RANGE.match(str(value))
        if not match:
            raise self.error(where, f"plage « {value} » illisible (ex. 8h30-12h30)", "bad range")
        h1, m1, h2, m2 = (int(g or 0) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise self.error(where, f"heure impossible dans « {value} »", "impossible time")
        start, end = time(h1, m1), time(h2, m2)
        if start >= end:
            raise self.error(where, f"« {value} » finit avant de commencer", "ends before start")
        if m1 % 5 or m2 % 5:
            raise self.error(where, "minutes multiples de 5", "minutes must be a multiple of 5")
        return TimeRange(start, end)

    def weekly_hours(self, value: Any, where: str) -> dict[int, tuple[TimeRange, ...]]:
        section = self.section(value, where, set(WEEKDAYS))
        hours: dict[int, tuple[TimeRange, ...]] = {}
        for key, ranges in section.items():
            day_where = f"{where}.{key}"
            day = WEEKDAYS[key]
            if day in hours:
                raise self.error(day_where, "jour donné deux fois", "weekday given twice")
            if ranges in (None, "closed", "fermé", False):
                ranges = []
            if isinstance(ranges, str):
                ranges = [ranges]
            if not isinstance(ranges, list):
                raise self.error(day_where, "liste de plages (ex. [8h30-12h30])", "list of ranges")
            parsed = sorted(
                (self.time_range(r, f"{day_where}[{i}]") for i, r in enumerate(ranges)),
                key=lambda r: r.start,
            )
            for before, after in zip(parsed, parsed[1:], strict=False):
                if after.start < before.end:
                    raise self.error(
                        day_where, f"plages {before} et {after} se chevauchent", "ranges overlap"
                    )
            hours[day] = tuple(parsed)
        return hours

    def closed_dates(self, value: Any, where: str) -> frozenset[date]:
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            raise self.error(where, "liste de dates AAAA-MM-JJ", "list of YYYY-MM-DD dates")
        days: set[date] = set()
        for i, item in enumerate(value):
            item_where = f"{where}[{i}]"
            if isinstance(item, dict):
                item = self.section(item, item_where, {"from", "to", "label"})
                first = self.date(item.get("from"), f"{item_where}.from")
                last = self.date(item.get("to"), f"{item_where}.to")
                if last < first:
                    raise self.error(item_where, "« to » avant « from »", "'to' before 'from'")
                days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
            else:
                days.add(self.date(item, item_where))
        return frozenset(days)

    def date(self, value: Any, where: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.error(
                where, f"date « {value} » illisible (AAAA-MM-JJ)", "bad date"
            ) from None


def load_practice(path: Path) -> Practice:
    """Read and validate the practice file at `path`."""
    reader = _Reader(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except FileNotFoundError:
        raise reader.error("file", "fichier introuvable", "file not found") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problem = getattr(error, "problem", None) or "syntax error"
        raise reader.error(where, "YAML invalide", f"invalid YAML ({problem})") from None
    if not isinstance(document, dict) or not isinstance(document.get("practice"), dict):
        raise reader.error(
            "practice", "section « practice: » manquante", "missing 'practice:' section"
        )
    top = reader.section(
        document,
        "(top)",
        {
            "practice", "opening_hours", "practitioners", "reasons", "booking",
            "closed_dates", "staff_alerts", "calendar", "reminders", "limits", "handoff", "privacy",
            "pilot",
        },
    )  # fmt: skip
    head = reader.section(top["practice"], "practice", {"name", "address", "phone", "timezone"})
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

    opening = reader.weekly_hours(top.get("opening_hours"), "opening_hours")
    practitioners = _practitioners(reader, top.get("practitioners"), opening)
    reasons = _reasons(reader, top.get("reasons"), practitioners)

    booking = reader.section(
        top.get("booking"),
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

    alerts = top.get("staff_alerts") or []
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
    section = reader.section(
        top.get("handoff"),
        "handoff",
        {"realert_after_minutes", "auto_resume_after_hours", "alert_template", "reengage_template"},
    )
    handoff = HandoffRules(
        realert_after=timedelta(
            minutes=reader.number(section, "realert_after_minutes", "handoff", 10) or 10
        ),
        auto_resume_after=timedelta(
            hours=reader.number(section, "auto_resume_after_hours", "handoff", 24) or 24
        ),
        alert_template=reader.text(section, "alert_template", "handoff", "alerte_equipe"),
        reengage_template=reader.text(section, "reengage_template", "handoff", "reprise_contact"),
    )
    section = reader.section(
        top.get("privacy"),
        "privacy",
        {
            "notice_version", "reminder_consent", "conversation_retention_days",
            "inactive_patient_retention_days", "appointment_retention_days", "contact",
        },
    )  # fmt: skip
    defaults = PrivacyRules()

    def days(key: str, default: timedelta) -> timedelta:
        return timedelta(days=reader.number(section, key, "privacy", default.days) or default.days)

    privacy = PrivacyRules(
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
    calendar = reader.section(top.get("calendar"), "calendar", {"reason_in_event"})
    reminders = _reminders(reader, top.get("reminders"))
    section = reader.section(
        top.get("limits"), "limits", {"max_upcoming_per_patient", "messages_per_minute"}
    )
    limits = Limits(
        max_upcoming_per_patient=reader.number(section, "max_upcoming_per_patient", "limits", 3),
        messages_per_minute=reader.number(section, "messages_per_minute", "limits", 20),
    )

    section = reader.section(top.get("pilot"), "pilot", {"no_show_rate_before"})
    before = section.get("no_show_rate_before")
    if before is not None and (
        isinstance(before, bool) or not isinstance(before, (int, float)) or not 0 <= before <= 100
    ):
        raise reader.error(
            "pilot.no_show_rate_before", "un pourcentage entre 0 et 100", "a percentage, 0-100"
        )

    return Practice(
        name=name,
        address=address,
        phone=phone,
        timezone=timezone,
        opening_hours=opening,
        practitioners=practitioners,
        reasons=reasons,
        rules=rules,
        closed_dates=reader.closed_dates(top.get("closed_dates"), "closed_dates"),
        staff_alerts=tuple(a.strip() if "@" in a else a.replace(" ", "") for a in alerts),
        reason_in_calendar=reader.flag(calendar, "reason_in_event", "calendar", False),
        reminders=reminders,
        limits=limits,
        handoff=handoff,
        privacy=privacy,
        no_show_rate_before=None if before is None else float(before) / 100,
    )


def _reminders(reader: _Reader, value: Any) -> ReminderRules:
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
    template = reader.text(section, "template", "reminders", "rappel_rdv")
    cancellation = reader.text(section, "cancellation_template", "reminders", "annulation_rdv")
    confirmation = reader.text(section, "confirmation_template", "reminders", "confirmation_rdv")
    refusal = reader.text(section, "refusal_template", "reminders", "refus_rdv")
    move = reader.text(section, "move_template", "reminders", "deplacement_rdv")
    for key, name in (
        ("template", template),
        ("cancellation_template", cancellation),
        ("confirmation_template", confirmation),
        ("refusal_template", refusal),
        ("move_template", move),
    ):
        if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
            raise reader.error(
                f"reminders.{key}", "minuscules, chiffres et _ (nom Meta)", "lowercase, digits, _"
            )
    return ReminderRules(
        offsets=tuple(timedelta(hours=h) for h in sorted(set(offsets), reverse=True)),
        send_hours=reader.time_range(
            section.get("send_hours", "8h00-21h00"), "reminders.send_hours"
        ),
        template=template,
        language=reader.text(section, "language", "reminders", "fr"),
        cancellation_template=cancellation,
        confirmation_template=confirmation,
        refusal_template=refusal,
        move_template=move,
    )


def _practitioners(reader: _Reader, value: Any, opening: WeeklyHours) -> tuple[Practitioner, ...]:
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


def _reasons(
    reader: _Reader, value: Any, practitioners: tuple[Practitioner, ...]
) -> tuple[VisitReason, ...]:
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
        allowed = item.get("practitioners", known)
        if not isinstance(allowed, list) or not allowed:
            raise reader.error(f"{where}.practitioners", "liste d'identifiants", "list of ids")
        for practitioner_id in allowed:
            if practitioner_id not in known:
                raise reader.error(
                    f"{where}.practitioners",
                    f"praticien « {practitioner_id} » inconnu (connus : {', '.join(known)})",
                    "unknown practitioner",
                )
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
