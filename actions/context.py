"""The action server's composition root: the process's `Services`, built once on first use."""

from __future__ import annotations

from clinic.app.process import process_services
from clinic.app.wiring import Services


def get_context() -> Services:
    """Settings, practice file, database, calendar and Duckling: built lazily (never at import)."""
    return process_services()
