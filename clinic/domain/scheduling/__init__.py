"""Scheduling: search windows and the availability engine (pure functions, no I/O)."""

from clinic.domain.scheduling.availability import Interval, Slot, find_slots
from clinic.domain.scheduling.window import SearchWindow

__all__ = ["Interval", "SearchWindow", "Slot", "find_slots"]
