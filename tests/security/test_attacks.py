"""Each finding of the security audit, reproduced as an attack on the production-shaped stack
(tests/security/conftest.py) and shown refused. Numbers refer to the findings in
docs/security.md. Needs the trained model: run by `make test-stack`."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clinic.adapters.settings import Settings
from clinic.adapters.storage.tables import reminders, whatsapp_contacts, whatsapp_inbound
from clinic.app.wiring import build_services
from clinic.domain import texts
from clinic.domain.appointments import Appointment
from clinic.domain.clock import SystemClock
from clinic.domain.practice import load_practice
from devtools.simulator import payloads
from tests.http import request
from tests.security.conftest import (
    ACTION_TOKEN,
    APP_SECRET,
    PATIENT_KEY,
    PHONE_NUMBER_ID,
    RASA_TOKEN,
    ROOT,
    Production,
)

pytestmark = pytest.mark.stack


def services_of(production: Production):  # noqa: ANN201
    """The core on the stack's database, as staff tools see it."""
    settings = Settings(database_url=production.database_url, patient_id_key=PATIENT_KEY)
    return build_services(settings, load_practice(ROOT / "practice.yml"), SystemClock())


def next_weekday_at(hour: int, days: int = 3) -> datetime:
    tz = load_practice(ROOT / "practice.yml").tz
    day = datetime.now(tz) + timedelta(days=days)
    while day.weekday() >= 5:  # a weekday the practice opens in the morning
        day += timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def book_directly(production: Production, patient_id: str, hour: int, days: int = 3) -> str:
    services = services_of(production)
    try:
        start = next_weekday_at(hour, days)
        appointment = services.appointments.add(
            Appointment(
                f"{patient_id[-8:]}{hour:02d}{days:02d}".ljust(32, "0")[:32],
                patient_id,
                "Victime Durand",
                "dr-martin",
                "consultation",
                start,
                start + timedelta(minutes=20),
            ),
            datetime.now(timezone.utc),
        )
        return appointment.id
    finally:
        services.database.dispose()


def post_action(production: Production, action: str, tracker: dict, token: str | None):  # noqa: ANN201
    headers = {"X-Action-Token": token} if token is not None else {}
    body = {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker}
    return request(f"{production.actions}/webhook", body, headers=headers)


def tracker(
    sender: str, slots: dict, text: str = "je confirme", events: list | None = None
) -> dict:
    return {
        "sender_id": sender,
        "slots": slots,
        "latest_message": {"text": text, "intent": {"name": "affirm"}, "entities": []},
        "events": events or [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


# --- 1. The REST channel and the ports -------------------------------------------------------


def test_1_the_rest_channel_does_not_exist_in_production(production: Production) -> None:
    status, _ = request(
        f"{production.rasa}/webhooks/rest/webhook",
        {"sender": "anyone", "message": "/book_appointment"},
    )
    assert status == 404
    # …while the WhatsApp channel is there (the 404 is not a server that is simply down)
    assert request(f"{production.rasa}/webhooks/whatsapp/")[0] == 200


def listening(port: int) -> set[str]:
    """The local addresses a TCP port listens on, read from the kernel's tables."""
    found = set()
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if family == 4:
                    found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add("::1" if address.endswith("01000000") else address)
    return found


def test_1_rasa_and_the_action_server_listen_on_loopback_only(production: Production) -> None:
    for url in (production.rasa, production.actions):
        addresses = listening(int(url.rsplit(":", 1)[1]))
        assert addresses and addresses <= {"127.0.0.1", "::1"}, (url, addresses)


# --- 2. The action server ----------------------------------------------------------------------

FORGED_BOOKING = {
    "reason": "consultation",
    "patient_name": "Faux Nom",
    "chosen_slot": None,  # filled in the test
}


def test_2_a_forged_tracker_without_the_token_books_nothing(production: Production) -> None:
    start = next_weekday_at(10, days=5)
    slots = {
        **FORGED_BOOKING,
        "chosen_slot": {
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=20)).isoformat(),
            "practitioner": "dr-martin",
        },
    }
    forged = tracker("wa-attacker", slots)
    for token in (None, "wrong-token", ACTION_TOKEN[:-1]):
        status, body = post_action(production, "action_book_appointment", forged, token)
        assert status == 401, body
    services = services_of(production)
    try:
        assert services.appointments.list(patient_id="wa-attacker") == []
    finally:
        services.database.dispose()
    # the same call with Rasa's token is served: the 401s above are the door, not a broken server
    status, body = post_action(production, "action_opening_hours", forged, ACTION_TOKEN)
    assert status == 200 and body["responses"][0]["response"] == "utter_opening_hours"  # type: ignore[index]


