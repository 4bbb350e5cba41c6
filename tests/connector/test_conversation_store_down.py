"""Rasa's tracker store unreachable during a turn (connectors/tracker_store.py raises
ConversationStoreDown past Rasa's fail-safe): no answer from an empty conversation, no apology;
the message stays claimed and is answered once, after its lease, when the database is back."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage

from clinic.simulator import payloads
from connectors.tracker_store import ConversationStoreDown
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, TUNING, Dialogue, Harness, echo
from tests.connector.test_database_outage import rows

DOWN = {"now": True}


@pytest.fixture
def dialogue() -> Dialogue:
    async def store_down_first(message: UserMessage) -> None:
        if DOWN["now"]:
            raise ConversationStoreDown("OperationalError")
        await echo(message)

    return store_down_first


async def test_a_turn_without_its_conversation_is_deferred_then_answered_once(
    harness: Harness,
) -> None:
    DOWN["now"] = True
    await harness.post(payloads.text_payload(PATIENT, "et pour jeudi ?", PHONE_NUMBER_ID))
    await harness.settle()
    [row] = rows(harness)
    assert row["outcome"] == "received" and row["body"] is not None  # kept, leased
    assert harness.sent("text") == []  # neither a guess nor an apology
    DOWN["now"] = False  # the database is back
    assert harness.channel.run_turn is not None
    await asyncio.sleep(TUNING.inbound_lease.total_seconds() + 0.2)
    assert await harness.service.recover(harness.channel.run_turn) == 1
    await harness.settle()
    assert [b["text"]["body"] for b in harness.sent("text")] == ["reçu : et pour jeudi ?"]
    [row] = rows(harness)
    assert (row["outcome"], row["attempts"]) == ("turn", 2)
