"""The real stack (Duckling, action server, Rasa server with the trained model), over HTTP.

Runs after `rasa train` (`make test-stack`): it is the proof that `make run` works end to end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from clinic.adapters.logs import PHONE_MASK
from clinic.adapters.sealing import data_sealer
from clinic.adapters.settings import Settings
from clinic.domain.practice import load_practice
from devtools.model import model_path
from devtools.stack import port_in_use
from tests.conftest import clinic_appointments
from tests.http import request
from tests.safety.corpus import IN_DANGER
from tests.smtp import Inbox
from tests.stack import (
    STAFF_EMAIL,
    STAFF_NUMBER,
    DevStack,
    pid_listening_on,
    practice_today,
    simulate,
    simulator_token,
)

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.stack


@dataclass
class Stack:
    rasa: str
    actions: str
    duckling: str
    simulator: str
    token: str
    database: Path
    process: subprocess.Popen
    log_offsets: dict[Path, int]
    env: dict[str, str]  # what the staff CLI needs to reach the same data
    mailbox: Inbox  # the practice's SMTP server (staff e-mail alerts)


@pytest.fixture(scope="module")
def stack(dev_stack: DevStack) -> Stack:
    """The session's development stack (tests/stack.py): its practice alerts STAFF_NUMBER and
    STAFF_EMAIL; its SMTP server is the mailbox."""
    return Stack(
        rasa=dev_stack.rasa,
        actions=dev_stack.actions,
        duckling=dev_stack.duckling,
        simulator=dev_stack.simulator,
        token=dev_stack.token,
        database=dev_stack.database,
        process=dev_stack.process,
        log_offsets=dev_stack.log_offsets,
        env=dev_stack.env,
        mailbox=dev_stack.mailbox,
    )


def send(stack: Stack, sender: str, text: str) -> list[dict]:
    status, messages = request(
        f"{stack.rasa}/webhooks/rest/webhook", {"sender": sender, "message": text}
    )
    assert status == 200, messages
    return messages  # type: ignore[return-value]


def say(stack: Stack, sender: str, text: str) -> list[str]:
    """The texts of the answer (the calendar file comes as a custom message)."""
    return [m["text"] for m in send(stack, sender, text) if "text" in m]


def test_each_process_is_healthy(stack: Stack) -> None:
    assert request(f"{stack.duckling}/health")[1] == {"status": "ok", "service": "duckling"}
    assert request(f"{stack.actions}/health")[1] == {"status": "ok"}
    status, hello = request(f"{stack.rasa}/")
    assert status == 200 and "Rasa" in hello


def test_the_http_api_needs_the_token(stack: Stack) -> None:
    assert request(f"{stack.rasa}/status")[0] == 401
    status, body = request(f"{stack.rasa}/status?token={stack.token}")
    assert status == 200 and body["model_file"].endswith(model_path(ROOT).name)


def test_a_french_conversation_over_the_rest_channel(stack: Stack) -> None:
    greeting = say(stack, "e2e-patient", "Bonjour")
    assert greeting[0].startswith("Bonjour") and "Cabinet médical des Tilleuls" in greeting[0]
    assert "rendez-vous" in greeting[1]
    assert "assistant automatique" in say(stack, "e2e-patient", "vous êtes un robot ?")[0]
    assert say(stack, "e2e-patient", "merci beaucoup")[0] in (
        "Avec plaisir ! Puis-je faire autre chose pour vous ?",
        "Je vous en prie. Autre chose ?",
    )
    goodbye = say(stack, "e2e-patient", "au revoir")[0]
    assert "revoir" in goodbye or "bientôt" in goodbye


def domain_patterns() -> list[re.Pattern[str]]:
    """Every domain response as a pattern, its {variables} matching anything."""
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return [
        re.compile(
            "".join(
                ".*" if part.startswith("{") else re.escape(part)
                for part in re.split(r"(\{[a-z_]+\})", r["text"])
            ),
            re.DOTALL,
        )
        for variants in domain["responses"].values()
        for r in variants
    ]


def from_domain(text: str) -> bool:
    return any(p.fullmatch(text) for p in domain_patterns())


@pytest.mark.parametrize(
    "text", ["zzkq xxw ptrfff", "😂😂😂", "?", "blabla " * 700, "<script>x</script>"]
)
@pytest.mark.recette(18)
def test_unclear_input_gets_a_french_answer(stack: Stack, text: str) -> None:
    """Never silence, never an error: always one of the domain's French responses."""
    replies = say(stack, f"e2e-unclear-{abs(hash(text))}", text)
    assert replies and all(from_domain(r) for r in replies), replies


def test_a_booking_over_http_shows_in_the_staff_command_line(stack: Stack) -> None:
    """The whole path: NLU, form, Duckling, slot buttons, recap, booking, then `clinic`."""
    sender = "e2e-booking"
    first = say(
        stack, sender, "Bonjour, je voudrais un rdv jeudi aprem pour un renouvellement d'ordonnance"
    )
    assert any("nom" in text for text in first), first  # reason and time understood: name asked
    offer = send(stack, sender, "marie dupont")
    buttons = offer[-1]["buttons"]
    assert len(buttons) == 4 and buttons[-1]["title"] == "Autres créneaux", offer
    assert all(len(b["title"]) <= 20 for b in buttons)
    recap = send(stack, sender, buttons[0]["payload"])[-1]
    assert recap["text"].startswith("Je récapitule : Renouvellement d'ordonnance"), recap
    assert "Marie Dupont" in recap["text"]
    confirm = next(b for b in recap["buttons"] if b["title"] == "Je confirme")
    done = say(stack, sender, confirm["payload"])
    assert any("✅" in text for text in done), done
    [appointment] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Marie Dupont"
    ]
    assert appointment["reason"] == "ordonnance" and appointment["status"] == "booked"
    # a returning patient is greeted by name from the core store, even with the conversation
    # history gone (as after session expiry or a tracker store purge)
    status, _ = request(
        f"{stack.rasa}/conversations/{sender}/tracker/events?token={stack.token}", [], "PUT"
    )
    assert status == 200
    assert "Marie Dupont" in say(stack, sender, "bonjour")[0]
    status, tracker = request(f"{stack.rasa}/conversations/{sender}/tracker?token={stack.token}")
    assert tracker["slots"]["patient_name"] == "Marie Dupont"  # type: ignore[index]
    assert tracker["slots"]["reason"] is None  # type: ignore[index]