def test_2_the_health_check_stays_open_and_says_nothing(production: Production) -> None:
    assert request(f"{production.actions}/health") == (200, {"status": "ok"})


# --- 3. Moving someone else's appointment ------------------------------------------------------


def test_3_the_move_path_checks_ownership_in_the_core(production: Production) -> None:
    victim = production.patient_id("33611110003")
    appointment_id = book_directly(production, victim, hour=9, days=6)
    target = next_weekday_at(11, days=7)
    slots = {
        "reason": "consultation",
        "patient_name": "Intrus",
        "managing": "reschedule",
        "managed_appointment": appointment_id,  # someone else's, forged into the conversation
        "chosen_slot": {
            "start": target.isoformat(),
            "end": (target + timedelta(minutes=20)).isoformat(),
            "practitioner": "dr-martin",
        },
    }
    events = [{"event": "action", "name": "action_find_appointment"}]
    status, body = post_action(
        production,
        "action_book_appointment",
        tracker("wa-intruder", slots, events=events),
        ACTION_TOKEN,
    )
    assert status == 200
    said = [r["response"] for r in body["responses"]]  # type: ignore[index]
    assert said == ["utter_appointment_gone"]
    services = services_of(production)
    try:
        unchanged = services.appointments.get(appointment_id)
        assert unchanged is not None and unchanged.start == next_weekday_at(9, days=6)
        assert unchanged.patient_id == victim and unchanged.status == "booked"
    finally:
        services.database.dispose()


# --- 4. Odd input --------------------------------------------------------------------------------


def test_4_odd_signatures_nesting_and_tags_never_give_a_500(production: Production) -> None:
    payload = payloads.text_payload("33611110004", "bonjour", PHONE_NUMBER_ID)
    assert production.post(payload, signature="sha256=é" * 3) == 403
    assert production.post(payload, signature=("sha256=" + "😀" * 64).encode()) == 403  # raw UTF-8
    nested = b'{"entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert production.post(nested) == 400
    wa_id = "33611110014"
    odd_tag = payloads.reply_payload(wa_id, "/restart~éééééééééééé", "Bonjour", PHONE_NUMBER_ID)
    assert production.post(odd_tag) == 200
    assert production.wait_for(wa_id, 1), "the message was left unanswered"


# --- 5. Another number of the same Meta app ----------------------------------------------------


def test_5_messages_to_another_number_are_ignored(production: Production) -> None:
    wa_id = "33611110005"
    elsewhere = payloads.text_payload(wa_id, "bonjour", "999999999999999")
    assert production.post(elsewhere) == 200
    time.sleep(3)
    assert production.sent_to(wa_id) == []
    services = services_of(production)
    try:
        with services.database.transaction() as connection:
            rows = connection.execute(
                select(whatsapp_inbound).where(
                    whatsapp_inbound.c.patient_id == production.patient_id(wa_id)
                )
            ).all()
        assert rows == []
    finally:
        services.database.dispose()


# --- 6. A changed number -------------------------------------------------------------------------


