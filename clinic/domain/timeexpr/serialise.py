"""A search window as JSON and back, so it survives in a conversation slot between turns."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from clinic.domain.scheduling.window import SearchWindow


def window_to_dict(window: SearchWindow) -> dict[str, Any]:
    """A JSON-safe form, for a conversation slot."""
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "daily_from": window.daily_from.isoformat() if window.daily_from else None,
        "daily_to": window.daily_to.isoformat() if window.daily_to else None,
        "around": window.around.isoformat() if window.around else None,
        "excluded_weekdays": sorted(window.excluded_weekdays),
    }


def window_from_dict(data: dict[str, Any]) -> SearchWindow:
    """The window `window_to_dict` stored (absent daily bounds and exclusions read as none)."""

    def clock(key: str) -> time | None:
        return time.fromisoformat(data[key]) if data.get(key) else None

    return SearchWindow(
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        daily_from=clock("daily_from"),
        daily_to=clock("daily_to"),
        around=clock("around"),
        excluded_weekdays=frozenset(data.get("excluded_weekdays") or ()),
    )
