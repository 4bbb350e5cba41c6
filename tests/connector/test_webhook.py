"""The webhook as Meta sees it: handshake, signatures, batches, every inbound type, statuses,
duplicate deliveries. Real Sanic over HTTP, Meta's own sample payloads, the fake Graph API."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from clinic.adapters.storage.tables import whatsapp_contacts, whatsapp_inbound, whatsapp_outbound
from clinic.app.wiring import build_services
from clinic.domain import safety, texts
from devtools.simulator import payloads
from tests.connector.conftest import PATIENT, PHONE_NUMBER_ID, VERIFY_TOKEN, Harness, sample


def fresh(payload: dict[str, Any], wa_id: str = PATIENT) -> dict[str, Any]:
    """A Meta sample sent now, from our test patient (samples carry 2025 timestamps)."""
    payload = copy.deepcopy(payload)
    for entry in payload["entry"]:
        for change in entry["changes"]:
            for message in change["value"].get("messages", []):
                message["timestamp"] = str(int(time.time()))
                message["from"] = wa_id
            for contact in change["value"].get("contacts", []):
                contact["wa_id"] = wa_id
    return payload


def texts_sent(harness: Harness) -> list[str]:
    return [body["text"]["body"] for body in harness.sent("text")]


# --- verification ------------------------------------------------------------------------------


async def test_handshake_echoes_the_challenge_as_text(harness: Harness) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": VERIFY_TOKEN,
    }
    async with harness.session.get(harness.url, params=query) as response:
        assert response.status == 200
        assert await response.text() == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"},
        {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN},
        {"hub.challenge": "1"},
    ],
)
async def test_handshake_refuses_a_wrong_token_or_mode(harness: Harness, query: dict) -> None:
    async with harness.session.get(harness.url, params=query) as response:
        assert response.status == 403


# --- signature and body --------------------------------------------------------------------------


async def test_missing_signature_is_401_and_nothing_happens(harness: Harness) -> None:
    status, _ = await harness.post(fresh(sample("inbound_text__meta_openapi.json")), signature=None)
    assert status == 401
    await harness.settle()
    assert harness.turns == []


@pytest.mark.parametrize(
    "signature", ["sha256=" + "0" * 64, "sha1=abc", "garbage", "sha256=", "sha256=zz"]
)
async def test_wrong_signature_is_403(harness: Harness, signature: str) -> None:
    status, _ = await harness.post(fresh(sample("inbound_text__meta_openapi.json")), signature)
    assert status == 403
    await harness.settle()
    assert harness.turns == []


async def test_a_signature_of_other_bytes_is_refused(harness: Harness) -> None:
    """Signed, then re-serialised (spaces, key order): the bytes differ, so it is forged."""
    payload = payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID)
    from clinic.adapters.whatsapp.inbound import sign

    signature = sign(payloads.dumps(payload), "test-app-secret")
    status, _ = await harness.post(json.dumps(payload, indent=1).encode(), signature)
    assert status == 403


async def test_accents_and_emoji_in_a_signed_body_reach_the_dialogue_intact(
    harness: Harness,
) -> None:
    text = "Bonjour, je voudrais un rdv jeudi après-midi 🙏 pour ma fille Zoé, c'est possible ?"
    payload = payloads.text_payload(PATIENT, text, PHONE_NUMBER_ID)
    ascii_body = payloads.dumps(payload)  # Meta's escaped form: \u00e8, \ud83d\ude4f
    assert b"\\u00e8" in ascii_body
    status, _ = await harness.post(ascii_body)
    assert status == 200
    # The raw UTF-8 form is signed on its own bytes too.
    utf8 = json.dumps(
        payloads.text_payload(PATIENT, "Ça marche, à demain ☺️", PHONE_NUMBER_ID), ensure_ascii=False
    ).encode()
    status, _ = await harness.post(utf8)
    assert status == 200
    await harness.settle()
    assert [turn.text for turn in harness.turns] == [text, "Ça marche, à demain ☺️"]


@pytest.mark.parametrize("body", [b"not json", b"{broken", b"\xff\xfe", b"[1, 2]", b'"text"'])
async def test_a_signed_body_that_is_not_a_json_object_is_400(
    harness: Harness, body: bytes
) -> None:
    status, _ = await harness.post(body)
    assert status == 400


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"object": "whatsapp_business_account"},
        {"entry": "oops"},
        {"entry": [{"changes": [{"value": {"messages": [{"type": "text"}]}}]}]},
        {
            "entry": [
                {
                    "changes": [
                        {"value": {"messages": [{"id": "x", "from": "1", "type": "interactive"}]}}
                    ]
                }
            ]
        },
        {"entry": [None, 3, {"changes": [None, {"value": {"statuses": [{"id": 1}]}}]}]},
    ],
)
async def test_odd_shapes_get_200_and_never_a_500(harness: Harness, payload: dict) -> None:
    status, _ = await harness.post(payload)
    assert status == 200
    await harness.settle()
    assert harness.turns == []


# --- inbound types --------------------------------------------------------------------------------


async def test_text_becomes_one_turn_with_a_pseudonymous_sender(harness: Harness) -> None:
    status, body = await harness.post(fresh(sample("inbound_text__meta_openapi.json")))
    assert (status, body) == (200, "ok")
    await harness.settle()
    [turn] = harness.turns
    assert turn.text == "Does it come in another color?"
    assert turn.input_channel == "whatsapp"
    assert turn.message_id.startswith("wamid.")
    assert PATIENT not in turn.sender_id and turn.sender_id.startswith("wa-")
    assert turn.sender_id == harness.service.patient_id(PATIENT)
    # The WhatsApp profile name is kept, sealed, for the console (never in the tracker).
    contact = harness.services.contacts.contact(turn.sender_id)
    assert contact is not None and contact.profile_name == "Sheena Nelson"
    # The reply went to the patient's number, and the message was marked read with typing.
    # Meta's sample is in English: the emergency numbers in several languages come first.
    [foreign, reply] = harness.graph.accepted
    assert foreign["body"]["text"]["body"] == safety.FOREIGN
    assert reply["to"] == PATIENT
    assert reply["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+" + PATIENT,
        "type": "text",
        "text": {"preview_url": False, "body": "reçu : Does it come in another color?"},
    }
    reads = [r["body"] for r in harness.graph.requests if r["body"].get("status") == "read"]
    assert reads == [
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": turn.message_id,
            "typing_indicator": {"type": "text"},
        }
    ]


async def test_the_number_is_kept_only_in_the_contacts_table_sealed(harness: Harness) -> None:
    await harness.post(fresh(sample("inbound_text__meta_openapi.json")))
    await harness.settle()
    with harness.database.transaction() as connection:
        inbound = connection.execute(select(whatsapp_inbound)).mappings().all()
        outbound = connection.execute(select(whatsapp_outbound)).mappings().all()
        contacts = connection.execute(select(whatsapp_contacts)).mappings().all()
    assert PATIENT not in json.dumps([dict(r) for r in inbound + outbound], default=str)
    assert PATIENT not in json.dumps([dict(r) for r in contacts], default=str)  # sealed
    [contact] = contacts
    assert harness.services.sealer.open(contact["wa_id"]) == PATIENT
    assert all(row["body"] is None for row in outbound)  # dropped once Meta accepted it


@pytest.mark.parametrize("text", ["/restart", '  /book_appointment{"reason": "x"}', "//stop"])
async def test_a_leading_slash_cannot_type_an_intent(harness: Harness, text: str) -> None:
    await harness.post(payloads.text_payload(PATIENT, text, PHONE_NUMBER_ID))
    await harness.settle()
    [turn] = harness.turns
    assert not turn.text.startswith("/")
    assert turn.text == text.strip().lstrip("/")


async def test_a_5000_character_paste_is_cut_before_the_dialogue(harness: Harness) -> None:
    await harness.post(payloads.text_payload(PATIENT, "rdv " * 1250, PHONE_NUMBER_ID))
    await harness.settle()
    [turn] = harness.turns
    assert len(turn.text) <= 1000


async def test_a_button_issued_to_this_patient_comes_back_as_its_payload(harness: Harness) -> None:
    patient_id = harness.service.patient_id(PATIENT)
    payload = '/choose_slot{"slot_choice": "2"}'
    choice_id = harness.service.keyring.sign_choice(patient_id, payload)
    await harness.post(payloads.reply_payload(PATIENT, choice_id, "Mardi 10h", PHONE_NUMBER_ID))
    await harness.post(
        payloads.reply_payload(PATIENT, choice_id, "Mardi 10h", PHONE_NUMBER_ID, list_reply=True)
    )
    await harness.settle()
    assert [turn.text for turn in harness.turns] == [payload, payload]


async def test_forged_or_foreign_button_ids_are_read_as_plain_text(harness: Harness) -> None:
    service = harness.service
    other = service.keyring.sign_choice(service.patient_id("33700000000"), "/affirm")
    forged = [
        sample("inbound_interactive_button_reply__meta_docs.json"),  # Meta's own id: not ours
        payloads.reply_payload(PATIENT, other, "Oui", PHONE_NUMBER_ID),  # someone else's button
        payloads.reply_payload(PATIENT, "/restart~aaaaaaaaaaaa", "Recommencer", PHONE_NUMBER_ID),
        fresh(sample("inbound_interactive_list_reply__meta_docs.json")),
        fresh(sample("inbound_template_quick_reply_button__meta_docs.json")),
    ]
    for payload in forged:
        await harness.post(fresh(payload))
    await harness.settle()
    received = [turn.text for turn in harness.turns]
    assert len(received) == 5
    assert not any(text.startswith("/") for text in received)
    assert received[1:3] == ["Oui", "Recommencer"]
    assert received[4] == "Unsubscribe"


async def test_a_template_quick_reply_we_issued_is_honoured(harness: Harness) -> None:
    patient_id = harness.service.patient_id(PATIENT)
    issued = harness.service.keyring.sign_choice(patient_id, "/confirm_appointment")
    payload = payloads.quick_reply_payload(PATIENT, issued, "Je confirme", PHONE_NUMBER_ID)
    await harness.post(payload)
    await harness.settle()
    assert [turn.text for turn in harness.turns] == ["/confirm_appointment"]


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("inbound_image__meta_openapi.json", texts.MEDIA),
        ("inbound_location__meta_openapi.json", texts.LOCATION),
        ("inbound_contacts__meta_openapi.json", texts.MEDIA),
        ("inbound_unsupported__meta_openapi.json", texts.MEDIA),
    ],
)
async def test_what_is_not_text_gets_a_short_french_answer_and_no_turn(
    harness: Harness, name: str, answer: str
) -> None:
    status, _ = await harness.post(fresh(sample(name)))
    assert status == 200
    await harness.settle()
    assert harness.turns == []
    assert texts_sent(harness) == [answer]


@pytest.mark.parametrize("kind", ["sticker", "video", "document"])
async def test_stickers_videos_documents_get_the_media_answer(harness: Harness, kind: str) -> None:
    item = payloads.message(PATIENT, kind, {"id": "123", "mime_type": "x/y", "sha256": "z"})
    await harness.post(payloads.messages_payload([item], PHONE_NUMBER_ID))
    await harness.settle()
    assert harness.turns == []
    assert texts_sent(harness) == [texts.MEDIA]


@pytest.mark.recette(17)
async def test_a_voice_note_is_told_to_write_and_given_the_emergency_numbers(
    harness: Harness,
) -> None:
    item = payloads.message(PATIENT, "audio", {"id": "1", "mime_type": "audio/ogg", "voice": True})
    await harness.post(payloads.messages_payload([item], PHONE_NUMBER_ID))
    await harness.settle()
    assert texts_sent(harness) == [texts.VOICE]
    assert "15" in texts.VOICE and "112" in texts.VOICE


async def test_reactions_and_system_messages_are_acknowledged_and_ignored(harness: Harness) -> None:
    for name in (
        "inbound_reaction__meta_openapi.json",
        "inbound_system_user_changed_number__meta_openapi.json",
    ):
        status, _ = await harness.post(fresh(sample(name)))
        assert status == 200
    await harness.settle()
    assert harness.turns == []
    assert harness.graph.accepted == []


async def test_every_entry_change_and_message_of_a_batch_is_handled_in_order(
    harness: Harness,
) -> None:
    alice, bob = "33611111111", "33622222222"
    first = payloads.messages_payload(
        [
            payloads.message(alice, "text", {"body": f"a{i}"}, timestamp=int(time.time()) + i)
            for i in range(3)
        ],
        PHONE_NUMBER_ID,
    )
    second = payloads.messages_payload(
        [payloads.message(bob, "text", {"body": "b0"})], PHONE_NUMBER_ID
    )
    batch = copy.deepcopy(first)
    batch["entry"].append(second["entry"][0])  # a second entry
    batch["entry"][0]["changes"].append(copy.deepcopy(second["entry"][0]["changes"][0]))
    batch["entry"][0]["changes"][1]["value"]["messages"][0]["id"] = payloads.new_wamid()
    batch["entry"][0]["changes"][1]["value"]["messages"][0]["text"]["body"] = "b1"
    batch["entry"][1]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(time.time()) + 5)
    status, _ = await harness.post(batch)
    assert status == 200
    await harness.settle()
    service = harness.service
    by_patient: dict[str, list[str]] = {}
    for turn in harness.turns:
        by_patient.setdefault(turn.sender_id, []).append(turn.text)
    assert by_patient[service.patient_id(alice)] == ["a0", "a1", "a2"]
    assert sorted(by_patient[service.patient_id(bob)]) == ["b0", "b1"]


# --- duplicates and stale messages -------------------------------------------------------------


async def test_200_parallel_deliveries_of_one_message_give_exactly_one_turn(
    harness: Harness,
) -> None:
    payload = payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID)
    results = await asyncio.gather(*(harness.post(payload) for _ in range(200)))
    assert {status for status, _ in results} == {200}
    await harness.settle(timeout=60)
    assert len(harness.turns) == 1
    # 200 claims written before their 200 contend on SQLite: past the turn budget the patient
    # may hear « un instant » first; the answer itself comes once
    answers = [t for t in texts_sent(harness) if t != texts.holding("04 78 00 00 00")]
    assert answers == ["reçu : Bonjour"]
    with harness.database.transaction() as connection:
        rows = connection.execute(select(func.count()).select_from(whatsapp_inbound)).scalar_one()
    assert rows == 1


async def test_a_redelivery_after_a_restart_is_still_a_duplicate(harness: Harness) -> None:
    payload = payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID)
    await harness.post(payload)
    await harness.settle()
    # A new process: a fresh channel on the same database has no memory but the table.
    from connectors.whatsapp import WhatsAppInput

    settings = harness.services.settings
    restarted = WhatsAppInput(services=build_services(settings, harness.services.practice))
    message = restarted.service
    from clinic.adapters.whatsapp.inbound import parse

    [inbound], _ = parse(payload)
    turns: list[str] = []

    async def run_turn(patient_id: str, text: str, message_id: str) -> None:
        turns.append(text)

    await message.process([inbound], [], run_turn)
    assert turns == []
    await restarted.services.close()


async def test_old_messages_replayed_after_an_outage_get_one_note_and_no_turn(
    harness: Harness,
) -> None:
    two_hours_ago = int(time.time()) - 7200
    old = [
        payloads.message(PATIENT, "text", {"body": f"vieux {i}"}, timestamp=two_hours_ago + i)
        for i in range(3)
    ]
    for item in old:  # Meta replays them one delivery at a time
        await harness.post(payloads.messages_payload([item], PHONE_NUMBER_ID))
    await harness.settle()
    assert harness.turns == []
    assert texts_sent(harness) == [texts.STALE]
    outcomes = harness.service.inbound.inbound_outcomes()
    assert sorted(outcomes.values()) == ["stale"] * 3
    # A fresh message afterwards is a normal turn.
    await harness.post(payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID))
    await harness.settle()
    assert [turn.text for turn in harness.turns] == ["Bonjour"]


async def test_a_message_two_days_late_gets_no_free_text_since_the_window_closed(
    harness: Harness,
) -> None:
    await harness.post(sample("inbound_text__meta_openapi.json"))  # sent in 2025
    await harness.settle()
    assert harness.turns == []
    assert harness.graph.accepted == []  # Meta would refuse it (131047): not even attempted
    [row] = _outbound(harness)
    assert (row["kind"], row["status"], row["error_code"]) == ("stale", "failed", 131047)


# --- statuses --------------------------------------------------------------------------------------


def _outbound(harness: Harness) -> list[dict[str, Any]]:
    with harness.database.transaction() as connection:
        return [dict(r) for r in connection.execute(select(whatsapp_outbound)).mappings()]


async def test_statuses_move_forward_only_and_failures_keep_their_code(harness: Harness) -> None:
    await harness.post(payloads.text_payload(PATIENT, "Bonjour", PHONE_NUMBER_ID))
    await harness.settle()
    [sent] = harness.graph.accepted
    wamid = sent["wamid"]
    for status in ("sent", "read", "delivered", "sent"):  # delivered after read is ignored
        await harness.post(payloads.status_payload(wamid, status, PATIENT, PHONE_NUMBER_ID))
        await harness.settle()
    assert [row["status"] for row in _outbound(harness)] == ["read"]

    await harness.post(payloads.text_payload(PATIENT, "Encore", PHONE_NUMBER_ID))
    await harness.settle()
    second = harness.graph.accepted[1]["wamid"]
    failed = copy.deepcopy(sample("status_failed_131049__meta_docs.json"))
    failed["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = second
    await harness.post(failed)
    await harness.settle()
    row = _outbound(harness)[1]
    assert (row["status"], row["error_code"]) == ("failed", 131049)


@pytest.mark.parametrize(
    "name",
    [
        "status_delivered__meta_docs.json",
        "status_sent_marketing_pmp__meta_docs.json",
        "status_minimal_v24_no_conversation_no_pricing__meta_docs.json",
        "status_failed_131049__meta_docs.json",
    ],
)
async def test_statuses_for_unknown_messages_are_acknowledged(harness: Harness, name: str) -> None:
    status, _ = await harness.post(sample(name))
    assert status == 200
    await harness.settle()
    assert harness.turns == [] and harness.graph.accepted == []


# --- configuration -------------------------------------------------------------------------------


def test_the_channel_refuses_to_start_without_an_app_secret() -> None:
    from connectors.whatsapp import WhatsAppInput

    credentials = {
        "verify_token": "v",
        "app_secret": "",
        "access_token": "a",
        "phone_number_id": "1",
        "api_url": "http://127.0.0.1:1/v21.0",
    }
    with pytest.raises(ValueError, match="WHATSAPP_APP_SECRET"):
        WhatsAppInput.from_credentials(credentials)
    with pytest.raises(Exception, match="credentials"):
        WhatsAppInput.from_credentials(None)


# --- calendar files -----------------------------------------------------------------------------


async def test_the_calendar_file_link_serves_the_ics_and_nothing_else(
    harness: Harness, practice
) -> None:  # noqa: ANN001
    from datetime import datetime, timedelta, timezone

    from clinic.adapters.keys import load_key
    from clinic.adapters.storage.appointments import AppointmentRepository
    from clinic.domain.appointments import Appointment
    from clinic.domain.ics import CalendarFiles

    service = harness.service
    now = datetime.now(timezone.utc)
    start = (now + timedelta(days=2)).replace(microsecond=0, second=0, minute=0)
    appointment = AppointmentRepository(harness.database, harness.services.sealer).add(
        Appointment(
            "b" * 32,
            "wa-x",
            "Marie Dupont",
            "dr-martin",
            "ordonnance",
            start,
            start + timedelta(minutes=15),
        ),
        now,
    )
    files = CalendarFiles(
        AppointmentRepository(harness.database, harness.services.sealer),
        practice,
        load_key(harness.database),
    )
    base = harness.url.rsplit("/webhooks/", 1)[0]
    link = files.link(appointment.id, base, now)
    async with harness.session.get(link) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")
        assert 'filename="rendez-vous.ics"' in response.headers["Content-Disposition"]
        body = await response.read()
    assert b"BEGIN:VCALENDAR" in body and f"UID:{appointment.id}@".encode() in body
    for bad in (
        link.replace(appointment.id, "c" * 32),
        link[:-8] + "AAAA.ics",
        base + "/webhooks/whatsapp/ics/x",
    ):
        async with harness.session.get(bad) as response:
            assert response.status == 404
            assert "plus valide" in await response.text()
    await service.close()


@pytest.mark.parametrize("route", ["ics", "export"])
async def test_a_link_with_an_accented_tag_is_a_404_not_an_error(
    harness: Harness, route: str
) -> None:
    """A link whose tag is not ASCII does not open, and the patient is told so. Over HTTP the
    tag arrives percent-encoded (Sanic does not decode route parameters, and its parser refuses
    raw UTF-8 on the request line before any route); the handler given the decoded tag (a
    proxy or a route that decodes) answers 404 too, where compare_digest raised TypeError."""
    now = harness.services.clock.now()
    token = harness.services.calendar_files.signer.token("b" * 32, now)
    if route == "export":
        token = harness.services.privacy.access.links.token("wa-x", now) + ".json"
    forged = token.replace(token.split(".")[2], "été", 1)
    base = harness.url.rsplit("/webhooks/", 1)[0]
    async with harness.session.get(f"{base}/webhooks/whatsapp/{route}/{forged}") as response:
        assert response.status == 404
        assert "plus valide" in await response.text()
    serve = harness.channel._calendar_file if route == "ics" else harness.channel._export
    answer = await serve(None, token=forged)
    assert answer.status == 404
