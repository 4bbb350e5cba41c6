"""The console's session secret, CSRF bound to the session, and `__Host-` cookies behind TLS:
the signer on its own, then the console through aiohttp's test client on the real core."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import ClientResponse, CookieJar
from aiohttp.test_utils import TestClient, TestServer

from clinic.adapters.settings import Settings, SettingsError
from clinic.app.console.app import Console
from clinic.app.console.security import (
    CSRF_COOKIE,
    HOST_PREFIX,
    SESSION_COOKIE,
    Session,
    Signer,
    cookie_name,
    derive_key,
    read_cookie,
    session_key,
)
from clinic.app.wiring import Services, build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from tests.console.test_console import MANAGER, STAFF, csrf, sign_in

ROOT = Path(__file__).parents[2]
CONSOLE_KEY = "k" * 8 + "-the-console-s-own-session-key-"  # 39 characters
APP_KEY = b"a" * 32
HOST_SESSION = HOST_PREFIX + SESSION_COOKIE
HOST_CSRF = HOST_PREFIX + CSRF_COOKIE


# --- the signer, on its own ------------------------------------------------------------------------


def test_a_csrf_token_is_worth_nothing_in_another_session() -> None:
    signer = Signer(b"s" * 32)
    cookie = signer.new_csrf_cookie()
    mine, theirs = Session(1, 0, 1000.0), Session(2, 0, 1000.0)
    token = signer.csrf_token(cookie, mine)
    assert signer.csrf_valid(cookie, token, mine)
    assert not signer.csrf_valid(cookie, token, theirs)
    assert not signer.csrf_valid(cookie, token, Session(1, 0, 1001.0))  # the same account, again
    assert not signer.csrf_valid(cookie, token, Session(1, 1, 1000.0))  # after a sign-out
    assert not signer.csrf_valid(cookie, token, None)  # nor on the sign-in form
    signed_out = signer.csrf_token(cookie, None)
    assert signer.csrf_valid(cookie, signed_out, None)  # the sign-in form keeps working
    assert not signer.csrf_valid(cookie, signed_out, mine)


def test_with_its_own_key_a_session_signed_with_the_application_key_is_refused() -> None:
    keyed = Settings(console_session_key=CONSOLE_KEY)
    own = Signer(session_key(keyed, APP_KEY))
    derived = Signer(derive_key(APP_KEY))  # what any process holding PATIENT_ID_KEY can make
    forged = derived.session_cookie(1, 0, 1000.0)
    assert own.session(forged, 1000.0) is None
    assert own.session(own.session_cookie(1, 0, 1000.0), 1000.0) == Session(1, 0, 1000.0)
    # development without it: the derivation, so sessions survive a restart with no setup
    assert session_key(Settings(), APP_KEY) == derive_key(APP_KEY)


def test_the_session_key_is_never_the_derivation_in_production_nor_the_application_key() -> None:
    with pytest.raises(SettingsError, match="CONSOLE_SESSION_KEY"):
        session_key(Settings(clinic_env="production"), APP_KEY)
    # the application key kept in the database (no PATIENT_ID_KEY to compare with in Settings)
    with pytest.raises(SettingsError, match="application key"):
        session_key(Settings(console_session_key=APP_KEY.decode()), APP_KEY)


def test_secure_cookies_take_the_host_prefix_and_only_those_are_read_behind_tls() -> None:
    assert cookie_name(SESSION_COOKIE, secure=True) == "__Host-console_session"
    assert cookie_name(CSRF_COOKIE, secure=True) == "__Host-console_csrf"
    assert cookie_name(SESSION_COOKIE, secure=False) == SESSION_COOKIE
    both = {HOST_SESSION: "prefixed", SESSION_COOKIE: "plain"}
    assert read_cookie(both, SESSION_COOKIE, secure=True) == "prefixed"
    assert read_cookie({SESSION_COOKIE: "planted"}, SESSION_COOKIE, secure=True) is None
    assert read_cookie(both, SESSION_COOKIE, secure=False) == "plain"
    assert read_cookie({HOST_SESSION: "prefixed"}, SESSION_COOKIE, secure=False) == "prefixed"


# --- the console ---------------------------------------------------------------------------------


async def started(services: Services, tls: bool = False) -> TestClient:
    """A client of a fresh console; `tls`: as behind Caddy (X-Forwarded-Proto: https), with a
    cookie jar that returns Secure cookies to this http:// test server as a browser would."""
    server = TestServer(Console(services).app())
    await server.start_server()
    if not tls:
        client = TestClient(server)
    else:
        jar = CookieJar(unsafe=True, treat_as_secure_origin=[str(server.make_url("/"))])
        client = TestClient(server, cookie_jar=jar, headers={"X-Forwarded-Proto": "https"})
    await client.start_server()
    return client


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    services.staff.add(MANAGER[0], MANAGER[1], MANAGER[2])
    services.staff.add(STAFF[0], STAFF[1], STAFF[2])
    client = await started(services)
    yield client
    await client.close()


