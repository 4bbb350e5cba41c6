"""The console's pages through a real aiohttp server on loopback, over the real core and database
(SQLite, and PostgreSQL when marked): sign-in, CSRF, roles, inbox, replies, agenda, no-shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from aiohttp.test_utils import TestClient, make_mocked_request

from clinic.adapters.storage.tables import whatsapp_outbound
from clinic.app.console.limits import SignInLimit, client_address
from clinic.app.console.security import CSRF_COOKIE, SESSION_COOKIE
from clinic.app.wiring import Services
from clinic.domain.appointments import Appointment, new_appointment_id
from clinic.domain.clock import FixedClock
from clinic.domain.safety import Category
from clinic.domain.scheduling import SearchWindow
from tests.conftest import NOW, PARIS

MANAGER = ("responsable@cabinet.test", "Claire Responsable", "un mot de passe solide")
STAFF = ("accueil@cabinet.test", "Marc Accueil", "un autre mot de passe")
PATIENT = "wa-0123456789abcdef0123456789abcdef"
WA_ID = "33611112222"


async def csrf(client: TestClient, path: str = "/connexion") -> str:
    response = await client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', await response.text())
    assert found, await response.text()
    return found.group(1)


async def sign_in(client: TestClient, who: tuple[str, str, str] = STAFF) -> None:
    token = await csrf(client)
    response = await client.post(
        "/connexion",
        data={"csrf": token, "email": who[0], "password": who[2]},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()


async def post(client: TestClient, path: str, **fields: str) -> tuple[int, str, str]:
    """A form post with the page's token; (status, Location, body)."""
    token = await csrf(client, "/")
    response = await client.post(path, data={"csrf": token, **fields}, allow_redirects=False)
    return response.status, response.headers.get("Location", ""), await response.text()


def a_patient(services: Services, name: str = "Jeanne Dupont", patient_id: str = PATIENT) -> None:
    services.patients.remember(patient_id, name, NOW)
    services.contacts.remember_contact(patient_id, WA_ID, None, NOW - timedelta(hours=1), NOW)


def booked(services: Services, status: str = "booked", days: int = 0) -> Appointment:
    """An appointment today (or `days` ahead) in the first free slot."""
    start = NOW + timedelta(days=days)
    window = SearchWindow(start, start + timedelta(days=2))
    slot = services.booking.search(window, "consultation").slots[0]
    appointment = Appointment(
        new_appointment_id(),
        PATIENT,
        "Jeanne Dupont",
        slot.practitioner_id,
        "consultation",
        slot.start,
        slot.end,
        status=status,  # type: ignore[arg-type]
    )
    return services.appointments.add(appointment, NOW)


def outbox_kinds(services: Services) -> list[str]:
    with services.database.transaction() as connection:
        return [row.kind for row in connection.execute(whatsapp_outbound.select())]


# --- sign-in, sessions, CSRF, roles ----------------------------------------------------------------


async def test_the_login_page_has_the_contract_labels(client: TestClient) -> None:
    page = await (await client.get("/connexion")).text()
    for label in ("E-mail", "Mot de passe"):
        assert re.search(rf"<label for=\"\w+\">{label}</label>", page), label
    assert ">Se connecter</button>" in page
    assert "https://" not in page  # nothing from a CDN


