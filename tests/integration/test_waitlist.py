"""The waiting list on SQLite and PostgreSQL: two patients wait, a slot frees, the first is
offered it and holds it, then the next; acceptance books or moves, once; a stale offer says so.

The composition root's real services (booking, outbox, contacts) on a real database, with the
fixed clock of the tests (Monday 30 November 2026, 8h00, Paris).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from clinic.app.wiring import Services
from clinic.domain.clock import FixedClock
from clinic.domain.scheduling import SearchWindow, Slot
from clinic.domain.statuses import ACTIVE
from clinic.services.report import build
from tests.conftest import PARIS

THURSDAY = datetime(2026, 12, 3, tzinfo=PARIS)
MORNING = SearchWindow(THURSDAY, THURSDAY + timedelta(days=1), daily_to=time(12, 0))
ANNA, BRUNO, CARLA = "p-anna", "p-bruno", "p-carla"


def fill_thursday_morning(services: Services) -> list[str]:
    """Dr Benali's Thursday morning (9h-12h30) fully booked by other patients; their ids."""
    ids = []
    start = THURSDAY.replace(hour=9)
    while start < THURSDAY.replace(hour=12, minute=30):
        slot = Slot(start, start + timedelta(minutes=15), "dr-benali")
        outcome = services.booking.book(slot, "vaccination", f"other-{start:%H%M}", "Autre")
        assert outcome.status == "booked"
        ids.append(outcome.appointment.id)  # type: ignore[union-attr]
        start += timedelta(minutes=15)
    return ids


def reachable(services: Services, clock: FixedClock, *patients: str, window: bool = True) -> None:
    """The patients wrote on WhatsApp: within the 24-hour window, or three days ago."""
    for n, patient in enumerate(patients):
        at = clock.now() - (timedelta(minutes=5) if window else timedelta(days=3))
        services.contacts.remember_contact(patient, f"3361234567{n}", None, at, at)


def offers(services: Services, patient: str) -> list[dict[str, Any]]:
    """What the worker would send this patient (the outbox, bodies opened)."""
    now = services.clock.now()
    claimed = services.outbox.claim_due(now, timedelta(minutes=1))
    for row in claimed:  # as if sent: the next message to the same patient may go
        services.outbox.accepted(row.id, f"wamid.{row.id}", 1, now)
    return [o.body for o in claimed if o.patient_id == patient and o.body is not None]


def hold_of(body: dict[str, Any]) -> int:
    """The hold id in the offer's « Je le prends » payload (signed: the payload is inside)."""
    text = json.dumps(body)
    marker = '/accept_offer{\\"hold\\": \\"'
    start = text.index(marker) + len(marker)
    return int(text[start : text.index('\\"', start)])


@pytest.fixture
def waiting(services: Services, clock: FixedClock) -> list[str]:
    """Thursday morning is full; Anna, then Bruno, ask to be told if a slot frees."""
    booked = fill_thursday_morning(services)
    reachable(services, clock, ANNA, BRUNO, CARLA)
    assert services.waitlist.join(ANNA, "vaccination", MORNING, "dr-benali") is not None
    clock.advance(timedelta(minutes=1))
    assert services.waitlist.join(BRUNO, "vaccination", MORNING, "dr-benali") is not None
    assert services.waitlist.sweep() == 0  # nothing freed yet
    return booked


