"""Booking: the form's validators, the slot offer, the choice, the recap and the booking itself.

Every decision is made in the core (clinic.timeexpr, clinic.booking, clinic.patients); these
classes read the tracker, call it, and pick the French response.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import get_context
from actions.manage import RESET, ics_document, moving
from clinic import french
from clinic.audit import Actor
from clinic.booking import BookingOutcome
from clinic.duckling.client import DucklingUnavailable
from clinic.patients import clean_name
from clinic.scheduling import SearchWindow, Slot
from clinic.services import Services
from clinic.timeexpr import (
    TimeAnswer,
    describe,
    read,
    understand,
    window_from_dict,
    window_to_dict,
)

logger = logging.getLogger(__name__)

#: Misses on one slot before an example is given, then before a human is offered.
EXAMPLE_AFTER, HUMAN_AFTER = 2, 3
ORDINALS = {
    "1": 0, "premier": 0, "premiere": 0, "1er": 0, "1ere": 0,
    "2": 1, "deuxieme": 1, "second": 1, "seconde": 1, "2e": 1, "2eme": 1, "deux": 1,
    "3": 2, "troisieme": 2, "3e": 2, "3eme": 2, "trois": 2, "dernier": -1, "derniere": -1,
}  # fmt: skip


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def has_time(tracker: Tracker) -> bool:
    entities = (tracker.latest_message or {}).get("entities") or []
    return any(e.get("entity") == "time" for e in entities)


def understand_when(services: Services, text: str) -> TimeAnswer:
    """The core's reading of `text`; Duckling down reads as « not understood », never a crash."""
    try:
        return understand(text, services.clock.now(), services.duckling.parse, services.practice)
    except DucklingUnavailable:
        return TimeAnswer(None, "not_understood")


def explain_when(dispatcher: CollectingDispatcher, answer: TimeAnswer, services: Services) -> None:
    """Say why the wish cannot be served and which day is looked at instead."""
    practice = services.practice
    now = services.local_now()
    today = now.date()
    if answer.window is None:
        dispatcher.utter_message(
            response="utter_when_no_alternative",
            horizon=practice.rules.horizon.days,
            phone=practice.phone,
        )
        return
    alternative = describe(answer.window, today, practice.tz)
    if answer.problem == "closed" and answer.requested is not None:
        closed = french.day(answer.requested, today)
        if answer.detail:
            closed += f" ({answer.detail})"
        elif not any(p.hours.get(answer.requested.weekday()) for p in practice.practitioners):
            closed = f"le {french.DAYS[answer.requested.weekday()]}"
        else:
            closed += " à ce moment-là"
        dispatcher.utter_message(
            response="utter_when_closed", closed=closed, alternative=alternative
        )
    elif answer.problem == "beyond_horizon":
        limit = french.day((now + practice.rules.horizon).date(), today)
        dispatcher.utter_message(
            response="utter_when_beyond_horizon", limit=limit, alternative=alternative
        )
    elif answer.problem == "too_soon":
        notice = _duration(practice.rules.min_notice)
        dispatcher.utter_message(
            response="utter_when_too_soon", notice=notice, alternative=alternative
        )
    else:
        dispatcher.utter_message(response="utter_when_past", alternative=alternative)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} heure" + ("s" if hours > 1 else "")
    return f"{minutes} minutes"


def reasons_list(services: Services) -> str:
    return ", ".join(r.label.lower() for r in services.practice.reasons)


class ActionExtractWhen(Action):
    """Custom slot mapping: a wish Duckling alone misses (« le plus tôt possible », « pas le
    lundi », « aprem ») still fills `when` from any message, so it is not asked again."""

    def name(self) -> str:
        return "action_extract_when"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        if not text or text.startswith("/") or has_time(tracker):
            return []
        services = get_context()
        try:
            request = read(text, services.clock.now(), services.duckling.parse, services.practice)
        except DucklingUnavailable:
            return []
        return [SlotSet("when", text)] if request.window is not None else []


