"""Slow turns through the real connector: a holding answer once the budget is spent, the real
answer after it; a burst answered first come, first served."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest

from clinic.app.wiring import Tuning
from clinic.domain import texts
from devtools.simulator import payloads
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, TUNING, Harness

BUDGET = 0.5  # seconds before « un instant », short here to keep the tests short
SLOW = 1.2  # seconds a turn of the stand-in dialogue takes


@pytest.fixture
def tuning() -> Tuning:
    return dataclasses.replace(TUNING, turn_budget=BUDGET)


@pytest.fixture
def dialogue():  # noqa: ANN201
    async def slow(message: Any) -> None:
        await asyncio.sleep(SLOW)
        await message.output_channel.send_text_message(message.sender_id, f"reçu : {message.text}")

    return slow


def bodies(harness: Harness, wa_id: str) -> list[tuple[float, str]]:
    return [
        (a["at"], a["body"]["text"]["body"])
        for a in harness.graph.accepted
        if a["to"] == wa_id and a["body"]["type"] == "text"
    ]


async def test_a_slow_turn_gets_a_holding_answer_then_the_real_one(harness: Harness) -> None:
    began = time.monotonic()
    await harness.post(payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID))
    await harness.settle()
    said = [text for _, text in bodies(harness, PATIENT)]
    assert said == [texts.holding("04 78 00 00 00"), "reçu : Bonjour"]
    holding_at = bodies(harness, PATIENT)[0][0]
    assert holding_at - began < BUDGET + 0.4  # within the budget, not after the turn
    assert list(harness.service.inbound.inbound_outcomes().values()) == ["turn"]


async def test_a_burst_is_answered_first_come_first_served(harness: Harness) -> None:
    senders = [f"3370000{n:04d}" for n in range(6)]
    began = time.monotonic()
    for wa_id in senders:  # one after the other, as Meta would deliver them
        await harness.post(payloads.text_payload(wa_id, f"message de {wa_id}", PHONE_NUMBER_ID))
    await harness.settle(timeout=30)
    answered = [
        max(at for at, text in bodies(harness, wa_id) if text.startswith("reçu")) - began
        for wa_id in senders
    ]
    # two at a time (TUNING.turns_in_flight): pairs finish at about 1, 2 and 3 × SLOW, in
    # arrival order, so latency grows with the place in the queue (p50 about half the max)
    first, middle, last = answered[:2], answered[2:4], answered[4:]
    assert max(first) < min(middle) and max(middle) < min(last)
    assert max(last) >= 2.5 * SLOW