@pytest.mark.recette(31)
def test_a_freed_slot_goes_to_the_first_who_asked_then_to_the_next(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    services.booking.cancel(waiting[4])  # 10h00 frees
    assert services.waitlist.sweep() == 1
    [anna_offer] = offers(services, ANNA)
    assert offers(services, BRUNO) == []
    text = json.dumps(anna_offer, ensure_ascii=False)
    assert "jeudi 3 décembre à 10h avec Dr Karim Benali" in text and "jusqu'à 8h31" in text
    assert anna_offer["type"] == "interactive"  # inside the window: free text with buttons
    # held: nobody else is shown it, nor can book it
    window = SearchWindow(THURSDAY, THURSDAY + timedelta(days=1))
    assert services.booking.search(window, "vaccination", "dr-benali").slots == []
    slot = Slot(THURSDAY.replace(hour=10), THURSDAY.replace(hour=10, minute=15), "dr-benali")
    assert services.booking.book(slot, "vaccination", CARLA, "Carla").status == "taken"
    # Anna does not answer: after 30 minutes Bruno gets it, and Anna's late tap is stale
    clock.advance(timedelta(minutes=31))
    assert services.waitlist.sweep() == 1
    [bruno_offer] = offers(services, BRUNO)
    assert services.waitlist.accept(ANNA, hold_of(anna_offer)).status == "taken"
    accepted = services.waitlist.accept(BRUNO, hold_of(bruno_offer))
    assert accepted.status == "booked" and accepted.appointment is not None
    assert accepted.appointment.start == slot.start
    assert services.waitlist.waiting(BRUNO) == []  # his wish ended with the booking
    assert [w.patient_id for w in services.waitlist.waiting(ANNA)] == [ANNA]
    # a double tap answers the same booking, and nothing more is offered to anyone
    assert services.waitlist.accept(BRUNO, hold_of(bruno_offer)).status == "booked"
    assert services.waitlist.sweep() == 0
    # the pilot report: two offers, one filled, 1 minute after Bruno's offer (the fixed clock)
    day = clock.now().astimezone(PARIS).date()
    figures = build(services.database, services.practice, services.sealer, day, day)
    assert figures.waiting_list == {
        "offers": 2,
        "accepted": 1,
        "declined": 0,
        "expired": 1,
        "stale": 0,
        "fill_rate": 0.5,
        "median_fill_minutes": 0.0,
    }


def test_outside_the_window_the_offer_is_the_template_without_the_reason(
    services: Services, clock: FixedClock
) -> None:
    booked = fill_thursday_morning(services)
    reachable(services, clock, ANNA, window=False)
    services.waitlist.join(ANNA, "vaccination", MORNING, "dr-benali")
    services.booking.cancel(booked[0])
    assert services.waitlist.sweep() == 1
    [body] = offers(services, ANNA)
    assert body["type"] == "template" and body["template"]["name"] == "creneau_libere"
    values = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    assert values == ["jeudi 3 décembre à 9h", "8h30"]
    assert "accin" not in json.dumps(body) and "Benali" not in json.dumps(body)


def test_declining_passes_the_slot_on_at_once_and_the_wish_keeps_waiting(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    services.booking.cancel(waiting[0])
    services.waitlist.sweep()
    [anna_offer] = offers(services, ANNA)
    assert services.waitlist.decline(ANNA, hold_of(anna_offer))
    assert services.waitlist.sweep() == 1
    assert len(offers(services, BRUNO)) == 1
    services.booking.cancel(waiting[1])  # another one frees: Anna again, not the refused one
    assert services.waitlist.sweep() == 1
    [again] = offers(services, ANNA)
    assert "à 9h15" in json.dumps(again, ensure_ascii=False)


@pytest.mark.recette(32)
def test_accepting_moves_the_later_appointment_and_frees_it_for_the_next(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    """Anna holds Friday 16h; an earlier Thursday slot frees: accepting moves her booking (one
    transaction), and her Friday slot is offered in turn to whoever waits for it."""
    friday = Slot(
        datetime(2026, 12, 4, 16, 0, tzinfo=PARIS),
        datetime(2026, 12, 4, 16, 15, tzinfo=PARIS),
        "dr-benali",
    )
    later = services.booking.book(friday, "vaccination", ANNA, "Anna").appointment
    assert later is not None
    friday_window = SearchWindow(friday.start.replace(hour=0), friday.start.replace(hour=23))
    services.waitlist.join(CARLA, "vaccination", friday_window, "dr-benali")
    services.booking.cancel(waiting[2])
    services.waitlist.sweep()
    [anna_offer] = offers(services, ANNA)
    moved = services.waitlist.accept(ANNA, hold_of(anna_offer))
    assert moved.status == "moved" and moved.appointment is not None
    assert moved.appointment.id == later.id
    assert moved.appointment.start == THURSDAY.replace(hour=9, minute=30)
    assert [a.start for a in services.booking.upcoming(ANNA)] == [moved.appointment.start]
    services.waitlist.sweep()
    [carla_offer] = offers(services, CARLA)
    assert "vendredi 4 décembre à 16h" in json.dumps(carla_offer, ensure_ascii=False)


def test_no_offer_at_night_and_none_past_the_wish(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    clock.set(datetime(2026, 11, 30, 22, 30, tzinfo=PARIS))
    services.booking.cancel(waiting[0])
    assert services.waitlist.sweep() == 0  # after 21h: it waits for the morning
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=PARIS))
    assert services.waitlist.sweep() == 1
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=PARIS))  # Thursday is over
    services.waitlist.sweep()
    assert services.waitlist.waiting(ANNA) == services.waitlist.waiting(BRUNO) == []


