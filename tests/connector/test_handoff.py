"""A conversation with staff, through the real WhatsApp connector: paused means no turn and one
acknowledgement, a red flag still gets its turn, « Revenir à l'assistant » works for a
non-urgent request only; staff alerts reach the fake Graph API and a real SMTP server once,
across a timeout, a worker killed with -9, and a held SMTP transaction."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from clinic.adapters.storage.tables import whatsapp_inbound
from clinic.app.wiring import Services, build_services
from clinic.domain import safety
from clinic.domain.clock import FixedClock
from clinic.domain.gate import BACK_TO_ASSISTANT
from clinic.services.alerts import AlertDispatcher
from clinic.services.handoff import ACKNOWLEDGED, RESUMED, STILL_WITH_STAFF
from devtools.simulator import payloads
from tests.connector.conftest import (
    PATIENT,
    PHONE_NUMBER_ID,
    TUNING,
    Harness,
    wait_for,
    worker_process,
)
from tests.smtp import Inbox, smtp_server

STAFF_NUMBER = "33600000001"
STAFF_EMAIL = "equipe@cabinet-tilleuls.test"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as server:
        yield server


def with_smtp(harness: Harness, url: str) -> Services:
    """The worker's services as the composition root builds them with SMTP_URL set."""
    settings = replace(harness.services.settings, smtp_url=url)
    return build_services(settings, harness.services.practice, tuning=TUNING)


async def say(harness: Harness, text: str) -> None:
    await harness.post(payloads.text_payload(PATIENT, text, PHONE_NUMBER_ID))
    await harness.settle()


async def tap(harness: Harness, payload: str, title: str) -> None:
    patient_id = harness.service.patient_id(PATIENT)
    choice = harness.service.keyring.sign_choice(patient_id, payload)
    assert choice is not None
    await harness.post(payloads.reply_payload(PATIENT, choice, title, PHONE_NUMBER_ID))
    await harness.settle()


def texts_sent(harness: Harness) -> list[str]:
    out = []
    for body in harness.sent():
        if body["type"] == "text":
            out.append(body["text"]["body"])
        elif body["type"] == "interactive":
            out.append(body["interactive"]["body"]["text"])
    return out


def outcomes(harness: Harness) -> list[str]:
    with harness.database.transaction() as connection:
        query = select(whatsapp_inbound.c.outcome).order_by(whatsapp_inbound.c.received_at)
        return list(connection.execute(query).scalars())


async def meta_says_sent(harness: Harness, wamid: str, alert_id: int) -> None:
    """Meta's `sent` status for an alert's template, echoing its callback."""
    status = payloads.status_payload(
        wamid, "sent", STAFF_NUMBER, PHONE_NUMBER_ID, callback=f"alert:{alert_id}"
    )
    await harness.post(status)
    await harness.settle()


# --- paused -----------------------------------------------------------------------------------


async def test_a_paused_conversation_is_stored_acknowledged_once_and_gets_no_turn(
    harness: Harness,
) -> None:
    await say(harness, "bonjour")
    patient_id = harness.service.patient_id(PATIENT)
    harness.services.handoff.pause(patient_id, "handoff")
    await say(harness, "je voudrais un rdv demain")
    await say(harness, "vous êtes là ?")
    assert [m.text for m in harness.turns] == ["bonjour"]  # no dialogue turn while paused
    acknowledgement = harness.sent()[-1]
    assert acknowledgement["type"] == "interactive"
    assert ACKNOWLEDGED in acknowledgement["interactive"]["body"]["text"]
    [button] = acknowledgement["interactive"]["action"]["buttons"]
    assert button["reply"]["title"] == "Retour à l'assistant"  # 20 characters: WhatsApp's cap
    assert sum(ACKNOWLEDGED in t for t in texts_sent(harness)) == 1
    assert outcomes(harness) == ["turn", "paused", "paused"]
    lines = harness.services.transcript.lines(patient_id)
    assert [line.text for line in lines if line.author == "patient"] == [
        "bonjour",
        "je voudrais un rdv demain",
        "vous êtes là ?",
    ]


