"""The search window: what the patient asked for, as instants and daily preferences.

The NLU layer turns « jeudi aprem », « après 17h » or « pas le lundi » into one of these; the
availability engine only ever sees this shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time


@dataclass(frozen=True)
class SearchWindow:
    """Instants [start, end) plus optional daily constraints, in the practice's time zone.

    `daily_from`/`daily_to` keep only slots starting within those wall-clock times on every day
    (« après 17h », « le matin »); `around` ranks each day's slots by distance to a wall-clock time
    (« vers 10h »); `excluded_weekdays` holds Monday=0 … Sunday=6 (« pas le lundi »).
    """

    start: datetime
    end: datetime
    daily_from: time | None = None
    daily_to: time | None = None
    around: time | None = None
    excluded_weekdays: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("SearchWindow needs timezone-aware instants")
        if self.end <= self.start:
            raise ValueError("SearchWindow ends before it starts")
