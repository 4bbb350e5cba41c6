"""The practice's own configuration: one YAML file that a practice manager edits.

Loaded and validated at start, so a typo gives one clear line naming the field (in French and
English) instead of a wrong answer to a patient later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml


class PracticeConfigError(ValueError):
    """The practice file is missing, unreadable or has a wrong field."""


@dataclass(frozen=True)
class Practice:
    name: str
    address: str
    phone: str
    timezone: str = "Europe/Paris"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _error(path: Path, field: str, fr: str, en: str) -> PracticeConfigError:
    return PracticeConfigError(f"{path}: {field}: {fr} / {en}")


def _text(path: Path, section: dict[str, Any], key: str) -> str:
    value = section.get(key)
    if not isinstance(value, (str, int)) or not str(value).strip():
        raise _error(
            path, f"practice.{key}", "champ obligatoire, texte non vide", "required non-empty text"
        )
    return str(value).strip()


def load_practice(path: Path) -> Practice:
    """Read and validate the practice file at `path`."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _error(path, "file", "fichier introuvable", "file not found") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problem = getattr(error, "problem", None) or "syntax error"
        raise _error(path, where, "YAML invalide", f"invalid YAML ({problem})") from None
    if not isinstance(document, dict) or not isinstance(document.get("practice"), dict):
        raise _error(
            path, "practice", "section « practice: » manquante", "missing 'practice:' section"
        )
    section: dict[str, Any] = document["practice"]
    known = {"name", "address", "phone", "timezone"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise _error(
            path,
            f"practice.{unknown[0]}",
            f"champ inconnu (attendus : {', '.join(sorted(known))})",
            "unknown field",
        )
    timezone = str(section.get("timezone", "Europe/Paris"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _error(
            path, "practice.timezone", "fuseau horaire inconnu", "unknown time zone"
        ) from None
    return Practice(
        name=_text(path, section, "name"),
        address=_text(path, section, "address"),
        phone=_text(path, section, "phone"),
        timezone=timezone,
    )
