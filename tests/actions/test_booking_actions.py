"""The actions over the real core: SQLite, the real Duckling (HTTP on loopback), a fixed clock.

The services are built by the real composition root and handed to each action, so the clock is
fixed and nothing is patched; everything the actions call is the real thing. The form's
validators run through rasa-sdk's `FormValidationAction.run()` with the project's real domain,
as Rasa's action server runs them, and the exact events are asserted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.book import ActionBookAppointment
from actions.booking_form import (
    ActionAskPatientName,
    ActionAskReason,
    ActionAskWhen,
    ExtractSlots,
    ValidateBookingForm,
)
from actions.greeting import ActionGreet, ActionSessionStart
from actions.info import ActionCheckAppointments, ActionOpeningHours
from actions.offer import ActionChooseSlot, ActionOfferSlots
from actions.safety import ActionEmergency, ActionFallback, ActionHandoff
from actions.slots import slot_from_dict
from clinic.app.wiring import Services
from clinic.domain.choice import offer_tag
from tests.conftest import NOW

PATIENT = "p-4f2a9c"
ROOT = Path(__file__).resolve().parents[2]


@cache
def real_domain() -> DomainDict:
    """domain.yml as Rasa sends it to the action server."""
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def tracker(
    text: str = "",
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender: str = PATIENT,
    active_loop: str | None = None,
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
    }
    loop = {"name": active_loop} if active_loop else {}
    return Tracker(sender, slots or {}, message, events or [], False, None, loop, "action_listen")


def asked(text: str) -> Tracker:
    """The patient answers the form's « quand ? » question."""
    return tracker(text, {"requested_slot": "when"})


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


