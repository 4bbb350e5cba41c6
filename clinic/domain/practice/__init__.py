"""The practice's own configuration: one YAML file that a practice manager edits.

`model` holds what the rest of the code reads (Practice and its parts, no I/O); `loader` reads
and validates the file at start (field types in `fields`, one reader per section in `sections`),
so a typo gives one clear line naming the field (in French and English) instead of a wrong answer
to a patient later.
"""

from clinic.domain.practice.loader import PracticeConfigError, load_practice
from clinic.domain.practice.model import (
    GRID,
    BookingRules,
    HandoffRules,
    Limits,
    NoShowRules,
    Practice,
    Practitioner,
    PrivacyRules,
    ReminderRules,
    TimeRange,
    VisitReason,
    WaitingListRules,
    WeeklyHours,
)

__all__ = [
    "GRID",
    "BookingRules",
    "HandoffRules",
    "Limits",
    "NoShowRules",
    "Practice",
    "PracticeConfigError",
    "Practitioner",
    "PrivacyRules",
    "ReminderRules",
    "TimeRange",
    "VisitReason",
    "WaitingListRules",
    "WeeklyHours",
    "load_practice",
]
