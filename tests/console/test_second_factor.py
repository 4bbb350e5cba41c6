"""The second factor (issue 31): TOTP enrolled with a QR code, asked after the password once
enrolled, single-use codes and recovery codes, a manager resetting a lost phone. Real console
over aiohttp, real core, real pyotp codes; SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pyotp
from aiohttp.test_utils import TestClient, TestServer

from clinic.app.console.app import Console
from clinic.app.wiring import Services
from clinic.domain.clock import FixedClock
from tests.console.test_console import (
    MANAGER,
    STAFF,
    csrf,
    sign_in,
)


async def post(client: TestClient, path: str, token_from: str, **fields: str):  # type: ignore[no-untyped-def]
    token = await csrf(client, token_from)
    return await client.post(path, data={"csrf": token, **fields}, allow_redirects=False)


async def enrol(client: TestClient, services: Services) -> tuple[pyotp.TOTP, list[str]]:
    """Signed in: « Sécurité du compte », the QR code and key, a first code: the recovery codes."""
    page = await (await client.get("/compte/securite")).text()
    assert "<svg" in page and "QR code à scanner" in page
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert key, page
    totp = pyotp.TOTP(key.group(1).replace(" ", ""))
    response = await post(
        client, "/compte/securite", "/compte/securite", code=totp.at(services.clock.now())
    )
    assert response.status == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", await response.text())
    assert len(codes) == 8 and len(set(codes)) == 8
    return totp, codes


def later(services: Services, seconds: int) -> None:
    clock = services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(seconds=seconds))


async def password_only(client: TestClient, who: tuple[str, str, str]) -> str:
    """Signed out, a right password: where the console sends the browser next."""
    client.session.cookie_jar.clear()
    response = await post(client, "/connexion", "/connexion", email=who[0], password=who[2])
    assert response.status == 303, await response.text()
    return response.headers["Location"]


async def test_without_a_second_factor_a_development_account_signs_in(
    client: TestClient,
) -> None:
    assert await password_only(client, STAFF) == "/"


async def test_once_enrolled_the_code_is_asked_and_works_once(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    totp, _ = await enrol(client, services)
    later(services, 60)
    assert await password_only(client, STAFF) == "/connexion/code"
    assert (await client.get("/agenda", allow_redirects=False)).status == 303  # no session yet
    wrong = await post(client, "/connexion/code", "/connexion/code", code="000000")
    assert wrong.status == 401 and "Code incorrect" in await wrong.text()
    code = totp.at(services.clock.now())
    right = await post(client, "/connexion/code", "/connexion/code", code=code)
    assert right.status == 303 and right.headers["Location"] == "/"
    assert (await client.get("/agenda")).status == 200
    # the same code again, in another sign-in: refused (read over a shoulder)
    await password_only(client, STAFF)
    again = await post(client, "/connexion/code", "/connexion/code", code=code)
    assert again.status == 401


async def test_a_recovery_code_works_once(client: TestClient, services: Services) -> None:
    await sign_in(client)
    _, codes = await enrol(client, services)
    await password_only(client, STAFF)
    ok = await post(client, "/connexion/code", "/connexion/code", code=codes[0].upper())
    assert ok.status == 303
    assert services.second_factors.recovery_left(services.staff.by_email(STAFF[0]).id) == 7  # type: ignore[union-attr]
    await password_only(client, STAFF)
    spent = await post(client, "/connexion/code", "/connexion/code", code=codes[0])
    assert spent.status == 401


async def test_five_wrong_codes_ask_for_the_password_again(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    totp, _ = await enrol(client, services)
    later(services, 60)
    await password_only(client, STAFF)
    for _ in range(5):
        assert (
            await post(client, "/connexion/code", "/connexion/code", code="123456")
        ).status == 401
    late = await post(
        client, "/connexion/code", "/connexion/code", code=totp.at(services.clock.now())
    )
    assert late.status == 401 and "La connexion a expiré" in await late.text()


async def test_the_pending_sign_in_expires(client: TestClient, services: Services) -> None:
    await sign_in(client)
    totp, _ = await enrol(client, services)
    await password_only(client, STAFF)
    later(services, 6 * 60)
    late = await post(
        client, "/connexion/code", "/connexion/code", code=totp.at(services.clock.now())
    )
    assert late.status == 401 and "La connexion a expiré" in await late.text()


async def test_a_manager_resets_a_lost_phone(client: TestClient, services: Services) -> None:
    await sign_in(client)
    await enrol(client, services)
    client.session.cookie_jar.clear()
    await sign_in(client, MANAGER)
    page = await (await client.get("/equipe")).text()
    staff_id = services.staff.by_email(STAFF[0]).id  # type: ignore[union-attr]
    assert f'action="/equipe/{staff_id}/second-facteur"' in page
    reset = await post(client, f"/equipe/{staff_id}/second-facteur", "/equipe")
    assert reset.status == 303
    assert not services.second_factors.enabled(staff_id)
    assert await password_only(client, STAFF) == "/"


async def test_production_requires_enrolment_before_the_first_session(
    services: Services,
) -> None:
    """With CLINIC_ENV=production an account without a factor enrols first (the pending
    cookie carries it there), and only a confirmed code opens the session. The cookies are
    Secure (`__Host-`) there, so the test sends them back by hand over loopback HTTP."""
    services.settings = replace(
        services.settings, clinic_env="production", console_session_key="k" * 40
    )
    services.staff.add(STAFF[0], STAFF[1], STAFF[2], "manager")
    async with TestClient(TestServer(Console(services).app())) as client:
        jar: dict[str, str] = {}

        async def call(method: str, path: str, **data: str):  # type: ignore[no-untyped-def]
            response = await client.request(
                method, path, data=data or None, cookies=jar, allow_redirects=False
            )
            jar.update({name: morsel.value for name, morsel in response.cookies.items()})
            return response

        page = await (await call("GET", "/connexion")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        response = await call("POST", "/connexion", csrf=token, email=STAFF[0], password=STAFF[2])
        assert response.headers["Location"] == "/connexion/activer"
        assert "__Host-console_session" not in jar and "__Host-console_pending" in jar
        page = await (await call("GET", "/connexion/activer")).text()
        key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)  # type: ignore[union-attr]
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        code = pyotp.TOTP(key.replace(" ", "")).at(services.clock.now())
        done = await call("POST", "/connexion/activer", csrf=token, code=code)
        assert done.status == 200 and "codes de secours" in await done.text()
        assert "__Host-console_session" in jar
        assert (await call("GET", "/agenda")).status == 200
