"""The local WhatsApp: `python -m devtools.simulator` (started by `make run`).

Serves the fake Graph API the connector sends to, and a French chat page at `/` that posts
signed webhooks to the connector, like Meta does, and shows what the assistant sent back.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import time
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web

from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign
from clinic.domain.tokens import same_token
from devtools.simulator import payloads
from devtools.simulator.graph import FakeGraph

logger = logging.getLogger(__name__)

DEFAULT_WA_ID = "33612345678"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
#: Header carrying the page's per-run token on /_sim/send.
TOKEN_HEADER = "X-Sim-Token"

MEDIA: dict[str, dict[str, Any]] = {
    "image": {"mime_type": "image/jpeg", "sha256": "c1ac4b", "id": "1003383421387256"},
    "sticker": {
        "mime_type": "image/webp",
        "sha256": "f3a0e2",
        "id": "1003383421387257",
        "animated": False,
    },
    "document": {
        "mime_type": "application/pdf",
        "sha256": "9a1b2c",
        "id": "1003383421387258",
        "filename": "ordonnance.pdf",
    },
    "audio": {
        "mime_type": "audio/ogg; codecs=opus",
        "sha256": "5e6f7a",
        "id": "1003383421387259",
        "voice": True,
    },
}


class Simulator:
    def __init__(
        self,
        graph: FakeGraph,
        webhook_url: str,
        app_secret: str,
        wa_id: str = DEFAULT_WA_ID,
        statuses: bool = True,
    ) -> None:
        self.graph = graph
        self.webhook_url = webhook_url
        self.app_secret = app_secret
        self.wa_id = wa_id
        self.statuses = statuses
        self.chat: list[dict[str, Any]] = []
        self.typing_until = 0.0
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Only the page this server served knows it: another site open in the developer's
        #: browser cannot read it, so it cannot make the simulator post signed messages.
        self.token = secrets.token_urlsafe(16)
        graph.listeners.append(self._on_accepted)

    def app(self) -> web.Application:
        app = web.Application()
        self.graph.routes(app)
        app.router.add_get("/", self.page)
        app.router.add_get("/health", self.health)
        app.router.add_get("/_sim/messages", self.messages)
        app.router.add_post("/_sim/send", self.send)
        # aiosignal's generic hints disagree with aiohttp 3.9's on what a handler is.
        app.on_cleanup.append(self._close)  # type: ignore[arg-type]
        return app

    async def _close(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._session

    async def post_webhook(self, payload: dict[str, Any]) -> int:
        """Sign and post like Meta; returns the connector's HTTP status (0 if unreachable)."""
        body = payloads.dumps(payload)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.app_secret),
        }
        try:
            async with self._client().post(
                self.webhook_url, data=body, headers=headers
            ) as response:
                return response.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return 0

    def _on_accepted(self, wamid: str, to: str, body: dict[str, Any]) -> None:
        self.typing_until = 0.0
        self.chat.append(
            {"n": len(self.chat) + 1, "from": "bot", "wa_id": to, "wamid": wamid, "body": body}
        )
        if self.statuses:
            callback = body.get("biz_opaque_callback_data")
            task = asyncio.ensure_future(self._report(wamid, to, callback))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _report(self, wamid: str, to: str, callback: str | None) -> None:
        """Meta's `sent` then `delivered` statuses, echoing biz_opaque_callback_data."""
        for status in ("sent", "delivered"):
            await asyncio.sleep(0.05)
            await self.post_webhook(
                payloads.status_payload(
                    wamid, status, to, self.graph.phone_number_id, callback=callback
                )
            )

    async def page(self, request: web.Request) -> web.Response:
        html = resources.files("devtools.simulator").joinpath("chat.html").read_text("utf-8")
        html = html.replace("{{SIM_TOKEN}}", self.token)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def messages(self, request: web.Request) -> web.Response:
        """What the page shows for one phone: new bubbles, read ticks, « écrit… »."""
        after = int(request.query.get("after", "0") or 0)
        wa_id = request.query.get("wa_id") or self.wa_id
        chat = [item for item in self.chat if item["wa_id"] == wa_id]
        items = [item for item in chat if item["n"] > after]
        seen = set(self.graph.read)
        read = [item["n"] for item in chat if item["from"] == "me" and item["wamid"] in seen]
        mine = [item["n"] for item in chat if item["from"] == "me"]
        typing = time.monotonic() < self.typing_until and bool(read) and read[-1] == mine[-1]
        return web.json_response({"items": items, "read": read, "typing": typing})

    async def send(self, request: web.Request) -> web.Response:
        """What the page's phone sends. A JSON content type forces a cross-site page into a CORS
        preflight (never answered here), and the per-run token proves the request comes from
        the page this server served."""
        if request.content_type != "application/json":
            return web.json_response({"error": "expected application/json"}, status=415)
        if not same_token(request.headers.get(TOKEN_HEADER), self.token):
            return web.json_response({"error": "missing or wrong simulator token"}, status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(data, dict):
            return web.json_response({"error": "expected a JSON object"}, status=400)
        wa_id = str(data.get("wa_id") or self.wa_id)
        payload, shown = self._payload(data, wa_id)
        if payload is None:
            return web.json_response({"error": "unknown message type"}, status=400)
        profile = str(data.get("profile_name") or "")[:60]
        if profile:  # the WhatsApp profile name Meta sends with the message (?nom= on the page)
            for contact in payload["entry"][0]["changes"][0]["value"].get("contacts", []):
                contact["profile"] = {"name": profile}
        wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        self.chat.append(
            {"n": len(self.chat) + 1, "from": "me", "wa_id": wa_id, "wamid": wamid, "body": shown}
        )
        self.typing_until = time.monotonic() + 20
        status = await self.post_webhook(payload)
        return web.json_response({"status": status, "wamid": wamid})

    def _payload(
        self, data: dict[str, Any], wa_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        kind, phone = data.get("type"), self.graph.phone_number_id
        if kind == "text":
            text = str(data.get("text", ""))
            return payloads.text_payload(wa_id, text, phone), {"type": "text", "text": text}
        if kind in ("button_reply", "list_reply"):
            title = str(data.get("title", ""))
            payload = payloads.reply_payload(
                wa_id, str(data.get("id", "")), title, phone, list_reply=kind == "list_reply"
            )
            return payload, {"type": "text", "text": title}
        if kind == "quick_reply":
            text = str(data.get("text", ""))
            payload = payloads.quick_reply_payload(wa_id, str(data.get("payload", "")), text, phone)
            return payload, {"type": "text", "text": text}
        if kind == "location":
            content = {"latitude": 48.8566, "longitude": 2.3522, "name": "Ma position"}
            item = payloads.message(wa_id, "location", content)
            return payloads.messages_payload([item], phone), {"type": "text", "text": "📍 Position"}
        if kind in MEDIA:
            item = payloads.message(wa_id, kind, dict(MEDIA[kind]))
            label = {
                "image": "📷 Photo",
                "sticker": "🙂 Sticker",
                "document": "📄 Document",
                "audio": "🎤 Message vocal",
            }[kind]
            return payloads.messages_payload([item], phone), {"type": "text", "text": label}
        return None, {}


def build(
    webhook_url: str,
    app_secret: str,
    access_token: str,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wa_id: str = DEFAULT_WA_ID,
    statuses: bool = True,
) -> tuple[Simulator, web.Application]:
    graph = FakeGraph(phone_number_id=phone_number_id, access_token=access_token)
    simulator = Simulator(graph, webhook_url, app_secret, wa_id, statuses)
    return simulator, simulator.app()


def main(argv: list[str] | None = None) -> None:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(env.get("SIMULATOR_PORT", 8090)))
    parser.add_argument(
        "--webhook-url",
        default=env.get("SIMULATOR_WEBHOOK_URL", "http://127.0.0.1:5005/webhooks/whatsapp/webhook"),
    )
    parser.add_argument("--wa-id", default=env.get("SIMULATOR_WA_ID", DEFAULT_WA_ID))
    parser.add_argument("--no-statuses", action="store_true", help="do not post delivery statuses")
    args = parser.parse_args(argv)
    missing = [n for n in ("WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN") if not env.get(n)]
    if missing:
        raise SystemExit(f"error: set {', '.join(missing)} (the connector's values)")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _, app = build(
        args.webhook_url,
        env["WHATSAPP_APP_SECRET"],
        env["WHATSAPP_ACCESS_TOKEN"],
        env.get("WHATSAPP_PHONE_NUMBER_ID", DEFAULT_PHONE_NUMBER_ID),
        args.wa_id,
        statuses=not args.no_statuses,
    )
    print(f"Simulateur WhatsApp : http://localhost:{args.port}/", flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