@pytest.mark.recette(10, 11)
def test_move_then_cancel_by_message_with_the_audit_trail(stack: Stack) -> None:
    """Issue 7 over the real stack: book, « déplacer » to another day, then « annuler »."""
    sender = "e2e-manage"
    say(stack, sender, "je voudrais un rendez-vous pour un vaccin jeudi matin")
    offer = send(stack, sender, "Lucie Moreau")
    recap = send(stack, sender, offer[-1]["buttons"][0]["payload"])[-1]
    confirm = next(b for b in recap["buttons"] if b["title"] == "Je confirme")
    assert any("✅" in t for t in say(stack, sender, confirm["payload"]))
    [booked] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Lucie Moreau"
    ]

    intro = say(stack, sender, "je voudrais déplacer mon rendez-vous")
    assert intro[0].startswith("D'accord, déplaçons votre rendez-vous"), intro
    offer = send(stack, sender, "plutôt vendredi après-midi")
    thursday = practice_today().weekday() == 3
    friday = "demain" if thursday else "vendredi"  # said « demain » on Thursdays
    assert friday in offer[-1]["text"], offer
    recap = send(stack, sender, offer[-1]["buttons"][0]["payload"])[-1]
    assert recap["text"].startswith("Je déplace votre rendez-vous"), recap
    moved = say(stack, sender, "je confirme")
    assert any(t.startswith("C'est déplacé ✅") for t in moved), moved
    [after] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Lucie Moreau"
    ]
    assert after["id"] == booked["id"] and after["start"] != booked["start"]
    assert datetime.fromisoformat(after["start"]).weekday() == 4  # vendredi

    recap = send(stack, sender, "en fait je dois annuler mon rdv")[-1]
    assert recap["text"].startswith("Vous souhaitez annuler votre rendez-vous"), recap
    assert [b["title"] for b in recap["buttons"]] == ["Oui, annuler", "Non, le garder"]
    done = say(stack, sender, "oui")
    assert any(t.startswith("C'est annulé ✅") for t in done), done
    [cancelled] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Lucie Moreau"
    ]
    assert cancelled["status"] == "cancelled"
    trail = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic.app.cli",
            "audit",
            "list",
            "--appointment",
            booked["id"],
            "--json",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{stack.database}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert [(e["action"], e["actor"]) for e in json.loads(trail.stdout)] == [
        ("booked", "patient"),
        ("moved", "patient"),
        ("cancelled", "patient"),
    ]
    assert "Lucie" not in trail.stdout


@pytest.mark.recette(16)
def test_two_misunderstandings_in_a_row_offer_a_person(stack: Stack) -> None:
    sender = "e2e-lost"
    first = say(stack, sender, "😂😂😂")
    assert not any("membre de l'équipe" in text for text in first)
    second = send(stack, sender, "??")
    assert any("membre de l'équipe" in m["text"] for m in second), second
    assert [b["title"] for b in second[-1]["buttons"]] == ["Parler à quelqu'un", "Laisser tomber"]


@pytest.mark.recette(19)
def test_a_medical_question_gets_no_advice_but_the_emergency_numbers(stack: Stack) -> None:
    reply = " ".join(
        say(stack, "e2e-advice", "est-ce que je peux prendre de l'ibuprofène avec mon traitement ?")
    )
    assert "avis médical" in reply and "15" in reply and "112" in reply, reply


@pytest.mark.recette(14)
def test_an_emergency_interrupts_the_form(stack: Stack) -> None:
    sender = "e2e-emergency"
    say(stack, sender, "je voudrais un rendez-vous")
    reply = say(stack, sender, "mon père a fait un malaise")
    assert "15" in reply[0] and "112" in reply[0]


def test_duckling_feeds_rasa_nlu(stack: Stack) -> None:
    status, parse = request(
        f"{stack.rasa}/model/parse?token={stack.token}", {"text": "demain à 14h"}
    )
    assert status == 200
    (entity,) = [e for e in parse["entities"] if e["extractor"] == "DucklingEntityExtractor"]
    assert entity["entity"] == "time" and entity["text"] == "demain à 14h"
    assert entity["value"].endswith("T14:00:00.000+01:00") or entity["value"].endswith(
        "T14:00:00.000+02:00"
    )


def test_conversations_are_kept_in_the_sql_tracker_store(stack: Stack) -> None:
    say(stack, "e2e-stored", "bonjour")
    with sqlite3.connect(stack.database) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = 'e2e-stored'"
        ).fetchone()
    assert count > 0


# --- WhatsApp: the real connector inside the real Rasa, through the local simulator -------------

WA_PATIENT = "33698765432"


def whatsapp(stack: Stack, message: dict, wa_id: str = WA_PATIENT, wait: float = 30) -> list[dict]:
    """Send like a phone (a signed Meta webhook, via the simulator); return the bot's new bodies."""
    return simulate(stack.simulator, message, wa_id, wait)[1]


def test_whatsapp_verification_handshake(stack: Stack) -> None:
    query = "hub.mode=subscribe&hub.challenge=987654&hub.verify_token=local-verify-token"
    assert request(f"{stack.rasa}/webhooks/whatsapp/webhook?{query}") == (200, "987654")
    bad = "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"
    assert request(f"{stack.rasa}/webhooks/whatsapp/webhook?{bad}")[0] == 403


def test_an_unsigned_webhook_is_refused_by_the_real_server(stack: Stack) -> None:
    status, _ = request(f"{stack.rasa}/webhooks/whatsapp/webhook", {"object": "x"})
    assert status == 401


@dataclass
class WhatsAppBooking:
    first: list[dict]  # the answer to the first message
    offer: dict  # the slots, as a list message
    recap: dict  # « Je récapitule … » with its buttons
    done: list[dict]  # the answer to « Je confirme »


def weekday_ahead() -> str:
    """A weekday two days away at least, whatever today is: a booking for tomorrow afternoon
    gets no reminder the day before (it would be due before the booking), which
    `test_the_worker_sends_the_reminder…` needs."""
    day = practice_today() + timedelta(days=2)
    while day.weekday() >= 5:  # the practice is closed on Saturday afternoons and Sundays
        day += timedelta(days=1)
    return ("lundi", "mardi", "mercredi", "jeudi", "vendredi")[day.weekday()]