@pytest.fixture
async def tls_client(services: Services) -> AsyncIterator[TestClient]:
    services.staff.add(STAFF[0], STAFF[1], STAFF[2])
    client = await started(services, tls=True)
    yield client
    await client.close()


def plant(client: TestClient, name: str, value: str) -> None:
    """Put a cookie in the client's jar as if this server had set it (replacing its own)."""
    client.session.cookie_jar.update_cookies({name: value}, response_url=client.make_url("/"))


def host_only(response: ClientResponse) -> bool:
    """Every cookie set as `__Host-` requires: Secure, Path=/, no Domain (raw headers: the
    client fills the domain in when it parses them)."""
    lines = response.headers.getall("Set-Cookie", [])
    return bool(lines) and all(
        line.startswith(HOST_PREFIX)
        and "; Secure" in line
        and "Path=/;" in line + ";"
        and "domain=" not in line.lower()
        for line in lines
    )


def jar(client: TestClient) -> dict[str, str]:
    return {
        name: morsel.value
        for name, morsel in client.session.cookie_jar.filter_cookies(client.make_url("/")).items()
    }


async def test_behind_tls_the_cookies_are_host_prefixed_secure_and_host_only(
    tls_client: TestClient,
) -> None:
    page = await tls_client.get("/connexion")
    assert host_only(page)
    csrf_cookie = page.cookies[HOST_CSRF]
    assert csrf_cookie["secure"] and csrf_cookie["path"] == "/"
    assert csrf_cookie["httponly"] and csrf_cookie["samesite"] == "Strict"
    assert CSRF_COOKIE not in page.cookies
    found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert found
    signed_in = await tls_client.post(
        "/connexion",
        data={"csrf": found.group(1), "email": STAFF[0], "password": STAFF[2]},
        allow_redirects=False,
    )
    assert signed_in.status == 303, await signed_in.text()
    assert host_only(signed_in)
    session = signed_in.cookies[HOST_SESSION]
    assert session["secure"] and session["path"] == "/"
    assert session["httponly"] and session["samesite"] == "Lax"
    assert SESSION_COOKIE not in signed_in.cookies
    assert (await tls_client.get("/", allow_redirects=False)).status == 200
    assert set(jar(tls_client)) == {HOST_SESSION, HOST_CSRF}

    # sign-out deletes the prefixed cookie (a deletion without Secure would be refused)
    token = await csrf(tls_client, "/")
    out = await tls_client.post("/deconnexion", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303
    assert out.cookies[HOST_SESSION]["max-age"] == "0" and out.cookies[HOST_SESSION]["secure"]
    assert SESSION_COOKIE not in out.cookies
    assert HOST_SESSION not in jar(tls_client)
    assert (await tls_client.get("/", allow_redirects=False)).status == 303


async def test_behind_tls_a_plain_named_session_cookie_is_ignored(
    services: Services, client: TestClient
) -> None:
    await sign_in(client)  # over plain HTTP: the plain names
    assert set(jar(client)) == {SESSION_COOKIE, CSRF_COOKIE}
    session = jar(client)[SESSION_COOKIE]
    assert (await client.get("/", allow_redirects=False)).status == 200
    behind_tls = await client.get(
        "/", headers={"X-Forwarded-Proto": "https"}, allow_redirects=False
    )
    assert behind_tls.status == 303  # as if planted by a sibling subdomain
    tls = await started(services, tls=True)
    try:
        plant(tls, HOST_SESSION, session)
        assert (await tls.get("/", allow_redirects=False)).status == 200
    finally:
        await tls.close()


async def test_a_csrf_token_from_another_session_is_refused(
    services: Services, client: TestClient
) -> None:
    """A staff member's cookie and token, planted in the manager's browser (a sibling
    subdomain can set a cookie), no longer make a form post there."""
    await sign_in(client, STAFF)
    theirs_token = await csrf(client, "/")
    theirs_cookie = jar(client)[CSRF_COOKIE]
    manager = await started(services)
    try:
        await sign_in(manager, MANAGER)
        plant(manager, CSRF_COOKIE, theirs_cookie)
        forged = await manager.post(
            "/deconnexion", data={"csrf": theirs_token}, allow_redirects=False
        )
        assert forged.status == 403
        assert (await manager.get("/", allow_redirects=False)).status == 200  # still signed in
        own = await manager.post(
            "/deconnexion", data={"csrf": await csrf(manager, "/")}, allow_redirects=False
        )
        assert own.status == 303
    finally:
        await manager.close()


async def test_sign_in_and_sign_out_rotate_the_csrf_cookie(client: TestClient) -> None:
    before_token = await csrf(client)
    before_cookie = jar(client)[CSRF_COOKIE]
    signed_in = await client.post(
        "/connexion",
        data={"csrf": before_token, "email": STAFF[0], "password": STAFF[2]},
        allow_redirects=False,
    )
    assert signed_in.status == 303
    after_cookie = signed_in.cookies[CSRF_COOKIE].value
    assert after_cookie != before_cookie and signed_in.cookies[CSRF_COOKIE]["samesite"] == "Strict"
    # what was known before signing in is worth nothing after, even with the old cookie back
    plant(client, CSRF_COOKIE, before_cookie)
    stale = await client.post("/deconnexion", data={"csrf": before_token}, allow_redirects=False)
    assert stale.status == 403
    plant(client, CSRF_COOKIE, after_cookie)
    token = await csrf(client, "/")
    out = await client.post("/deconnexion", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303
    assert out.cookies[CSRF_COOKIE].value not in (before_cookie, after_cookie)
    await sign_in(client)  # the sign-in form works again at once


@pytest.fixture
def keyed_services(database_url: str, practice: Practice, clock: FixedClock) -> Iterator[Services]:
    settings = Settings(database_url=database_url, console_session_key=CONSOLE_KEY)
    built = build_services(settings, practice, clock=clock)
    yield built
    built.database.dispose()


async def test_a_session_signed_with_the_application_key_is_refused(
    keyed_services: Services,
) -> None:
    """Before CONSOLE_SESSION_KEY, any process holding PATIENT_ID_KEY could sign a manager's
    session; with it, such a cookie opens nothing."""
    manager = keyed_services.staff.add(MANAGER[0], MANAGER[1], MANAGER[2])
    now = keyed_services.clock.now().timestamp()
    forged = Signer(derive_key(keyed_services.key)).session_cookie(
        manager.id, manager.session_generation, now
    )
    own = Signer(session_key(keyed_services.settings, keyed_services.key)).session_cookie(
        manager.id, manager.session_generation, now
    )
    client = await started(keyed_services)
    try:
        plant(client, SESSION_COOKIE, forged)
        refused = await client.get("/equipe", allow_redirects=False)
        assert refused.status == 303 and refused.headers["Location"].startswith("/connexion")
        plant(client, SESSION_COOKIE, own)
        assert (await client.get("/equipe", allow_redirects=False)).status == 200
        await sign_in(client, MANAGER)  # and signing in works with the console's own key
    finally:
        await client.close()


# --- the process refuses to start -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({}, "error: CONSOLE_SESSION_KEY (or CONSOLE_SESSION_KEY_FILE) is required in production"),
        ({"CONSOLE_SESSION_KEY": CONSOLE_KEY}, "error: CONSOLE_ALLOW is required in production"),
        (
            {"CONSOLE_SESSION_KEY": "p" * 32, "CONSOLE_ALLOW": "public"},
            "must not be PATIENT_ID_KEY",
        ),
        ({"CONSOLE_SESSION_KEY": "short", "CONSOLE_ALLOW": "public"}, "at least 32 characters"),
        ({"CONSOLE_SESSION_KEY": CONSOLE_KEY, "CONSOLE_ALLOW": "tout le monde"}, "CONSOLE_ALLOW"),
    ],
)
def test_in_production_the_console_refuses_to_start_without_its_choices(
    tmp_path: Path, extra: dict[str, str], error: str
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CONSOLE_", "PATIENT_ID_KEY", "CLINIC_ENV"))
    }
    env.update(
        CLINIC_ENV="production",
        PATIENT_ID_KEY="p" * 32,
        DATABASE_URL=f"sqlite:///{tmp_path}/never.db",
        **extra,
    )
    started = subprocess.run(
        [sys.executable, "-m", "clinic.app.console", "--port", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert started.returncode != 0
    assert error in started.stderr, started.stderr
    assert not (tmp_path / "never.db").exists()  # refused before touching the database
