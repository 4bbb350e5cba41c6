"""Meta's message ids (`wamid.…`) are base64 records holding the sender's or recipient's number.
After a patient's whole path through the real webhook (messages and a redelivery, a booking,
its reminder, a staff alert, every status Meta sends back), no column of any table holds a
message id, nor anything that decodes to the patient's number: a database dump gives none back
(decision 42). The ids still do their work: deduplication, statuses, mark-as-read, Rasa's id."""

from __future__ import annotations

import base64
import binascii
import re
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from clinic.adapters.storage.tables import staff_alerts, whatsapp_inbound, whatsapp_outbound
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from clinic.domain.scheduling import SearchWindow
from clinic.services.reminders import ReminderDispatcher
from devtools.simulator import graph as fake_graph
from devtools.simulator import payloads
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, Harness

#: What base64 of a few bytes or more looks like (standard or URL-safe alphabet).
BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def meta_wamid(number: str) -> str:
    """An id as Meta makes them: `wamid.` and the base64 of a record holding the number."""
    record = b"\x1c\x18\x0b" + number.encode() + b"\x15\x02\x00\x12\x18\x14"
    return "wamid." + base64.b64encode(record + uuid.uuid4().hex[:20].upper().encode()).decode()


def decoded(token: str) -> Iterable[bytes]:
    """`token` read as base64 (both alphabets), from each of its first four offsets."""
    for start in range(4):
        part = token[start:].rstrip("=")
        part = part[: len(part) - len(part) % 4 if len(part) % 4 == 1 else len(part)]
        for alphabet in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                yield alphabet(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue


def leaks(values: Iterable[str], number: str) -> list[str]:
    """The values that hold a message id, the number, or base64 that decodes to the number."""
    found = []
    for value in values:
        if "wamid." in value or number in value:
            found.append(value)
        elif any(number.encode() in raw for t in BASE64.findall(value) for raw in decoded(t)):
            found.append(value)
    return found


def every_text(harness: Harness) -> list[str]:
    """Every text value of every column of every table, as the database hands them out, and
    the whole SQLite file as its own dump writes it."""
    values: list[str] = []
    tables = MetaData()
    tables.reflect(harness.database.engine)
    with harness.database.transaction() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                values += [str(value) for value in row if isinstance(value, (str, bytes))]
    url = make_url(harness.services.settings.database_url)
    if url.drivername.startswith("sqlite"):
        with sqlite3.connect(str(url.database)) as connection:
            values += list(connection.iterdump())
    return values


def test_the_detector_finds_a_raw_id_and_the_number_inside_it() -> None:
    wamid = meta_wamid(PATIENT)
    assert leaks([wamid], PATIENT) == [wamid]
    assert leaks([wamid.removeprefix("wamid.")], PATIENT)  # the base64 alone
    assert leaks([f"INSERT INTO t VALUES('{wamid[6:]}')"], PATIENT)  # inside a statement
    assert not leaks(["m-0123456789abcdef0123456789abcdef", "gAAAAABoZ3xQ"], PATIENT)


async def test_no_table_keeps_a_message_id_or_the_number_it_encodes(
    harness: Harness, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake Graph API answers with ids like Meta's (the simulator's own hold no number).
    monkeypatch.setattr(fake_graph, "new_wamid", lambda: meta_wamid(PATIENT))
    services = harness.services
    patient_id = harness.service.patient_id(PATIENT)

    # The patient writes; Meta delivers one message twice.
    sent_ids = [meta_wamid(PATIENT) for _ in range(3)]
    for n, message_id in enumerate(sent_ids):
        body = f"je voudrais un rdv, message {n}"
        await harness.post(
            payloads.text_payload(PATIENT, body, PHONE_NUMBER_ID, message_id=message_id)
        )
    await harness.post(
        payloads.text_payload(PATIENT, "encore", PHONE_NUMBER_ID, message_id=sent_ids[0])
    )
    await harness.settle()
    assert [turn.message_id for turn in harness.turns] == sent_ids  # Rasa's id: Meta's, once each
    assert set(sent_ids) <= set(harness.graph.read)  # marked as read by their own ids

    # A booking, and its reminder sent by the worker the day before.
    now = services.clock.now()
    window = SearchWindow(now + timedelta(days=2), now + timedelta(days=4))
    [slot, *_] = services.booking.search(window, "consultation").slots
    booked = services.booking.book(slot, "consultation", patient_id, "Marie Dupont").appointment
    assert booked is not None
    [reminder] = services.reminders.for_appointment(booked.id)
    worker = ReminderDispatcher(
        services.reminders,
        services.appointments,
        practice,
        FixedClock(reminder.due),
        services.messenger,
    )
    assert await worker.run_once() == 1

    # The conversation goes to staff: a WhatsApp alert.
    services.handoff.pause(patient_id, "handoff")
    await services.alert_dispatcher.run_once()

    # Meta's statuses for everything it accepted, echoing the callbacks.
    accepted = list(harness.graph.accepted)
    assert len(accepted) >= 5  # the answers, the reminder, the alert
    for message in accepted:
        callback = message["body"].get("biz_opaque_callback_data")
        for status in ("sent", "delivered", "read"):
            await harness.post(
                payloads.status_payload(
                    message["wamid"], status, message["to"], PHONE_NUMBER_ID, callback=callback
                )
            )
    await harness.settle()

    # Every status found its row, through the digest.
    with harness.database.transaction() as connection:
        outbound = connection.execute(select(whatsapp_outbound.c.status)).scalars().all()
        alerts = connection.execute(
            select(staff_alerts.c.status, staff_alerts.c.external_id).where(
                staff_alerts.c.channel == "whatsapp"
            )
        ).all()
        inbound = connection.execute(select(whatsapp_inbound.c.message_id)).scalars().all()
    assert outbound and set(outbound) == {"read"}
    assert services.reminders.for_appointment(booked.id)[0].status == "sent"
    assert [status for status, _ in alerts] == ["sent"]
    keys = {services.keyring.message_key(message_id) for message_id in sent_ids}
    assert set(inbound) == keys  # one row per message, by its digest

    # And nothing in the database gives a message id or the number back.
    values = every_text(harness)
    assert any(key in value for value in values for key in keys)  # the dump did read the rows
    assert leaks(values, PATIENT) == []
