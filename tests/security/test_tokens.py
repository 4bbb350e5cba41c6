"""Every route that checks a secret, sent what an attacker makes up instead: characters that are
not ASCII (raw UTF-8, and raw bytes that are not UTF-8 at all, as they are, and percent-encoded),
nothing, a long token (5,000 characters: under the servers' 8 kB limit on a request's head, so
it reaches the check, and past the 4,300 digits `int()` accepts) and a huge one (100 kB: the
server's own limit answers). Each gets a 4xx answer, never a 500, never a silently closed
connection. Bytes go out as they are, over a raw socket on loopback; then through Caddy with
deploy/Caddyfile, as from the Internet.

The servers are the real ones in this process, without a model: Rasa's own app as `rasa run`
builds it (`configure_app`, the launcher's patches installed, the WhatsApp channel mounted, the
API behind its token), the action server's app, the staff console, and the simulator (its page
and its fake Graph API) from the connector's harness (tests/connector/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from sanic import Sanic

from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign
from clinic.app.console.security import CSRF_COOKIE, PENDING_COOKIE, SESSION_COOKIE
from clinic.app.wiring import Services
from clinic.domain.appointments import Appointment
from clinic.domain.practice import Practice
from clinic.domain.tokens import same_token
from connectors.action_server import TOKEN_HEADER as ACTION_TOKEN_HEADER
from connectors.action_server import build_app
from connectors.sanic_urls import answer_odd_urls
from devtools.simulator.server import TOKEN_HEADER as SIMULATOR_TOKEN_HEADER
from devtools.stack import free_port
from tests.connector.conftest import (  # noqa: F401 (fixtures)
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    Harness,
    dialogue,
    harness,
    harness_services,
    listening_socket,
    tuning,
)
from tests.console.conftest import client  # noqa: F401 (fixture)
from tests.console.test_console import STAFF, sign_in
from tests.console.test_second_factor import enrol, password_only, post

ROOT = Path(__file__).resolve().parents[2]
RASA_TOKEN = "tokens-test-rasa-api-token-0123456789"
ACTION_TOKEN = "tokens-test-action-server-token-0123456789"
PATIENT = "wa-0123456789abcdef01234567"

NON_ASCII = "jeton-é€😀".encode()
NOT_UTF8 = b"jeton-\xff\xfe\xc3"
LONG = b"7" * 5000
HUGE = b"x" * 100_000
#: What a client may put where a token goes, as the bytes it sends.
ODD: dict[str, bytes] = {"non-ascii": NON_ASCII, "not-utf8": NOT_UTF8, "empty": b"", "long": LONG}
#: The same in a URL, raw and percent-encoded.
ODD_IN_URL: dict[str, bytes] = {
    **ODD,
    "non-ascii-escaped": quote(NON_ASCII).encode(),
    "not-utf8-escaped": quote(NOT_UTF8).encode(),
}
RAW = ("non-ascii", "not-utf8")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the checks under test never reach the database's dialect."""
    return f"sqlite:///{tmp_path / 'clinic.db'}"


def test_same_token_takes_anything_a_client_sends() -> None:
    """The one comparison (clinic/domain/tokens.py): bytes, and nothing a client sends raises."""
    assert same_token("jeton-é", "jeton-é") and same_token(b"abc", "abc")
    for given in ("jeton-e", "jeton-é\udcff", "\udcff", "\ud800", "", None, "x" * 100_000):
        assert not same_token(given, "jeton-é")
    assert not same_token("?", "\udcff")  # lone surrogates are kept, not replaced by « ? »
    assert not same_token("", "") and not same_token(None, "")  # a blank secret opens nothing


# --- HTTP as bytes --------------------------------------------------------------------------------


class Dropped(AssertionError):
    """The server closed the connection without a status line."""


