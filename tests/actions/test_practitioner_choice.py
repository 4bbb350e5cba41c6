"""Choosing the practitioner (issue 34), over the real core: « je voudrais voir le docteur
Benali jeudi » offers Dr Benali's slots; when he has none in the window, that is said, his next
slots come first and the others' only behind a button; a reason he does not see is said too."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_form import ExtractSlots
from actions.offer import ActionOfferSlots
from clinic.app.wiring import Services
from clinic.domain.appointments import Appointment
from tests.actions.test_booking_actions import PATIENT, asked, responses, tracker, validate
from tests.conftest import NOW

BENALI, MARTIN = "dr-benali", "dr-martin"


async def offer(
    services: Services,
    window_text: str,
    practitioner: str | None,
    reason: str = "ordonnance",
    more: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], CollectingDispatcher]:
    result, _, _ = await validate(services, "when", None, asked(window_text))
    slots = {
        "reason": reason,
        "search_window": result["search_window"],
        "patient_name": "Marie Dupont",
        "practitioner": practitioner,
        **(more or {}),
    }
    intent = "more_slots" if more else "book_appointment"
    dispatcher = CollectingDispatcher()
    events = await ActionOfferSlots(services).run(dispatcher, tracker("", slots, intent), {})
    for event in events:
        slots[event["name"]] = event["value"]
    return slots, dispatcher


def who(slots: dict[str, Any]) -> set[str]:
    return {s["practitioner"] for s in slots["offered_slots"]}


async def test_the_doctor_named_in_any_message_is_kept_for_the_booking(services: Services) -> None:
    extract = ExtractSlots(services)
    events = await extract.run(
        CollectingDispatcher(), tracker("je voudrais voir le docteur Benali jeudi"), {}
    )
    assert SlotSet("practitioner", BENALI) in events
    events = await extract.run(CollectingDispatcher(), tracker("plutôt avec Dr Martin"), {})
    assert SlotSet("practitioner", MARTIN) in events
    # the patient's own name, typed when asked for it, is not a wish
    named = tracker("Claire Martin", {"requested_slot": "patient_name"})
    assert await extract.run(CollectingDispatcher(), named, {}) == []


async def test_only_the_named_doctors_slots_are_offered_and_each_row_names_him(
    services: Services,
) -> None:
    slots, dispatcher = await offer(services, "jeudi matin", BENALI)
    assert who(slots) == {BENALI}
    [message] = dispatcher.messages
    assert message["response"] == "utter_offer_slots"
    assert message["slots"].count("Dr Karim Benali") == 3
    assert [b.get("description") for b in message["buttons"][:3]] == ["Dr Karim Benali"] * 3
    assert [b["title"] for b in message["buttons"]][-1] == "Autres créneaux"


async def test_nothing_of_his_in_the_window_is_said_with_his_next_slots_then_the_others(
    services: Services,
) -> None:
    # Dr Benali does not work on Thursday afternoons (tests/fixtures/practice.yml)
    slots, dispatcher = await offer(services, "jeudi aprem", BENALI)
    [message] = dispatcher.messages
    assert message["response"] == "utter_practitioner_later"
    assert message["practitioner"] == "Dr Karim Benali"
    assert message["window"] == "jeudi 3 décembre après-midi"
    assert who(slots) == {BENALI}
    thursday_evening = datetime(2026, 12, 3, 19, tzinfo=NOW.tzinfo)
    assert all(
        datetime.fromisoformat(s["start"]) >= thursday_evening for s in slots["offered_slots"]
    )
    other, wait = message["buttons"][-2:]
    assert other == {"title": "Un autre médecin", "payload": '/more_slots{"practitioner": "any"}'}
    assert wait["payload"] == "/join_waitlist"  # his week is full: waiting is offered too
    # tapped: the button's entity sets `practitioner` to `any` (domain.yml), then the others'
    # slots in the patient's own window
    slots, dispatcher = await offer(
        services, "jeudi aprem", "any", more={"shown_slots": slots["shown_slots"]}
    )
    assert responses(dispatcher) == ["utter_offer_slots"]
    assert who(slots) == {MARTIN}
    assert dispatcher.messages[0]["window"] == "jeudi 3 décembre après-midi"


async def test_a_reason_the_doctor_does_not_see_is_said_then_offered_with_those_who_do(
    services: Services,
) -> None:
    slots, dispatcher = await offer(services, "jeudi matin", BENALI, reason="suivi-grossesse")
    assert responses(dispatcher) == ["utter_practitioner_not_for_reason", "utter_offer_slots"]
    assert dispatcher.messages[0]["reason"] == "suivi de grossesse"
    assert who(slots) == {MARTIN} and slots["practitioner"] == "any"


async def test_my_usual_doctor_is_the_one_of_my_last_appointment(services: Services) -> None:
    extract = ExtractSlots(services)
    usual = tracker("avec mon médecin habituel svp")
    assert await extract.run(CollectingDispatcher(), usual, {}) == []  # no appointment yet
    start = (NOW - timedelta(days=20)).replace(hour=10, minute=0)
    services.appointments.add(
        Appointment(
            "a" * 32,
            PATIENT,
            "Marie Dupont",
            BENALI,
            "consultation",
            start,
            start + timedelta(minutes=20),
        ),
        NOW - timedelta(days=30),
    )
    assert SlotSet("practitioner", BENALI) in await extract.run(CollectingDispatcher(), usual, {})
