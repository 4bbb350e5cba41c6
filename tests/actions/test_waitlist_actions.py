"""The waiting list in conversation: asked for after slots that do not suit or a distant booking,
joined with the conversation's wish, left with « plus besoin », and a freed slot's buttons."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from rasa_sdk.executor import CollectingDispatcher

from actions.book import ActionBookAppointment
from actions.info import ActionCheckAppointments
from actions.slots import WAIT_BUTTON, offer, slot_to_dict
from actions.waitlist import (
    ActionAcceptOffer,
    ActionDeclineOffer,
    ActionJoinWaitlist,
    ActionLeaveWaitlist,
)
from clinic.app.wiring import Services
from clinic.domain.scheduling import SearchWindow, Slot
from clinic.domain.timeexpr import window_to_dict
from tests.actions.test_booking_actions import PATIENT, responses, tracker
from tests.conftest import PARIS

THURSDAY = datetime(2026, 12, 3, tzinfo=PARIS)
MORNING = SearchWindow(THURSDAY, THURSDAY + timedelta(days=1), daily_to=time(12, 0))


def wish_slots(practitioner: str | None = "dr-benali") -> dict[str, object]:
    return {
        "reason": "vaccination",
        "search_window": window_to_dict(MORNING),
        "practitioner": practitioner,
    }


async def test_slots_that_do_not_suit_offer_to_wait(services: Services) -> None:
    """The first offer is plain; « autres créneaux » adds « 🔔 Prévenez-moi »."""
    first = CollectingDispatcher()
    events = offer(first, services, MORNING, "vaccination", practitioner_id="dr-benali")
    assert WAIT_BUTTON not in first.messages[0]["buttons"]
    shown = next(e["value"] for e in events if e.get("name") == "shown_slots")
    again = CollectingDispatcher()
    offer(again, services, MORNING, "vaccination", shown=shown, practitioner_id="dr-benali")
    assert WAIT_BUTTON in again.messages[0]["buttons"]


async def test_joining_keeps_the_wish_of_the_conversation(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    asked = tracker("/join_waitlist", wish_slots(), intent="join_waitlist")
    await ActionJoinWaitlist(services).run(dispatcher, asked, {})
    assert responses(dispatcher) == ["utter_waitlist_joined"]
    said = dispatcher.messages[0]
    assert said["wish"] == "Vaccination, jusqu'au jeudi 3 décembre, le matin, avec Dr Karim Benali"
    assert said["hold"] == 30
    [wish] = services.waitlist.waiting(PATIENT)
    assert wish.reason_id == "vaccination" and wish.practitioner_id == "dr-benali"
    listed = CollectingDispatcher()  # « mes rendez-vous » shows the waiting too
    await ActionCheckAppointments(services).run(
        listed, tracker("mes rdv ?", intent="check_appointment"), {}
    )
    assert responses(listed) == ["utter_no_appointment", "utter_your_waiting"]
    assert "Vaccination, jusqu'au jeudi 3 décembre" in listed.messages[1]["wishes"]
    # « plus besoin »: it ends; a second time there is nothing to end
    for expected in ("utter_waitlist_left", "utter_waitlist_none"):
        left = CollectingDispatcher()
        await ActionLeaveWaitlist(services).run(
            left, tracker("plus besoin de la liste", intent="leave_waitlist"), {}
        )
        assert responses(left) == [expected]
    stopped = CollectingDispatcher()
    await ActionLeaveWaitlist(services).run(stopped, tracker("laisse tomber", intent="stop"), {})
    assert responses(stopped) == ["utter_booking_stopped"]


async def test_joining_without_a_wish_asks_for_one(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    typed = tracker("prévenez-moi si un créneau se libère", intent="join_waitlist")
    await ActionJoinWaitlist(services).run(dispatcher, typed, {})
    assert responses(dispatcher) == ["utter_waitlist_needs_wish"]
    assert services.waitlist.waiting(PATIENT) == []


async def test_a_distant_booking_offers_an_earlier_slot_and_the_button_joins(
    services: Services,
) -> None:
    start = datetime(2026, 12, 14, 9, 0, tzinfo=PARIS)  # two weeks ahead
    chosen = slot_to_dict(Slot(start, start + timedelta(minutes=15), "dr-benali"))
    booking = tracker(
        "je confirme",
        {"chosen_slot": chosen, "reason": "vaccination", "patient_name": "Anna Martin"},
        intent="affirm",
    )
    dispatcher = CollectingDispatcher()
    await ActionBookAppointment(services).run(dispatcher, booking, {})
    assert "utter_waitlist_offer_earlier" in responses(dispatcher)
    [asked] = [m for m in dispatcher.messages if m["response"] == "utter_waitlist_offer_earlier"]
    payload = asked["buttons"][0]["payload"]
    [appointment] = services.booking.upcoming(PATIENT)
    assert appointment.id in payload
    joined = CollectingDispatcher()
    tapped = tracker(
        payload,
        intent="join_waitlist",
        entities=[{"entity": "appointment_id", "value": appointment.id}],
    )
    await ActionJoinWaitlist(services).run(joined, tapped, {})
    assert responses(joined) == ["utter_waitlist_joined_earlier"]
    assert joined.messages[0]["day"] == "lundi 14 décembre à 9h"
    [wish] = services.waitlist.waiting(PATIENT)
    assert wish.replaces == appointment.id and wish.until == start


async def test_a_booking_this_week_is_not_asked(services: Services) -> None:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)
    chosen = slot_to_dict(Slot(start, start + timedelta(minutes=15), "dr-benali"))
    booking = tracker(
        "je confirme",
        {"chosen_slot": chosen, "reason": "vaccination", "patient_name": "Anna Martin"},
        intent="affirm",
    )
    dispatcher = CollectingDispatcher()
    await ActionBookAppointment(services).run(dispatcher, booking, {})
    assert "utter_waitlist_offer_earlier" not in responses(dispatcher)


async def test_the_offer_buttons_book_or_say_it_is_gone(services: Services) -> None:
    """A freed slot held for the patient: « Je le prends » books it with the calendar file; the
    same button once the slot is gone says so; an unknown hold is not someone else's."""
    services.contacts.remember_contact(
        PATIENT, "33612345678", None, services.clock.now(), services.clock.now()
    )
    start = THURSDAY.replace(hour=9)
    while start < THURSDAY.replace(hour=12, minute=30):  # Dr Benali's Thursday morning is full
        slot = Slot(start, start + timedelta(minutes=15), "dr-benali")
        services.booking.book(slot, "vaccination", f"other-{start:%H%M}", "Autre")
        start += timedelta(minutes=15)
    services.waitlist.join(PATIENT, "vaccination", MORNING, "dr-benali")
    [first] = services.booking.repository.list(start=THURSDAY, patient_id="other-0900")
    services.booking.cancel(first.id)
    assert services.waitlist.sweep() == 1
    [hold] = services.waitlist.repository.live()

    def tapped(intent: str, hold_id: int) -> object:
        return tracker(
            f'/{intent}{{"hold": "{hold_id}"}}',
            intent=intent,
            entities=[{"entity": "hold", "value": str(hold_id)}],
        )

    unknown = CollectingDispatcher()
    await ActionAcceptOffer(services).run(unknown, tapped("accept_offer", hold.id + 99), {})  # type: ignore[arg-type]
    assert responses(unknown) == ["utter_offer_unknown"]
    took = CollectingDispatcher()
    await ActionAcceptOffer(services).run(took, tapped("accept_offer", hold.id), {})  # type: ignore[arg-type]
    assert responses(took)[0] == "utter_booked"
    assert took.messages[0]["day"] == "jeudi 3 décembre à 9h"
    [booked] = services.booking.upcoming(PATIENT)
    assert booked.start == THURSDAY.replace(hour=9)
    declined = CollectingDispatcher()  # « Non merci » after taking it: nothing is passed on
    await ActionDeclineOffer(services).run(declined, tapped("decline_offer", hold.id), {})  # type: ignore[arg-type]
    assert responses(declined) == ["utter_offer_unknown"]
    assert [a.start for a in services.booking.upcoming(PATIENT)] == [THURSDAY.replace(hour=9)]


async def test_laisse_tomber_keeps_the_waiting_unless_it_says_plus_besoin(
    services: Services,
) -> None:
    services.waitlist.join(PATIENT, "vaccination", MORNING, "dr-benali")
    for text in ("tant pis", "non laissez tomber"):
        said = CollectingDispatcher()
        await ActionLeaveWaitlist(services).run(said, tracker(text, intent="stop"), {})
        assert responses(said) == ["utter_booking_stopped"]
    assert len(services.waitlist.waiting(PATIENT)) == 1
    said = CollectingDispatcher()
    await ActionLeaveWaitlist(services).run(said, tracker("plus besoin merci", intent="stop"), {})
    assert responses(said) == ["utter_waitlist_left"]
    assert services.waitlist.waiting(PATIENT) == []