def exchange(port: int, request: bytes, tls: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    """Send `request` exactly as it is; (status, the answer). A connection closed without an
    answer raises `Dropped`."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        sock = tls.wrap_socket(raw, server_hostname="localhost") if tls else raw
        try:
            sock.sendall(request)
        except OSError:
            pass  # a server may answer a huge request before reading all of it: read that
        try:
            while len(received) < 1_000_000:  # every request says « Connection: close »
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except OSError as error:
            if not received.startswith(b"HTTP/"):
                raise Dropped(f"connection dropped ({error!r}) after {received[:80]!r}") from None
    parts = received.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise Dropped(f"no answer, only {received[:80]!r}")
    return int(parts[1]), received


def http(
    method: str, target: bytes, headers: dict[str, bytes] | None = None, body: bytes = b""
) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: localhost"]
    lines += [name.encode() + b": " + value for name, value in (headers or {}).items()]
    lines += [b"Connection: close", b"Content-Length: " + str(len(body)).encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def answers(
    port: int, requests: dict[str, bytes], tls: ssl.SSLContext | None = None
) -> dict[str, int]:
    """The status of each request (sent one after the other, off the servers' event loop)."""
    return {
        name: (await asyncio.to_thread(exchange, port, request, tls))[0]
        for name, request in requests.items()
    }


def expect(got: dict[str, int], default: int, **others: int | None) -> None:
    """Every request got `default`, or the status named for it (a dash in a name is « _ »);
    `None`: any 4xx (the server's own limits answer a huge request, each in its way)."""
    wanted = {name: others.get(name.replace("-", "_"), default) for name in got}
    seen = {name: None if wanted[name] is None and 400 <= status < 500 else status
            for name, status in got.items()}  # fmt: skip
    assert seen == wanted


# --- the servers ----------------------------------------------------------------------------------


async def serve(app: Sanic) -> tuple[int, object]:
    """A Sanic app on a loopback port, started as `rasa run` starts it (listeners included)."""
    sock = listening_socket()
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    return sock.getsockname()[1], server


async def stop(server: object) -> None:
    await server.before_stop()  # type: ignore[attr-defined]
    server.close()  # type: ignore[attr-defined]
    await server.wait_closed()  # type: ignore[attr-defined]
    await server.after_stop()  # type: ignore[attr-defined]


@dataclass
class Rasa:
    port: int
    services: Services

    def link(self, kind: str, token: bytes) -> bytes:
        return f"/webhooks/whatsapp/{kind}/".encode() + token


@pytest.fixture
async def rasa(database_url: str, practice: Practice) -> AsyncIterator[Rasa]:
    """Rasa's Sanic app as `rasa run --enable-api` builds it (`make run`; production leaves the
    API off, the channel's routes are the same), after the launcher's patches, with the WhatsApp
    channel mounted; no model (no route used here reaches one). Graph is never called."""
    from rasa.core.run import configure_app

    from connectors import patches
    from connectors.whatsapp import WhatsAppInput

    patches.install()
    Sanic.test_mode = True  # one process, several apps named « rasa_server »
    services = harness_services(database_url, practice, "http://127.0.0.1:9/v21.0")
    app = configure_app([WhatsAppInput(services=services)], auth_token=RASA_TOKEN)
    port, server = await serve(app)
    try:
        yield Rasa(port, services)
    finally:
        await stop(server)


def a_booking(services: Services) -> str:
    now = datetime.now(timezone.utc)
    start = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    services.appointments.add(
        Appointment("b" * 32, PATIENT, "Marie Dupont", "dr-martin", "consultation", start,
                    start + timedelta(minutes=20)),
        now,
    )  # fmt: skip
    return "b" * 32


@pytest.fixture
async def action_server() -> AsyncIterator[int]:
    """The action server's app (rasa-sdk's, behind the token) on a loopback port."""
    Sanic.test_mode = True
    answer_odd_urls()  # as `connectors.action_server.main` does before building the app
    port, server = await serve(build_app(ACTION_TOKEN))
    try:
        yield port
    finally:
        await stop(server)


# --- Rasa: the WhatsApp channel -------------------------------------------------------------------


def verify(token: bytes) -> bytes:
    return (
        b"/webhooks/whatsapp/webhook?hub.mode=subscribe&hub.challenge=42&hub.verify_token=" + token
    )


async def test_the_webhook_verify_token(rasa: Rasa) -> None:
    requests = {name: http("GET", verify(token)) for name, token in ODD_IN_URL.items()}
    requests["huge"] = http("GET", verify(HUGE))
    # A raw byte that is not ASCII makes the URL unreadable to Sanic: its 400, no longer a
    # closed connection; escaped, the token reaches the check and is refused.
    expect(await answers(rasa.port, requests), 403, non_ascii=400, not_utf8=400, huge=None)
    _, answer = await asyncio.to_thread(exchange, rasa.port, http("GET", verify(b"")))
    assert answer.endswith(b"\r\n\r\nForbidden")
    right = await asyncio.to_thread(exchange, rasa.port, http("GET", verify(VERIFY_TOKEN.encode())))
    assert right[0] == 200 and right[1].endswith(b"42")


async def test_the_webhook_signature(rasa: Rasa) -> None:
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    requests = {
        name: http("POST", b"/webhooks/whatsapp/webhook", {SIGNATURE_HEADER: b"sha256=" + value}, body)
        for name, value in ODD.items()
    }  # fmt: skip
    requests["no-scheme"] = http(
        "POST", b"/webhooks/whatsapp/webhook", {SIGNATURE_HEADER: NON_ASCII}, body
    )
    requests["header-empty"] = http(
        "POST", b"/webhooks/whatsapp/webhook", {SIGNATURE_HEADER: b""}, body
    )
    requests["huge"] = http(
        "POST", b"/webhooks/whatsapp/webhook", {SIGNATURE_HEADER: b"sha256=" + HUGE}, body
    )
    expect(await answers(rasa.port, requests), 403, header_empty=401, huge=None)
    signed = sign(body, APP_SECRET).encode()
    right = http("POST", b"/webhooks/whatsapp/webhook", {SIGNATURE_HEADER: signed}, body)
    assert (await asyncio.to_thread(exchange, rasa.port, right))[0] == 200


def forged_links(prefix: bytes) -> dict[str, bytes]:
    """`<id>.<expiry>.<tag>` with a tag of every odd kind (so the tag itself is compared), a
    token of every odd kind, and an expiry of 5,000 digits."""
    links = {f"tag-{name}": prefix + token for name, token in ODD_IN_URL.items()}
    links.update({f"token-{name}": token for name, token in ODD_IN_URL.items() if name != "empty"})
    links["expiry-long"] = b"b" * 32 + b"." + b"9" * 5000 + b".AAAA"
    return links


@pytest.mark.parametrize("kind", ["ics", "export"])
async def test_the_signed_links(rasa: Rasa, kind: str) -> None:
    """The calendar file and the patient's export: forged links are a 404 (an odd byte in the
    URL a 400), whatever they hold."""
    services = rasa.services
    if kind == "ics":
        real = services.calendar_files.link(a_booking(services), "", datetime.now(timezone.utc))
    else:
        real = services.privacy.export_link(PATIENT, "", "json")
    token = real.rsplit("/", 1)[1].encode()
    suffix = b".ics" if kind == "ics" else b".json"
    identity, expiry, _ = token.removesuffix(suffix).split(b".")
    requests = {
        name: http("GET", rasa.link(kind, forged + suffix))
        for name, forged in forged_links(identity + b"." + expiry + b".").items()
    }
    requests["empty"] = http("GET", rasa.link(kind, b""))
    requests["huge"] = http("GET", rasa.link(kind, HUGE + suffix))
    raw = {f"{where}-{name}": 400 for where in ("tag", "token") for name in RAW}
    expect(
        await answers(rasa.port, requests),
        404,
        **{name.replace("-", "_"): status for name, status in raw.items()},
        huge=None,
    )
    status, _ = await asyncio.to_thread(exchange, rasa.port, http("GET", rasa.link(kind, token)))
    assert status == 200  # the real link, once


# --- Rasa: its HTTP API ---------------------------------------------------------------------------


async def test_rasas_api_token(rasa: Rasa, monkeypatch: pytest.MonkeyPatch) -> None:
    """`?token=` of Rasa's HTTP API: compared by `same_token` (the launcher's patch), a 401."""
    from connectors import rasa_http

    compared: list[str | bytes | None] = []

    def spy(given: str | bytes | None, expected: str | bytes) -> bool:
        compared.append(given)
        return same_token(given, expected)

    monkeypatch.setattr(rasa_http, "same_token", spy)
    requests = {name: http("GET", b"/status?token=" + token) for name, token in ODD_IN_URL.items()}
    requests["none"] = http("GET", b"/status")
    requests["huge"] = http("GET", b"/status?token=" + HUGE)
    requests["almost"] = http("GET", b"/status?token=" + RASA_TOKEN[:-1].encode() + b"\xc3\xa9")
    expect(
        await answers(rasa.port, requests), 401, non_ascii=400, not_utf8=400, huge=None, almost=400
    )
    escaped = http("GET", b"/status?token=" + quote(RASA_TOKEN[:-1] + "é").encode())
    assert (await asyncio.to_thread(exchange, rasa.port, escaped))[0] == 401
    # the right token gets past the check (to « no model loaded »)
    right = http("GET", b"/status?token=" + RASA_TOKEN.encode())
    assert (await asyncio.to_thread(exchange, rasa.port, right))[0] == 409
    assert {RASA_TOKEN, LONG.decode(), NON_ASCII.decode()} <= set(compared)


# --- the action server ----------------------------------------------------------------------------


async def test_the_action_servers_token(action_server: int) -> None:
    requests = {
        name: http("POST", b"/webhook", {ACTION_TOKEN_HEADER: token, "Content-Type": b"application/json"}, b"{}")
        for name, token in ODD.items()
    }  # fmt: skip
    requests["none"] = http("POST", b"/webhook", {"Content-Type": b"application/json"}, b"{}")
    requests["huge"] = http("POST", b"/webhook", {ACTION_TOKEN_HEADER: HUGE}, b"{}")
    expect(await answers(action_server, requests), 401, huge=None)
    right = http("GET", b"/actions", {ACTION_TOKEN_HEADER: ACTION_TOKEN.encode()})
    assert (await asyncio.to_thread(exchange, action_server, right))[0] == 200
    nowhere = http("GET", b"/nowhere", {ACTION_TOKEN_HEADER: ACTION_TOKEN.encode()})
    assert (await asyncio.to_thread(exchange, action_server, nowhere))[0] == 404  # not a 500
    for target in (b"/webhook?x=\xc3\xa9", b"/webhook?x=\xff", "/é".encode()):  # raw bytes
        odd = http("POST", target, {ACTION_TOKEN_HEADER: ACTION_TOKEN.encode()}, b"{}")
        # Sanic's error page for an unreadable URL runs the request middleware on a request
        # without headers: the token check answers first (401). A 4xx either way, never a drop.
        assert (await asyncio.to_thread(exchange, action_server, odd))[0] in (400, 401), target


# --- the staff console ----------------------------------------------------------------------------


def cookie(name: str, value: bytes) -> dict[str, bytes]:
    return {"Cookie": name.encode() + b"=" + value}


async def test_the_consoles_session_and_pending_cookies(client: TestClient) -> None:  # noqa: F811
    port = client.server.port
    assert port is not None
    now = str(int(time.time())).encode()
    requests: dict[str, bytes] = {}
    for name, value in ODD.items():
        signed = b"1.0." + now + b"." + value  # well formed, so its signature is compared
        requests[f"session-{name}"] = http("GET", b"/boite.json", cookie(SESSION_COOKIE, signed))
        requests[f"session-raw-{name}"] = http("GET", b"/boite.json", cookie(SESSION_COOKIE, value))
        requests[f"pending-{name}"] = http(
            "GET", b"/connexion/code", cookie(PENDING_COOKIE, signed)
        )
    requests["session-huge"] = http("GET", b"/boite.json", cookie(SESSION_COOKIE, HUGE))
    requests["pending-huge"] = http("GET", b"/connexion/code", cookie(PENDING_COOKIE, HUGE))
    # aiohttp's own limit on a header line (8 kB): its 400
    expect(await answers(port, requests), 401, session_huge=None, pending_huge=None)


async def test_the_consoles_csrf_token(client: TestClient) -> None:  # noqa: F811
    port = client.server.port
    assert port is not None
    form = {"Content-Type": b"application/x-www-form-urlencoded"}
    signed_out = b"email=accueil%40cabinet.test&password=x&csrf="
    requests: dict[str, bytes] = {}
    for name, value in ODD_IN_URL.items():
        requests[f"field-{name}"] = http(
            "POST", b"/connexion", {**form, **cookie(CSRF_COOKIE, b"abc")}, signed_out + value
        )
        requests[f"cookie-{name}"] = http(
            "POST", b"/connexion", {**form, **cookie(CSRF_COOKIE, value)}, signed_out + b"abc"
        )
    requests["field-huge"] = http(
        "POST", b"/connexion", {**form, **cookie(CSRF_COOKIE, b"abc")}, signed_out + HUGE
    )
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + NOT_UTF8 + b"\r\n--b--\r\n"
    )
    requests["multipart-not-utf8"] = http(
        "POST",
        b"/connexion",
        {"Content-Type": b"multipart/form-data; boundary=b", **cookie(CSRF_COOKIE, b"abc")},
        multipart,
    )
    requests["unknown-charset"] = http(
        "POST",
        b"/connexion",
        {"Content-Type": b"application/x-www-form-urlencoded; charset=klingon", **cookie(CSRF_COOKIE, b"abc")},
        signed_out + b"abc",
    )  # fmt: skip
    # bytes that are not text, or a charset nobody knows: the form cannot be read, a 400
    expect(
        await answers(port, requests),
        403,
        field_not_utf8=400,
        multipart_not_utf8=400,
        unknown_charset=400,
    )


async def test_the_consoles_second_factor_code(client: TestClient, services: Services) -> None:  # noqa: F811
    """Codes in other digits (« ١٢٣٤٥٦ » is six digits to `str.isdigit`), empty or long: a
    wrong code, asked again (a TypeError of `compare_digest` made it a 500)."""
    await sign_in(client)
    await enrol(client, services)
    # Five: a pending sign-in takes five codes, and under the fixed clock each sign-in is the same.
    for code in ("١٢٣٤٥٦", "１２３４５６", "é" * 12, "", "7" * 5000):
        assert await password_only(client, STAFF) == "/connexion/code"
        wrong = await post(client, "/connexion/code", "/connexion/code", code=code)
        assert wrong.status == 401, code
        assert "Code incorrect" in await wrong.text()


# --- the simulator (development) ------------------------------------------------------------------


async def test_the_simulators_tokens(harness: Harness) -> None:  # noqa: F811
    port = int(harness.simulator_url.rsplit(":", 1)[1])
    json = {"Content-Type": b"application/json"}
    send = b'{"type": "text", "text": "bonjour"}'
    profile = f"/v21.0/{PHONE_NUMBER_ID}".encode()
    requests: dict[str, bytes] = {}
    for name, value in ODD.items():
        requests[f"page-{name}"] = http(
            "POST", b"/_sim/send", {SIMULATOR_TOKEN_HEADER: value, **json}, send
        )
        requests[f"graph-{name}"] = http("GET", profile, {"Authorization": b"Bearer " + value})
    requests["page-huge"] = http(
        "POST", b"/_sim/send", {SIMULATOR_TOKEN_HEADER: HUGE, **json}, send
    )
    requests["graph-huge"] = http("GET", profile, {"Authorization": b"Bearer " + HUGE})
    got = await answers(port, requests)
    graph: dict[str, int | None] = {f"graph_{n.replace('-', '_')}": 401 for n in ODD}
    expect(got, 403, **graph, page_huge=None, graph_huge=None)
    right = http("GET", profile, {"Authorization": f"Bearer {ACCESS_TOKEN}".encode()})
    assert (await asyncio.to_thread(exchange, port, right))[0] == 200


# --- through Caddy --------------------------------------------------------------------------------


@dataclass
class Proxy:
    port: int
    tls: ssl.SSLContext


def start_caddy(
    tmp_path: Path, rasa_port: int, console_port: int
) -> tuple[subprocess.Popen[bytes], Proxy]:
    if shutil.which("caddy") is None:
        pytest.fail("caddy is missing: `make install-caddy` (Debian's package)")
    https, plain = free_port(), free_port()
    env = {
        **os.environ,
        "CLINIC_SITE": f"localhost:{https}",
        "CLINIC_TLS": "internal",
        "CADDY_HTTPS_PORT": str(https),
        "CADDY_HTTP_PORT": str(plain),
        "RASA_UPSTREAM": f"127.0.0.1:{rasa_port}",
        "CONSOLE_UPSTREAM": f"127.0.0.1:{console_port}",
        "XDG_DATA_HOME": str(tmp_path / "caddy-data"),  # its own CA, for this test only
        "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
    }
    log = tmp_path / "caddy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                "caddy",
                "run",
                "--config",
                str(ROOT / "deploy" / "Caddyfile"),
                "--adapter",
                "caddyfile",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    root = tmp_path / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    deadline = time.monotonic() + 60
    probe = b"/webhooks/whatsapp/confidentialite"
    while True:
        assert process.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "Caddy did not serve its certificate in 60 s"
        if root.exists():
            try:
                tls = ssl.create_default_context(cafile=str(root))
                if exchange(https, http("GET", probe), tls)[0] == 200:
                    return process, Proxy(https, tls)
            except (OSError, ssl.SSLError, Dropped):
                pass
        time.sleep(0.2)


@pytest.fixture
def caddy_processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
        process.wait(timeout=30)


async def test_through_caddy(
    rasa: Rasa,
    client: TestClient,  # noqa: F811
    tmp_path: Path,
    caddy_processes: list[subprocess.Popen[bytes]],
) -> None:
    """The public entry: the webhook's verify token and signature, both signed links and the
    console's session and CSRF token, sent odd tokens through Caddy (deploy/Caddyfile). Caddy
    forwards a raw query as it came and percent-encodes a raw path; every answer is a 4xx."""
    assert client.server.port is not None
    process, proxy = await asyncio.to_thread(start_caddy, tmp_path, rasa.port, client.server.port)
    caddy_processes.append(process)
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    link = rasa.services.calendar_files.link(
        a_booking(rasa.services), "", datetime.now(timezone.utc)
    )
    identity, expiry, _ = link.rsplit("/", 1)[1].encode().removesuffix(b".ics").split(b".")
    now = str(int(time.time())).encode()
    form = {"Content-Type": b"application/x-www-form-urlencoded", **cookie(CSRF_COOKIE, b"abc")}
    requests: dict[str, bytes] = {}
    for name, value in {**ODD_IN_URL, "huge": HUGE}.items():
        requests[f"verify-{name}"] = http("GET", verify(value))
        requests[f"ics-{name}"] = http(
            "GET", rasa.link("ics", identity + b"." + expiry + b"." + value + b".ics")
        )
        requests[f"export-{name}"] = http("GET", rasa.link("export", value + b".json"))
        if name in ODD or name == "huge":
            requests[f"signature-{name}"] = http(
                "POST", b"/webhooks/whatsapp/webhook", {SIGNATURE_HEADER: b"sha256=" + value}, body
            )
            requests[f"session-{name}"] = http(
                "GET", b"/boite.json", cookie(SESSION_COOKIE, b"1.0." + now + b"." + value)
            )
        requests[f"csrf-{name}"] = http(
            "POST", b"/connexion", form, b"email=a&password=b&csrf=" + value
        )
    long_expiry = identity + b"." + LONG + b".AAAA.ics"  # past int()'s 4,300 digits
    requests["ics-expiry-long"] = http("GET", rasa.link("ics", long_expiry))
    got = await answers(proxy.port, requests, proxy.tls)
    problems = {name: status for name, status in got.items() if not 400 <= status < 500}
    assert problems == {}, got
    # Caddy forwards a raw query as it came (Sanic's 400), a raw path percent-encoded (the
    # link's own 404)
    assert got["verify-non-ascii"] == 400 and got["verify-non-ascii-escaped"] == 403
    assert got["ics-non-ascii"] == 404 and got["ics-not-utf8"] == 404
    assert got["ics-expiry-long"] == 404 and got["signature-non-ascii"] == 403
    right = await asyncio.to_thread(
        exchange, proxy.port, http("GET", verify(VERIFY_TOKEN.encode())), proxy.tls
    )
    assert right[0] == 200