def test_6_a_changed_number_gets_nothing_more_and_staff_are_told(production: Production) -> None:
    wa_id = "33611110006"
    patient = production.patient_id(wa_id)
    assert production.post(payloads.text_payload(wa_id, "bonjour", PHONE_NUMBER_ID)) == 200
    production.wait_for(wa_id, 1)
    appointment_id = book_directly(production, patient, hour=10, days=8)
    changed = payloads.messages_payload(
        [
            payloads.message(
                wa_id,
                "system",
                {"body": "changed", "wa_id": "33699999999", "type": "user_changed_number"},
            )
        ],
        PHONE_NUMBER_ID,
    )
    assert production.post(changed) == 200
    time.sleep(2)
    inbox = json.loads(production.cli("conversations", "list", "--json").stdout)
    assert {"id": patient, "status": "paused", "reason": "number_changed"} in [
        {"id": c["id"], "status": c["status"], "reason": c["reason"]} for c in inbox
    ]
    services = services_of(production)
    try:
        with services.database.transaction() as connection:
            number = connection.execute(
                select(whatsapp_contacts.c.wa_id).where(whatsapp_contacts.c.patient_id == patient)
            ).scalar_one()
        assert number is None
    finally:
        services.database.dispose()
    # staff cancelling now are told to phone: nothing is queued for the old number
    cancelled = production.cli("appointments", "cancel", appointment_id)
    assert "sans WhatsApp" in cancelled.stdout, cancelled.stdout


# --- 8. Tokens on command lines ----------------------------------------------------------------


def test_8_no_secret_is_on_any_command_line(production: Production) -> None:
    secrets = (RASA_TOKEN, ACTION_TOKEN, APP_SECRET, PATIENT_KEY)
    seen = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        seen += 1
        assert not any(secret in argv for secret in secrets), argv.replace("\0", " ")
    assert seen > 5
    # the token is in force all the same
    assert request(f"{production.rasa}/status")[0] == 401
    assert request(f"{production.rasa}/status?token={RASA_TOKEN}")[0] == 200


# --- 10. Numbers in logs -------------------------------------------------------------------------

FORMS = ["33612345678.", "wa_id:33612345678", "/x/33612345678", "33 6 12 34 56 78", "0612 345 678"]


def test_10_no_form_of_a_number_reaches_any_log(production: Production) -> None:
    wa_id = "33611110010"
    for form in FORMS:
        text = f"mon numéro est {form} merci"
        assert production.post(payloads.text_payload(wa_id, text, PHONE_NUMBER_ID)) == 200
    production.wait_for(wa_id, len(FORMS))
    written = production.logs()
    assert "mon num" in written and "<phone>" in written  # DEBUG logged the messages…
    for form in FORMS:  # …masked
        assert form.strip(".") not in written, form
    assert "33611110010" not in written


# --- 12. Stale buttons ---------------------------------------------------------------------------


def rows_of(bodies: list[dict]) -> list[dict]:
    for body in reversed(bodies):
        if body.get("type") == "interactive" and body["interactive"]["type"] == "list":
            return body["interactive"]["action"]["sections"][0]["rows"]
    raise AssertionError(f"no list of slots in {bodies}")


def test_12_a_button_from_an_older_offer_picks_nothing(production: Production) -> None:
    wa_id = "33611110012"
    say = [
        "Bonjour, je voudrais un rdv jeudi matin pour une consultation",
        "paul martin",
    ]
    for text in say:
        before = len(production.sent_to(wa_id))
        production.post(payloads.text_payload(wa_id, text, PHONE_NUMBER_ID))
        production.wait_for(wa_id, before + 1)
    first = rows_of(production.sent_to(wa_id))
    before = len(production.sent_to(wa_id))
    production.post(payloads.text_payload(wa_id, "non plutôt vendredi après-midi", PHONE_NUMBER_ID))
    production.wait_for(wa_id, before + 1)
    assert rows_of(production.sent_to(wa_id)) != first
    before = len(production.sent_to(wa_id))
    old = first[1]
    production.post(payloads.reply_payload(wa_id, old["id"], old["title"], PHONE_NUMBER_ID, True))
    answer = production.wait_for(wa_id, before + 1)[before:]
    assert any("liste de créneaux plus ancienne" in text for text in answer), answer
    assert not any(text.startswith("Je récapitule") for text in answer), answer


# --- 13. Meta's late failure of a reminder -------------------------------------------------------


