"""The action server's composition root: its `Services`, built once per process on first use."""

from __future__ import annotations

from functools import cache

from clinic.adapters.settings import Settings
from clinic.app.wiring import Services, build_services


@cache
def get_context() -> Services:
    """Settings, practice file, database, calendar and Duckling: built lazily (never at import)."""
    return build_services(Settings.from_env())