@pytest.fixture(scope="module")
def paul(stack: Stack) -> WhatsAppBooking:
    """Paul Bernard books over WhatsApp, once per module, for every test that needs a booking
    made on WhatsApp: each of them runs alone or in any order."""
    first = whatsapp(
        stack,
        {
            "type": "text",
            "text": f"Bonjour, je voudrais un rdv {weekday_ahead()} aprem pour un "
            "renouvellement d'ordonnance",
        },
    )
    [offer] = [
        b
        for b in whatsapp(stack, {"type": "text", "text": "paul bernard"})
        if b["type"] == "interactive"
    ]
    rows = offer["interactive"]["action"]["sections"][0]["rows"]
    recap = whatsapp(stack, {"type": "list_reply", "id": rows[0]["id"], "title": rows[0]["title"]})
    [question] = [b for b in recap if b["type"] == "interactive"]
    confirm = next(
        b["reply"]
        for b in question["interactive"]["action"]["buttons"]
        if b["reply"]["title"] == "Je confirme"
    )
    done = whatsapp(stack, {"type": "button_reply", **confirm})
    return WhatsAppBooking(first, offer, question, done)


WA_SHORT = "33655577001"


def test_short_typed_answers_over_whatsapp_are_the_buttons_they_mean(stack: Stack) -> None:
    """« le 2e » at the offer and « ouep » at the recap, typed instead of tapped, book the
    second slot; « horaires » typed under the out-of-scope buttons gives the opening hours."""

    def text(message: str) -> list[dict]:
        return whatsapp(stack, {"type": "text", "text": message}, wa_id=WA_SHORT)

    text(f"Bonjour, je voudrais un rdv {weekday_ahead()} matin pour un vaccin")
    [offer] = [b for b in text("Agathe Roussel") if b["type"] == "interactive"]
    rows = offer["interactive"]["action"]["sections"][0]["rows"]
    recap = body_texts(text("le 2e"))
    hour = rows[1]["title"].split()[-1]  # « Ven. 12 déc. 9h30 »
    assert recap.startswith("Je récapitule") and re.search(rf"\b{hour}(?!\d)", recap), recap
    assert "✅" in body_texts(text("ouep")), "« ouep » did not confirm"
    [booked] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Agathe Roussel"
    ]
    assert booked["status"] in ("booked", "confirmed")
    scope = text("vous vendez des masques ?")  # out of scope: what it does, and the number
    assert "rendez-vous" in body_texts(scope) and "04 78 00 00 00" in body_texts(scope), scope
    assert "lundi" in body_texts(text("horaires")).lower()
    rasa_log = ROOT / "var" / "log" / "rasa.log"
    with rasa_log.open("rb") as handle:
        handle.seek(stack.log_offsets.get(rasa_log, 0))
        read = [
            json.loads(line).get("intent")
            for line in handle.read().decode("utf-8", "replace").splitlines()
            if "a short answer read as its button" in line
        ]
    assert {"choose_slot", "affirm", "ask_opening_hours"} <= set(read), read  # not the model's luck


WA_DOCTOR = "33655577002"


def test_the_doctor_named_over_whatsapp_is_the_one_offered_and_booked(stack: Stack) -> None:
    """« voir le docteur Benali lundi matin »: only his slots, each list row naming him, and
    the appointment is his (issue 34)."""

    def text(message: str) -> list[dict]:
        return whatsapp(stack, {"type": "text", "text": message}, wa_id=WA_DOCTOR)

    day = open_day(2, (0, 3, 4))  # Dr Benali works Monday, Thursday and Friday mornings
    text(f"Bonjour, je voudrais voir le docteur Benali {named(day)} matin pour un vaccin")
    [offer] = [b for b in text("Basile Fontanel") if b["type"] == "interactive"]
    rows = offer["interactive"]["action"]["sections"][0]["rows"]
    assert rows[-1]["title"] == "Autres créneaux", rows
    assert [r.get("description") for r in rows[:-1]] == ["Dr Karim Benali"] * (len(rows) - 1)
    assert "Dr Claire Martin" not in body_texts([offer])
    recap = tap(stack, [offer], rows[0]["title"], WA_DOCTOR)
    assert "Dr Karim Benali" in body_texts(recap), recap
    assert "✅" in body_texts(tap(stack, recap, "Je confirme", WA_DOCTOR))
    [booked] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Basile Fontanel"
    ]
    assert booked["practitioner"] == "dr-benali" and booked["start"].startswith(day.isoformat())


def pauls_appointment(stack: Stack) -> dict:
    [appointment] = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Paul Bernard"
    ]
    return appointment


@pytest.mark.recette(1)
def test_a_booking_over_whatsapp(stack: Stack, paul: WhatsAppBooking) -> None:
    """Phone → signed webhook → Rasa + actions → Graph API (fake) → phone, then the CLI."""
    assert any("nom" in b.get("text", {}).get("body", "") for b in paul.first), paul.first
    assert paul.offer["interactive"]["type"] == "list"  # 3 slots + « Autres créneaux »
    rows = paul.offer["interactive"]["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows][-1] == "Autres créneaux"
    assert paul.recap["interactive"]["body"]["text"].startswith("Je récapitule")
    assert any("✅" in b.get("text", {}).get("body", "") for b in paul.done), paul.done
    assert pauls_appointment(stack)["status"] in ("booked", "confirmed")
    with sqlite3.connect(stack.database) as db:
        senders = {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}
        statuses = [row[0] for row in db.execute("SELECT status FROM whatsapp_outbound")]
    assert not any(WA_PATIENT in sender for sender in senders)  # pseudonymous conversation ids
    assert any(sender.startswith("wa-") for sender in senders)
    assert statuses and set(statuses) <= {"accepted", "sent", "delivered", "read"}


@pytest.mark.recette(22)
def test_the_whatsapp_confirmation_carries_its_calendar_file(
    stack: Stack, paul: WhatsAppBooking
) -> None:
    from icalendar import Calendar

    _, news = request(f"{stack.simulator}/_sim/messages?wa_id={WA_PATIENT}")
    documents = [
        i["body"]["document"]
        for i in news["items"]
        if i["from"] == "bot" and i["body"]["type"] == "document"  # type: ignore[index]
    ]
    [document] = documents
    assert (
        document["filename"] == "rendez-vous.ics" and "12 rue des Tilleuls" in document["caption"]
    )
    with urllib.request.urlopen(document["link"], timeout=10) as response:  # noqa: S310 (loopback)
        assert response.headers["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.read())
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]).startswith(pauls_appointment(stack)["id"])
    assert event.decoded("dtstart").isoformat() == pauls_appointment(stack)["start"]
    assert request(document["link"].replace(pauls_appointment(stack)["id"], "0" * 32))[0] == 404


