"""`make prod-local`: the production configuration (WhatsApp channel only, CLINIC_ENV=production
with keys from files, PostgreSQL, Redis lock store) behind Caddy with TLS, as processes. Meta is
played by the test: signed webhooks posted to Caddy over HTTPS (its local CA checked), answers
read at the simulator's fake Graph API. What must not be reachable through Caddy is tried."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clinic.adapters.settings import Settings
from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign
from devtools.model import model_path
from devtools.simulator import payloads
from devtools.simulator.server import DEFAULT_PHONE_NUMBER_ID
from devtools.stack import caddy_root_certificate, free_port, whatsapp_env
from tests.conftest import POSTGRES_ADMIN_URL
from tests.http import request
from tests.stack import practice_today, start_stack

ROOT = Path(__file__).parents[1]
pytestmark = [pytest.mark.stack, pytest.mark.postgres]
WA_ID = "33611188001"


@dataclass
class Prod:
    public: str
    http: str
    rasa: str
    simulator: str
    tls: ssl.SSLContext
    app_secret: str


@pytest.fixture(scope="module")
def prod() -> Iterator[Prod]:
    if not model_path(ROOT).exists():
        pytest.fail("no trained model for the current data: run `make model` first")
    database = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/clinic_prod_{uuid.uuid4().hex[:8]}"
    ports = {n: free_port() for n in ("https", "http", "rasa", "actions", "simulator", "console")}
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DUCKLING_URL": f"http://127.0.0.1:{free_port()}",
    }
    env.pop("RASA_AUTH_TOKEN", None)
    try:
        process, _ = start_stack(
            env,
            *("--port", str(ports["https"]), "--http-port", str(ports["http"])),
            *("--rasa-port", str(ports["rasa"]), "--actions-port", str(ports["actions"])),
            *("--simulator-port", str(ports["simulator"])),
            *("--console-port", str(ports["console"])),
            command="prod-local",
        )
    except RuntimeError as error:
        pytest.fail(str(error))
    tls = ssl.create_default_context(cafile=str(caddy_root_certificate()))
    yield Prod(
        public=f"https://localhost:{ports['https']}",
        http=f"http://localhost:{ports['http']}",
        rasa=f"http://127.0.0.1:{ports['rasa']}",
        simulator=f"http://127.0.0.1:{ports['simulator']}",
        tls=tls,
        app_secret=whatsapp_env(Settings(), 0)["WHATSAPP_APP_SECRET"],
    )
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    subprocess.run(
        [
            "psql",
            POSTGRES_ADMIN_URL,
            "-q",
            "-c",
            f'DROP DATABASE IF EXISTS "{database.rsplit("/", 1)[1]}" WITH (FORCE)',
        ],
        capture_output=True,
        check=False,
    )


def https(
    prod: Prod, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes, Any]:
    """A request through Caddy, TLS checked against its CA; no redirect followed."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=prod.tls), Stay)
    req = urllib.request.Request(prod.public + path, data=body, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def meta_posts(prod: Prod, message: dict[str, Any], wait: float = 30) -> list[dict[str, Any]]:
    """Post a message as Meta does, through Caddy; the bot's answers at the fake Graph API."""
    _, before = request(f"{prod.simulator}/_sim/messages?wa_id={WA_ID}")
    after = max([item["n"] for item in before["items"]], default=0)  # type: ignore[index]
    kind = message.pop("type")
    if kind == "text":
        payload = payloads.text_payload(WA_ID, message["text"], DEFAULT_PHONE_NUMBER_ID)
    else:
        payload = payloads.reply_payload(
            WA_ID,
            message["id"],
            message["title"],
            DEFAULT_PHONE_NUMBER_ID,
            list_reply=kind == "list_reply",
        )
    body = payloads.dumps(payload)
    status, _, _ = https(
        prod,
        "/webhooks/whatsapp/webhook",
        body,
        {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, prod.app_secret)},
    )
    assert status == 200
    deadline = time.monotonic() + wait
    replies: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        _, news = request(f"{prod.simulator}/_sim/messages?wa_id={WA_ID}&after={after}")
        replies = [i["body"] for i in news["items"] if i["from"] == "bot"]  # type: ignore[index]
        if replies and any(
            b["type"] != "text" or "instant" not in b["text"]["body"] for b in replies
        ):
            time.sleep(1.5)
            _, news = request(f"{prod.simulator}/_sim/messages?wa_id={WA_ID}&after={after}")
            return [i["body"] for i in news["items"] if i["from"] == "bot"]  # type: ignore[index]
        time.sleep(0.2)
    return replies


