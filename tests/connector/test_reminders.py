"""Reminders: due times, and each reminder reaching the patient exactly once, against the fake
Graph API, with Meta's status webhooks posted to the real connector."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.domain.appointments import Appointment
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice, ReminderRules, TimeRange
from clinic.services.reminders import ReminderDispatcher, ReminderRepository, due_time
from devtools.simulator import payloads
from tests.connector.conftest import PHONE_NUMBER_ID, Harness, wait_for, worker_process

PARIS = ZoneInfo("Europe/Paris")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# --- due times ----------------------------------------------------------------------------------


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (local(2026, 12, 3, 14, 0), local(2026, 12, 2, 14, 0)),
        # the day after the spring change: 9h00 the day before, only 23 h earlier
        (local(2027, 3, 29, 9, 0), local(2027, 3, 28, 9, 0)),
        # the day after the autumn change: 9h00 the day before, 25 h earlier
        (local(2027, 11, 1, 9, 0), local(2027, 10, 31, 9, 0)),
        # due at 21h30 (quiet hours from 21h): the same evening at 20h55
        (local(2026, 12, 3, 21, 30), local(2026, 12, 2, 20, 55)),
    ],
)
def test_24h_before_is_the_same_time_the_day_before(
    practice: Practice, start: datetime, due: datetime
) -> None:
    assert due_time(start, timedelta(hours=24), practice) == due


def test_a_reminder_due_at_night_goes_out_the_evening_before(practice: Practice) -> None:
    early = replace(
        practice,
        reminders=ReminderRules(
            send_hours=TimeRange(*[datetime.min.time().replace(hour=h) for h in (8, 21)])
        ),
    )
    # 2 h before 8h30 is 6h30, inside quiet hours: the previous evening at 20h55
    assert due_time(local(2026, 12, 3, 8, 30), timedelta(hours=2), early) == local(
        2026, 12, 2, 20, 55
    )


def test_a_booking_made_less_than_24h_ahead_gets_no_reminder(
    practice: Practice, harness: Harness
) -> None:
    now = local(2026, 12, 2, 16, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 10, 0), now)
    [reminder] = reminder_repository(harness, practice).schedule(appointment, now)
    assert (reminder.status, reminder.note) == ("skipped", "booked after due time")


# --- helpers ----------------------------------------------------------------------------------------

COUNTER = iter(range(10**6))


def book(
    harness: Harness, practice: Practice, start: datetime, now: datetime, wa_id: str | None = None
) -> Appointment:
    """An appointment for a patient whose WhatsApp number is known (they wrote once)."""
    n = next(COUNTER)
    wa_id = wa_id or f"3361{n:07d}"
    patient_id = harness.service.patient_id(wa_id)
    harness.service.contacts.remember_contact(patient_id, wa_id, None, now - timedelta(days=3), now)
    appointment = Appointment(
        id=f"{n:032x}",
        patient_id=patient_id,
        patient_name="Marie Dupont",
        practitioner_id="dr-martin",
        reason_id="ordonnance",
        start=start,
        end=start + timedelta(minutes=15),
    )
    return AppointmentRepository(harness.database, harness.services.sealer).add(appointment, now)


def reminder_repository(harness: Harness, practice: Practice) -> ReminderRepository:
    """The reminders' table as the composition root wires it (Meta's ids kept as digests)."""
    return ReminderRepository(
        harness.database, practice, message_key=harness.services.keyring.message_key
    )


def dispatcher(harness: Harness, practice: Practice, clock: FixedClock) -> ReminderDispatcher:
    """The worker's dispatcher as the composition root wires it, on a clock the test moves."""
    services = harness.services
    return ReminderDispatcher(
        reminder_repository(harness, practice),
        services.appointments,
        practice,
        clock,
        services.messenger,
    )


def templates(harness: Harness) -> list[dict]:
    return [a["body"] for a in harness.graph.accepted if a["body"]["type"] == "template"]