@pytest.mark.recette(21)
def test_the_worker_sends_the_reminder_and_its_button_confirms_days_later(
    stack: Stack, paul: WhatsAppBooking
) -> None:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from clinic.adapters.storage import Database
    from clinic.adapters.storage.tables import reminders

    appointment = pauls_appointment(stack)
    database = Database(f"sqlite:///{stack.database}")
    with database.transaction() as connection:  # travel to the day before
        connection.execute(
            update(reminders)
            .where(reminders.c.appointment_id == appointment["id"])
            .values(due_at=datetime.now(timezone.utc) - timedelta(minutes=1))
        )
    database.dispose()
    deadline = time.monotonic() + 30
    template = None
    while template is None and time.monotonic() < deadline:
        _, news = request(f"{stack.simulator}/_sim/messages?wa_id={WA_PATIENT}")
        bodies = [i["body"] for i in news["items"] if i["from"] == "bot"]  # type: ignore[index]
        template = next((b["template"] for b in bodies if b["type"] == "template"), None)
        time.sleep(0.3)
    assert template is not None, "the worker did not send the reminder"
    assert template["name"] == "rappel_rdv"
    assert [p["text"] for p in template["components"][0]["parameters"]][0] == "Paul"
    confirm = template["components"][1]["parameters"][0]["payload"]
    # Days later: the conversation's session has long expired.
    for (sender,) in sqlite3.connect(stack.database).execute(
        "SELECT DISTINCT sender_id FROM events"
    ):
        request(
            f"{stack.rasa}/conversations/{sender}/tracker/events?token={stack.token}", [], "PUT"
        )
    replies = whatsapp(stack, {"type": "quick_reply", "payload": confirm, "text": "Je confirme"})
    assert any("c'est noté" in b.get("text", {}).get("body", "") for b in replies), replies
    assert pauls_appointment(stack)["status"] == "confirmed"
    result = subprocess.run(
        [sys.executable, "-m", "clinic.app.cli", "reminders", "list", "--json"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{stack.database}"},
        capture_output=True,
        text=True,
    )
    rows = [r for r in json.loads(result.stdout) if r["appointment_id"] == appointment["id"]]
    assert [(r["kind"], r["status"]) for r in rows] == [("24h", "sent")]


# --- the waiting list: a freed slot goes to the first patient waiting ------------------------------

WA_WAITING = ("33611100001", "33611100002")
WA_CANCELS = "33611100003"


def bot_bodies(stack: Stack, wa_id: str) -> list[dict]:
    _, news = request(f"{stack.simulator}/_sim/messages?wa_id={wa_id}")
    return [i["body"] for i in news["items"] if i["from"] == "bot"]  # type: ignore[index]


def freed_slot_offers(stack: Stack, wa_id: str) -> list[dict]:
    """The bot's bodies from the first freed-slot offer on (its text, then its buttons)."""
    bodies = bot_bodies(stack, wa_id)
    for n, body in enumerate(bodies):
        if "s'est libéré" in json.dumps(body, ensure_ascii=False):
            return bodies[n:]
    return []


@pytest.mark.recette(31)
def test_a_freed_slot_goes_to_the_first_waiting_patient_over_whatsapp(stack: Stack) -> None:
    """Dr Benali's morning is full; two patients ask on WhatsApp to be told; a third, who holds
    one of those appointments, cancels it by message; the worker offers it to the first, who
    takes it; the second never gets it."""
    from datetime import time as dt_time

    from clinic.app.wiring import build_services
    from clinic.domain.scheduling import SearchWindow

    services = build_services(Settings.from_env(stack.env))
    try:
        tz = services.practice.tz
        now = services.clock.now()
        ahead = SearchWindow(  # a day Dr Benali sees patients in the morning
            now + timedelta(days=2), now + timedelta(days=30), daily_to=dt_time(12, 0)
        )
        first = services.booking.search(ahead, "vaccination", "dr-benali", limit=1).slots[0]
        day = first.start.astimezone(tz).date()
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        morning = SearchWindow(start, start + timedelta(hours=13))
        third = services.keyring.patient_id(WA_CANCELS)
        filled = []
        while free := services.booking.search(morning, "vaccination", "dr-benali").slots:
            patient = third if not filled else f"e2e-full-{len(filled)}"
            outcome = services.booking.book(free[0], "vaccination", patient, "Paul Tiers")
            assert outcome.appointment is not None
            filled.append(outcome.appointment.id)
        assert filled, "Dr Benali had no free morning slot to fill"
        for n, wa_id in enumerate(WA_WAITING):
            asked = whatsapp(
                stack,
                {"type": "text", "text": f"un vaccin avec le docteur Benali {named(day)} matin"},
                wa_id,
            )
            offer = whatsapp(stack, {"type": "text", "text": f"Odile Vasseur{'e' * n}"}, wa_id)
            assert "Dr Karim Benali" in body_texts(asked + offer)
            joined = tap(stack, offer, "🔔 Prévenez-moi", wa_id)
            assert "C'est noté" in body_texts(joined), joined
        asked = whatsapp(stack, {"type": "text", "text": "je dois annuler mon rdv"}, WA_CANCELS)
        cancelled = tap(stack, asked, "Oui, annuler", WA_CANCELS)
        assert "C'est annulé" in body_texts(cancelled), cancelled
        wait_until(lambda: bool(freed_slot_offers(stack, WA_WAITING[0])), timeout=60)
        offered = freed_slot_offers(stack, WA_WAITING[0])
        assert "Dr Karim Benali" in json.dumps(offered, ensure_ascii=False)
        took = tap(stack, offered, "Je le prends", WA_WAITING[0])  # inside the window: buttons
        assert "✅" in body_texts(took), took
        [booked] = services.booking.upcoming(services.keyring.patient_id(WA_WAITING[0]))
        assert booked.start.astimezone(tz).date() == day
        second = services.keyring.patient_id(WA_WAITING[1])
        assert [h for h in services.waitlist_repository.holds() if h.patient_id == second] == []
        assert freed_slot_offers(stack, WA_WAITING[1]) == []  # never held for her, never sent
        assert len(services.waitlist.waiting(second)) == 1  # still waiting
    finally:
        services.database.dispose()


# --- handoff: an emergency reaches staff, who answer and hand back --------------------------------

WA_HANDOFF = "33655501234"


def clinic(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The staff command line on the stack's data."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), *args],
        cwd=ROOT,
        env={**stack.env, "CLINIC_STAFF": "accueil-e2e"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_until(condition, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def bot_texts(stack: Stack, wa_id: str) -> list[str]:
    _, news = request(f"{stack.simulator}/_sim/messages?wa_id={wa_id}")
    out = []
    for item in news["items"]:  # type: ignore[index]
        body = item["body"]
        if item["from"] != "bot":
            continue
        if body["type"] == "text":
            out.append(body["text"]["body"])
        elif body["type"] == "interactive":
            out.append(body["interactive"]["body"]["text"])
        elif body["type"] == "template":
            out.append(" ".join(p["text"] for p in body["template"]["components"][0]["parameters"]))
    return out


def body_texts(bodies: list[dict]) -> str:
    return " ".join(
        b.get("text", {}).get("body", "") + b.get("interactive", {}).get("body", {}).get("text", "")
        for b in bodies
    )


def last_outcome(stack: Stack) -> str:
    with sqlite3.connect(stack.database) as db:
        (outcome,) = db.execute(
            "SELECT outcome FROM whatsapp_inbound ORDER BY received_at DESC LIMIT 1"
        ).fetchone()
    return str(outcome)


@pytest.mark.recette(13)
def test_an_emergency_goes_to_staff_who_answer_and_hand_back(stack: Stack) -> None:
    def text(message: str, wait: float = 30) -> list[dict]:
        return whatsapp(stack, {"type": "text", "text": message}, wa_id=WA_HANDOFF, wait=wait)

    first = text("mon père a fait un malaise")
    assert "15" in body_texts(first) and "112" in body_texts(first)  # the advice comes first
    # the conversation is paused for staff, and they are alerted at once: the WhatsApp template
    # and an e-mail, with a reference only
    [row] = [
        r
        for r in json.loads(clinic(stack, "conversations", "list", "--json").stdout)
        if r["reason"] == "emergency" and r["id"].startswith("wa-") and r["last_message_at"]
    ]
    reference = row["id"][3:11]
    wait_until(
        lambda: (
            any(reference in t for t in bot_texts(stack, STAFF_NUMBER))
            and any(reference in m["Subject"] for m in stack.mailbox.messages)
        )
    )
    [alert] = [t for t in bot_texts(stack, STAFF_NUMBER) if reference in t]
    [mail] = [m for m in stack.mailbox.messages if reference in m["Subject"]]
    assert alert.startswith("urgence signalée") and mail["To"] == STAFF_EMAIL
    for secret in (WA_HANDOFF, "malaise"):
        assert secret not in alert and secret not in mail.as_string()
    # paused: a booking request gets the acknowledgement, no slot offer
    paused = text("je voudrais un rdv demain")
    assert "membre de l'équipe a été prévenu" in body_texts(paused)
    assert not any(
        b["type"] == "interactive" and "sections" in b["interactive"].get("action", {})
        for b in paused
    )
    assert last_outcome(stack) == "paused"
    # staff read and answer through the same connector
    shown = clinic(stack, "conversations", "show", row["id"])
    assert (
        "mon père a fait un malaise" in shown.stdout and "je voudrais un rdv demain" in shown.stdout
    )
    replied = clinic(
        stack, "conversations", "reply", row["id"], "Bonjour, ici le cabinet : nous vous appelons."
    )
    assert replied.returncode == 0, replied.stderr
    wait_until(
        lambda: "Bonjour, ici le cabinet : nous vous appelons." in bot_texts(stack, WA_HANDOFF)
    )
    # a red flag while paused still gets 15 / 112 at once
    urgent = text("il ne respire plus")
    assert first_text(urgent).startswith("🚨 Appelez tout de suite le 15 (SAMU) ou le 112")
    # handed back: the same request now runs the booking flow
    assert clinic(stack, "conversations", "resume", row["id"]).returncode == 0
    wait_until(
        lambda: any(
            t.startswith("Je reprends la conversation") for t in bot_texts(stack, WA_HANDOFF)
        )
    )
    again = text("je voudrais un rdv demain")
    assert last_outcome(stack) == "turn"
    assert "membre de l'équipe a été prévenu" not in body_texts(again)
    assert again, "the booking flow answered nothing"


# --- a hung dependency: an answer within 5 seconds all the same --------------------------------


def timed_replies(stack: Stack, wa_id: str, text: str, until: float) -> list[tuple[float, str]]:
    """Send `text`; collect (seconds since sending, text) of the bot's replies for `until` s."""
    _, before = request(f"{stack.simulator}/_sim/messages?wa_id={wa_id}")
    after = max([item["n"] for item in before["items"]], default=0)  # type: ignore[index]
    status, _ = request(
        f"{stack.simulator}/_sim/send",
        {"type": "text", "text": text, "wa_id": wa_id},
        headers={"X-Sim-Token": simulator_token(stack.simulator)},
    )
    assert status == 200
    began, seen, replies = time.monotonic(), set(), []
    while time.monotonic() - began < until:
        _, news = request(f"{stack.simulator}/_sim/messages?wa_id={wa_id}&after={after}")
        for item in news["items"]:  # type: ignore[index]
            if item["from"] == "bot" and item["n"] not in seen:
                seen.add(item["n"])
                replies.append((time.monotonic() - began, body_texts([item["body"]])))
        time.sleep(0.1)
    return replies


def test_a_stopped_action_server_gets_a_holding_answer_then_the_real_one(stack: Stack) -> None:
    actions = pid_listening_on(int(stack.actions.rsplit(":", 1)[1]), "connectors.action_server")
    whatsapp(stack, {"type": "text", "text": "bonjour"}, wa_id="33611100001")  # notice seen
    os.kill(actions, signal.SIGSTOP)
    try:
        held = timed_replies(stack, "33611100001", "bonjour", until=6)
    finally:
        os.kill(actions, signal.SIGCONT)
    assert held and held[0][0] < 5 and "souci technique" in held[0][1], held
    # resumed: the real answer (the greeting, a second time) follows the holding one
    wait_until(
        lambda: sum(t.startswith("Bonjour") for t in bot_texts(stack, "33611100001")) >= 2,
        timeout=30,
    )
    texts_now = bot_texts(stack, "33611100001")
    assert texts_now.index(held[0][1]) < len(texts_now) - 1


def test_a_stopped_duckling_still_reads_the_time_within_5_seconds(stack: Stack) -> None:
    duckling = pid_listening_on(int(stack.duckling.rsplit(":", 1)[1]), "clinic.adapters.duckling")
    whatsapp(stack, {"type": "text", "text": "bonjour"}, wa_id="33611100002")  # notice seen
    os.kill(duckling, signal.SIGSTOP)
    try:
        replies = timed_replies(
            stack, "33611100002", "je voudrais un rdv demain à 10h pour une consultation", until=8
        )
    finally:
        os.kill(duckling, signal.SIGCONT)
    assert replies and replies[0][0] < 5, replies
    said = " ".join(text for _, text in replies)
    assert "Quel jour" not in said and "compris" not in said, said
    assert "nom" in said or "créneau" in said, said  # the form moved on: the time was read


# --- a patient in danger: the numbers in the very first bubble, whatever else -----------------


def first_text(bodies: list[dict]) -> str:
    assert bodies, "no answer"
    return body_texts(bodies[:1])


@pytest.mark.parametrize("category", sorted(IN_DANGER))
def test_a_new_patient_in_danger_reads_the_numbers_first(stack: Stack, category: str) -> None:
    wa_id = f"3361{sorted(IN_DANGER).index(category):07d}"
    first = first_text(whatsapp(stack, {"type": "text", "text": IN_DANGER[category]}, wa_id))
    assert not first.startswith("ℹ️")  # the privacy notice waits
    if category == "suicide":
        assert "3114" in first and "15" in first and "112" in first
    else:
        assert first.startswith("🚨 Appelez tout de suite le 15 (SAMU) ou le 112"), first
        assert "114" in first
    assert last_outcome(stack) == "emergency"


def test_a_red_flag_in_the_middle_of_a_booking(stack: Stack) -> None:
    wa_id = "33612300001"
    asked = whatsapp(stack, {"type": "text", "text": "je voudrais un rdv demain matin"}, wa_id)
    question = body_texts(asked[1:]).lower()  # after the privacy notice
    assert any(word in question for word in ("motif", "nom", "créneau", "heure")), asked
    urgent = whatsapp(
        stack, {"type": "text", "text": "en fait mon mari a très mal à la poitrine"}, wa_id
    )
    assert first_text(urgent).startswith("🚨 Appelez tout de suite le 15"), urgent
    assert last_outcome(stack) == "emergency"


@pytest.mark.parametrize("stopped", ["actions", "duckling"])
def test_a_red_flag_is_answered_with_a_dependency_hung(stack: Stack, stopped: str) -> None:
    port, needle = {
        "actions": (stack.actions, "connectors.action_server"),
        "duckling": (stack.duckling, "clinic.adapters.duckling"),
    }[stopped]
    pid = pid_listening_on(int(port.rsplit(":", 1)[1]), needle)
    wa_id = "33612300002" if stopped == "actions" else "33612300003"
    os.kill(pid, signal.SIGSTOP)
    try:
        replies = timed_replies(stack, wa_id, "il ne respire plus, il devient bleu", until=6)
    finally:
        os.kill(pid, signal.SIGCONT)
    # Through a turn, the hung dependency would hold it past the budget: « un instant » first.
    assert replies, "no answer"
    assert replies[0][1].startswith("🚨 Appelez tout de suite le 15"), replies
    assert not any("souci technique" in text for _, text in replies), replies


# --- privacy: booked, erased by message, and the database dump shows nothing of it -------------

WA_ERASED = "33644433322"


def tap(stack: Stack, bodies: list[dict], title: str, wa_id: str) -> list[dict]:
    """Tap the reply button (or list row) titled `title` among the bot's last bodies."""
    for body in bodies:
        action = body.get("interactive", {}).get("action", {})
        options = [b["reply"] for b in action.get("buttons", [])]
        options += [r for section in action.get("sections", []) for r in section["rows"]]
        for option in options:
            if option["title"] == title or title == "*":
                kind = "button_reply" if "buttons" in action else "list_reply"
                return whatsapp(
                    stack, {"type": kind, "id": option["id"], "title": option["title"]}, wa_id
                )
    raise AssertionError(f"no « {title} » in {bodies}")


SECRETS = ("Zéphyrine", "Quillebœuf", "verrue plantaire")


def book_then_erase(
    stack: Stack, wa_id: str, dump: Callable[[], str], erased: Callable[[], bool]
) -> str:
    """Book on WhatsApp with a distinctive name and message, check the dump, erase by message,
    wait for the worker; returns the dump taken after."""

    def text(message: str) -> list[dict]:
        return whatsapp(stack, {"type": "text", "text": message}, wa_id=wa_id)

    first = text("Bonjour, je voudrais un rdv jeudi aprem pour un renouvellement d'ordonnance")
    assert body_texts(first).startswith("ℹ️ Vos messages")  # the notice, first contact
    offer = text("je m'appelle Zéphyrine Quillebœuf")
    recap = tap(stack, offer, "*", wa_id)
    done = tap(stack, recap, "Je confirme", wa_id)
    assert "✅" in body_texts(done) and "rappel" in body_texts(done)  # booked, then asked
    text("merci, à jeudi pour ma verrue plantaire")
    before = dump()
    for secret in (*SECRETS, wa_id):
        assert secret not in before  # sealed at rest, before any erasure
    explained = text("supprimez mes données")
    assert "effacer" in body_texts(explained)
    erased_now = tap(stack, explained, "Oui, tout effacer", wa_id)
    assert "effacées" in body_texts(erased_now) and "annulé" in body_texts(erased_now)
    wait_until(erased, timeout=60)  # the worker, once the turn is saved
    after = dump()
    data_key = data_sealer(Settings.from_env(stack.env))
    opened = " ".join(data_key.open(t) for t in re.findall(r"gAAAAA[A-Za-z0-9_\-=]+", after))
    for secret in (*SECRETS, wa_id):
        assert secret not in after and secret not in opened  # gone, even with the key
    return after


@pytest.mark.recette(20)
def test_an_erasure_by_message_leaves_nothing_in_a_database_dump(stack: Stack) -> None:
    def dump() -> str:
        with sqlite3.connect(stack.database) as db:
            return "\n".join(db.iterdump())

    def erased() -> bool:
        with sqlite3.connect(stack.database) as db:
            return db.execute("SELECT COUNT(*) FROM erasures").fetchone()[0] > 0

    book_then_erase(stack, WA_ERASED, dump, erased)
    with sqlite3.connect(stack.database) as db:
        [(status, token)] = db.execute(
            "SELECT status, patient_id FROM appointments WHERE patient_id LIKE 'erased-%'"
        ).fetchall()
        trail = db.execute("SELECT action FROM audit_log WHERE actor_id = ?", (token,)).fetchall()
    assert status == "cancelled" and {a for (a,) in trail} >= {"booked", "cancelled"}


@pytest.mark.recette(17)
def test_whatsapp_media_and_forged_buttons(stack: Stack) -> None:
    voice = whatsapp(stack, {"type": "audio"}, wa_id="33655555555")
    assert "vocaux" in voice[0]["text"]["body"] and "112" in voice[0]["text"]["body"]
    forged = whatsapp(
        stack, {"type": "button_reply", "id": "/restart", "title": "?"}, "33655555555"
    )
    assert forged and all(b["type"] in ("text", "interactive") for b in forged)


def test_the_simulator_page_in_chromium(stack: Stack) -> None:
    """A person's view: type in the chat page, tap the buttons, see the booking confirmed."""
    from tests.browser import chromium

    with chromium() as browser:
        page = browser.new_page()
        page.goto(stack.simulator + "/")
        page.fill("#text", "bonjour je voudrais un rendez-vous vendredi matin pour un vaccin")
        page.press("#text", "Enter")
        page.locator(".msg.bot", has_text="nom").first.wait_for(timeout=30_000)
        page.fill("#text", "Jean Martin")
        page.click("#send")
        page.locator(".msg.bot button", has_text="Voir les choix").first.click(timeout=30_000)
        page.locator(".rows.open button").first.click()
        page.locator(".msg.bot button", has_text="Je confirme").first.click(timeout=30_000)
        page.locator(".msg.bot", has_text="✅").first.wait_for(timeout=30_000)
        assert page.locator(".msg.me .ticks.read").count() >= 3  # marked read by the connector
        transcript = page.locator("#chat").inner_text()
        (ROOT / "var" / "log" / "simulator-page.txt").write_text(transcript)
    booked = [
        a
        for a in clinic_appointments(f"sqlite:///{stack.database}")
        if a["patient_name"] == "Jean Martin"
    ]
    everything = clinic_appointments(f"sqlite:///{stack.database}")
    assert len(booked) == 1 and booked[0]["reason"] == "vaccination", (everything, transcript)


def test_no_phone_number_reaches_any_log(stack: Stack) -> None:
    say(stack, "e2e-privacy", "bonjour mon numéro est le 06 12 34 56 78")
    time.sleep(1)
    written = ""
    for path in (ROOT / "var" / "log").glob("*.log"):
        with path.open("rb") as handle:
            handle.seek(stack.log_offsets.get(path, 0))
            written += handle.read().decode("utf-8", "replace")
    assert "e2e-privacy" in written  # the debug log did record the turn…
    assert PHONE_MASK in written  # …with the number masked
    assert "06 12 34 56 78" not in written and "0612345678" not in written
    assert WA_PATIENT not in written  # the WhatsApp conversations above left no number either


# --- issue 22: a multi-part first message ends in one booking that matches every part ---------

SHIPPED = load_practice(ROOT / "practice.yml")
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip


def open_day(after: int, weekdays: tuple[int, ...] = (0, 1, 3, 4)) -> date:
    """The first day at least `after` days away that is one of `weekdays` (by default those
    open in the afternoon) and not a holiday or closure of the shipped practice."""
    day = practice_today() + timedelta(days=after)
    while day.weekday() not in weekdays or SHIPPED.is_closed(day):
        day += timedelta(days=1)
    return day


def named(day: date) -> str:
    """« jeudi 10 décembre »: unambiguous whatever today is."""
    return f"{FRENCH_DAYS[day.weekday()]} {day.day} {FRENCH_MONTHS[day.month - 1]}"


@dataclass(frozen=True)
class Wish:
    """A first message, what the patient then answers, and what the booking must be."""

    message: Callable[[date], str]
    reason: str
    earliest: str = "00:00"  # the booked start, local time, within [earliest, latest]
    latest: str = "23:59"
    exact: str = ""  # the wished time: offered first, with « … est libre »
    day_offset: int = 2
    same_day: bool = True  # booked on the day named (else within its week)
    weekdays: tuple[int, ...] = (0, 1, 3, 4)
    answers: tuple[str, ...] = ()  # answers to a question before the name


WISHES = {
    "vaccin-fils-matin": Wish(
        lambda d: f"Bonjour, un rendez-vous pour mon fils de 4 ans pour un vaccin {named(d)} matin",
        "vaccination",
        latest="11:59",
        day_offset=2,
    ),
    "ordo-pas-avant-16h": Wish(
        lambda d: (
            f"bonjour je voudrais un rdv {named(d)} pas avant 16h pr un renouvellement d'ordo"
        ),
        "ordonnance",
        earliest="16:00",
        day_offset=3,
    ),
    "resultats-le-N-a-15h": Wish(
        lambda d: f"Salut, rdv le {d.day} à 15h pour mes résultats de prise de sang svp",
        "suivi",
        exact="15:00",
        day_offset=4,
    ),
    "certificat-fille-a-partir-de-17h": Wish(
        lambda d: f"bjr c pour ma fille, certificat de sport, {named(d)} à partir de 17h",
        "certificat",
        earliest="17:00",
        day_offset=5,
        weekdays=(0, 1, 3),  # open after 17h
    ),
    "rappel-vaccin-mere-semaine-du": Wish(
        lambda d: (
            f"Bonsoir, ma mère a besoin de son rappel de vaccin la semaine du {d.day}, "
            "plutôt le matin"
        ),
        "vaccination",
        latest="11:59",
        day_offset=8,
        same_day=False,
        weekdays=(0,),  # « la semaine du N » names a Monday
    ),
    "grossesse-apres-midi": Wish(
        lambda d: (
            f"bonjour je suis enceinte de 3 mois, je voudrais un rdv de suivi {named(d)} après-midi"
        ),
        "suivi-grossesse",
        earliest="14:00",  # the afternoon opens at 14h: a lunchtime or morning slot fails
        day_offset=6,
    ),
    "consultation-mari-avant-10h": Wish(
        lambda d: (
            f"Bonjour, il me faudrait une consultation {named(d)} avant 10h, c'est pour mon mari"
        ),
        "consultation",
        latest="09:59",
        day_offset=7,
    ),
    "certif-foot-aprem-sms": Wish(
        lambda d: f"rdv {named(d)} aprem pr 1 certif pour le foot de mon fils de 10 ans",
        "certificat",
        earliest="14:00",  # the afternoon opens at 14h: a lunchtime or morning slot fails
        day_offset=9,
    ),
    "vaccin-grippe-entre-15h-et-17h": Wish(
        lambda d: (
            f"Bonjour, je voudrais voir le médecin pour un vaccin contre la grippe "
            f"{named(d)} entre 15h et 17h"
        ),
        "vaccination",
        earliest="15:00",
        latest="16:59",
        day_offset=10,
    ),
    "ordo-grand-mere-vers-11h": Wish(
        lambda d: (
            f"bonjour, c'est pour un renouvellement d'ordonnance pour ma grand-mère, "
            f"{named(d)} vers 11h"
        ),
        "ordonnance",
        exact="11:00",
        day_offset=11,
    ),
    "vaccin-pas-avant-le-dejeuner": Wish(
        lambda d: f"Bonjour, un rdv {named(d)} pas avant le déjeuner pour un vaccin",
        "vaccination",
        earliest="14:30",
        day_offset=12,
        answers=("14h30",),  # to « à partir de quelle heure … ? »
    ),
}


SURNAMES = ("Arnaud", "Bernier", "Charpentier", "Dubois", "Étienne", "Fabre", "Girard", "Hubert",
            "Imbert", "Joly", "Klein")  # fmt: skip


@pytest.mark.recette(2, 3, 4, 5, 6, 7)
@pytest.mark.parametrize("case", WISHES, ids=list(WISHES))
def test_a_multi_part_first_message_books_what_was_asked(stack: Stack, case: str) -> None:
    wish = WISHES[case]
    day = open_day(wish.day_offset, wish.weekdays)
    wa_id = f"3361122{list(WISHES).index(case):04d}"

    def text(message: str) -> list[dict]:
        return whatsapp(stack, {"type": "text", "text": message}, wa_id=wa_id)

    first = text(wish.message(day))
    said = body_texts(first).split("ℹ️")[-1].split("Tout savoir")[-1]  # after the notice
    assert "motif" not in said and "Quand" not in said, said  # neither asked again
    for answer in wish.answers:
        assert "à partir de quelle heure" in said, said  # asked, not guessed
        said = body_texts(text(answer))
    assert "nom" in said and said.count("?") == 1, said  # one question: the name
    name = f"Camille {SURNAMES[list(WISHES).index(case)]}"
    offer = text(name)
    offered = body_texts(offer)
    if wish.exact:
        hour = f"{int(wish.exact[:2])}h" + (wish.exact[3:] if wish.exact[3:] != "00" else "")
        assert f"{hour} est libre" in offered, offered
    recap = tap(stack, offer, "*", wa_id)  # the first offered slot
    label = SHIPPED.reason(wish.reason).label
    assert label in body_texts(recap), body_texts(recap)  # the recap shows the reason
    done = tap(stack, recap, "Je confirme", wa_id)
    assert "✅" in body_texts(done), body_texts(done)
    [booked] = [
        a for a in clinic_appointments(f"sqlite:///{stack.database}") if a["patient_name"] == name
    ]
    start = datetime.fromisoformat(booked["start"])
    assert booked["reason"] == wish.reason
    if wish.same_day:
        assert start.date() == day
    else:
        assert day <= start.date() < day + timedelta(days=7)
    assert wish.earliest <= f"{start:%H:%M}" <= wish.latest
    if wish.exact:
        assert f"{start:%H:%M}" == wish.exact
    end = datetime.fromisoformat(booked["end"])
    assert end - start == SHIPPED.reason(wish.reason).duration  # the reason's own duration


@pytest.mark.recette(29)
def test_the_report_and_the_export_read_the_real_conversations(
    stack: Stack, tmp_path: Path
) -> None:
    """On what this module's real conversations left in the database: the report counts the
    WhatsApp bookings made above, and the anonymised export holds none of the names or numbers
    used, and passes `rasa data validate`."""
    # From yesterday: the module's conversations may have started before midnight in Paris (a CI
    # run at 23:00 UTC crossed it), and this database holds nothing older.
    today = practice_today()
    since, until = (today - timedelta(days=1)).isoformat(), today.isoformat()
    figures = json.loads(clinic(stack, "report", "--from", since, "--to", until, "--json").stdout)
    made = [
        a for a in clinic_appointments(f"sqlite:///{stack.database}") if a["status"] != "cancelled"
    ]
    assert (
        figures["completed"] >= len(WISHES)
        and figures["booking_conversations"] >= figures["completed"]
    )
    assert figures["intents"]["book_appointment"] >= len(WISHES)
    # The session's stack is shared with the console's tests, where staff book a caller from
    # the agenda: those count as staff bookings, every other one as the assistant's.
    assert figures["bookings_assistant"] + figures["bookings_staff"] >= len(made)
    assert figures["bookings_assistant"] >= len(WISHES)
    assert figures["answer_seconds"]["p50"] is not None and figures["answer_seconds"]["p50"] < 10
    out = tmp_path / "export"
    done = clinic(
        stack, "conversations", "export", "--anonymise", "--since", since, "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    written = (out / "nlu.yml").read_text() + (out / "test_stories.yml").read_text()
    for name in ("Paul", "Bernard", "Camille", *SURNAMES, WA_PATIENT, STAFF_NUMBER):
        assert name.lower() not in written.lower(), name
    assert "<nom>" in written and "book_appointment" in written
    validated = subprocess.run(
        [sys.executable, "-m", "connectors.launch", "rasa", "data", "validate", "--data", str(out),
         "--domain", str(ROOT / "domain.yml"), "--config", str(ROOT / "config.yml")],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]


def test_ctrl_c_stops_everything(stack: Stack) -> None:
    """Last in this file on purpose: it stops the session's shared stack, and this file is the
    last to use it (pytest keeps file order: …console, …shell, …stack)."""
    urls = (stack.rasa, stack.actions, stack.duckling, stack.simulator)
    ports = [int(url.rsplit(":", 1)[1]) for url in urls]
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=60) == 0
    deadline = time.monotonic() + 15
    while any(port_in_use(p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(port_in_use(p) for p in ports)