class ValidateBookingForm(FormValidationAction):
    """Checks each answer; explains, then gives an example, then offers a human."""

    def name(self) -> str:
        return "validate_booking_form"

    def _miss(
        self, slot: str, tracker: Tracker, dispatcher: CollectingDispatcher, **values: Any
    ) -> dict[str, Any]:
        misses = dict(tracker.get_slot("form_misses") or {})
        misses[slot] = misses.get(slot, 0) + 1
        count = misses[slot]
        first, example = {
            "reason": ("utter_reason_unknown", "utter_reason_example"),
            "when": ("utter_when_unknown", "utter_when_example"),
            "patient_name": ("utter_name_invalid", "utter_name_example"),
        }[slot]
        dispatcher.utter_message(response=example if count >= EXAMPLE_AFTER else first, **values)
        if count >= HUMAN_AFTER:
            dispatcher.utter_message(response="utter_offer_human")
        logger.info("form answer refused", extra={"slot": slot, "misses": count})
        return {slot: None, "form_misses": misses}

    @staticmethod
    def _hit(slot: str, tracker: Tracker, values: dict[str, Any]) -> dict[str, Any]:
        misses = dict(tracker.get_slot("form_misses") or {})
        if misses.pop(slot, None) is not None:
            values["form_misses"] = misses
        return values

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        services = get_context()
        practice = services.practice
        reason = practice.find_reason(str(value)) if value else None
        reason = (
            reason
            or practice.match_reason(str(value or ""))
            or practice.match_reason(latest_text(tracker))
        )
        if reason is None:
            return self._miss("reason", tracker, dispatcher, reasons=reasons_list(services))
        return self._hit("reason", tracker, {"reason": reason.id})

    def validate_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        services = get_context()
        text = latest_text(tracker)
        if text.startswith("/"):  # a button: the slot holds what was meant
            text = str(value or "")
        answer = understand_when(services, text)
        if not answer.understood and tracker.get_slot("requested_slot") != "when":
            return {"when": None}  # a date from an earlier message: ask rather than guess
        if answer.problem is not None and answer.understood:
            explain_when(dispatcher, answer, services)
        if answer.window is None:
            if answer.understood:
                return {"when": None}
            return self._miss("when", tracker, dispatcher)
        today = services.local_now().date()
        return self._hit(
            "when",
            tracker,
            {
                "when": describe(answer.window, today, services.practice.tz),
                "search_window": window_to_dict(answer.window),
            },
        )

    def validate_patient_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        checked = clean_name(str(value or ""))
        if checked.name is None:
            return self._miss("patient_name", tracker, dispatcher)
        return self._hit("patient_name", tracker, {"patient_name": checked.name})


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


def offer(
    dispatcher: CollectingDispatcher,
    services: Services,
    window: SearchWindow,
    reason_id: str,
    shown: list[str] | None = None,
    practitioner_id: str | None = None,
) -> list[EventType]:
    """Search, widen once if the wish is full, and show up to 3 slots as buttons.

    `shown` holds the starts already offered for this wish (« autres créneaux »): they are
    skipped and the new ones kept apart from them.
    """
    practice = services.practice
    now = services.local_now()
    today = now.date()
    shown = list(shown or [])
    excluded = [datetime.fromisoformat(start) for start in shown]
    result = services.booking.search(window, reason_id, practitioner_id, exclude=excluded)
    described = window
    if not result.slots:
        described = replace(window, end=max(window.end, now + practice.rules.horizon))
        result = services.booking.search(described, reason_id, practitioner_id, exclude=excluded)
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
        choice = json.dumps({"slot_choice": f"{number}"})
        buttons.append(
            {"title": french.short_slot(start, today), "payload": f"/choose_slot{choice}"}
        )
    buttons.append({"title": "Autres créneaux", "payload": "/more_slots"})
    dispatcher.utter_message(
        response="utter_offer_slots",
        window=describe(described, today, practice.tz),
        slots="\n".join(lines),
        buttons=buttons,
    )
    offered = [slot_to_dict(s) for s in result.slots]
    return [
        SlotSet("offered_slots", offered),
        SlotSet("shown_slots", shown + [s["start"] for s in offered]),
        SlotSet("chosen_slot", None),
    ]


