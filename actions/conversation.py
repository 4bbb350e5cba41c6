"""Reading the tracker: what the patient just wrote, and what the conversation is doing."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def typed(text: str) -> bool:
    """Written by the patient, not a button's `/intent{…}` payload."""
    return bool(text) and not text.startswith("/")


def has_time(tracker: Tracker) -> bool:
    entities = (tracker.latest_message or {}).get("entities") or []
    return any(e.get("entity") == "time" for e in entities)


def appointment_in_message(tracker: Tracker) -> str | None:
    """The `appointment_id` a reminder's or a list's button put in this message, if any."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "appointment_id" and entity.get("value"):
            return str(entity["value"])
    return None


def moving(tracker: Tracker) -> str | None:
    """The id of the appointment being moved, when the latest request was « déplacer ».

    A « prendre rendez-vous » after it (a change of mind) wins: that is a new booking.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_find_appointment":
            if tracker.get_slot("managing") == "reschedule":
                return tracker.get_slot("managed_appointment")
            return None
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent == "book_appointment":
                return None
    return None


#: Slots a finished cancel or move leaves empty.
RESET: list[EventType] = [
    SlotSet("managing", None),
    SlotSet("managed_appointment", None),
    SlotSet("reminders_asked", None),  # a « oui » from now on answers something else
]

#: Slots a finished booking (or move) leaves empty for the next request.
DONE: list[EventType] = [
    SlotSet("chosen_slot", None),
    SlotSet("offered_slots", None),
    SlotSet("shown_slots", None),
    SlotSet("reason", None),
    SlotSet("when", None),
    SlotSet("search_window", None),
    SlotSet("form_misses", None),
    SlotSet("practitioner", None),
]