def status(harness: Harness, reminder_id: int, which: str = "delivered"):  # noqa: ANN201
    """Meta's status webhook for the message it accepted for `reminder_id`."""
    [accepted] = [
        a
        for a in harness.graph.accepted
        if a["body"].get("biz_opaque_callback_data") == f"reminder:{reminder_id}"
    ]
    return payloads.status_payload(
        accepted["wamid"],
        which,
        accepted["to"],
        PHONE_NUMBER_ID,
        callback=f"reminder:{reminder_id}",
    )


# --- sending ------------------------------------------------------------------------------------------


async def test_a_due_reminder_is_sent_once_as_the_approved_template(
    practice: Practice, harness: Harness
) -> None:
    booked_at = local(2026, 11, 30, 10, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 14, 0), booked_at)
    repository = reminder_repository(harness, practice)
    [reminder] = repository.schedule(appointment, booked_at)
    clock = FixedClock(local(2026, 12, 2, 13, 59))
    worker = dispatcher(harness, practice, clock)
    assert await worker.run_once() == 0  # not due yet
    clock.set(local(2026, 12, 2, 14, 0))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    [body] = templates(harness)
    template = body["template"]
    assert (template["name"], template["language"]) == ("rappel_rdv", {"code": "fr"})
    params = [p["text"] for p in template["components"][0]["parameters"]]
    assert params == ["Marie", "jeudi 3 décembre à 14h"]
    text = str(body).lower()
    assert "ordonnance" not in text and "martin" not in text  # no health data, no practitioner
    replies = [c["parameters"][0]["payload"] for c in template["components"][1:]]
    keyring = harness.service.keyring
    assert [keyring.open_choice(appointment.patient_id, r) for r in replies] == [
        f'/{intent}{{"appointment_id": "{appointment.id}"}}'
        for intent in ("confirm_appointment", "cancel_appointment", "reschedule_appointment")
    ]
    assert body["biz_opaque_callback_data"] == f"reminder:{reminder.id}"
    [after] = repository.for_appointment(appointment.id)
    assert after.status == "sent"


async def test_a_timeout_after_meta_accepted_is_settled_by_the_status_webhook(
    practice: Practice, harness: Harness
) -> None:
    now = local(2026, 12, 2, 14, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 14, 0), now - timedelta(days=2))
    repository = reminder_repository(harness, practice)
    [reminder] = repository.schedule(appointment, now - timedelta(days=2))
    harness.graph.script.append("accept-hang")
    harness.graph.hang_seconds = 2  # longer than the client's timeout: Meta has it, we don't know
    clock = FixedClock(now)
    worker = dispatcher(harness, practice, clock)
    assert await worker.run_once() == 1
    assert repository.for_appointment(appointment.id)[0].status == "sending"
    await harness.post(status(harness, reminder.id, "sent"))
    await harness.settle()
    assert repository.for_appointment(appointment.id)[0].status == "sent"
    clock.advance(timedelta(minutes=10))  # the lease is long gone: still nothing to send
    assert await worker.run_once() == 0
    assert len(templates(harness)) == 1


async def test_a_reminder_meta_accepts_then_fails_is_failed_not_sent(
    practice: Practice, harness: Harness
) -> None:
    """Meta answers 200, then reports the message failed (131026: undeliverable)."""
    now = local(2026, 12, 2, 14, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 14, 0), now - timedelta(days=2))
    repository = reminder_repository(harness, practice)
    [reminder] = repository.schedule(appointment, now - timedelta(days=2))
    assert await dispatcher(harness, practice, FixedClock(now)).run_once() == 1
    assert repository.for_appointment(appointment.id)[0].status == "sent"
    [accepted] = harness.graph.accepted
    failed = payloads.status_payload(
        accepted["wamid"],
        "failed",
        accepted["to"],
        PHONE_NUMBER_ID,
        errors=[{"code": 131026, "title": "Message undeliverable"}],
        callback=f"reminder:{reminder.id}",
    )
    await harness.post(failed)
    await harness.settle()
    [after] = repository.for_appointment(appointment.id)
    assert (after.status, after.note) == ("failed", "code 131026")
    assert [r.id for r in repository.list(status="failed")] == [reminder.id]


