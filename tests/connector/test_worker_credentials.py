"""The worker sends with WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID alone: compose and
Kubernetes give it neither the app secret nor the verify token, which only the channel
receiving Meta's webhooks uses (docs/security.md, « Secrets per service »)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from clinic.adapters.settings import Settings, SettingsError
from clinic.app import worker
from clinic.app.wiring import build_services
from tests.connector.conftest import ACCESS_TOKEN, FAST, PATIENT, PHONE_NUMBER_ID, TUNING, Harness


def sending_only(harness: Harness, access_token: str | None = ACCESS_TOKEN) -> Settings:
    """What the worker's container holds: the database, and Meta's sending credentials."""
    return Settings(
        database_url=harness.services.settings.database_url,
        whatsapp_access_token=access_token,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_api_url=harness.services.settings.whatsapp_api_url,
    )


async def test_the_worker_drains_the_outbox_without_the_webhook_secrets(harness: Harness) -> None:
    service = harness.service
    patient_id = service.patient_id(PATIENT)
    now = datetime.now(timezone.utc)
    service.contacts.remember_contact(patient_id, PATIENT, None, now, now)
    harness.graph.script.extend([131016] * FAST.inline_attempts)  # Meta busy: it stays queued
    await service.send(patient_id, {"text": "Votre rendez-vous est confirmé."})
    assert harness.graph.accepted == []

    settings = sending_only(harness)
    assert settings.whatsapp_sends and not settings.whatsapp_enabled
    services = build_services(settings, harness.services.practice, tuning=TUNING)
    try:
        await asyncio.sleep(FAST.max_delay)
        assert await worker.run(services, asyncio.Event(), once=True) == 1
    finally:
        await services.close()
    assert [item["body"]["text"]["body"] for item in harness.graph.accepted] == [
        "Votre rendez-vous est confirmé."
    ]


async def test_a_worker_without_the_access_token_stops_naming_it(harness: Harness) -> None:
    settings = sending_only(harness, access_token=None)
    services = build_services(settings, harness.services.practice, tuning=TUNING)
    try:
        with pytest.raises(SettingsError, match="set WHATSAPP_ACCESS_TOKEN \\("):
            await worker.run(services, asyncio.Event(), once=True)
    finally:
        await services.close()