class ActionOfferSlots(Action):
    """After the form, « autres créneaux », or a correction such as « non plutôt vendredi »."""

    def name(self) -> str:
        return "action_offer_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_context()
        practice = services.practice
        events: list[EventType] = []
        reason_id = tracker.get_slot("reason")
        new_reason = practice.match_reason(latest_text(tracker))
        if new_reason is not None and new_reason.id != reason_id:
            reason_id = new_reason.id
            events.append(SlotSet("reason", reason_id))
        stored = tracker.get_slot("search_window")
        window = window_from_dict(stored) if stored else None
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        text = latest_text(tracker)
        if intent != "more_slots" and text and not text.startswith("/"):
            answer = understand_when(services, text)  # « non plutôt vendredi »
            if answer.problem is not None and answer.understood:
                explain_when(dispatcher, answer, services)
            if answer.window is not None:
                window = answer.window
                today = services.local_now().date()
                events += [
                    SlotSet("search_window", window_to_dict(window)),
                    SlotSet("when", describe(window, today, practice.tz)),
                ]
        if window is None or reason_id is None or practice.find_reason(reason_id) is None:
            dispatcher.utter_message(response="utter_nothing_chosen")
            return events
        shown = (tracker.get_slot("shown_slots") or []) if intent == "more_slots" else []
        return events + offer(
            dispatcher, services, window, reason_id, shown, moving_practitioner(tracker)
        )


def pick(tracker: Tracker, offered: list[dict[str, str]], tz: Any) -> dict[str, str] | None:
    """The offered slot meant by a button (« 2 »), « le deuxième », « le dernier » or « 10h30 »."""
    if not offered:
        return None
    choice = str(tracker.get_slot("slot_choice") or "")
    text = french.fold(latest_text(tracker))
    words = re.findall(r"[a-z0-9]+", f"{choice} {text}" if not text.startswith("/") else choice)
    for word in words:
        if word in ORDINALS and (index := ORDINALS[word]) < len(offered):
            return offered[index]
    if hour := re.search(r"\b(\d{1,2})\s*h\s*(\d{2})?", text):
        wanted = (int(hour[1]), int(hour[2] or 0))
        starts = [datetime.fromisoformat(s["start"]).astimezone(tz) for s in offered]
        matches = [s for s, t in zip(offered, starts, strict=True) if (t.hour, t.minute) == wanted]
        if len(matches) == 1:
            return matches[0]
    return None