async def validate(
    services: Services, slot: str, value: Any, t: Tracker
) -> tuple[dict[str, Any], list[str], CollectingDispatcher]:
    """Run the form's validation as Rasa does: the candidate value is the last event (and in
    the slots), the form is active; returns the SlotSet events as {slot: value}."""
    form_tracker = Tracker(
        t.sender_id,
        {**t.slots, slot: value},
        t.latest_message,
        [*t.events, {"event": "slot", "timestamp": None, "name": slot, "value": value}],
        False,
        None,
        {"name": "booking_form"},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateBookingForm(services).run(dispatcher, form_tracker, real_domain())
    assert all(e["event"] == "slot" for e in events)
    return {e["name"]: e["value"] for e in events}, responses(dispatcher), dispatcher


async def test_validation_returns_exactly_rasas_slot_events(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    t = Tracker(
        PATIENT,
        {"requested_slot": "when", "when": "jeudi aprem"},
        {"text": "jeudi aprem", "intent": {"name": "inform"}, "entities": []},
        [{"event": "slot", "timestamp": None, "name": "when", "value": "jeudi aprem"}],
        False,
        None,
        {"name": "booking_form"},
        "action_listen",
    )
    events = await ValidateBookingForm(services).run(dispatcher, t, real_domain())
    assert [e["name"] for e in events] == ["when", "search_window"]
    assert events[0] == {
        "event": "slot",
        "timestamp": None,
        "name": "when",
        "value": "jeudi 3 décembre après-midi",
    }
    assert dispatcher.messages == []
    # a slot the form does not own is left alone, as Rasa's own validation does
    t.events.append({"event": "slot", "timestamp": None, "name": "flagged", "value": "x"})
    events = await ValidateBookingForm(services).run(CollectingDispatcher(), t, real_domain())
    assert "flagged" not in [e["name"] for e in events]


async def test_reason_from_synonym_or_free_text(services: Services) -> None:
    assert (await validate(services, "reason", "vaccin", tracker("vaccin")))[0] == {
        "reason": "vaccination"
    }
    result, said, _ = await validate(
        services, "reason", "c'est pour un renouvellement", tracker("c'est pour un renouvellement")
    )
    assert result == {"reason": "ordonnance"} and said == []


async def test_three_misses_explain_then_example_then_human(services: Services) -> None:
    slots: dict[str, Any] = {"requested_slot": "reason"}
    said_each = []
    for attempt in range(3):
        result, said, dispatcher = await validate(services, "reason", "bof", tracker("bof", slots))
        assert result["reason"] is None
        assert result["form_misses"] == {"reason": attempt + 1, "_asked": "reason"}
        slots["form_misses"] = {"reason": attempt + 1}  # the form's question cleared `_asked`
        said_each.append(said)
        if attempt == 0:
            assert "vaccination" in dispatcher.messages[0]["reasons"]
    assert said_each == [["utter_reason_unknown"], ["utter_reason_example"], ["utter_offer_human"]]
    # a good answer clears the count for that slot
    result, _, _ = await validate(services, "reason", "vaccin", tracker("vaccin", slots))
    assert result == {"reason": "vaccination", "form_misses": {}}


async def ask(services: Services, slot: str, slots: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """Run the form's question for `slot`, as the form does after validation."""
    actions = {
        "reason": ActionAskReason,
        "when": ActionAskWhen,
        "patient_name": ActionAskPatientName,
    }
    dispatcher = CollectingDispatcher()
    events = await actions[slot](services).run(dispatcher, tracker("", slots), real_domain())
    return events, responses(dispatcher)


async def test_one_question_per_turn(services: Services) -> None:
    """An explained miss is the question: the form does not ask the slot again in that turn."""
    slots = {"requested_slot": "patient_name"}
    result, said, _ = await validate(services, "patient_name", "???", tracker("???", slots))
    assert said == ["utter_name_invalid"]
    events, said = await ask(services, "patient_name", {**slots, **result})
    assert said == [] and events == [SlotSet("form_misses", {"patient_name": 1})]
    # next turn, nothing explained: the form asks
    assert (await ask(services, "patient_name", {"form_misses": {"patient_name": 1}}))[1] == [
        "utter_ask_patient_name"
    ]
    assert (await ask(services, "when", {}))[1] == ["utter_ask_when"]


@pytest.mark.recette(6)
async def test_an_unreadable_hour_is_asked_about_then_completed(services: Services) -> None:
    """« samedi pas avant le déjeuner »: no guess; « à partir de quelle heure samedi ? », then
    « 11h » completes the wish (Saturday from 11h), not « 11h on any day »."""
    slots: dict[str, Any] = {"requested_slot": "when"}
    wish = "samedi pas avant le déjeuner"
    result, said, _ = await validate(services, "when", wish, tracker(wish, slots))
    assert said == [] and result["when"] is None
    slots["form_misses"] = result["form_misses"]
    _, said = await ask(services, "when", slots)
    dispatcher = CollectingDispatcher()
    await ActionAskWhen(services).run(dispatcher, tracker("", slots), real_domain())
    assert said == ["utter_when_unclear"]
    assert dispatcher.messages[0]["question"] == "à partir de quelle heure samedi 5 décembre"
    result, said, _ = await validate(services, "when", "11h", tracker("11h", slots))
    assert said == []
    assert result["when"] == "samedi 5 décembre"
    assert result["search_window"]["daily_from"] == "11:00:00"
    assert result["search_window"]["start"].startswith("2026-12-05")
    assert result["form_misses"] == {}


async def test_the_reason_is_read_wherever_it_sits_whoever_it_is_for(services: Services) -> None:
    text = "Bonjour, un rendez-vous pour mon fils de 4 ans pour un vaccin jeudi matin"
    extracted = await ExtractSlots(services).run(
        CollectingDispatcher(), tracker(text, intent="book_appointment"), real_domain()
    )
    assert extracted == [SlotSet("reason", "vaccination"), SlotSet("when", text)]
    # the model tagged « de » (from « de 4 ans »): the patient's words win
    result, said, _ = await validate(services, "reason", "de", tracker(text))
    assert result == {"reason": "vaccination"} and said == []
    # a generic phrase does not hide the specific reason
    text = "je voudrais voir le médecin pour un certificat de sport"
    result, _, _ = await validate(services, "reason", "consultation", tracker(text))
    assert result == {"reason": "certificat"}
    # a name is not read as a reason, nor a cancellation
    for t in (
        tracker("Paul Visite", {"requested_slot": "patient_name"}),
        tracker("j'annule mon vaccin", intent="cancel_appointment"),
    ):
        events = await ExtractSlots(services).run(CollectingDispatcher(), t, {})
        assert [e for e in events if e["name"] == "reason"] == []


async def test_when_is_understood_with_slang(services: Services) -> None:
    result, said, _ = await validate(services, "when", None, asked("jeudi aprem"))
    assert said == []
    assert result["when"] == "jeudi 3 décembre après-midi"
    assert result["search_window"]["daily_from"] == "14:00:00"  # after lunch: reopens at 14h


@pytest.mark.recette(23, 24)
async def test_when_on_a_closed_day_says_so_and_looks_at_the_nearest(services: Services) -> None:
    result, said, dispatcher = await validate(services, "when", None, asked("dimanche"))
    assert said == ["utter_when_closed"]
    assert dispatcher.messages[0]["closed"] == "le dimanche"
    assert dispatcher.messages[0]["alternative"] == "lundi 7 décembre"
    assert result["when"] == "lundi 7 décembre"
    _, said, dispatcher = await validate(services, "when", None, asked("le 25 décembre"))
    assert dispatcher.messages[0]["closed"] == "vendredi 25 décembre (Noël)"


async def test_when_not_understood_is_a_miss(services: Services) -> None:
    result, said, _ = await validate(services, "when", "euh", asked("euh"))
    assert said == ["utter_when_unknown"]
    assert result == {"when": None, "form_misses": {"when": 1, "_asked": "when"}}


async def test_a_date_from_an_earlier_message_is_asked_again_silently(services: Services) -> None:
    result, said, _ = await validate(
        services, "when", "2026-12-03T00:00:00.000+01:00", tracker("un rdv svp")
    )
    assert result == {"when": None} and said == []


async def test_name_is_cleaned_or_refused(services: Services) -> None:
    result, _, _ = await validate(services, "patient_name", "je m'appelle marie dupont", tracker())
    assert result == {"patient_name": "Marie Dupont"}
    result, said, _ = await validate(services, "patient_name", "06 12 34 56 78", tracker())
    assert result["patient_name"] is None and said == ["utter_name_invalid"]


async def offered(
    services: Services, text: str = "", window_text: str = "jeudi aprem"
) -> tuple[dict[str, Any], CollectingDispatcher]:
    result, _, _ = await validate(services, "when", None, asked(window_text))
    slots = {
        "reason": "ordonnance",
        "search_window": result["search_window"],
        "patient_name": "Marie Dupont",
    }
    dispatcher = CollectingDispatcher()
    events = await ActionOfferSlots(services).run(
        dispatcher, tracker(text, slots, intent="book_appointment"), {}
    )
    for event in events:
        slots[event["name"]] = event["value"]
    return slots, dispatcher


@pytest.mark.recette(7)
async def test_offer_shows_three_slots_as_buttons(services: Services) -> None:
    slots, dispatcher = await offered(services)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_offer_slots"
    titles = [b["title"] for b in message["buttons"]]
    assert len(titles) == 4 and titles[-1] == "Autres créneaux"
    assert all(len(t) <= 20 for t in titles)
    assert all(t.startswith("Jeu. 3 déc.") for t in titles[:3])
    tag = offer_tag([slot_from_dict(s) for s in slots["offered_slots"]])  # bound to this list
    assert message["buttons"][0]["payload"] == f'/choose_slot{{"slot_choice": "1@{tag}"}}'
    assert len(slots["offered_slots"]) == 3
    assert message["window"] == "jeudi 3 décembre après-midi"
    # « l'après-midi » starts after lunch: 14h here, never 12h (a morning slot)
    assert message["slots"].startswith("1. jeudi 3 décembre à 14h – Dr Claire Martin\n2.")


async def test_more_slots_excludes_what_was_shown(services: Services) -> None:
    slots, _ = await offered(services)
    first = {s["start"] for s in slots["offered_slots"]}
    dispatcher = CollectingDispatcher()
    events = await ActionOfferSlots(services).run(
        dispatcher, tracker("autres créneaux", slots, intent="more_slots"), {}
    )
    again = {s["start"] for s in events[0]["value"]}
    assert again and not again & first


async def test_a_correction_after_the_offer_changes_the_window(services: Services) -> None:
    slots, _ = await offered(services)
    dispatcher = CollectingDispatcher()
    t = tracker("non plutôt vendredi matin", slots, entities=[{"entity": "time", "value": "x"}])
    events = await ActionOfferSlots(services).run(dispatcher, t, {})
    assert dispatcher.messages[0]["window"] == "vendredi 4 décembre matin"
    assert any(e["name"] == "when" and e["value"] == "vendredi 4 décembre matin" for e in events)


@pytest.mark.recette(9)
async def test_a_new_reason_at_the_recap_offers_slots_for_it(services: Services) -> None:
    """« non, en fait c'est pour mes résultats » at the recap: the reason changes, slots are
    offered again for its duration (20 min, not 15), and the next recap shows it."""
    slots, _ = await offered(services)  # « ordonnance »
    dispatcher = CollectingDispatcher()
    await ActionChooseSlot(services).run(
        dispatcher, tracker("le premier", {**slots, "slot_choice": "1"}), {}
    )
    assert dispatcher.messages[0]["reason"] == "Renouvellement d'ordonnance"
    dispatcher = CollectingDispatcher()
    t = tracker("non, en fait c'est pour mes résultats d'analyses", slots, intent="inform")
    events = {
        e["name"]: e["value"] for e in await ActionOfferSlots(services).run(dispatcher, t, {})
    }
    assert events["reason"] == "suivi"
    assert responses(dispatcher) == ["utter_offer_slots"]
    durations = {
        datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"])
        for s in events["offered_slots"]
    }
    assert durations == {timedelta(minutes=20)}
    slots = {**slots, **events, "slot_choice": "1"}
    dispatcher = CollectingDispatcher()
    await ActionChooseSlot(services).run(dispatcher, tracker("le premier", slots), {})
    assert dispatcher.messages[0]["reason"] == "Suivi / résultats d'examens"


async def test_choose_by_button_or_words_then_recap(services: Services) -> None:
    slots, _ = await offered(services)
    dispatcher = CollectingDispatcher()
    events = await ActionChooseSlot(services).run(
        dispatcher, tracker("/choose_slot", {**slots, "slot_choice": "2"}), {}
    )
    assert events[0]["value"] == slots["offered_slots"][1]
    recap = dispatcher.messages[0]
    assert recap["response"] == "utter_recap" and recap["patient_name"] == "Marie Dupont"
    assert recap["reason"] == "Renouvellement d'ordonnance"
    dispatcher = CollectingDispatcher()
    events = await ActionChooseSlot(services).run(dispatcher, tracker("le dernier svp", slots), {})
    assert events[0]["value"] == slots["offered_slots"][-1]
    dispatcher = CollectingDispatcher()
    events = await ActionChooseSlot(services).run(dispatcher, tracker("le septième", slots), {})
    assert responses(dispatcher) == ["utter_ask_which_slot"]


async def test_book_stores_the_appointment_and_the_name(services: Services) -> None:
    slots, _ = await offered(services)
    slots["chosen_slot"] = slots["offered_slots"][0]
    dispatcher = CollectingDispatcher()
    events = await ActionBookAppointment(services).run(
        dispatcher, tracker("je confirme", slots, intent="affirm"), {}
    )
    # booked, its calendar file, then « un rappel la veille ? » (asked once: no answer yet)
    assert responses(dispatcher) == ["utter_booked", None, "utter_ask_reminders"]
    assert "carte Vitale" in dispatcher.messages[0]["instructions"]
    [appointment] = services.appointments.list(patient_id=PATIENT)
    # The calendar file: a document whose signed link serves this appointment's ICS.
    custom = dispatcher.messages[1]["custom"]
    document = custom["document"]
    assert document["filename"] == "rendez-vous.ics"
    assert (
        "12 rue des Tilleuls" in document["caption"]
        or services.practice.address in document["caption"]
    )
    assert document["link"] in custom["fallback"]
    token = document["link"].rsplit("/", 1)[1]
    ics = services.calendar_files.file(token, services.clock.now())
    assert ics is not None and f"UID:{appointment.id}@".encode() in ics
    # …and its reminder is planned for the day before, same time.
    [reminder] = services.reminders.for_appointment(appointment.id)
    assert reminder.status == "pending"
    assert reminder.due == appointment.start - timedelta(days=1)
    assert appointment.start == datetime.fromisoformat(slots["chosen_slot"]["start"])
    assert appointment.status == "booked" and appointment.patient_name == "Marie Dupont"
    assert services.patients.name(PATIENT) == "Marie Dupont"
    assert {e["name"]: e["value"] for e in events}["chosen_slot"] is None
    assert {e["name"]: e["value"] for e in events}["reminders_asked"] is True


async def test_a_slot_taken_meanwhile_gets_fresh_alternatives(services: Services) -> None:
    slots, _ = await offered(services)
    slots["chosen_slot"] = slots["offered_slots"][0]
    other = tracker("je confirme", slots, intent="affirm", sender="someone-else")
    await ActionBookAppointment(services).run(CollectingDispatcher(), other, {})
    dispatcher = CollectingDispatcher()
    events = await ActionBookAppointment(services).run(
        dispatcher, tracker("je confirme", slots, intent="affirm"), {}
    )
    assert responses(dispatcher) == ["utter_slot_taken", "utter_offer_slots"]
    fresh = {e["name"]: e["value"] for e in events}["offered_slots"]
    assert slots["chosen_slot"]["start"] not in {s["start"] for s in fresh}
    assert len(services.appointments.list()) == 1


async def test_returning_patient_is_greeted_by_name_after_the_session_expired(
    services: Services,
) -> None:
    services.patients.remember(PATIENT, "Marie Dupont", NOW)
    events = await ActionSessionStart(services).run(CollectingDispatcher(), tracker(), {})
    assert [e["event"] for e in events] == ["session_started", "slot", "action"]
    assert events[1]["value"] == "Marie Dupont"
    dispatcher = CollectingDispatcher()
    await ActionGreet(services).run(dispatcher, tracker("bonjour", intent="greet"), {})
    assert responses(dispatcher) == ["utter_greet_by_name", "utter_presentation"]
    assert dispatcher.messages[0]["patient_name"] == "Marie Dupont"
    dispatcher = CollectingDispatcher()
    await ActionGreet(services).run(
        dispatcher, tracker("bonjour", intent="greet", sender="new"), {}
    )
    assert responses(dispatcher) == ["utter_greet", "utter_presentation"]


async def test_emergency_answers_first_then_pauses_and_alerts_once(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency(services).run(
        dispatcher, tracker("c'est grave venez vite", intent="emergency"), {}
    )
    assert responses(dispatcher) == ["utter_emergency"]  # the model's emergency, no red flag
    assert events == [{"event": "slot", "timestamp": None, "name": "flagged", "value": "emergency"}]
    await ActionEmergency(services).run(CollectingDispatcher(), tracker(intent="emergency"), {})
    paused = services.handoff.paused(PATIENT)
    assert paused is not None and paused.reason == "emergency"
    assert len(services.alerts.list()) == len(services.practice.staff_alerts)


async def test_a_red_flag_gets_the_core_answer_and_its_category(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency(services).run(
        dispatcher, tracker("je veux en finir avec la vie", intent="emergency"), {}
    )
    [message] = dispatcher.messages
    assert "3114" in message["text"] and events[0]["value"] == "emergency"
    paused = services.handoff.paused(PATIENT)
    assert paused is not None and paused.danger == "suicide"


async def test_emergency_advice_survives_a_database_failure(services: Services) -> None:
    with services.database.transaction() as connection:
        connection.exec_driver_sql("DROP TABLE conversations")
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency(services).run(dispatcher, tracker(intent="emergency"), {})
    assert responses(dispatcher) == ["utter_emergency"]
    assert events[0]["value"] == "emergency"


async def test_accepting_the_offered_human_is_a_fallback_handoff(services: Services) -> None:
    def turn(answer: str) -> list[dict[str, Any]]:
        return [
            {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}},
            {"event": "action", "name": answer},
            {"event": "action", "name": "action_listen"},
        ]

    now = [{"event": "user", "parse_data": {"intent": {"name": "request_human"}}}]
    await ActionHandoff(services).run(
        CollectingDispatcher(),
        tracker(intent="request_human", events=turn("action_fallback") * 2 + now),
        {},
    )
    paused = services.handoff.paused(PATIENT)
    assert paused is not None and paused.reason == "fallback"
    await ActionHandoff(services).run(
        CollectingDispatcher(), tracker(intent="request_human", sender="other", events=now), {}
    )
    other = services.handoff.paused("other")
    assert other is not None and other.reason == "handoff"


async def test_fallback_offers_a_human_after_two_in_a_row(services: Services) -> None:
    def turn(answer: str) -> list[dict[str, Any]]:
        return [
            {"event": "user", "parse_data": {"intent": {"name": "x"}}},
            {"event": "action", "name": "action_extract_slots"},
            {"event": "action", "name": answer},
            {"event": "action", "name": "action_listen"},
        ]

    now = [
        {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "user_featurization"},  # what Rasa logs right after the message
    ]
    history = turn("action_greet") + turn("action_fallback")
    dispatcher = CollectingDispatcher()
    await ActionFallback(services).run(dispatcher, tracker(events=turn("action_greet") + now), {})
    assert responses(dispatcher) == ["utter_ask_rephrase"]
    dispatcher = CollectingDispatcher()
    await ActionFallback(services).run(dispatcher, tracker(events=history + now), {})
    assert responses(dispatcher) == ["utter_offer_human"]
    # understood in between: the count starts again
    dispatcher = CollectingDispatcher()
    events = turn("action_fallback") + turn("utter_goodbye") + now
    await ActionFallback(services).run(dispatcher, tracker(events=events), {})
    assert responses(dispatcher) == ["utter_ask_rephrase"]


@pytest.mark.recette(8)
async def test_more_slots_never_repeats_and_moves_on(services: Services) -> None:
    slots, _ = await offered(services)
    seen = {s["start"] for s in slots["offered_slots"]}
    for _ in range(3):
        dispatcher = CollectingDispatcher()
        t = tracker("autres créneaux", slots, intent="more_slots")
        for event in await ActionOfferSlots(services).run(dispatcher, t, {}):
            slots[event["name"]] = event["value"]
        new = {s["start"] for s in slots["offered_slots"]}
        assert new and not new & seen
        seen |= new
    assert set(slots["shown_slots"]) == seen


async def test_a_time_not_offered_is_looked_for_on_the_same_day(services: Services) -> None:
    slots, _ = await offered(services)  # Thursday afternoon: 14h, 15h, 16h
    dispatcher = CollectingDispatcher()
    events = await ActionChooseSlot(services).run(dispatcher, tracker("celui de 17h30", slots), {})
    assert responses(dispatcher) == ["utter_offer_slots_exact"]  # « 17h30 est libre »
    assert dispatcher.messages[0]["hour"] == "17h30"
    starts = [s["start"] for s in {e["name"]: e["value"] for e in events}["offered_slots"]]
    assert starts[0] == "2026-12-03T17:30:00+01:00"  # the wished time first
    assert all(s.startswith("2026-12-03T1") for s in starts)  # still Thursday afternoon


async def test_confirming_without_a_choice_asks_which(services: Services) -> None:
    slots, _ = await offered(services)
    dispatcher = CollectingDispatcher()
    await ActionBookAppointment(services).run(
        dispatcher, tracker("oui", slots, intent="affirm"), {}
    )
    assert responses(dispatcher) == ["utter_ask_which_slot"]
    assert services.appointments.list() == []


async def test_opening_hours_come_from_the_practice_file(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    await ActionOpeningHours(services).run(dispatcher, tracker(), {})
    hours = dispatcher.messages[0]["hours"].splitlines()
    assert hours[0] == "lundi : 8h30-12h30, 14h-19h"
    assert hours[6] == "dimanche : fermé"


async def test_check_lists_only_the_patients_own_appointments(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    await ActionCheckAppointments(services).run(dispatcher, tracker(), {})
    assert responses(dispatcher) == ["utter_no_appointment"]
    slots, _ = await offered(services)
    slots["chosen_slot"] = slots["offered_slots"][0]
    await ActionBookAppointment(services).run(CollectingDispatcher(), tracker("oui", slots), {})
    dispatcher = CollectingDispatcher()
    await ActionCheckAppointments(services).run(dispatcher, tracker(), {})
    assert dispatcher.messages[0]["appointments"] == "• jeudi 3 décembre à 14h – Dr Claire Martin"
    dispatcher = CollectingDispatcher()
    await ActionCheckAppointments(services).run(dispatcher, tracker(sender="stranger"), {})
    assert responses(dispatcher) == ["utter_no_appointment"]


async def test_a_wish_duckling_misses_still_fills_when(services: Services) -> None:
    extract = ExtractSlots(services)
    events = await extract.run(
        CollectingDispatcher(), tracker("un vaccin le plus tôt possible"), {}
    )
    assert events == [
        SlotSet("reason", "vaccination"),
        SlotSet("when", "un vaccin le plus tôt possible"),
    ]
    assert await extract.run(CollectingDispatcher(), tracker("Marie Dupont"), {}) == []
    assert await extract.run(CollectingDispatcher(), tracker("/affirm"), {}) == []
    # a slot one of the domain's own mappings filled from this message is left to it
    filled = tracker("jeudi aprem", events=[{"event": "user"}, SlotSet("when", "jeudi")])
    assert await extract.run(CollectingDispatcher(), filled, {}) == []
    # then the form's validator reads it, without asking again
    result, said, _ = await validate(
        services,
        "when",
        "un vaccin le plus tôt possible",
        tracker("un vaccin le plus tôt possible"),
    )
    assert said == [] and result["when"] == "à partir d'aujourd'hui"


async def test_an_unusual_name_the_model_took_for_a_question_is_still_the_name(
    services: Services,
) -> None:
    """Asked « à quel nom ? », « Zéphyrine Quillebœuf » read as `bot_challenge` is the name;
    the question itself, a farewell or a real interruption is not."""
    extract = ExtractSlots(services)

    async def named(text: str, intent: str) -> list[dict[str, Any]]:
        asked = tracker(
            text, {"requested_slot": "patient_name"}, intent=intent, active_loop="booking_form"
        )
        return [
            e
            for e in await extract.run(CollectingDispatcher(), asked, {})
            if e["name"] == "patient_name"
        ]

    assert await named("Zéphyrine Quillebœuf", "bot_challenge") == [
        SlotSet("patient_name", "Zéphyrine Quillebœuf")
    ]
    assert await named("je m'appelle zéphyrine quillebœuf", "ask_address") == [
        SlotSet("patient_name", "Zéphyrine Quillebœuf")
    ]
    assert await named("Odile Vasseur", "leave_waitlist") == [
        SlotSet("patient_name", "Odile Vasseur")
    ]
    for text, intent in (
        ("t'es un robot ?", "bot_challenge"),
        ("Vrai humain", "bot_challenge"),
        ("au revoir", "goodbye"),
        ("bonne journée", "goodbye"),
        ("vos horaires", "ask_opening_hours"),
        ("liste d'attente", "join_waitlist"),
        ("en cas de désistement", "join_waitlist"),
        ("retirez-moi de l'attente", "leave_waitlist"),
        ("plus besoin", "leave_waitlist"),
        ("Zéphyrine Quillebœuf", "request_human"),  # a real interruption always interrupts
        ("Zéphyrine Quillebœuf", "emergency"),
        ("/bot_challenge", "bot_challenge"),
    ):
        assert await named(text, intent) == [], text
    # only when the form asks for the name
    outside = tracker("Zéphyrine Quillebœuf", intent="bot_challenge")
    assert await extract.run(CollectingDispatcher(), outside, {}) == []


async def test_past_and_beyond_the_horizon_are_said_with_the_nearest_day(
    services: Services,
) -> None:
    _, said, dispatcher = await validate(services, "when", None, asked("en mars"))
    assert said == ["utter_when_beyond_horizon"]
    assert dispatcher.messages[0]["limit"] == "vendredi 29 janvier 2027"
    assert dispatcher.messages[0]["alternative"].startswith(("jeudi 28", "vendredi 29"))
    result, said, dispatcher = await validate(services, "when", None, asked("hier"))
    assert said == ["utter_when_past"] and dispatcher.messages[0]["alternative"] == "aujourd'hui"
    assert result["when"] == "aujourd'hui"


async def test_duckling_down_the_time_is_still_read_in_process(services: Services) -> None:
    from clinic.adapters.duckling.client import DucklingClient

    services.duckling.url = "http://127.0.0.1:9/parse"  # nothing listens on the discard port
    assert isinstance(services.duckling, DucklingClient)
    result, said, _ = await validate(services, "when", None, asked("demain à 10h"))
    assert result["when"] == "demain vers 10h" and "utter_when_unknown" not in said  # understood
    # and if even the in-process parser is off, a clear question, never a crash
    services.duckling.fallback = False
    result, said, _ = await validate(services, "when", None, asked("demain"))
    assert result["when"] is None and said == ["utter_when_unknown"]


async def test_a_button_from_an_older_offer_is_refused_not_read_against_the_new_one(
    services: Services,
) -> None:
    """« 2 » of Thursday's list must not book the 2nd slot of Friday's list."""
    slots, first = await offered(services)
    old_button = first.messages[0]["buttons"][1]["payload"]  # « 2 » of the first offer
    old_choice = json.loads(old_button.removeprefix("/choose_slot"))["slot_choice"]
    dispatcher = CollectingDispatcher()
    t = tracker("non plutôt vendredi matin", slots, entities=[{"entity": "time", "value": "x"}])
    for event in await ActionOfferSlots(services).run(dispatcher, t, {}):
        slots[event["name"]] = event["value"]
    new_button = dispatcher.messages[0]["buttons"][1]["payload"]
    new_choice = json.loads(new_button.removeprefix("/choose_slot"))["slot_choice"]
    assert new_choice != old_choice
    dispatcher = CollectingDispatcher()
    events = await ActionChooseSlot(services).run(
        dispatcher, tracker("/choose_slot", {**slots, "slot_choice": old_choice}), {}
    )
    assert responses(dispatcher) == ["utter_stale_choice"]
    assert events == [{"event": "slot", "timestamp": None, "name": "slot_choice", "value": None}]
    # the current offer's own button still chooses
    events = await ActionChooseSlot(services).run(
        CollectingDispatcher(), tracker("/choose_slot", {**slots, "slot_choice": new_choice}), {}
    )
    assert events[0]["value"] == slots["offered_slots"][1]


async def test_one_turn_asks_duckling_once(services: Services) -> None:
    """The slot extraction and the form's validator read the same message in one turn: one
    parse (counted where the client times each real one)."""

    def parses() -> float:
        return REGISTRY.get_sample_value("clinic_duckling_request_seconds_count") or 0.0

    text = "un vaccin jeudi aprem"
    before = parses()
    extracted = await ExtractSlots(services).run(
        CollectingDispatcher(), tracker(text, intent="book_appointment"), {}
    )
    assert SlotSet("when", text) in extracted
    result, said, _ = await validate(services, "when", text, tracker(text))
    assert said == [] and result["search_window"] is not None
    assert parses() - before == 1
