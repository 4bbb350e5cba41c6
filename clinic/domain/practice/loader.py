"""Reads and validates practice.yml: one bilingual line naming the first bad field.

The field types are checked in `fields`, each section is read in `sections`; this module reads
the YAML document and assembles the Practice. Sections are read in one fixed order, so a file
with several mistakes always reports the same one first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from clinic.domain.practice import sections
from clinic.domain.practice.fields import PracticeConfigError, Reader
from clinic.domain.practice.model import Practice

__all__ = ["PracticeConfigError", "load_practice"]

_TOP_LEVEL = {
    "practice", "opening_hours", "practitioners", "reasons", "booking",
    "closed_dates", "staff_alerts", "calendar", "reminders", "limits", "handoff", "privacy",
    "pilot", "waiting_list", "no_shows",
}  # fmt: skip


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported with its field name
    (PyYAML's own timestamp parsing raises a bare ValueError with no position)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_practice(path: Path) -> Practice:
    """Read and validate the practice file at `path`."""
    reader = Reader(path)
    top = _read_document(reader, path)
    head = sections.identity(reader, top["practice"])
    opening = reader.weekly_hours(top.get("opening_hours"), "opening_hours")
    practitioners = sections.practitioners(reader, top.get("practitioners"), opening)
    reasons = sections.reasons(reader, top.get("reasons"), practitioners)
    rules = sections.booking_rules(reader, top.get("booking"))
    staff_alerts = sections.staff_alerts(reader, top.get("staff_alerts"))
    handoff = sections.handoff(reader, top.get("handoff"))
    privacy = sections.privacy(reader, top.get("privacy"))
    # The calendar's keys are checked here but its flag after closed_dates, as it always was, so
    # a file with several mistakes still reports the same one first.
    calendar = reader.section(top.get("calendar"), "calendar", {"reason_in_event"})
    reminders = sections.reminders(reader, top.get("reminders"))
    limits = sections.limits(reader, top.get("limits"))
    no_show_rate_before = sections.no_show_rate_before(reader, top.get("pilot"))
    waiting_list = sections.waiting_list(reader, top.get("waiting_list"))
    no_shows = sections.no_shows(reader, top.get("no_shows"))
    return Practice(
        name=head.name,
        address=head.address,
        phone=head.phone,
        timezone=head.timezone,
        opening_hours=opening,
        practitioners=practitioners,
        reasons=reasons,
        rules=rules,
        closed_dates=reader.closed_dates(top.get("closed_dates"), "closed_dates"),
        staff_alerts=staff_alerts,
        reason_in_calendar=reader.flag(calendar, "reason_in_event", "calendar", False),
        reminders=reminders,
        limits=limits,
        handoff=handoff,
        privacy=privacy,
        no_show_rate_before=no_show_rate_before,
        waiting_list=waiting_list,
        no_shows=no_shows,
    )


def _read_document(reader: Reader, path: Path) -> dict[str, Any]:
    """The top-level mapping, with a `practice:` section and no unknown key; a missing file or
    bad YAML is reported by line, never as a traceback."""
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
    return reader.section(document, "(top)", _TOP_LEVEL)
