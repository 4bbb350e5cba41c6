"""A dialogue that fails mid-turn: Meta still gets its 200, the patient gets an apology."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.domain import texts
from devtools.simulator import payloads
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, Harness


@pytest.fixture
def dialogue():  # noqa: ANN201
    async def explode(message: Any) -> None:
        raise RuntimeError("action server unreachable")

    return explode


async def test_an_error_inside_a_turn_gets_an_apology_not_a_500(harness: Harness) -> None:
    status, _ = await harness.post(payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID))
    assert status == 200
    await harness.settle()
    [apology] = [body["text"]["body"] for body in harness.sent("text")]
    assert apology == texts.error("04 78 00 00 00")
    assert "04 78 00 00 00" in apology
    assert list(harness.service.inbound.inbound_outcomes().values()) == ["failed"]