def test_a_whatsapp_booking_over_https_with_a_calendar_link_that_downloads(prod: Prod) -> None:
    from datetime import timedelta

    day = practice_today() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    name = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")[day.weekday()]
    meta_posts(
        prod, {"type": "text", "text": f"Bonjour, je voudrais un rdv {name} matin pour un vaccin"}
    )
    offered = meta_posts(prod, {"type": "text", "text": "Nadia Roux"})
    [offer] = [b for b in offered if b["type"] == "interactive"]
    row = offer["interactive"]["action"]["sections"][0]["rows"][0]
    recap = meta_posts(prod, {"type": "list_reply", "id": row["id"], "title": row["title"]})
    [question] = [b for b in recap if b["type"] == "interactive"]
    confirm = next(
        b["reply"]
        for b in question["interactive"]["action"]["buttons"]
        if b["reply"]["title"] == "Je confirme"
    )
    done = meta_posts(prod, {"type": "button_reply", **confirm})
    assert any("✅" in b.get("text", {}).get("body", "") for b in done), done
    [document] = [b["document"] for b in done if b["type"] == "document"]
    assert document["link"].startswith(
        prod.public + "/webhooks/whatsapp/ics/"
    )  # the public HTTPS address
    status, body, headers = https(prod, document["link"][len(prod.public) :])
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in body


def test_only_the_whatsapp_routes_and_the_console_are_public(prod: Prod) -> None:
    # Meta's handshake goes through; the console answers the rest (and sends to its sign-in)
    challenge = "/webhooks/whatsapp/webhook?hub.mode=subscribe&hub.challenge=42&hub.verify_token=local-verify-token"
    assert https(prod, challenge)[:2] == (200, b"42")
    status, _, headers = https(prod, "/")
    assert status == 303 and headers["Location"].startswith("/connexion")
    assert "Secure" in headers["Set-Cookie"] and headers["Strict-Transport-Security"]
    # Rasa's REST channel and HTTP API, the action server, Duckling, metrics: never Rasa's answer
    rest = json.dumps({"sender": "x", "message": "bonjour"}).encode()
    assert (
        https(prod, "/webhooks/rest/webhook", rest, {"Content-Type": "application/json"})[0] == 404
    )
    for path in (
        "/status",
        "/model/parse",
        "/webhook",
        "/parse",
        "/metrics",
        "/health/ready",
        "/conversations/x/tracker",
    ):
        status, body, _ = https(prod, path)
        assert status in (303, 404), (path, status)
        assert b"version" not in body and b"clinic_" not in body, path
    # and not in Rasa itself: production credentials mount the WhatsApp channel alone
    assert (
        request(f"{prod.rasa}/webhooks/rest/webhook", {"sender": "x", "message": "bonjour"})[0]
        == 404
    )
    # an unsigned webhook is refused through Caddy as it is directly
    assert (
        https(prod, "/webhooks/whatsapp/webhook", b"{}", {"Content-Type": "application/json"})[0]
        == 401
    )


def test_plain_http_is_redirected_to_https(prod: Prod) -> None:
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as redirected:
        urllib.request.build_opener(Stay).open(prod.http + "/agenda", timeout=10)
    assert redirected.value.code in (301, 308)
    # Caddy's automatic redirect names the HTTPS port only when it is 443 (production's): here,
    # on test ports, it says https://localhost/agenda; the scheme, host and path are what count.
    assert redirected.value.headers["Location"] in (
        "https://localhost/agenda",
        prod.public + "/agenda",
    )
