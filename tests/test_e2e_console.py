"""The staff console in Chromium, against the whole stack `make run` starts (Rasa, action server,
Duckling, worker, simulator, console): an emergency typed in the simulator reaches the inbox,
staff answer it and hand back, confirm a pending booking and mark a no-show. The screenshots in
docs/screenshots/ are taken here, so they show what the console really looks like."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinic.adapters.settings import Settings
from clinic.app.wiring import build_services
from clinic.domain.appointments import Appointment, new_appointment_id
from clinic.domain.scheduling import SearchWindow
from tests.stack import DevStack, practice_today, printed_metrics, simulate

ROOT = Path(__file__).parents[1]
SHOTS = ROOT / "docs" / "screenshots"
pytestmark = pytest.mark.stack

MANAGER = ("direction@cabinet-e2e.test", "Claire Direction", "mot de passe direction")
STAFF = ("accueil@cabinet-e2e.test", "Marc Accueil", "mot de passe accueil")


@dataclass
class Stack:
    console: str
    simulator: str
    env: dict[str, str]
    pending: Appointment
    today: Appointment
    metrics: dict[str, str]  # each process's /metrics and /health/* base URL


def clinic(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def seed_agenda(env: dict[str, str]) -> tuple[Appointment, Appointment]:
    """A booking left pending (the outside calendar was down) and one this morning, through
    the same core the assistant uses."""
    services = build_services(Settings.from_env(env))
    try:
        now = services.clock.now()
        window = SearchWindow(now + timedelta(days=1), now + timedelta(days=8))
        slot = services.booking.search(window, "consultation").slots[0]
        pending = Appointment(
            new_appointment_id(),
            "wa-e2e-pending",
            "Hélène Attente",
            slot.practitioner_id,
            "consultation",
            slot.start,
            slot.end,
            status="pending",
        )
        services.appointments.add(pending, now)
        start = now.replace(second=0, microsecond=0) - timedelta(hours=2)
        today = Appointment(
            new_appointment_id(),
            "wa-e2e-absent",
            "Bruno Absent",
            slot.practitioner_id,
            "consultation",
            start,
            start + timedelta(minutes=20),
        )
        services.appointments.add(today, now)
        return pending, today
    finally:
        services.database.dispose()


@pytest.fixture(scope="module")
def stack(dev_stack: DevStack) -> Stack:
    """The session's development stack, with two console accounts and an agenda to act on."""
    env = dev_stack.env
    for who in (MANAGER, STAFF):
        added = clinic(
            env, "staff", "add", "--email", who[0], "--name", who[1], "--password-stdin",
            stdin=who[2] + "\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    pending, today = seed_agenda(env)
    port = dev_stack.console.rsplit(":", 1)[1]
    assert f"Console de l'équipe: http://localhost:{port}/" in dev_stack.printed
    return Stack(
        console=dev_stack.console,
        simulator=dev_stack.simulator,
        env=env,
        pending=pending,
        today=today,
        metrics=printed_metrics(dev_stack.printed),
    )


def test_the_cli_lists_the_accounts_and_the_first_is_a_manager(stack: Stack) -> None:
    listed = clinic(stack.env, "staff", "list", "--json").stdout
    roles = {m["email"]: m["role"] for m in json.loads(listed)}
    assert roles == {MANAGER[0]: "manager", STAFF[0]: "staff"}
    assert "mot de passe" not in listed


def test_requests_without_a_session_or_a_token_are_refused(stack: Stack) -> None:
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as no_session:
        opener.open(f"{stack.console}/agenda")
    assert no_session.value.code == 303
    assert no_session.value.headers["Location"].startswith("/connexion")
    form = urllib.parse.urlencode({"email": STAFF[0], "password": STAFF[2]}).encode()
    with pytest.raises(urllib.error.HTTPError) as no_token:
        opener.open(f"{stack.console}/connexion", data=form)
    assert no_token.value.code == 403


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


@pytest.mark.recette(13, 15)
def test_staff_handle_an_emergency_end_to_end_in_chromium(stack: Stack) -> None:
    from tests.browser import chromium

    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        # a wrong password first: refused, with a French message
        console = browser.new_page(viewport={"width": 1280, "height": 860}, locale="fr-FR")
        console.goto(stack.console + "/")
        console.get_by_label("E-mail").fill(STAFF[0])
        console.get_by_label("Mot de passe").fill("pas le bon")
        console.get_by_role("button", name="Se connecter").click()
        console.get_by_text("E-mail ou mot de passe incorrect").wait_for()
        console.get_by_label("Mot de passe").fill(STAFF[2])
        console.get_by_role("button", name="Se connecter").click()
        console.get_by_role("heading", name="Conversations qui attendent l'équipe").wait_for()
        assert console.get_by_role("link", name="Équipe").count() == 0  # not a manager

        # the receptionist turns on the second factor (the key under the QR code, as a phone
        # without a camera would), then signs in again with a code from the « app »
        import pyotp

        console.get_by_title("Sécurité du compte").click()
        assert console.locator("div.qr svg").count() == 1
        key = console.locator("code.secret").inner_text().replace(" ", "")
        console.get_by_label("Code à 6 chiffres affiché par l'application").fill(
            pyotp.TOTP(key).now()
        )
        console.get_by_role("button", name="Activer").click()
        assert console.locator("ul.recovery li").count() == 8
        console.get_by_role("link", name="J'ai noté mes codes, continuer").click()
        console.get_by_role("button", name="Se déconnecter").click()
        console.get_by_label("E-mail").fill(STAFF[0])
        console.get_by_label("Mot de passe").fill(STAFF[2])
        console.get_by_role("button", name="Se connecter").click()
        console.get_by_label("Code à 6 chiffres ou code de secours").wait_for()
        # a code of the next 30-second step: the enrolment's own code cannot serve twice
        console.get_by_label("Code à 6 chiffres ou code de secours").fill(
            pyotp.TOTP(key).at(time.time() + 30)
        )
        console.get_by_role("button", name="Valider").click()
        console.get_by_role("heading", name="Conversations qui attendent l'équipe").wait_for()

        # a patient writes an emergency in the simulator; the inbox shows it by itself
        phone = browser.new_page(viewport={"width": 420, "height": 860})
        phone.goto(stack.simulator + "/?numero=33611177002&nom=Gilles")  # this file's own patient
        phone.fill("#text", "mon père a fait un malaise")
        phone.press("#text", "Enter")
        phone.locator(".msg.bot", has_text="15").first.wait_for(timeout=30_000)
        row = console.locator("tr.emergency")
        row.first.wait_for(timeout=15_000)  # polled, no reload
        assert "URGENCE" in row.first.inner_text()
        console.wait_for_function("document.title.startsWith('(1)')", timeout=10_000)
        console.screenshot(path=str(SHOTS / "console-inbox.png"))

        assert "Gilles" in row.first.inner_text()  # the WhatsApp profile name, marked as such
        assert "(nom WhatsApp)" in row.first.inner_text()

        # open it: who it is, and a number to call
        row.first.get_by_role("link").click()
        console.get_by_text("mon père a fait un malaise").first.wait_for()
        assert "Gilles" in console.get_by_role("heading", level=1).inner_text()
        call = console.locator("a.tel")
        assert call.get_attribute("href") == "tel:+33611177002"
        assert call.inner_text() == "+33 6 11 17 70 02"
        conversation_url = console.url

        # found again from the number a caller gives, typed as staff type it
        console.goto(stack.console + "/")
        console.get_by_role("searchbox").fill("06 11 17 70 02")
        console.get_by_role("button", name="Chercher").click()
        console.get_by_text("1 patient pour").wait_for()
        console.screenshot(path=str(SHOTS / "console-search.png"), full_page=True)
        console.get_by_role("link", name="Ouvrir la conversation").click()
        assert console.url == conversation_url

        # answer, and the patient reads the answer
        console.get_by_label("Réponse").fill("Ici le cabinet : nous vous appelons tout de suite.")
        console.get_by_role("button", name="Envoyer", exact=True).click()
        console.get_by_text("Réponse envoyée au patient.").wait_for()
        phone.locator(".msg.bot", has_text="nous vous appelons tout de suite").wait_for(
            timeout=30_000
        )
        console.reload()
        console.get_by_text("Équipe (" + STAFF[0]).first.wait_for()
        console.screenshot(path=str(SHOTS / "console-conversation.png"), full_page=True)

        # hand back: the assistant answers the patient's next message again
        console.get_by_role("button", name="Rendre la main à l'assistant").click()
        console.get_by_text("La conversation est rendue à l'assistant").wait_for()
        phone.locator(".msg.bot", has_text="Je reprends la conversation").wait_for(timeout=30_000)
        before = phone.locator(".msg.bot").count()
        phone.fill("#text", "je voudrais un rendez-vous pour un vaccin")
        phone.press("#text", "Enter")
        phone.wait_for_function(
            f"document.querySelectorAll('.msg.bot').length > {before}", timeout=30_000
        )
        answer = phone.locator(".msg.bot").last.inner_text()
        assert "membre de l'équipe a été prévenu" not in answer, answer

        # the agenda: confirm the pending booking, mark this morning's patient absent
        day = stack.pending.start.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
        console.goto(f"{stack.console}/agenda?jour={day}")
        pending_row = console.locator(f"tr[data-id='{stack.pending.id}']")
        assert "À confirmer" in pending_row.inner_text()
        pending_row.get_by_role("button", name="Confirmer").click()
        console.get_by_text("C'est fait").wait_for()
        assert "Réservé" in console.locator(f"tr[data-id='{stack.pending.id}']").inner_text()

        day = stack.today.start.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
        console.goto(f"{stack.console}/agenda?jour={day}")  # yesterday from 00:00 to 02:00
        absent_row = console.locator(f"tr[data-id='{stack.today.id}']")
        absent_row.get_by_role("button", name="Absent").click()
        console.get_by_text("Présence enregistrée.").wait_for()
        assert "Absent" in console.locator(f"tr[data-id='{stack.today.id}'] td").nth(4).inner_text()
        assert "1 abs." in console.locator(f"tr[data-id='{stack.today.id}']").inner_text()
        console.screenshot(path=str(SHOTS / "console-agenda.png"), full_page=True)

        # a caller phones: booked from the agenda, the first free slot the assistant would offer
        console.goto(f"{stack.console}/agenda")
        console.get_by_role("link", name="Nouveau rendez-vous").click()
        console.get_by_label("Nom du patient").fill("Agathe Appel")
        console.get_by_label("Motif").select_option(label="Consultation")
        console.get_by_role("button", name="Voir les créneaux libres").click()
        console.get_by_role("button", name=re.compile("^Réserver le")).first.wait_for()
        console.screenshot(path=str(SHOTS / "console-new-appointment.png"), full_page=True)
        console.get_by_role("button", name=re.compile("^Réserver le")).first.click()
        console.get_by_text("Rendez-vous pris").wait_for()
        assert "Agathe Appel" in console.locator("p.meta").inner_text()
        booked_for_caller = console.url.split("/rendez-vous/", 1)[1].split("?", 1)[0]

        # readable on a phone: nothing wider than the screen
        small = browser.new_page(viewport={"width": 390, "height": 844})
        small.context.add_cookies(console.context.cookies())
        small.goto(f"{stack.console}/agenda")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
    services = build_services(Settings.from_env(stack.env))
    try:
        confirmed = services.appointments.get(stack.pending.id)
        trail = services.audit.entries(appointment_id=stack.today.id)
        caller = services.appointments.get(booked_for_caller)
        caller_trail = services.audit.entries(appointment_id=booked_for_caller)
        views = services.identity_views.recent()
    finally:
        services.database.dispose()
    assert confirmed is not None and confirmed.status == "booked"
    assert [(e.action, e.actor_id) for e in trail] == [("no_show", STAFF[0])]
    assert caller is not None and caller.patient_name == "Agathe Appel" and caller.active
    assert [(e.action, e.actor_id) for e in caller_trail] == [("booked", STAFF[0])]
    seen = {(v.staff, v.place) for v in views}
    assert {(STAFF[0], "inbox"), (STAFF[0], "conversation"), (STAFF[0], "search")} <= seen


@pytest.mark.recette(28)
def test_a_manager_manages_accounts_in_chromium(stack: Stack) -> None:
    from tests.browser import chromium

    with chromium() as browser:
        page = browser.new_page()
        page.goto(stack.console + "/connexion")
        page.get_by_label("E-mail").fill(MANAGER[0])
        page.get_by_label("Mot de passe").fill(MANAGER[2])
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Équipe").click()
        page.get_by_label("E-mail").fill("remplacant@cabinet-e2e.test")
        page.get_by_label("Nom").fill("Rémi Remplaçant")
        page.get_by_label("Mot de passe (10 caractères au moins)").fill("remplacant 2026")
        page.get_by_role("button", name="Créer le compte").click()
        page.get_by_text("Compte créé.").wait_for()
        assert "Rémi Remplaçant" in page.locator("table").inner_text()

        # the new account signs in, in its own browser context
        newcomer = browser.new_context().new_page()
        newcomer.goto(stack.console + "/connexion")
        newcomer.get_by_label("E-mail").fill("remplacant@cabinet-e2e.test")
        newcomer.get_by_label("Mot de passe").fill("remplacant 2026")
        newcomer.get_by_role("button", name="Se connecter").click()
        newcomer.get_by_role("heading", name="Conversations qui attendent l'équipe").wait_for()

        # the manager disables it: its open session ends at once, and it cannot sign in again
        page.on("dialog", lambda dialog: dialog.accept())
        row = page.locator("tr", has_text="remplacant@cabinet-e2e.test")
        row.get_by_role("button", name="Désactiver").click()
        page.get_by_text("Compte désactivé.").wait_for()
        assert (
            "Désactivé" in page.locator("tr", has_text="remplacant@cabinet-e2e.test").inner_text()
        )
        newcomer.goto(stack.console + "/agenda")
        newcomer.get_by_role("button", name="Se connecter").wait_for()
        newcomer.get_by_label("E-mail").fill("remplacant@cabinet-e2e.test")
        newcomer.get_by_label("Mot de passe").fill("remplacant 2026")
        newcomer.get_by_role("button", name="Se connecter").click()
        newcomer.get_by_text("désactivé").wait_for()

        # the manager reads who saw which patient's identity (the receptionist, above)
        page.get_by_role("link", name="Journal").click()
        page.get_by_role("heading", name="Journal des consultations d'identité").wait_for()
        assert STAFF[0] in page.locator("table").inner_text()
    listed = clinic(stack.env, "staff", "list").stdout
    assert "remplacant@cabinet-e2e.test" in listed


# --- metrics, readiness and one message's trace ------------------------------------------------


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(snapshot: dict, name: str, **labels: str) -> float:
    return snapshot.get((name, tuple(sorted(labels.items()))), 0.0)


def total(snapshot: dict, name: str) -> float:
    return sum(v for (sample, _), v in snapshot.items() if sample == name)


def test_every_process_is_ready_and_says_what_it_checked(stack: Stack) -> None:
    assert set(stack.metrics) == {"rasa", "actions", "worker", "console"}
    expected = {
        "rasa": {"database", "duckling", "action_server", "whatsapp_credentials", "model"},
        "actions": {"database", "duckling"},
        "worker": {"database", "whatsapp_credentials"},
        "console": {"database"},
    }
    for name, base in stack.metrics.items():
        with urllib.request.urlopen(base + "/health/ready", timeout=10) as response:
            ready = json.loads(response.read())
        assert ready["ready"] and set(ready["checks"]) == expected[name], (name, ready)


def test_a_booking_moves_each_process_counters_and_its_path_can_be_traced(stack: Stack) -> None:
    """Four WhatsApp messages book an appointment; every process's /metrics moves by what
    happened, and `clinic trace` follows the first message through Rasa and the actions."""
    before = {name: scrape(base) for name, base in stack.metrics.items()}
    wa_id = "33611177001"
    day = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")[weekday_in(3)]
    first, asked = simulate(
        stack.simulator,
        {"type": "text", "text": f"Bonjour, un rdv {day} matin pour un vaccin svp"},
        wa_id,
    )
    assert asked, "no answer to the first message"
    _, offered = simulate(stack.simulator, {"type": "text", "text": "Lucie Martin"}, wa_id)
    [offer] = [b for b in offered if b["type"] == "interactive"]
    row = offer["interactive"]["action"]["sections"][0]["rows"][0]
    _, recap = simulate(
        stack.simulator, {"type": "list_reply", "id": row["id"], "title": row["title"]}, wa_id
    )
    [question] = [b for b in recap if b["type"] == "interactive"]
    confirm = next(
        b["reply"]
        for b in question["interactive"]["action"]["buttons"]
        if b["reply"]["title"] == "Je confirme"
    )
    _, done = simulate(stack.simulator, {"type": "button_reply", **confirm}, wa_id)
    assert any("✅" in b.get("text", {}).get("body", "") for b in done), done
    after = {name: scrape(base) for name, base in stack.metrics.items()}

    def moved(process: str, name: str, **labels: str) -> float:
        return value(after[process], name, **labels) - value(before[process], name, **labels)

    # the Rasa process: the webhook, the messages, the turns, the NLU, the Graph API
    assert (
        moved("rasa", "clinic_whatsapp_inbound_messages_total", kind="text", outcome="accepted")
        == 2
    )
    assert (
        moved("rasa", "clinic_whatsapp_inbound_messages_total", kind="choice", outcome="accepted")
        == 2
    )
    assert moved("rasa", "clinic_whatsapp_messages_handled_total", outcome="turn") == 4
    assert moved("rasa", "clinic_whatsapp_turn_seconds_count") == 4
    assert moved("rasa", "clinic_whatsapp_webhook_requests_total", outcome="accepted") >= 4
    intents = total(after["rasa"], "clinic_nlu_intents_total") - total(
        before["rasa"], "clinic_nlu_intents_total"
    )
    assert intents == 4
    assert moved("rasa", "clinic_whatsapp_graph_requests_total", outcome="ok") >= 4
    # the action server: the booking, the form, the reminder planned, Duckling asked
    assert (
        moved("actions", "clinic_appointment_changes_total", action="booked", actor="patient") == 1
    )
    assert moved("actions", "clinic_forms_total", form="booking_form", outcome="completed") == 1
    assert moved("actions", "clinic_reminders_total", outcome="planned") == 1
    assert moved("actions", "clinic_duckling_request_seconds_count") >= 1
    # the worker reports the database's state; the outbox is empty again
    assert value(after["worker"], "clinic_whatsapp_outbox_pending") == 0
    assert ("clinic_emergencies_unopened", ()) in after["worker"]

    traced = clinic(stack.env, "trace", first, "--json", "--logs", str(ROOT / "var" / "log"))
    assert traced.returncode == 0, traced.stderr
    path = json.loads(traced.stdout)
    assert path["inbound"]["outcome"] == "turn" and path["inbound"]["kind"] == "text"
    assert first not in traced.stdout and path["trace_id"] not in first
    processes = {line["process"] for line in path["log"]}
    assert {"rasa", "actions"} <= processes, processes
    said = [(line["process"], line["message"]) for line in path["log"]]
    assert ("rasa", "message received") in said and ("rasa", "turn done") in said
    assert any(p == "rasa" and m == "nlu" for p, m in said)
    assert any(p == "actions" and m.startswith("action ") for p, m in said)
    assert path["outbox"] and all(row["status"] != "queued" for row in path["outbox"])
    # in the raw JSON lines too: the same id on each line of that turn, nothing else
    raw = [
        json.loads(line)
        for name in ("rasa", "actions")
        for line in (ROOT / "var" / "log" / f"{name}.log").read_text().splitlines()
        if path["trace_id"] in line
    ]
    assert raw and all(entry["trace_id"] == path["trace_id"] for entry in raw)
    readable = clinic(stack.env, "trace", first, "--logs", str(ROOT / "var" / "log"))
    assert "issue / outcome: turn" in readable.stdout and "nlu" in readable.stdout


def weekday_in(days: int) -> int:
    """The weekday index (0 = Monday) of the first weekday at least `days` days away."""
    day = practice_today() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.weekday()


def test_screenshots_exist() -> None:
    """Guard for the docs: the pictures the team guide shows are the ones taken above."""
    for name in (
        "console-inbox.png",
        "console-conversation.png",
        "console-agenda.png",
        "console-search.png",
        "console-new-appointment.png",
    ):
        assert (SHOTS / name).exists() and (SHOTS / name).stat().st_size > 10_000, name
    assert re.search(
        r"screenshots/console-inbox\.png", (ROOT / "docs" / "guide-equipe.md").read_text()
    )
