"""The patient's side of privacy through the real connector: the notice at first contact (never
before a 15 / 112), the full notice page, the export behind its expiring link."""

from __future__ import annotations

from dataclasses import replace

import aiohttp

from clinic.adapters.storage.audit import Actor
from clinic.domain import safety
from devtools.simulator import payloads
from tests.connector.conftest import PHONE_NUMBER_ID, Harness

NEW = "33655544433"


def texts(harness: Harness, wa_id: str) -> list[str]:
    return [
        a["body"]["text"]["body"]
        for a in harness.graph.accepted
        if a["to"] == wa_id and a["body"]["type"] == "text"
    ]


async def test_a_new_patient_gets_the_notice_once_before_the_first_answer(harness: Harness) -> None:
    for text in ("bonjour", "je voudrais un rdv"):
        await harness.post(payloads.text_payload(NEW, text, PHONE_NUMBER_ID))
        await harness.settle()
    sent = texts(harness, NEW)
    assert sent[0].startswith("ℹ️ Vos messages et vos rendez-vous sont traités par le Cabinet")
    assert "/webhooks/whatsapp/confidentialite" in sent[0] and "90 jours" in sent[0]
    assert sent[1:] == ["reçu : bonjour", "reçu : je voudrais un rdv"]
    patient = harness.service.patient_id(NEW)
    assert harness.services.consents.latest(patient, "notice") == ("shown", "2026-12")


async def test_an_emergency_is_answered_before_any_notice(harness: Harness) -> None:
    await harness.post(payloads.text_payload(NEW, "mon père a fait un malaise", PHONE_NUMBER_ID))
    await harness.settle()
    assert texts(harness, NEW) == [safety.answers.DANGER]  # the numbers, alone, and no turn
    assert harness.turns == []
    await harness.post(payloads.text_payload(NEW, "merci", PHONE_NUMBER_ID))
    await harness.settle()
    assert texts(harness, NEW)[1].startswith("ℹ️")  # shown at the next message


async def test_a_new_version_of_the_notice_is_shown_again(harness: Harness) -> None:
    await harness.post(payloads.text_payload(NEW, "bonjour", PHONE_NUMBER_ID))
    await harness.settle()
    privacy = harness.services.privacy
    practice = privacy.practice
    privacy.practice = replace(
        practice, privacy=replace(practice.privacy, notice_version="2027-03")
    )
    await harness.post(payloads.text_payload(NEW, "re", PHONE_NUMBER_ID))
    await harness.settle()
    assert sum(t.startswith("ℹ️") for t in texts(harness, NEW)) == 2


async def test_the_full_notice_and_the_export_link(harness: Harness) -> None:
    base = harness.url.rsplit("/", 1)[0]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/confidentialite") as page:
            html = await page.text()
            assert page.status == 200 and "Vos droits" in html and "CNIL" in html
        patient = harness.service.patient_id(NEW)
        harness.services.patients.remember(patient, "Odile Marchetti", harness.services.clock.now())
        link = harness.services.privacy.export_link(patient, base.rsplit("/webhooks", 1)[0], "json")
        async with session.get(link) as exported:
            assert exported.status == 200 and exported.headers["Cache-Control"] == "no-store"
            assert (await exported.json())["nom"] == "Odile Marchetti"
        async with session.get(link) as again:  # a link works once
            assert again.status == 404 and "expiré" in await again.text()
        summary_link = harness.services.privacy.export_link(
            patient, base.rsplit("/webhooks", 1)[0], "txt"
        )
        async with session.get(summary_link) as summary:
            assert "Odile Marchetti" in await summary.text()
        async with session.get(link[:-9] + "XXXX.json") as forged:
            assert forged.status == 404
        revoked = harness.services.privacy.export_link(
            patient, base.rsplit("/webhooks", 1)[0], "json"
        )
        harness.services.privacy.erase(patient, Actor("staff", "test"))
        async with session.get(revoked) as gone:  # erased: answers like an expired link
            assert gone.status == 404 and "expiré" in await gone.text()