async def test_a_red_flag_while_paused_gets_the_numbers_first_and_becomes_an_emergency(
    harness: Harness,
) -> None:
    patient_id = harness.service.patient_id(PATIENT)
    harness.services.handoff.pause(patient_id, "handoff")
    await say(harness, "ma femme ne respire plus")
    assert texts_sent(harness) == [safety.answers.DANGER]  # no acknowledgement before it
    assert harness.turns == [] and outcomes(harness) == ["emergency"]
    paused = harness.services.handoff.paused(patient_id)
    assert paused is not None and paused.reason == "emergency" and paused.danger == "breathing"


@pytest.mark.recette(30)
async def test_suicidal_words_get_the_3114_and_an_act_under_way_the_15_first(
    harness: Harness,
) -> None:
    await say(harness, "je n'en peux plus, j'ai envie d'en finir")
    [first] = texts_sent(harness)
    assert first == safety.answers.SUICIDE and "3114" in first and "15" in first
    patient_id = harness.service.patient_id(PATIENT)
    paused = harness.services.handoff.paused(patient_id)
    assert paused is not None and paused.reason == "emergency" and paused.danger == "suicide"
    await say(harness, "j'ai pris toute la boîte de somnifères")
    assert texts_sent(harness)[-1] == safety.answers.SUICIDE_IMMEDIATE
    assert harness.turns == []


async def test_a_red_flag_mid_flood_still_gets_the_numbers(harness: Harness) -> None:
    gate = harness.service.gate  # the practice's limit, as practice.yml would set it
    gate.rules = replace(gate.rules, messages_per_minute=2)  # type: ignore[attr-defined]
    for text in ("bonjour", "rdv", "demain ?", "il a avalé des cachets de ma mère"):
        await say(harness, text)
    assert texts_sent(harness)[-1] == safety.answers.DANGER
    assert outcomes(harness)[-2:] == ["throttled", "emergency"]


@pytest.mark.recette(15)
async def test_back_to_the_assistant_for_a_handoff_not_an_emergency(harness: Harness) -> None:
    await say(harness, "bonjour")
    patient_id = harness.service.patient_id(PATIENT)
    handoff = harness.services.handoff
    handoff.pause(patient_id, "handoff")
    await tap(harness, BACK_TO_ASSISTANT, "Revenir à l'assistant")
    assert texts_sent(harness)[-1] == RESUMED
    assert handoff.paused(patient_id) is None
    await say(harness, "je voudrais un rdv demain")
    assert harness.turns[-1].text == "je voudrais un rdv demain"
    handoff.pause(patient_id, "emergency")
    await tap(harness, BACK_TO_ASSISTANT, "Revenir à l'assistant")
    assert texts_sent(harness)[-1] == STILL_WITH_STAFF
    assert handoff.paused(patient_id) is not None
    # typed by hand, the payload is only words: not a way out
    await say(harness, "/back_to_assistant")
    assert handoff.paused(patient_id) is not None


# --- alerts -----------------------------------------------------------------------------------