async def test_a_request_meta_never_got_is_sent_again_after_the_lease(
    practice: Practice, harness: Harness
) -> None:
    now = local(2026, 12, 2, 14, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 14, 0), now - timedelta(days=2))
    repository = reminder_repository(harness, practice)
    repository.schedule(appointment, now - timedelta(days=2))
    harness.graph.script.append("hang")
    harness.graph.hang_seconds = 2
    clock = FixedClock(now)
    worker = dispatcher(harness, practice, clock)
    await worker.run_once()
    assert templates(harness) == []
    clock.advance(timedelta(minutes=1))
    assert await worker.run_once() == 0  # still within the lease: Meta might answer
    clock.advance(timedelta(minutes=2))
    assert await worker.run_once() == 1
    assert len(templates(harness)) == 1
    assert repository.for_appointment(appointment.id)[0].status == "sent"


async def test_retryable_errors_retry_later_permanent_ones_fail(
    practice: Practice, harness: Harness
) -> None:
    now = local(2026, 12, 2, 14, 0)
    first = book(harness, practice, local(2026, 12, 3, 14, 0), now - timedelta(days=2))
    second = book(harness, practice, local(2026, 12, 3, 15, 0), now - timedelta(days=2))
    repository = reminder_repository(harness, practice)
    for appointment in (first, second):
        repository.schedule(appointment, now - timedelta(days=2))
        # bring both due now
    clock = FixedClock(local(2026, 12, 2, 15, 0))
    harness.graph.script.extend([130429, 131026])
    worker = dispatcher(harness, practice, clock)
    assert await worker.run_once() == 2
    states = {a.id: repository.for_appointment(a.id)[0] for a in (first, second)}
    assert states[first.id].status == "pending" and states[first.id].due > clock.now()
    assert (states[second.id].status, states[second.id].note) == (
        "failed",
        "code 131026: Message undeliverable",
    )
    clock.advance(timedelta(minutes=5))
    assert await worker.run_once() == 1
    assert repository.for_appointment(first.id)[0].status == "sent"


async def test_cancelling_cancels_the_reminder_even_during_the_send(
    practice: Practice, harness: Harness
) -> None:
    now = local(2026, 12, 2, 14, 0)
    before = book(harness, practice, local(2026, 12, 3, 14, 0), now - timedelta(days=2))
    during = book(harness, practice, local(2026, 12, 3, 15, 0), now - timedelta(days=2))
    repository = reminder_repository(harness, practice)
    appointments = AppointmentRepository(harness.database, harness.services.sealer)
    for appointment in (before, during):
        repository.schedule(appointment, now - timedelta(days=2))
    appointments.cancel(before.id, now)
    repository.cancel(before.id, now)
    clock = FixedClock(local(2026, 12, 2, 15, 0))
    worker = dispatcher(harness, practice, clock)
    harness.graph.script.append("accept-hang")
    harness.graph.hang_seconds = 0.3  # answers, but only after the cancellation below

    async def cancel_soon() -> None:
        while not harness.graph.accepted:
            await asyncio.sleep(0.01)
        appointments.cancel(during.id, clock.now())
        repository.cancel(during.id, clock.now())

    await asyncio.gather(worker.run_once(), cancel_soon())
    assert repository.for_appointment(before.id)[0].status == "cancelled"
    assert repository.for_appointment(during.id)[0].status == "cancelled"
    # The one already in flight went out once; the cancelled-before one never did.
    assert [b["biz_opaque_callback_data"] for b in templates(harness)] == [
        f"reminder:{repository.for_appointment(during.id)[0].id}"
    ]
    assert await worker.run_once() == 0


async def test_missed_while_down_sent_if_still_ahead_skipped_if_not(
    practice: Practice, harness: Harness
) -> None:
    booked_at = local(2026, 11, 20, 10, 0)
    ahead = book(harness, practice, local(2026, 12, 3, 16, 0), booked_at)
    past = book(harness, practice, local(2026, 12, 3, 9, 0), booked_at)
    repository = reminder_repository(harness, practice)
    for appointment in (ahead, past):
        repository.schedule(appointment, booked_at)
    # Everything was down from the 1st to the 3rd at 10h00.
    worker = dispatcher(harness, practice, FixedClock(local(2026, 12, 3, 10, 0)))
    assert await worker.run_once() == 2
    assert repository.for_appointment(ahead.id)[0].status == "sent"
    skipped = repository.for_appointment(past.id)[0]
    assert (skipped.status, skipped.note) == ("skipped", "appointment already started")
    assert len(templates(harness)) == 1