class ActionChooseSlot(Action):
    """Keeps the chosen offered slot and reads it back for « je confirme »."""

    def name(self) -> str:
        return "action_choose_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_context()
        practice = services.practice
        chosen = pick(tracker, tracker.get_slot("offered_slots") or [], practice.tz)
        if chosen is None:
            return self._not_offered(dispatcher, tracker, services)
        reason = practice.find_reason(tracker.get_slot("reason") or "")
        today = services.local_now().date()
        start = datetime.fromisoformat(chosen["start"]).astimezone(practice.tz)
        day = french.day_and_hour(start, today)
        practitioner = practice.practitioner(chosen["practitioner"]).name
        if moving(tracker):
            dispatcher.utter_message(
                response="utter_recap_move", day=day, practitioner=practitioner
            )
        else:
            dispatcher.utter_message(
                response="utter_recap",
                reason=reason.label if reason else "Rendez-vous",
                day=day,
                practitioner=practitioner,
                patient_name=tracker.get_slot("patient_name") or "",
            )
        return [SlotSet("chosen_slot", chosen), SlotSet("slot_choice", None)]

    @staticmethod
    def _not_offered(
        dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> list[EventType]:
        """« celui de 16h » when 16h was not offered: look around 16h on the same days."""
        stored = tracker.get_slot("search_window")
        reason_id = tracker.get_slot("reason")
        text = latest_text(tracker)
        answer = understand_when(services, text) if text and not text.startswith("/") else None
        if answer is None or answer.window is None or not stored or not reason_id:
            dispatcher.utter_message(response="utter_ask_which_slot")
            return [SlotSet("slot_choice", None)]
        window = answer.window
        if window.around is not None and window.end - window.start > timedelta(days=1):
            window = replace(window_from_dict(stored), around=window.around)  # same days
        today = services.local_now().date()
        return [
            SlotSet("slot_choice", None),
            SlotSet("search_window", window_to_dict(window)),
            SlotSet("when", describe(window, today, services.practice.tz)),
            *offer(
                dispatcher,
                services,
                window,
                reason_id,
                practitioner_id=moving_practitioner(tracker),
            ),
        ]


def calendar_file(appointment_id: str, day: str, practitioner: str) -> dict[str, Any]:
    """The confirmation's calendar file, the address in its caption; if WhatsApp cannot send
    the document, the fallback text carries the same details and link."""
    practice = get_context().practice
    when = f"{day[0].upper()}{day[1:]}"
    return ics_document(
        appointment_id,
        f"📅 {when} au {practice.name}, {practice.address}. "
        "Ouvrez ce fichier pour ajouter le rendez-vous à votre agenda.",
        f"📅 {when} avec {practitioner}, {practice.address}. Pour l'ajouter à votre agenda :",
    )


#: Slots a finished booking (or move) leaves empty for the next request.
DONE: list[EventType] = [
    SlotSet("chosen_slot", None),
    SlotSet("offered_slots", None),
    SlotSet("shown_slots", None),
    SlotSet("reason", None),
    SlotSet("when", None),
    SlotSet("search_window", None),
    SlotSet("form_misses", None),
]


def moving_practitioner(tracker: Tracker) -> str | None:
    """A move keeps the practitioner: the slots offered are theirs."""
    appointment_id = moving(tracker)
    appointment = get_context().appointments.get(appointment_id) if appointment_id else None
    return appointment.practitioner_id if appointment else None


class ActionBookAppointment(Action):
    """Books the chosen slot; a slot taken meanwhile gets fresh alternatives, never a double booking."""

    def name(self) -> str:
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_context()
        practice = services.practice
        chosen = tracker.get_slot("chosen_slot")
        reason = practice.find_reason(tracker.get_slot("reason") or "")
        name = tracker.get_slot("patient_name")
        if not chosen or reason is None or not name:
            offered = tracker.get_slot("offered_slots")
            response = "utter_ask_which_slot" if offered else "utter_nothing_chosen"
            dispatcher.utter_message(response=response)
            return []
        slot = slot_from_dict(chosen)
        moved_id = moving(tracker)
        if moved_id:
            outcome = services.booking.reschedule(
                moved_id, slot, Actor("patient", tracker.sender_id)
            )
        else:
            outcome = services.booking.book(slot, reason.id, tracker.sender_id, name)
        today = services.local_now().date()
        day = french.day_and_hour(slot.start.astimezone(practice.tz), today)
        if outcome.status == "taken":
            dispatcher.utter_message(response="utter_slot_taken")
            stored = tracker.get_slot("search_window")
            window = window_from_dict(stored) if stored else None
            if window is None:
                return [SlotSet("chosen_slot", None)]
            return offer(
                dispatcher,
                services,
                window,
                reason.id,
                shown=[chosen["start"]],
                practitioner_id=slot.practitioner_id if moved_id else None,
            )
        if moved_id:
            return self._moved(dispatcher, outcome, day, reason.instructions)
        services.patients.remember(tracker.sender_id, name, services.clock.now())
        if outcome.status == "pending":
            dispatcher.utter_message(response="utter_booking_pending", day=day)
        else:
            instructions = f"{reason.instructions} " if reason.instructions else ""
            practitioner = practice.practitioner(slot.practitioner_id).name
            dispatcher.utter_message(
                response="utter_booked",
                reason=reason.label,
                day=day,
                practitioner=practitioner,
                instructions=instructions,
            )
            assert outcome.appointment is not None
            dispatcher.utter_message(
                json_message=calendar_file(outcome.appointment.id, day, practitioner)
            )
        logger.info("booking done", extra={"status": outcome.status})
        return DONE

    @staticmethod
    def _moved(
        dispatcher: CollectingDispatcher,
        outcome: BookingOutcome,
        day: str,
        instructions: str | None,
    ) -> list[EventType]:
        """The answer to a move: done (with the updated calendar file), or why not."""
        services = get_context()
        phone = services.practice.phone
        if outcome.status == "moved" and outcome.appointment is not None:
            practitioner = services.practice.practitioner(outcome.appointment.practitioner_id).name
            dispatcher.utter_message(
                response="utter_moved",
                day=day,
                practitioner=practitioner,
                instructions=f"{instructions} " if instructions else "",
            )
            dispatcher.utter_message(
                json_message=calendar_file(outcome.appointment.id, day, practitioner)
            )
        elif outcome.status == "too_late" and outcome.appointment is not None:
            hours = int(services.practice.rules.cancellation_cutoff.total_seconds() // 3600)
            old = french.day_and_hour(
                outcome.appointment.start.astimezone(services.practice.tz),
                services.local_now().date(),
            )
            dispatcher.utter_message(response="utter_too_late", day=old, hours=hours, phone=phone)
        elif outcome.status == "unverified":
            dispatcher.utter_message(response="utter_move_unverified", phone=phone)
        else:
            dispatcher.utter_message(response="utter_appointment_gone", phone=phone)
        return DONE + RESET
