"""What the actions need from the core, built once per action-server process on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from clinic.practice import Practice, load_practice
from clinic.settings import Settings


@dataclass(frozen=True)
class ActionContext:
    settings: Settings
    practice: Practice


@cache
def get_context() -> ActionContext:
    """Settings and practice file, read lazily (never at import) and then kept."""
    settings = Settings.from_env()
    return ActionContext(settings=settings, practice=load_practice(settings.practice_config))
