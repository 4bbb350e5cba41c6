"""Sending: the exact JSON posted for each kind of message, Meta's limits, order, retries, the
24-hour window and the outbox surviving a crash. Against the fake Graph API over HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from clinic.adapters.storage.tables import whatsapp_outbound
from clinic.adapters.whatsapp.delivery import Delivery
from clinic.app.wiring import build_services
from clinic.domain.clock import FixedClock
from tests.connector.conftest import (
    FAST,
    PATIENT,
    PHONE_NUMBER_ID,
    TUNING,
    Harness,
    worker_env,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def open_window(harness: Harness, hours_ago: float = 0.0) -> str:
    """The patient wrote `hours_ago` hours ago; returns their pseudonymous id."""
    service = harness.service
    patient_id = service.patient_id(PATIENT)
    at = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    service.contacts.remember_contact(patient_id, PATIENT, None, at, at)
    return patient_id


def rows(harness: Harness) -> list[dict[str, Any]]:
    with harness.database.transaction() as connection:
        query = select(whatsapp_outbound).order_by(whatsapp_outbound.c.id)
        return [dict(r) for r in connection.execute(query).mappings()]


def posted(harness: Harness) -> list[dict[str, Any]]:
    """Bodies of accepted sends, without the envelope every one of them shares."""
    bodies = []
    for item in harness.graph.accepted:
        body = dict(item["body"])
        assert body.pop("messaging_product") == "whatsapp"
        assert body.pop("recipient_type") == "individual"
        assert body.pop("to") == "+" + PATIENT
        bodies.append(body)
    return bodies


# --- the JSON of each kind ------------------------------------------------------------------------


async def test_text(harness: Harness) -> None:
    patient_id = open_window(harness)
    await harness.service.send(patient_id, {"text": "Votre rendez-vous est confirmé."})
    assert posted(harness) == [
        {"type": "text", "text": {"preview_url": False, "body": "Votre rendez-vous est confirmé."}}
    ]
    [request] = harness.graph.requests
    assert request["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages" and request["authorized"]


async def test_long_text_is_split_at_4096_on_a_sentence_boundary(harness: Harness) -> None:
    patient_id = open_window(harness)
    sentence = "Le cabinet est ouvert du lundi au vendredi. "
    text = sentence * 200  # 8,800 characters
    await harness.service.send(patient_id, {"text": text})
    parts = [body["text"]["body"] for body in posted(harness)]
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.endswith("vendredi.") for part in parts)
    assert " ".join(parts) == text.strip()


async def test_up_to_three_buttons_are_reply_buttons_with_signed_ids_and_clean_titles(
    harness: Harness,
) -> None:
    patient_id = open_window(harness)
    buttons = [
        {"title": "Mardi 1er décembre à 10h30", "payload": '/choose_slot{"slot_choice": "1"}'},
        {"title": "Mercredi 9h", "payload": '/choose_slot{"slot_choice": "2"}'},
        {"title": "Autres créneaux", "payload": "/more_slots"},
    ]
    await harness.service.send(patient_id, {"text": "Voici les créneaux :", "buttons": buttons})
    [body] = posted(harness)
    keyring = harness.service.keyring
    assert body == {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Voici les créneaux :"},
            "action": {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {
                            "id": keyring.sign_choice(patient_id, b["payload"]),
                            "title": title,
                        },
                    }
                    for b, title in zip(
                        buttons,
                        ["Mardi 1er décembre…", "Mercredi 9h", "Autres créneaux"],
                        strict=True,
                    )
                ]
            },
        },
    }
    for button, b in zip(body["interactive"]["action"]["buttons"], buttons, strict=True):
        assert keyring.open_choice(patient_id, button["reply"]["id"]) == b["payload"]


async def test_four_to_ten_choices_are_one_list_message(harness: Harness) -> None:
    patient_id = open_window(harness)
    buttons = [
        {"title": f"Jeudi 3 décembre à {h}h00 avec Dr Martin", "payload": f"/p{h}"}
        for h in range(8, 15)
    ]
    await harness.service.send(patient_id, {"text": "Choisissez un créneau :", "buttons": buttons})
    [body] = posted(harness)
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"] == {"text": "Choisissez un créneau :"}
    assert interactive["action"]["button"] == "Voir les choix"
    [section] = interactive["action"]["sections"]
    assert section["title"] == "Choix"
    assert len(section["rows"]) == 7
    first = section["rows"][0]
    assert len(first["title"]) <= 24 and first["title"].endswith("…")
    assert first["description"] == "Jeudi 3 décembre à 8h00 avec Dr Martin"
    assert harness.service.keyring.open_choice(patient_id, first["id"]) == "/p8"


async def test_a_slot_row_names_its_practitioner_on_its_second_line(harness: Harness) -> None:
    patient_id = open_window(harness)
    buttons = [
        {"title": f"Jeu. 10 déc. {h}h30", "description": "Dr Karim Benali", "payload": f"/p{h}"}
        for h in (9, 10, 11)
    ] + [{"title": "Autres créneaux", "payload": "/more_slots"}]
    await harness.service.send(patient_id, {"text": "Voici les créneaux :", "buttons": buttons})
    [body] = posted(harness)
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [(r["title"], r.get("description")) for r in rows] == [
        ("Jeu. 10 déc. 9h30", "Dr Karim Benali"),
        ("Jeu. 10 déc. 10h30", "Dr Karim Benali"),
        ("Jeu. 10 déc. 11h30", "Dr Karim Benali"),
        ("Autres créneaux", None),
    ]


async def test_more_than_ten_choices_are_paginated(harness: Harness) -> None:
    patient_id = open_window(harness)
    buttons = [{"title": f"Option {i}", "payload": f"/o{i}"} for i in range(23)]
    await harness.service.send(patient_id, {"text": "Les motifs :", "buttons": buttons})
    bodies = posted(harness)
    assert [len(b["interactive"]["action"]["sections"][0]["rows"]) for b in bodies] == [10, 10, 3]
    assert [b["interactive"]["body"]["text"] for b in bodies] == [
        "Les motifs :",
        "Suite des choix (2/3)",
        "Suite des choix (3/3)",
    ]


async def test_buttons_under_a_long_text_send_the_text_first(harness: Harness) -> None:
    patient_id = open_window(harness)
    text = "Consignes. " * 120  # 1,320 characters: more than an interactive body holds
    await harness.service.send(
        patient_id, {"text": text, "buttons": [{"title": "OK", "payload": "/affirm"}]}
    )
    first, second = posted(harness)
    assert first["type"] == "text" and first["text"]["body"] == text.strip()
    assert second["interactive"]["body"] == {"text": "Que choisissez-vous ?"}


async def test_template_from_custom_json_is_french_with_signed_quick_replies(
    harness: Harness,
) -> None:
    patient_id = open_window(harness, hours_ago=30)  # outside the window: templates still go
    custom = {
        "template": {
            "name": "rappel_rdv",
            "language": "fr",
            "body": ["Camille", "mardi 1er décembre à 10h30"],
            "quick_replies": ["/confirm_appointment", "/cancel_appointment"],
        }
    }
    await harness.service.send(patient_id, {"custom": custom})
    [body] = posted(harness)
    keyring = harness.service.keyring
    assert body == {
        "type": "template",
        "template": {
            "name": "rappel_rdv",
            "language": {"code": "fr"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Camille"},
                        {"type": "text", "text": "mardi 1er décembre à 10h30"},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [
                        {
                            "type": "payload",
                            "payload": keyring.sign_choice(patient_id, "/confirm_appointment"),
                        }
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "1",
                    "parameters": [
                        {
                            "type": "payload",
                            "payload": keyring.sign_choice(patient_id, "/cancel_appointment"),
                        }
                    ],
                },
            ],
        },
    }


async def test_documents_and_images(harness: Harness) -> None:
    patient_id = open_window(harness)
    link = "https://cabinet.example/ics/abc.ics"
    await harness.service.send(
        patient_id,
        {
            "custom": {
                "document": {"link": link, "filename": "rdv.ics", "caption": "Votre rendez-vous"}
            }
        },
    )
    await harness.service.send(patient_id, {"attachment": {"link": link, "filename": "rdv.ics"}})
    await harness.service.send(patient_id, {"image": "https://cabinet.example/plan.png"})
    assert posted(harness) == [
        {
            "type": "document",
            "document": {"link": link, "filename": "rdv.ics", "caption": "Votre rendez-vous"},
        },
        {"type": "document", "document": {"link": link, "filename": "rdv.ics"}},
        {"type": "image", "image": {"link": "https://cabinet.example/plan.png"}},
    ]


async def test_every_body_the_assistant_builds_is_within_metas_limits(harness: Harness) -> None:
    """The fake Graph API refuses (code 100) any body that breaks a documented limit."""
    patient_id = open_window(harness)
    long_title = "Renouvellement d'ordonnance avec le Dr Marie-Christine Dupont-Lefebvre"
    responses = [
        {"text": "x" * 10_000},
        {"text": "", "buttons": [{"title": long_title, "payload": "/a" * 150}]},
        {"text": "y" * 2000, "buttons": [{"title": "😀" * 30, "payload": "/b"}] * 2},
        {
            "text": "z",
            "buttons": [{"title": long_title + str(i), "payload": f"/c{i}"} for i in range(35)],
        },
    ]
    for response in responses:
        await harness.service.send(patient_id, response)
    answers = [request["answer"] for request in harness.graph.requests]
    assert answers and all(str(answer).startswith("wamid.") for answer in answers)


# --- order --------------------------------------------------------------------------------------------


async def test_messages_to_one_patient_go_out_in_order(harness: Harness) -> None:
    patient_id = open_window(harness)
    await asyncio.gather(
        *(harness.service.send(patient_id, {"text": f"message {i}"}) for i in range(8))
    )
    assert [b["text"]["body"] for b in posted(harness)] == [f"message {i}" for i in range(8)]


async def test_a_message_that_failed_holds_back_the_next_ones_until_the_worker_sends_them(
    harness: Harness,
) -> None:
    patient_id = open_window(harness)
    harness.graph.script.extend([131016] * FAST.inline_attempts)
    await harness.service.send(patient_id, {"text": "un"})
    await harness.service.send(patient_id, {"text": "deux"})
    await harness.service.send(patient_id, {"text": "trois"})
    assert posted(harness) == []
    assert [r["status"] for r in rows(harness)] == ["queued"] * 3
    await asyncio.sleep(FAST.max_delay)
    while await harness.service.drain_outbox():
        pass
    assert [b["text"]["body"] for b in posted(harness)] == ["un", "deux", "trois"]
    assert [r["status"] for r in rows(harness)] == ["accepted"] * 3


# --- retries --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [130429, 131056, 131000, 131016, 4, 2, "hang"])
async def test_retryable_failures_are_retried(harness: Harness, failure: int | str) -> None:
    patient_id = open_window(harness)
    harness.graph.script.extend([failure, failure])
    harness.graph.hang_seconds = 2.0  # longer than the client's 0.5 s timeout
    await harness.service.send(patient_id, {"text": "Bonjour"})
    answers = [request["answer"] for request in harness.graph.requests]
    assert answers[:2] == [failure, failure]
    assert len(answers) == 3 and answers[2].startswith("wamid.")
    [row] = rows(harness)
    assert (row["status"], row["attempts"]) == ("accepted", 3)


async def test_an_http_500_without_a_body_is_retried(harness: Harness) -> None:
    patient_id = open_window(harness)
    harness.graph.script.append(131000)
    await harness.service.send(patient_id, {"text": "Bonjour"})
    assert len(harness.graph.requests) == 2


@pytest.mark.parametrize("code", [131047, 131026, 190, 100])
async def test_permanent_failures_are_not_retried(
    harness: Harness, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    patient_id = open_window(harness)
    harness.graph.script.append(code)
    with caplog.at_level(logging.WARNING):
        await harness.service.send(patient_id, {"text": "Bonjour"})
    assert len(harness.graph.requests) == 1
    [row] = rows(harness)
    assert (row["status"], row["error_code"], row["body"]) == ("failed", code, None)
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert bool(critical) == (code == 190)
    if critical:
        assert "WHATSAPP_ACCESS_TOKEN" in critical[0].getMessage()


async def test_free_text_is_not_attempted_outside_the_24_hour_window(harness: Harness) -> None:
    patient_id = open_window(harness, hours_ago=25)
    await harness.service.send(patient_id, {"text": "Bonjour"})
    assert harness.graph.requests == []
    [row] = rows(harness)
    assert (row["status"], row["error_code"]) == ("failed", 131047)


async def test_the_outbox_gives_up_after_the_maximum_number_of_attempts(harness: Harness) -> None:
    patient_id = open_window(harness)
    harness.graph.script.extend([131000] * FAST.max_attempts)
    await harness.service.send(patient_id, {"text": "Bonjour"})
    for _ in range(FAST.max_attempts):
        await asyncio.sleep(FAST.max_delay)
        await harness.service.drain_outbox()
    [row] = rows(harness)
    assert (row["status"], row["attempts"]) == ("failed", FAST.max_attempts)
    assert len(harness.graph.requests) == FAST.max_attempts


# --- crash ------------------------------------------------------------------------------------------------


async def test_a_queued_message_survives_a_restart(harness: Harness) -> None:
    patient_id = open_window(harness)
    harness.graph.script.extend([131016] * FAST.inline_attempts)
    await harness.service.send(patient_id, {"text": "Votre rendez-vous est confirmé."})
    assert [r["status"] for r in rows(harness)] == ["queued"]
    # Another process, nothing in memory: only the database carries the message.
    again = build_services(harness.services.settings, harness.services.practice, tuning=TUNING)
    restarted = again.whatsapp
    await asyncio.sleep(FAST.max_delay)
    assert await restarted.drain_outbox() == 1
    await again.close()
    assert [b["text"]["body"] for b in posted(harness)] == ["Votre rendez-vous est confirmé."]


async def test_a_worker_killed_mid_send_leaves_the_message_to_the_next_one(
    harness: Harness,
) -> None:
    """`clinic worker` in its own process, kill -9 while Graph holds its request."""
    patient_id = open_window(harness)
    harness.graph.script.extend([131016] * FAST.inline_attempts + ["hang"])
    harness.graph.hang_seconds = 60
    await harness.service.send(patient_id, {"text": "Rappel important"})
    assert [r["status"] for r in rows(harness)] == ["queued"]
    env = worker_env(harness)
    worker = subprocess.Popen(
        [sys.executable, "-m", "clinic.app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(r["answer"] == "hang" for r in harness.graph.requests):
            assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            assert time.monotonic() < deadline, "the worker never sent"
            await asyncio.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [row] = rows(harness)
    assert row["status"] == "sending" and row["body"] is not None
    assert harness.graph.accepted == []
    # The next worker takes it once the dead one's lease has run out, and sends it once.
    later = FixedClock(datetime.now(timezone.utc) + timedelta(minutes=2))
    service = harness.service
    next_worker = Delivery(service.outbox, service.contacts, service.graph, later, FAST)
    assert await next_worker.drain() == 1
    assert await next_worker.drain() == 0
    assert [b["text"]["body"] for b in posted(harness)] == ["Rappel important"]
    assert [r["status"] for r in rows(harness)] == ["accepted"]
    assert json.dumps(rows(harness), default=str).count(PATIENT) == 0


async def test_a_document_whatsapp_refuses_falls_back_to_its_text(harness: Harness) -> None:
    patient_id = open_window(harness)
    link = "https://cabinet.example/webhooks/whatsapp/ics/x.ics"
    harness.graph.script.append(131053)  # media upload error: permanent
    custom = {
        "document": {"link": link, "filename": "rendez-vous.ics"},
        "fallback": f"Pour l'ajouter à votre agenda : {link}",
    }
    await harness.service.send(patient_id, {"custom": custom})
    assert [r["answer"] for r in harness.graph.requests][0] == 131053
    assert "_fallback" not in harness.graph.requests[0]["body"]  # our stand-in never goes to Meta
    assert posted(harness) == [
        {
            "type": "text",
            "text": {"preview_url": False, "body": f"Pour l'ajouter à votre agenda : {link}"},
        }
    ]
    assert [(r["kind"], r["status"]) for r in rows(harness)] == [
        ("document", "failed"),
        ("fallback", "accepted"),
    ]