async def test_a_clock_jump_back_sends_nothing_twice(practice: Practice, harness: Harness) -> None:
    booked_at = local(2026, 11, 20, 10, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 16, 0), booked_at)
    reminder_repository(harness, practice).schedule(appointment, booked_at)
    clock = FixedClock(local(2026, 12, 2, 16, 0))
    worker = dispatcher(harness, practice, clock)
    assert await worker.run_once() == 1
    clock.set(local(2026, 12, 2, 10, 0))  # NTP steps the clock back
    assert await worker.run_once() == 0
    clock.set(local(2026, 12, 5, 10, 0))  # and far forward
    assert await worker.run_once() == 0
    assert len(templates(harness)) == 1


async def test_moving_an_appointment_moves_its_reminder(
    practice: Practice, harness: Harness
) -> None:
    booked_at = local(2026, 11, 20, 10, 0)
    appointment = book(harness, practice, local(2026, 12, 3, 16, 0), booked_at)
    repository = reminder_repository(harness, practice)
    [first] = repository.schedule(appointment, booked_at)
    moved = replace(appointment, start=local(2026, 12, 10, 9, 0), end=local(2026, 12, 10, 9, 15))
    [second] = repository.schedule(moved, booked_at + timedelta(hours=1))
    assert second.id == first.id and second.due == local(2026, 12, 9, 9, 0)
    assert second.status == "pending"


# --- several workers, kill -9 ------------------------------------------------------------------------


def due_now(harness: Harness, practice: Practice, count: int) -> ReminderRepository:
    """`count` appointments tomorrow whose reminders are due now (real time: workers run apart)."""
    now = datetime.now(timezone.utc)
    repository = reminder_repository(harness, practice)
    tomorrow = now + timedelta(days=1)
    base = tomorrow.replace(minute=tomorrow.minute // 5 * 5, second=0, microsecond=0)
    for i in range(count):
        appointment = book(
            harness, practice, base + timedelta(minutes=15 * i), now - timedelta(days=2)
        )
        repository.schedule(appointment, now - timedelta(days=2))
    from sqlalchemy import update

    from clinic.adapters.storage.tables import reminders

    with harness.database.transaction() as connection:
        connection.execute(
            update(reminders).values(due_at=now - timedelta(minutes=1), status="pending")
        )
    return repository


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_workers_racing_over_1000_due_reminders_send_each_once(
    practice: Practice, harness: Harness
) -> None:
    repository = due_now(harness, practice, 1000)
    workers = [worker_process(harness), worker_process(harness)]
    try:
        await wait_for(lambda: len(templates(harness)) >= 1000, 180, workers)
        await asyncio.sleep(1.5)  # anything extra would show now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    sent = Counter(b["biz_opaque_callback_data"] for b in templates(harness))
    assert len(sent) == 1000 and set(sent.values()) == {1}
    assert Counter(r.status for r in repository.list()) == {"sent": 1000}


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    practice: Practice, harness: Harness
) -> None:
    repository = due_now(harness, practice, 60)
    harness.graph.script.extend(["ok"] * 25 + ["accept-hang"])
    harness.graph.hang_seconds = 60
    worker = worker_process(harness)
    try:
        await wait_for(lambda: len(templates(harness)) >= 26, 60, [worker])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    in_flight = [r for r in repository.list() if r.status == "sending"]
    assert len(in_flight) == 1
    # Meta had accepted it: its status webhook arrives and settles the row.
    await harness.post(status(harness, in_flight[0].id, "sent"))
    await harness.settle()
    restarted = worker_process(harness)
    try:
        await wait_for(lambda: all(r.status == "sent" for r in repository.list()), 60, [restarted])
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    sent = Counter(b["biz_opaque_callback_data"] for b in templates(harness))
    assert len(sent) == 60 and set(sent.values()) == {1}
