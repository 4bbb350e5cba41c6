"""Offered slots in the conversation: stored in slots as plain dicts, shown as buttons.

Shared by the offer, the choice and the booking actions (a slot taken meanwhile is offered
again), so none of those action modules imports another.
"""

from __future__ import annotations

import json
from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import moving
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.choice import bound_choice
from clinic.domain.scheduling import SearchWindow, Slot
from clinic.domain.timeexpr import describe


def slot_to_dict(slot: Slot) -> dict[str, str]:
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "practitioner": slot.practitioner_id,
    }


def slot_from_dict(data: dict[str, str]) -> Slot:
    return Slot(
        datetime.fromisoformat(data["start"]),
        datetime.fromisoformat(data["end"]),
        data["practitioner"],
    )


def moving_practitioner(services: Services, tracker: Tracker) -> str | None:
    """A move keeps the practitioner: the slots offered are theirs."""
    appointment_id = moving(tracker)
    appointment = services.appointments.get(appointment_id) if appointment_id else None
    return appointment.practitioner_id if appointment else None


def offer(
    dispatcher: CollectingDispatcher,
    services: Services,
    window: SearchWindow,
    reason_id: str,
    shown: list[str] | None = None,
    practitioner_id: str | None = None,
) -> list[EventType]:
    """Show up to 3 slots for the wish as buttons (the core widens a full wish once).

    `shown` holds the starts already offered for this wish (« autres créneaux »): they are
    skipped and the new ones kept apart from them.
    """
    practice = services.practice
    today = services.local_now().date()
    shown = list(shown or [])
    excluded = [datetime.fromisoformat(start) for start in shown]
    result = services.booking.offer(window, reason_id, practitioner_id, exclude=excluded)
    if not result.slots:
        dispatcher.utter_message(
            response="utter_no_slots", window=describe(window, today, practice.tz)
        )
        return [SlotSet("offered_slots", None)]
    lines, buttons = [], []
    for number, slot in enumerate(result.slots, start=1):
        start = slot.start.astimezone(practice.tz)
        who = practice.practitioner(slot.practitioner_id).name
        lines.append(f"{number}. {french.day_and_hour(start, today)} – {who}")
        choice = json.dumps({"slot_choice": bound_choice(number, result.slots)})
        buttons.append(
            {"title": french.short_slot(start, today), "payload": f"/choose_slot{choice}"}
        )
    buttons.append({"title": "Autres créneaux", "payload": "/more_slots"})
    first = result.slots[0].start.astimezone(practice.tz)
    exact = (
        window.around is not None
        and not shown
        and result.window == window
        and first.time() == window.around
    )
    dispatcher.utter_message(
        response="utter_offer_slots_exact" if exact else "utter_offer_slots",
        window=describe(result.window or window, today, practice.tz),
        hour=french.hour(first.time()),
        day=french.day(first.date(), today),
        slots="\n".join(lines),
        buttons=buttons,
    )
    offered = [slot_to_dict(s) for s in result.slots]
    return [
        SlotSet("offered_slots", offered),
        SlotSet("shown_slots", shown + [s["start"] for s in offered]),
        SlotSet("chosen_slot", None),
    ]