def test_plus_besoin_ends_the_wish_and_its_hold(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    services.booking.cancel(waiting[0])
    services.waitlist.sweep()
    assert services.waitlist.leave(ANNA) == 1
    assert services.waitlist.waiting(ANNA) == []
    assert services.waitlist.sweep() == 1  # the slot goes to Bruno at once
    assert len(offers(services, BRUNO)) == 1


def test_concurrent_taps_and_bookings_leave_one_appointment_for_the_holder(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    """Bruno taps « Je le prends » on two phones while ten other patients try to book the same
    slot directly: one appointment, his."""
    services.booking.cancel(waiting[0])
    services.waitlist.sweep()
    [anna_offer] = offers(services, ANNA)
    hold = hold_of(anna_offer)
    slot = Slot(THURSDAY.replace(hour=9), THURSDAY.replace(hour=9, minute=15), "dr-benali")
    barrier = threading.Barrier(12)
    results: list[str] = []
    lock = threading.Lock()

    def accept() -> None:
        barrier.wait()
        status = services.waitlist.accept(ANNA, hold).status
        with lock:
            results.append(f"anna:{status}")

    def book(n: int) -> None:
        barrier.wait()
        status = services.booking.book(slot, "vaccination", f"walk-in-{n}", "X").status
        with lock:
            results.append(f"other:{status}")

    threads = [threading.Thread(target=accept) for _ in range(2)]
    threads += [threading.Thread(target=book, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(results) == {"anna:booked": 2, "other:taken": 10}
    held = [
        a
        for a in services.appointments.list(start=slot.start, statuses=ACTIVE)
        if a.start == slot.start
    ]
    assert [a.patient_id for a in held] == [ANNA]


def test_the_list_is_off_unless_the_practice_turns_it_on(
    services: Services, clock: FixedClock
) -> None:
    from dataclasses import replace

    off = replace(services.practice.waiting_list, enabled=False)
    services.waitlist.practice = replace(services.practice, waiting_list=off)
    assert services.waitlist.join(ANNA, "vaccination", MORNING) is None
    assert services.waitlist.sweep() == 0


def test_after_the_practices_number_of_no_shows_a_booking_waits_for_staff(
    services: Services, clock: FixedClock
) -> None:
    """practice.yml `no_shows.confirm_after: 1`: a patient who missed one appointment books as
    `pending` (staff confirm it in the console); off by default."""
    from dataclasses import replace

    monday = datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)
    missed = services.booking.book(
        Slot(monday, monday + timedelta(minutes=15), "dr-martin"), "vaccination", ANNA, "Anna"
    ).appointment
    assert missed is not None
    clock.set(monday + timedelta(hours=1))
    services.appointments.mark(missed.id, "no_show", clock.now())
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=PARIS)
    slot = Slot(friday, friday + timedelta(minutes=15), "dr-martin")
    assert services.practice.no_shows.confirm_after == 0
    policy = replace(services.practice.no_shows, confirm_after=1)
    services.booking.practice = replace(services.practice, no_shows=policy)
    assert services.booking.book(slot, "vaccination", ANNA, "Anna").status == "pending"
    other = Slot(friday + timedelta(hours=1), friday + timedelta(hours=1, minutes=15), "dr-martin")
    assert services.booking.book(other, "vaccination", BRUNO, "Bruno").status == "booked"


def test_a_slot_within_the_minimum_notice_is_not_offered_and_a_booking_ends_the_wish(
    services: Services, clock: FixedClock
) -> None:
    """At 8h00 with 2 hours' notice, 9h00 freed today is not offered, 11h00 is. A patient who
    books what they waited for themselves stops waiting."""
    today = datetime(2026, 11, 30, tzinfo=PARIS)
    nine, eleven = (
        Slot(today.replace(hour=h), today.replace(hour=h, minute=15), "dr-benali") for h in (9, 11)
    )
    now = clock.now()
    clock.set(now - timedelta(days=1))  # booked the day before
    held = [
        services.booking.book(s, "vaccination", f"o-{s.start.hour}", "O") for s in (nine, eleven)
    ]
    clock.set(now)
    reachable(services, clock, ANNA, BRUNO)
    whole_day = SearchWindow(today, today + timedelta(days=1))
    assert services.booking.search(whole_day, "vaccination", "dr-benali").slots  # not full: fine
    services.waitlist.join(ANNA, "vaccination", whole_day, "dr-benali")
    services.booking.cancel(held[0].appointment.id)  # type: ignore[union-attr]
    assert services.waitlist.sweep() == 0  # 9h00 is within the 2 hours' notice
    services.booking.cancel(held[1].appointment.id)  # type: ignore[union-attr]
    assert services.waitlist.sweep() == 1
    assert "à 11h" in json.dumps(offers(services, ANNA), ensure_ascii=False)
    # Bruno waits for Friday, then books Friday himself: his wish ends at the next pass
    friday = datetime(2026, 12, 4, tzinfo=PARIS)
    services.waitlist.join(BRUNO, "vaccination", SearchWindow(friday, friday + timedelta(days=1)))
    slot = services.booking.search(
        SearchWindow(friday, friday + timedelta(days=1)), "vaccination", "dr-martin"
    ).slots[0]
    assert services.booking.book(slot, "vaccination", BRUNO, "Bruno").status == "booked"
    services.waitlist.sweep()
    assert services.waitlist.waiting(BRUNO) == []


def test_a_slot_is_offered_only_if_it_can_still_be_taken_when_the_hold_ends(
    services: Services, clock: FixedClock
) -> None:
    """At 8h00, with 2 hours' notice and a 30-minute hold: 10h15 freed is not offered (it could
    not be booked at 8h29), 10h30 is, and taking it at 8h29 books it."""
    today = datetime(2026, 11, 30, tzinfo=PARIS)
    now = clock.now()
    clock.set(now - timedelta(days=1))
    held = {
        m: services.booking.book(
            Slot(
                today.replace(hour=10, minute=m), today.replace(hour=10, minute=m + 15), "dr-benali"
            ),
            "vaccination",
            f"o-{m}",
            "O",
        ).appointment
        for m in (15, 30)
    }
    clock.set(now)
    reachable(services, clock, ANNA)
    services.waitlist.join(
        ANNA, "vaccination", SearchWindow(today, today + timedelta(days=1)), "dr-benali"
    )
    services.booking.cancel(held[15].id)  # type: ignore[union-attr]
    assert services.waitlist.sweep() == 0
    services.booking.cancel(held[30].id)  # type: ignore[union-attr]
    assert services.waitlist.sweep() == 1
    [offer] = offers(services, ANNA)
    clock.advance(timedelta(minutes=29))
    taken = services.waitlist.accept(ANNA, hold_of(offer))
    assert taken.status == "booked" and taken.appointment is not None
    assert taken.appointment.start == today.replace(hour=10, minute=30)


def test_a_patient_never_ends_with_two_appointments_for_one_need(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    """Bruno holds a later vaccination with Dr Martin and waits for Dr Benali's Thursday: taking
    the freed slot books it and cancels the later one. A wish made while moving an appointment
    moves that one, even to a later day."""
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=PARIS)
    later = services.booking.book(
        Slot(friday, friday + timedelta(minutes=15), "dr-martin"), "vaccination", BRUNO, "Bruno"
    ).appointment
    assert later is not None
    services.waitlist.leave(ANNA)
    services.booking.cancel(waiting[0])
    services.waitlist.sweep()
    [bruno_offer] = offers(services, BRUNO)
    taken = services.waitlist.accept(BRUNO, hold_of(bruno_offer))
    assert taken.status == "moved"
    assert [(a.start, a.practitioner_id) for a in services.booking.upcoming(BRUNO)] == [
        (THURSDAY.replace(hour=9), "dr-benali")
    ]
    # Carla holds Tuesday 14h with Dr Benali, moving it to Thursday morning (full): she waits
    tuesday = datetime(2026, 12, 1, 14, 0, tzinfo=PARIS)
    moving = services.booking.book(
        Slot(tuesday, tuesday + timedelta(minutes=15), "dr-benali"), "vaccination", CARLA, "C"
    ).appointment
    assert moving is not None
    services.waitlist.join(CARLA, "vaccination", MORNING, "dr-benali", replaces=moving.id)
    services.booking.cancel(waiting[1])
    services.waitlist.sweep()
    [carla_offer] = offers(services, CARLA)
    moved = services.waitlist.accept(CARLA, hold_of(carla_offer))
    assert moved.status == "moved" and moved.appointment is not None
    assert moved.appointment.id == moving.id  # the same appointment, now later
    assert [a.start for a in services.booking.upcoming(CARLA)] == [
        THURSDAY.replace(hour=9, minute=15)
    ]


def test_the_patients_data_export_shows_what_they_wait_for(
    services: Services, clock: FixedClock, waiting: list[str]
) -> None:
    """Art. 15: the wish is health data (a reason, a doctor, days); the export says it in French."""
    exported = services.privacy.access.export(ANNA)
    assert exported["liste_attente"] == [
        "Vaccination, jusqu'au jeudi 3 décembre, le matin, avec Dr Karim Benali"
    ]
    assert "Liste d'attente : Vaccination" in services.privacy.access.summary(exported)
    services.waitlist.leave(ANNA)
    assert services.privacy.access.export(ANNA)["liste_attente"] == []
