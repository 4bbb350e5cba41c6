"""The field types of practice.yml, each checked with one bilingual error naming the field.

Weekdays and times may be written the way people write them in France (« lundi »,
« 8h30-12h30 »), so a practice manager never has to learn a format.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from clinic.domain.practice.model import TimeRange

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


class PracticeConfigError(ValueError):
    """The practice file is missing, unreadable or has a wrong field."""


class Reader:
    """Checks the fields of one practice file; each check raises one bilingual line naming the
    bad field, so the first mistake is reported where the manager can find it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, where: str, fr: str, en: str) -> PracticeConfigError:
        """The file, the field's path and what was expected, in French then English."""
        return PracticeConfigError(f"{self.path}: {where}: {fr} / {en}")

    def section(self, value: Any, where: str, known: set[str]) -> dict[str, Any]:
        """A mapping with only `known` keys (absent is empty): a misspelt key is not ignored."""
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

    def time_range(self, value: Any, where: str, until_midnight: bool = False) -> TimeRange:
        """« 8h30-12h30 »; with `until_midnight`, « 0h00-24h00 » too (sending hours: always)."""
        match = _RANGE.match(str(value))
        if not match:
            raise self.error(where, f"plage « {value} » illisible (ex. 8h30-12h30)", "bad range")
        h1, m1, h2, m2 = (int(g or 0) for g in match.groups())
        midnight = until_midnight and (h2, m2) == (24, 0)
        if h1 > 23 or (h2 > 23 and not midnight) or m1 > 59 or m2 > 59:
            raise self.error(where, f"heure impossible dans « {value} »", "impossible time")
        start, end = time(h1, m1), time.max if midnight else time(h2, m2)
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
