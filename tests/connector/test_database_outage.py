"""The database down when Meta delivers: Meta's redelivery is the safer store (decision 30)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from clinic.adapters.storage.tables import whatsapp_inbound
from devtools.simulator import payloads
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, Harness


def rows(harness: Harness) -> list[dict[str, Any]]:
    with harness.database.transaction() as connection:
        return [dict(r) for r in connection.execute(select(whatsapp_inbound)).mappings()]


async def test_a_database_outage_gets_503_and_metas_redelivery_is_answered_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses the claim when Meta delivers (as PostgreSQL does while it
    restarts): no 200, so Meta keeps the message and delivers it again; no turn meanwhile. The
    redelivery, once the database is back, is answered once. (The real restart: bench/cluster.py.)"""
    message = payloads.text_payload(PATIENT, "je voudrais un rdv demain", PHONE_NUMBER_ID)
    claim = harness.service.inbound.claim_inbound

    def refused(*args: Any, **kwargs: Any) -> bool:
        raise OperationalError("INSERT INTO whatsapp_inbound", {}, ConnectionRefusedError())

    monkeypatch.setattr(harness.service.inbound, "claim_inbound", refused)
    status, _ = await harness.post(message)
    await harness.settle()
    assert status == 503
    assert harness.turns == [] and harness.sent() == [] and rows(harness) == []
    monkeypatch.setattr(harness.service.inbound, "claim_inbound", claim)  # the database is back
    status, _ = await harness.post(message)  # Meta's redelivery
    await harness.settle()
    assert status == 200
    assert [t.text for t in harness.turns] == ["je voudrais un rdv demain"]
    [row] = rows(harness)
    assert row["outcome"] == "turn"
    assert (await harness.post(message))[0] == 200  # once more: a duplicate now
    await harness.settle()
    assert len(harness.turns) == 1
