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
from clinic.domain.practice.doctors import ANY
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


def wished_practitioner(services: Services, tracker: Tracker) -> str | None:
    """The practitioner the patient asked for (« le docteur Benali »), None for any of them."""
    wished = tracker.get_slot("practitioner")
    if not wished or wished == ANY or moving(tracker):
        return None
    return wished if services.practice.find_practitioner(str(wished)) else None


def _rows(services: Services, slots: list[Slot]) -> tuple[list[str], list[dict[str, str]]]:
    """The numbered lines of the message and one button per slot, each naming its doctor."""
    practice = services.practice
    today = services.local_now().date()
    lines, buttons = [], []
    for number, slot in enumerate(slots, start=1):
        start = slot.start.astimezone(practice.tz)
        who = practice.practitioner(slot.practitioner_id).name
        lines.append(f"{number}. {french.day_and_hour(start, today)} – {who}")
        choice = json.dumps({"slot_choice": bound_choice(number, slots)})
        buttons.append(
            {
                "title": french.short_slot(start, today),
                "description": who,  # a list row's second line on WhatsApp
                "payload": f"/choose_slot{choice}",
            }
        )
    return lines, buttons


def _seen_by(
    dispatcher: CollectingDispatcher, services: Services, practitioner_id: str, reason_id: str
) -> bool:
    """Whether the wished practitioner sees this reason; if not, the patient is told."""
    practice = services.practice
    reason = practice.reason(reason_id)
    if practitioner_id in reason.practitioners:
        return True
    dispatcher.utter_message(
        response="utter_practitioner_not_for_reason",
        practitioner=practice.practitioner(practitioner_id).name,
        reason=reason.label.lower(),
    )
    return False


#: Offered when the slots shown do not suit: be told when one frees (clinic.services.waitlist).
WAIT_BUTTON = {
    "title": "🔔 Prévenez-moi",
    "payload": "/join_waitlist",
    "description": "si un créneau se libère",
}


def offer(
    dispatcher: CollectingDispatcher,
    services: Services,
    window: SearchWindow,
    reason_id: str,
    shown: list[str] | None = None,
    practitioner_id: str | None = None,
    wished: bool = False,
) -> list[EventType]:
    """Show up to 3 slots for the wish as buttons (the core widens a full wish once).

    `shown` holds the starts already offered for this wish (« autres créneaux »): they are
    skipped and the new ones kept apart from them. `wished`: the patient asked for
    `practitioner_id` (not a move): a reason they do not see is said and offered with the
    others; when they have nothing in the window, that is said, their next slots are offered,
    and a button offers the other practitioners in the window.
    """
    practice = services.practice
    today = services.local_now().date()
    shown = list(shown or [])
    events: list[EventType] = []
    if (
        wished
        and practitioner_id
        and not _seen_by(dispatcher, services, practitioner_id, reason_id)
    ):
        practitioner_id, wished = None, False
        events.append(SlotSet("practitioner", ANY))
    excluded = [datetime.fromisoformat(start) for start in shown]
    result = services.booking.offer(window, reason_id, practitioner_id, exclude=excluded)
    if not result.slots:
        dispatcher.utter_message(
            response="utter_no_slots",
            window=describe(window, today, practice.tz),
            buttons=[WAIT_BUTTON] if services.waitlist.enabled else [],
        )
        return [*events, SlotSet("offered_slots", None)]
    lines, buttons = _rows(services, result.slots)
    buttons.append({"title": "Autres créneaux", "payload": "/more_slots"})
    first = result.slots[0].start.astimezone(practice.tz)
    later = wished and result.window != window  # nothing of theirs in the patient's window
    if later:
        buttons.append(
            {"title": "Un autre médecin", "payload": f'/more_slots{{"practitioner": "{ANY}"}}'}
        )
        response = "utter_practitioner_later"
    elif window.around is not None and not shown and result.window == window:
        exact = first.time() == window.around
        response = "utter_offer_slots_exact" if exact else "utter_offer_slots"
    else:
        response = "utter_offer_slots"
    if services.waitlist.enabled and (shown or result.window != window):
        buttons.append(WAIT_BUTTON)  # what was shown did not suit, or the wish is full
    dispatcher.utter_message(
        response=response,
        window=describe(window if later else result.window or window, today, practice.tz),
        practitioner=practice.practitioner(str(practitioner_id)).name if later else "",
        hour=french.hour(first.time()),
        day=french.day(first.date(), today),
        slots="\n".join(lines),
        buttons=buttons,
    )
    offered = [slot_to_dict(s) for s in result.slots]
    return [
        *events,
        SlotSet("offered_slots", offered),
        SlotSet("shown_slots", shown + [s["start"] for s in offered]),
        SlotSet("chosen_slot", None),
    ]