async def test_alerts_reach_staff_on_whatsapp_and_by_email_once(
    harness: Harness, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    await say(harness, "mon père a fait un malaise")  # the channel pauses it, with its category
    patient_id = harness.service.patient_id(PATIENT)
    harness.services.patients.remember(patient_id, "Marie Dupont", datetime.now(timezone.utc))
    assert not harness.services.handoff.pause(patient_id, "emergency")  # alerted once only
    worker = with_smtp(harness, url)
    try:
        assert await worker.alert_dispatcher.run_once() == 2
        assert await worker.alert_dispatcher.run_once() == 0
    finally:
        await worker.close()
    [template] = [a for a in harness.graph.accepted if a["to"] == STAFF_NUMBER]
    body = template["body"]["template"]
    assert body["name"] == "alerte_equipe"
    parameters = [p["text"] for p in body["components"][0]["parameters"]]
    reference = patient_id[3:11]
    assert parameters == ["urgence signalée : perte de connaissance", reference]
    [mail] = inbox.messages
    assert mail["To"] == STAFF_EMAIL and reference in mail["Subject"]
    assert mail["Message-ID"].startswith("<alert-")
    everything = str(harness.graph.accepted[-1]) + mail.as_string()
    for secret in (PATIENT, "Marie", "Dupont", "malaise"):
        assert secret not in everything  # no number, no name, no symptom
    assert {a.status for a in harness.services.alerts.list()} == {"sent"}


async def test_a_lost_answer_is_settled_by_the_status_webhook_not_resent(
    harness: Harness, smtp: tuple[str, Inbox]
) -> None:
    url, _ = smtp
    patient_id = harness.service.patient_id(PATIENT)
    harness.services.handoff.pause(patient_id, "handoff")
    harness.graph.script.append("accept-hang")
    harness.graph.hang_seconds = 5
    worker = with_smtp(harness, url)
    try:
        await worker.alert_dispatcher.run_once()
        [whatsapp] = [a for a in harness.services.alerts.list() if a.channel == "whatsapp"]
        assert whatsapp.status == "sending"  # Meta may have it: wait for its status
        [accepted] = harness.graph.accepted
        await meta_says_sent(harness, accepted["wamid"], whatsapp.id)
        later = FixedClock(datetime.now(timezone.utc) + timedelta(minutes=5))
        after_lease = AlertDispatcher(
            worker.alerts, worker.alert_dispatcher.channels, worker.practice, later
        )
        assert await after_lease.run_once() == 0
    finally:
        await worker.close()
    assert len(harness.graph.accepted) == 1
    assert {a.status for a in harness.services.alerts.list()} == {"sent"}


async def test_a_held_smtp_transaction_is_sent_once_after_the_lease(
    harness: Harness, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    patient_id = harness.service.patient_id(PATIENT)
    harness.services.handoff.pause(patient_id, "handoff")
    inbox.hang_for.add(STAFF_EMAIL)
    inbox.hang_seconds = 3
    worker = with_smtp(harness, url)  # its SMTP client gives up after 1 s: no DATA was sent
    try:
        await worker.alert_dispatcher.run_once()
        [mail_alert] = [a for a in worker.alerts.list() if a.channel == "email"]
        assert (mail_alert.status, inbox.messages) == ("pending", [])  # retried later
        later = FixedClock(datetime.now(timezone.utc) + timedelta(minutes=10))
        retry = AlertDispatcher(
            worker.alerts, worker.alert_dispatcher.channels, worker.practice, later
        )
        assert await retry.run_once() == 1
        assert await retry.run_once() == 0
    finally:
        await worker.close()
    assert [m["To"] for m in inbox.messages] == [STAFF_EMAIL]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_worker_killed_mid_alert_loses_none_and_sends_none_twice(
    harness: Harness, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    handoff = harness.services.handoff
    for n in range(20):
        handoff.pause(f"wa-{n:024x}", "emergency")
    harness.graph.script.extend(["ok"] * 9 + ["accept-hang"])
    harness.graph.hang_seconds = 60
    worker = worker_process(harness, SMTP_URL=url)
    try:
        await wait_for(lambda: len(harness.graph.accepted) >= 10, 60, [worker])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    in_flight = [a for a in harness.services.alerts.list() if a.status == "sending"]
    assert [a.channel for a in in_flight] == ["whatsapp"]
    # Meta had accepted it: its status webhook arrives and settles the row.
    accepted = harness.graph.accepted[-1]
    await meta_says_sent(harness, accepted["wamid"], in_flight[0].id)
    restarted = worker_process(harness, SMTP_URL=url)
    try:
        await wait_for(
            lambda: all(a.status == "sent" for a in harness.services.alerts.list()), 60, [restarted]
        )
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    callbacks = Counter(a["body"]["biz_opaque_callback_data"] for a in harness.graph.accepted)
    assert len(callbacks) == 20 and set(callbacks.values()) == {1}
    message_ids = Counter(m["Message-ID"] for m in inbox.messages)
    assert len(message_ids) == 20 and set(message_ids.values()) == {1}
