"""Nothing lost when a process dies mid-turn: the message stays claimed under a lease (sealed),
and once the lease ends it is taken up again and answered once; a redelivery by Meta meanwhile
stays a duplicate; after three deaths the patient is told."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from clinic.adapters.storage.tables import whatsapp_inbound
from clinic.domain import texts
from connectors.whatsapp import turn_ran
from devtools.simulator import payloads
from tests.conftest import ROOT
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, TUNING, Harness


async def never() -> None:
    """A turn that never ends: the process dies during it."""
    await asyncio.get_running_loop().create_future()


@pytest.fixture
def dialogue():  # noqa: ANN201
    async def dies(message: Any) -> None:
        await never()

    return dies


async def crash(harness: Harness) -> None:
    """What kill -9 leaves: the turns stop where they are; nothing records an outcome."""
    await asyncio.sleep(0.3)
    for task in list(harness.channel._tasks):
        task.cancel()
    await asyncio.sleep(0.1)


async def answered_by_another_process(harness: Harness) -> list[str]:
    seen: list[str] = []

    async def run_turn(patient_id: str, text: str, message_id: str) -> None:
        seen.append(text)
        await harness.service.send(patient_id, {"text": f"reçu : {text}"})

    await asyncio.sleep(TUNING.inbound_lease.total_seconds() + 0.2)
    await harness.service.recover(run_turn)
    return seen


def rows(harness: Harness) -> list[dict[str, Any]]:
    with harness.database.transaction() as connection:
        return [dict(r) for r in connection.execute(select(whatsapp_inbound)).mappings()]


async def test_a_message_left_by_a_dead_process_is_answered_once(harness: Harness) -> None:
    message = payloads.text_payload(PATIENT, "je voudrais un rdv demain", PHONE_NUMBER_ID)
    await harness.post(message)
    await crash(harness)
    [row] = rows(harness)
    assert row["outcome"] == "received" and row["body"] is not None
    assert PATIENT not in row["body"] and "demain" not in row["body"]  # kept sealed
    await harness.post(message)  # Meta redelivers meanwhile: still a duplicate
    await harness.settle()
    assert await answered_by_another_process(harness) == ["je voudrais un rdv demain"]
    assert [b["text"]["body"] for b in harness.sent("text")] == ["reçu : je voudrais un rdv demain"]
    [row] = rows(harness)
    assert (row["outcome"], row["body"], row["attempts"]) == ("turn", None, 2)
    assert await answered_by_another_process(harness) == []  # once


async def test_after_three_deaths_the_patient_is_told(harness: Harness) -> None:
    await harness.post(payloads.text_payload(PATIENT, "bonjour", PHONE_NUMBER_ID))
    await crash(harness)

    async def dies_again(patient_id: str, text: str, message_id: str) -> None:
        await never()

    for _ in range(2):  # taken up twice, dying each time
        await asyncio.sleep(TUNING.inbound_lease.total_seconds() + 0.2)
        recovering = asyncio.ensure_future(harness.service.recover(dies_again))
        await asyncio.sleep(0.3)
        recovering.cancel()
    await asyncio.sleep(TUNING.inbound_lease.total_seconds() + 0.2)
    assert await harness.service.recover(dies_again) == 1
    [row] = rows(harness)
    assert row["outcome"] == "failed" and row["body"] is None
    assert [b["text"]["body"] for b in harness.sent("text")] == [texts.error("04 78 00 00 00")]


async def test_a_turn_rasa_saved_before_the_process_died_is_not_run_again(
    harness: Harness,
) -> None:
    """Killed after Rasa saved the turn (its answers handed to the outbox) but before the
    outcome was recorded: recovery finds the message in Rasa's tracker and does not answer it
    a second time; a message Rasa never saw is run as before."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = InMemoryTrackerStore(domain)
    saved = payloads.text_payload(PATIENT, "je voudrais un rdv demain", PHONE_NUMBER_ID)
    await harness.post(saved)
    await crash(harness)
    [row] = rows(harness)
    tracker = DialogueStateTracker(harness.service.patient_id(PATIENT), domain.slots)
    # Rasa keeps Meta's id; the table, its digest only
    wamid = saved["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert row["message_id"] == harness.services.keyring.message_key(wamid)
    tracker.update(UserUttered("je voudrais un rdv demain", message_id=wamid))
    await store.save(tracker)  # what Rasa had saved
    seen: list[str] = []

    async def run_turn(patient_id: str, text: str, message_id: str) -> None:
        seen.append(text)

    await asyncio.sleep(TUNING.inbound_lease.total_seconds() + 0.2)
    assert await harness.service.recover(run_turn, partial(turn_ran, store)) == 1
    assert seen == [] and harness.sent("text") == []
    assert rows(harness)[0]["outcome"] == "turn"
    await harness.post(payloads.text_payload(PATIENT, "plutôt vendredi", PHONE_NUMBER_ID))
    await crash(harness)
    await asyncio.sleep(TUNING.inbound_lease.total_seconds() + 0.2)
    assert await harness.service.recover(run_turn, partial(turn_ran, store)) == 1
    assert seen == ["plutôt vendredi"]


async def test_a_message_stored_under_a_key_rotated_since_is_answered_once(
    harness: Harness,
) -> None:
    """`clinic keys rotate` while a message was being handled: its row holds the digest of
    Meta's id under the old key. Recovery reads the id back from the sealed body, puts the row
    under the current key, answers once, and records the outcome where lookups find it."""
    from sqlalchemy import update

    from clinic.adapters.whatsapp.identity import Keyring

    message = payloads.text_payload(PATIENT, "je voudrais un rdv demain", PHONE_NUMBER_ID)
    wamid = message["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await harness.post(message)
    await crash(harness)
    old_key = Keyring(b"the key before the rotation").message_key(wamid)
    with harness.database.transaction() as connection:
        connection.execute(update(whatsapp_inbound).values(message_id=old_key))
    assert await answered_by_another_process(harness) == ["je voudrais un rdv demain"]
    [row] = rows(harness)
    current = harness.services.keyring.message_key(wamid)
    assert (row["message_id"], row["outcome"], row["body"]) == (current, "turn", None)
    assert await answered_by_another_process(harness) == []  # once
    await harness.post(message)  # and a redelivery now is a duplicate
    await harness.settle()
    assert len(harness.sent("text")) == 1