def test_13_a_reminder_meta_fails_after_accepting_it_is_listed_as_failed(
    production: Production,
) -> None:
    wa_id = "33611110013"
    patient = production.patient_id(wa_id)
    production.post(payloads.text_payload(wa_id, "bonjour", PHONE_NUMBER_ID))
    production.wait_for(wa_id, 1)
    services = services_of(production)
    try:
        appointment_id = book_directly(production, patient, hour=11, days=9)
        appointment = services.appointments.get(appointment_id)
        assert appointment is not None
        services.reminders.schedule(appointment, datetime.now(timezone.utc))
        with services.database.transaction() as connection:  # due now: the worker sends it
            connection.execute(
                update(reminders)
                .where(reminders.c.appointment_id == appointment_id)
                .values(due_at=datetime.now(timezone.utc) - timedelta(minutes=1))
            )
    finally:
        services.database.dispose()
    deadline = time.monotonic() + 30
    sent = []
    while not sent and time.monotonic() < deadline:
        _, recorded = request(f"{production.graph}/_fake/requests")
        sent = [
            a
            for a in recorded["accepted"]  # type: ignore[index]
            if a["body"].get("biz_opaque_callback_data", "").startswith("reminder:")
            and a["to"] == wa_id
        ]
        time.sleep(0.3)
    assert sent, "the worker did not send the reminder"
    callback = sent[0]["body"]["biz_opaque_callback_data"]
    failed = payloads.status_payload(
        sent[0]["wamid"],
        "failed",
        wa_id,
        PHONE_NUMBER_ID,
        errors=[{"code": 131026, "title": "Message undeliverable"}],
        callback=callback,
    )
    assert production.post(failed) == 200
    time.sleep(1.5)
    listed = json.loads(production.cli("reminders", "list", "--status", "failed", "--json").stdout)
    assert [r["appointment_id"] for r in listed] == [appointment_id]


# --- 14. Abuse limits ----------------------------------------------------------------------------


def test_14_a_patient_at_the_limit_is_told_before_any_slot(production: Production) -> None:
    wa_id = "33611110024"
    patient = production.patient_id(wa_id)
    for hour, days in ((9, 10), (10, 11), (11, 12)):  # practice.yml: at most 3 upcoming
        book_directly(production, patient, hour=hour, days=days)
    production.post(payloads.text_payload(wa_id, "un rdv jeudi pour un vaccin", PHONE_NUMBER_ID))
    production.wait_for(wa_id, 1)
    before = len(production.sent_to(wa_id))
    production.post(payloads.text_payload(wa_id, "Anne Petit", PHONE_NUMBER_ID))
    answer = production.wait_for(wa_id, before + 1)[before:]
    assert any("le maximum" in text for text in answer), answer
    services = services_of(production)
    try:
        assert len(services.booking.upcoming(patient)) == 3
    finally:
        services.database.dispose()


def test_14_a_flood_from_one_number_gets_one_notice_and_no_turns(production: Production) -> None:
    wa_id = "33611110034"
    for i in range(30):  # practice.yml: 20 messages a minute
        text = "mon père a fait un malaise" if i == 25 else f"spam {i}"
        assert production.post(payloads.text_payload(wa_id, text, PHONE_NUMBER_ID)) == 200
    deadline = time.monotonic() + 90  # one number's messages are handled one after the other
    while time.monotonic() < deadline:
        said = production.texts_to(wa_id)
        if any("112" in text for text in said if text != texts.THROTTLED):
            break
        time.sleep(0.5)
    time.sleep(2)
    said = production.texts_to(wa_id)
    assert said.count(texts.THROTTLED) == 1
    assert any("15" in text and "112" in text for text in said if text != texts.THROTTLED)
    services = services_of(production)
    try:
        outcomes = services.inbound.inbound_outcomes(production.patient_id(wa_id))
    finally:
        services.database.dispose()
    assert list(outcomes.values()).count("throttled") >= 9
    assert list(outcomes.values()).count("turn") <= 21  # 20 + the red flag
