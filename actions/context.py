"""What the actions need from the core, built once per action-server process on first use."""

from __future__ import annotations

from functools import cache

from clinic.practice import load_practice
from clinic.services import Services, build_services
from clinic.settings import Settings


@cache
def get_context() -> Services:
    """Settings, practice file, database, calendar and Duckling: built lazily (never at import)."""
    settings = Settings.from_env()
    return build_services(settings, load_practice(settings.practice_config))