async def test_a_request_without_a_session_is_refused(client: TestClient) -> None:
    page = await client.get("/agenda", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/connexion?suite=")
    polled = await client.get("/boite.json")
    assert polled.status == 401
    status, _, _ = await post(client, "/conversations/abcdef12/rendre")
    assert status == 401


async def test_sign_in_leads_back_where_staff_were_going(client: TestClient) -> None:
    token = await csrf(client, "/connexion?suite=%2Fagenda")
    response = await client.post(
        "/connexion",
        data={"csrf": token, "email": STAFF[0].upper(), "password": STAFF[2], "suite": "/agenda"},
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == "/agenda"
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert (await client.get("/agenda")).status == 200


@pytest.mark.parametrize("suite", ["//evil.test/", "/\\evil.test/", "https://evil.test/", "/\tx"])
async def test_a_sign_in_cannot_send_staff_to_another_site(client: TestClient, suite: str) -> None:
    token = await csrf(client)
    response = await client.post(
        "/connexion",
        data={"csrf": token, "email": STAFF[0], "password": STAFF[2], "suite": suite},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/"


async def test_a_wrong_password_is_refused_then_the_account_locks(client: TestClient) -> None:
    for _ in range(4):
        token = await csrf(client)
        response = await client.post(
            "/connexion", data={"csrf": token, "email": STAFF[0], "password": "pas le bon"}
        )
        assert response.status == 401
        assert "E-mail ou mot de passe incorrect" in await response.text()
        assert SESSION_COOKIE not in response.cookies
    token = await csrf(client)
    fifth = await client.post(
        "/connexion", data={"csrf": token, "email": STAFF[0], "password": "toujours faux"}
    )
    assert fifth.status == 401 and "E-mail ou mot de passe incorrect" in await fifth.text()
    # locked: even the right password is refused for now
    token = await csrf(client)
    right = await client.post(
        "/connexion", data={"csrf": token, "email": STAFF[0], "password": STAFF[2]}
    )
    assert right.status == 401 and "bloqué" in await right.text()


async def test_an_unknown_address_reads_like_a_wrong_password(client: TestClient) -> None:
    token = await csrf(client)
    response = await client.post(
        "/connexion", data={"csrf": token, "email": "personne@cabinet.test", "password": "x" * 12}
    )
    assert response.status == 401 and "E-mail ou mot de passe incorrect" in await response.text()


async def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    a_patient(services)
    services.handoff.pause(PATIENT, "handoff")
    reference = PATIENT[3:11]
    missing = await client.post(
        f"/conversations/{reference}/rendre", data={}, allow_redirects=False
    )
    forged = await client.post(
        f"/conversations/{reference}/rendre", data={"csrf": "x" * 64}, allow_redirects=False
    )
    odd = await client.post(
        f"/conversations/{reference}/rendre", data={"csrf": "é" * 64}, allow_redirects=False
    )
    assert missing.status == 403 and forged.status == 403 and odd.status == 403
    assert services.handoff.paused(PATIENT) is not None  # nothing happened
    # even the sign-in form needs it
    bare = await client.post("/connexion", data={"email": STAFF[0], "password": STAFF[2]})
    assert bare.status == 403


async def test_sign_out_ends_the_session(client: TestClient) -> None:
    await sign_in(client)
    stolen = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE].value
    status, location, _ = await post(client, "/deconnexion")
    assert status == 303 and location == "/connexion"
    client.session.cookie_jar.update_cookies({SESSION_COOKIE: stolen})  # replayed
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_a_disabled_account_is_signed_out_at_once(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    assert (await client.get("/", allow_redirects=False)).status == 200
    services.staff.disable(STAFF[0])
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_a_staff_account_cannot_manage_accounts(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    assert (await client.get("/equipe")).status == 403
    status, _, _ = await post(
        client, "/equipe", email="x@cabinet.test", nom="X", password="y" * 12, role="manager"
    )
    assert status == 403
    assert services.staff.by_email("x@cabinet.test") is None


@pytest.mark.recette(28)
async def test_a_manager_adds_and_disables_accounts(client: TestClient, services: Services) -> None:
    await sign_in(client, MANAGER)
    page = await (await client.get("/equipe")).text()
    assert STAFF[0] in page and "Responsable" in page
    status, location, _ = await post(
        client, "/equipe", email="nouveau@cabinet.test", nom="Nina Nouvelle", password="z" * 12
    )
    assert status == 303 and location == "/equipe?msg=staff_added"
    added = services.staff.by_email("nouveau@cabinet.test")
    assert added is not None and added.role == "staff"
    status, _, body = await post(client, "/equipe", email="bad", nom="B", password="z" * 12)
    assert status == 400 and "invalide" in body
    status, _, _ = await post(client, f"/equipe/{added.id}/desactiver")
    assert status == 303 and not services.staff.by_email("nouveau@cabinet.test").active  # type: ignore[union-attr]


# --- inbox and conversation ------------------------------------------------------------------------


async def test_the_inbox_puts_emergencies_first_and_counts_unread(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    a_patient(services, "Paul Handoff", "wa-" + "a" * 32)
    services.handoff.pause("wa-" + "a" * 32, "handoff")
    clock.set(NOW + timedelta(minutes=5))
    a_patient(services, "Émile Urgence", "wa-" + "b" * 32)
    services.handoff.pause("wa-" + "b" * 32, "emergency", Category.CHEST_PAIN)
    clock.set(NOW + timedelta(minutes=17))
    await sign_in(client)
    page = await (await client.get("/")).text()
    assert page.index("Émile Urgence") < page.index("Paul Handoff")
    assert "URGENCE" in page and "12 min" in page and "17 min" in page
    assert "URGENCE</span> douleur thoracique" in page  # the category, never the words
    assert "<title>(2) Boîte de réception" in page
    polled = await (await client.get("/boite.json")).json()
    assert polled["unread"] == 2 and polled["waiting"] == 2 and "Émile Urgence" in polled["rows"]
    opened = await (await client.get(f"/conversations/{'b' * 8}")).text()
    assert "URGENCE</span> douleur thoracique" in opened
    assert "urgence signalée : douleur thoracique" in opened  # the transcript's event
    assert (await (await client.get("/boite.json")).json())["unread"] == 1


async def test_open_reply_and_hand_back(client: TestClient, services: Services) -> None:
    a_patient(services)
    services.transcript.add(PATIENT, "patient", "mon père a fait un malaise", NOW)
    services.transcript.add(
        PATIENT, "assistant", "Appelez le 15.", NOW, None, ["Oui", "Non", "Plus tard"]
    )
    services.handoff.pause(PATIENT, "emergency")
    await sign_in(client)
    page = await (await client.get(f"/conversations/{PATIENT[3:11]}")).text()
    assert "mon père a fait un malaise" in page and "Jeanne Dupont" in page
    assert '<span class="chip">Plus tard</span>' in page  # the buttons the patient saw
    assert '<label for="texte">Réponse</label>' in page and ">Envoyer</button>" in page
    assert ">Rendre la main à l'assistant</button>" in page
    assert services.conversations.get(PATIENT).opened_at is not None  # type: ignore[union-attr]

    status, location, _ = await post(
        client, f"/conversations/{PATIENT[3:11]}/repondre", texte="Nous vous rappelons."
    )
    assert status == 303 and location.endswith("msg=sent")
    assert outbox_kinds(services) == ["staff"]
    [*_, line] = services.transcript.lines(PATIENT)
    assert (line.author, line.actor_id, line.text) == ("staff", STAFF[0], "Nous vous rappelons.")

    status, location, _ = await post(client, f"/conversations/{PATIENT[3:11]}/rendre")
    assert location.endswith("msg=resumed") and services.handoff.paused(PATIENT) is None
    assert outbox_kinds(services) == ["staff", "handoff"]  # « Je reprends la conversation »


async def test_a_closed_window_offers_the_template(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    a_patient(services)
    services.handoff.pause(PATIENT, "handoff")
    clock.set(NOW + timedelta(hours=30))
    await sign_in(client)
    page = await (await client.get(f"/conversations/{PATIENT[3:11]}")).text()
    assert "plus de 24 heures" in page and 'name="texte"' not in page
    status, location, _ = await post(
        client, f"/conversations/{PATIENT[3:11]}/repondre", texte="Bonjour"
    )
    assert location.endswith("msg=window") and outbox_kinds(services) == []
    status, location, _ = await post(client, f"/conversations/{PATIENT[3:11]}/modele")
    assert location.endswith("msg=template") and outbox_kinds(services) == ["reengage"]


async def test_close_without_a_message(client: TestClient, services: Services) -> None:
    a_patient(services)
    services.handoff.pause(PATIENT, "handoff")
    await sign_in(client)
    status, location, _ = await post(client, f"/conversations/{PATIENT[3:11]}/clore")
    assert location.endswith("msg=closed") and services.handoff.paused(PATIENT) is None
    assert outbox_kinds(services) == []
    closed = await (await client.get("/?vue=closes")).text()
    assert "Jeanne Dupont" in closed


async def test_an_unknown_conversation_is_a_404(client: TestClient) -> None:
    await sign_in(client)
    assert (await client.get("/conversations/zzzzzzzz")).status == 404


# --- agenda ------------------------------------------------------------------------------------------


@pytest.mark.recette(27)
async def test_confirm_a_pending_booking_from_the_agenda(
    client: TestClient, services: Services
) -> None:
    a_patient(services)
    pending = booked(services, "pending")
    await sign_in(client)
    day = pending.start.astimezone(PARIS).date().isoformat()
    page = await (await client.get(f"/agenda?jour={day}")).text()
    assert "Jeanne Dupont" in page and "À confirmer" in page and ">Confirmer</button>" in page
    status, location, _ = await post(
        client, f"/rendez-vous/{pending.id}/confirmer", retour=f"/agenda?jour={day}"
    )
    assert status == 303 and location == f"/agenda?jour={day}&msg=done_whatsapp"
    assert services.appointments.get(pending.id).status == "booked"  # type: ignore[union-attr]
    assert outbox_kinds(services) == ["confirmation"]
    [entry] = services.audit.entries(appointment_id=pending.id)
    assert (entry.action, entry.actor, entry.actor_id) == ("booked", "staff", STAFF[0])
    again = await post(client, f"/rendez-vous/{pending.id}/confirmer")
    assert again[1].endswith("msg=not_pending")


@pytest.mark.recette(26, 33)
async def test_mark_a_no_show_and_see_it_per_patient(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    a_patient(services)
    today = booked(services)
    later = booked(services, days=3)
    await sign_in(client)
    early = await post(client, f"/rendez-vous/{later.id}/absent")
    assert early[1].endswith("msg=not_yet")  # not before the day
    clock.set(today.end + timedelta(minutes=20))
    status, location, _ = await post(client, f"/rendez-vous/{today.id}/absent")
    assert location.endswith("msg=marked_whatsapp")  # the follow-up (practice.yml no_shows)
    assert services.appointments.get(today.id).attendance == "no_show"  # type: ignore[union-attr]
    assert services.appointments.no_shows([PATIENT]) == {PATIENT: 1}
    assert outbox_kinds(services) == ["no_show"]
    again = await post(client, f"/rendez-vous/{today.id}/absent")
    assert again[1].endswith("msg=marked") and outbox_kinds(services) == ["no_show"]  # once
    await post(client, f"/rendez-vous/{today.id}/arrive")  # a wrong click, corrected twice
    await post(client, f"/rendez-vous/{today.id}/absent")
    assert outbox_kinds(services) == ["no_show"]  # still once for this appointment
    page = await (await client.get(f"/rendez-vous/{later.id}")).text()
    assert "1 absence non excusée" in page
    trail = await (await client.get(f"/rendez-vous/{today.id}")).text()
    assert "Marqué absent" in trail and STAFF[0] in trail


async def test_move_and_cancel_tell_the_patient(client: TestClient, services: Services) -> None:
    a_patient(services)
    appointment = booked(services, days=2)
    await sign_in(client)
    page = await (await client.get(f"/rendez-vous/{appointment.id}")).text()
    options = re.findall(r'<option value="([^"]+)">', page)
    assert options and '<label for="horaire">Nouvel horaire</label>' in page
    status, location, _ = await post(
        client, f"/rendez-vous/{appointment.id}/deplacer", horaire=options[0]
    )
    assert location.endswith("msg=done_whatsapp"), location
    moved = services.appointments.get(appointment.id)
    assert moved is not None and moved.start == datetime.fromisoformat(options[0])
    status, location, _ = await post(client, f"/rendez-vous/{appointment.id}/annuler")
    assert location.endswith("msg=done_whatsapp")
    assert outbox_kinds(services) == ["move", "cancellation"]
    actions = [(e.action, e.actor_id) for e in services.audit.entries(appointment.id)]
    assert actions == [("moved", STAFF[0]), ("cancelled", STAFF[0])]


async def test_a_move_to_a_taken_time_changes_nothing(
    client: TestClient, services: Services
) -> None:
    a_patient(services)
    first, second = booked(services, days=2), booked(services, days=2)
    await sign_in(client)
    status, location, _ = await post(
        client, f"/rendez-vous/{first.id}/deplacer", horaire=second.start.isoformat()
    )
    assert location.endswith("msg=taken")
    assert services.appointments.get(first.id).start == first.start  # type: ignore[union-attr]
    garbled = await post(client, f"/rendez-vous/{first.id}/deplacer", horaire="jeudi")
    assert garbled[1].endswith("msg=taken")


async def test_the_week_view_and_security_headers(client: TestClient, services: Services) -> None:
    a_patient(services)
    booked(services, days=1)
    await sign_in(client)
    response = await client.get("/agenda?vue=semaine")
    page = await response.text()
    assert "Jeanne Dupont" in page and "semaine" in page
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"  # health data stays out of caches
    assert CSRF_COOKIE in client.session.cookie_jar.filter_cookies(client.make_url("/"))


async def test_every_control_has_a_label(client: TestClient, services: Services) -> None:
    """Inputs, selects and textareas are named by a <label for=…> (accessible, and what the
    browser tests select by)."""
    a_patient(services)
    services.handoff.pause(PATIENT, "handoff")
    appointment = booked(services, days=2)
    await sign_in(client, MANAGER)
    for path in (
        "/",
        f"/conversations/{PATIENT[3:11]}",
        f"/rendez-vous/{appointment.id}",
        "/equipe",
    ):
        page = await (await client.get(path)).text()
        controls = re.findall(r"<(?:input|select|textarea)\b(?![^>]*type=\"hidden\")[^>]*>", page)
        for control in controls:
            found = re.search(r'id="([^"]+)"', control)
            assert found and f'for="{found.group(1)}"' in page, (path, control)


@pytest.mark.recette(29)
async def test_statistics_are_for_managers(client: TestClient, services: Services) -> None:
    """« Statistiques »: the pilot report in the console (counts only), for managers."""
    booked(services)
    await sign_in(client)
    assert "Statistiques" not in await (await client.get("/")).text()
    assert (await client.get("/statistiques")).status == 403
    await client.post("/deconnexion", data={"csrf": await csrf(client, "/")})
    await sign_in(client, MANAGER)
    assert 'href="/statistiques">Statistiques<' in await (await client.get("/")).text()
    response = await client.get("/statistiques?du=2026-11-01&au=2026-12-31")
    page = await response.text()
    assert response.status == 200
    assert "Bilan du pilote" in page and "Du <strong>2026-11-01</strong>" in page
    assert page.count('src="data:image/png;base64,') == 10
    assert 'id="kpi-completion"' in page and 'id="kpi-no-show"' in page
    assert "<script>" not in page  # the page's CSP allows no inline script
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]
    fallback = await (await client.get("/statistiques?du=n'importe&au=quoi")).text()
    assert "Bilan du pilote" in fallback  # a bad period shows the last 30 days


# --- accounts and lockout (issue 31) ---


async def refused(
    client: TestClient, email: str, password: str, forwarded: str = "198.51.100.1"
) -> tuple[int, str]:
    """A sign-in from the address Caddy reports; (status, page with the address typed in
    replaced, since the form keeps it)."""
    token = await csrf(client)
    response = await client.post(
        "/connexion",
        data={"csrf": token, "email": email, "password": password},
        headers={"X-Forwarded-For": forwarded},
        allow_redirects=False,
    )
    return response.status, (await response.text()).replace(email, "EMAIL")


async def test_unknown_locked_and_wrong_read_the_same(
    client: TestClient, services: Services
) -> None:
    """Nothing on the page tells whether an address has an account, or whether it is locked."""
    for _ in range(5):
        services.staff.sign_in(STAFF[0], "pas le bon")
    assert services.staff.sign_in(STAFF[0], STAFF[2]).outcome == "locked"
    unknown = await refused(client, "personne@cabinet.test", "x" * 12)
    wrong = await refused(client, MANAGER[0], "pas le bon")
    locked = await refused(client, STAFF[0], STAFF[2])  # the right password, during the lock
    assert unknown == wrong == locked
    status, page = locked
    assert status == 401
    assert "E-mail ou mot de passe incorrect. Après plusieurs essais" in page
    assert "jusqu" not in page and SESSION_COOKIE not in page


async def test_a_disabled_account_keeps_its_own_message(
    client: TestClient, services: Services
) -> None:
    services.staff.disable(STAFF[0])
    status, page = await refused(client, STAFF[0], STAFF[2])
    assert status == 401 and "Ce compte est désactivé" in page
    status, page = await refused(client, STAFF[0], "pas le bon")
    assert status == 401 and "désactivé" not in page  # only the password tells


async def test_too_many_failures_from_one_address_are_refused_for_a_while(
    client: TestClient, clock: FixedClock
) -> None:
    """20 failed sign-ins per address in 15 minutes; a success does not count; past the limit
    even the right password gets the refusal, with 429."""
    address = "203.0.113.7"
    status, _ = await refused(client, STAFF[0], STAFF[2], forwarded=address)
    assert status == 303
    for n in range(20):
        status, _ = await refused(client, f"personne{n}@cabinet.test", "x" * 12, address)
        assert status == 401, n
    token = await csrf(client)
    limited = await client.post(
        "/connexion",
        data={"csrf": token, "email": STAFF[0], "password": STAFF[2]},
        # the left entry is the client's own word: Caddy's rightmost one counts
        headers={"X-Forwarded-For": f"198.51.100.9, {address}"},
        allow_redirects=False,
    )
    page = await limited.text()
    assert limited.status == 429 and "Trop d&#39;essais de connexion depuis ce réseau" in page
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    assert SESSION_COOKIE not in limited.cookies
    status, _ = await refused(client, STAFF[0], STAFF[2], forwarded="203.0.113.8")
    assert status == 303  # another address is not concerned
    clock.advance(timedelta(minutes=15))
    status, _ = await refused(client, STAFF[0], STAFF[2], forwarded=address)
    assert status == 303


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("93.184.216.34", "198.51.100.1", "93.184.216.34"),  # a public peer: header ignored
        ("127.0.0.1", "198.51.100.1, 198.51.100.2", "198.51.100.2"),  # Caddy's entry
        ("10.0.0.2", None, "10.0.0.2"),
        ("127.0.0.1", "n'importe quoi", "127.0.0.1"),
        ("::1", "2001:db8::1", "2001:db8::/64"),
        ("::ffff:10.0.0.3", None, "10.0.0.3"),
    ],
)
def test_the_client_address_behind_the_proxy(
    peer: str, forwarded: str | None, expected: str
) -> None:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 4242) if name == "peername" else default
    )
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/connexion", headers=headers, transport=transport)
    assert client_address(request) == expected


def test_the_sign_in_limit_slides_forgives_and_stays_small() -> None:
    now = [1000.0]
    limit = SignInLimit(limit=3, window=60, now=lambda: now[0], max_addresses=2)
    stamps = [limit.attempt("a") for _ in range(3)]
    assert None not in stamps and limit.attempt("a") is None
    assert limit.retry_after("a") == 60
    limit.forgive("a", stamps[0] or 0.0)  # a success
    assert limit.attempt("a") is not None and limit.attempt("a") is None
    now[0] += 60
    assert limit.attempt("a") is not None
    limit.attempt("b")
    limit.attempt("c")  # a third address: the oldest is forgotten
    assert set(limit._attempts) == {"b", "c"}


async def test_the_last_active_manager_cannot_be_disabled_in_the_console(
    client: TestClient, services: Services
) -> None:
    await sign_in(client, MANAGER)
    me = services.staff.by_email(MANAGER[0])
    assert me is not None
    status, _, body = await post(client, f"/equipe/{me.id}/desactiver")
    assert status == 400 and "Impossible de désactiver le dernier responsable actif" in body
    assert STAFF[0] in body  # the accounts page, with the reason
    assert services.staff.by_email(MANAGER[0]).active  # type: ignore[union-attr]
