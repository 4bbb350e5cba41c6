"""A store of the dialogue unreachable during a turn: Rasa's tracker store (connectors/
tracker_store.py raises ConversationStoreDown past Rasa's fail-safe) or the Redis of its lock
store. No answer from an empty conversation, no apology: « un instant » at once, the message
stays claimed and is taken up again soon, and answered once when the store is back."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from redis.exceptions import ConnectionError as RedisConnectionError

from clinic.domain import texts
from connectors.tracker_store import ConversationStoreDown
from devtools.simulator import payloads
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, TUNING, Dialogue, Harness, echo
from tests.connector.test_database_outage import rows

DOWN: dict[str, BaseException | None] = {"error": None}


@pytest.fixture
def dialogue() -> Dialogue:
    async def store_down_first(message: UserMessage) -> None:
        if DOWN["error"] is not None:
            raise DOWN["error"]
        await echo(message)

    return store_down_first


@pytest.mark.parametrize(
    "error",
    [
        ConversationStoreDown("OperationalError"),
        RedisConnectionError("Connection refused"),
        LockError("Error while acquiring lock. Error:\nConnection refused."),  # as Rasa wraps it
    ],
    ids=["tracker-store", "redis", "lock-store"],
)
async def test_a_turn_without_its_stores_is_deferred_then_answered_once(
    harness: Harness, error: BaseException
) -> None:
    DOWN["error"] = error
    try:
        await harness.post(payloads.text_payload(PATIENT, "et pour jeudi ?", PHONE_NUMBER_ID))
        await harness.settle()
    finally:
        DOWN["error"] = None  # the store is back
    [row] = rows(harness)
    assert row["outcome"] == "received" and row["body"] is not None  # kept, leased
    holding = texts.holding("04 78 00 00 00")
    assert [b["text"]["body"] for b in harness.sent("text")] == [holding]  # no guess, no apology
    assert harness.channel.run_turn is not None
    assert await harness.service.recover(harness.channel.run_turn) == 0  # not yet
    await asyncio.sleep(TUNING.inbound_lease.total_seconds() / 4 + 0.2)  # soon, not a full lease
    assert await harness.service.recover(harness.channel.run_turn) == 1
    await harness.settle()
    for _ in range(50):  # the resumed turn answers in its own task: wait for it, not a fixed time
        if len(harness.sent("text")) >= 2:
            break
        await asyncio.sleep(0.1)
    assert [b["text"]["body"] for b in harness.sent("text")] == [holding, "reçu : et pour jeudi ?"]
    [row] = rows(harness)
    assert (row["outcome"], row["attempts"]) == ("turn", 2)
