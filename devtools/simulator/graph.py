"""A fake of Meta's Graph API `/{phone_number_id}/messages`, strict about Meta's limits.

It answers like Meta (a wamid on success, Meta's error JSON on failure), rejects bodies that
break the documented limits (so tests prove the connector never sends one), and can be told to
fail, hang or lose messages, which is what the connector's retries and outbox are tested against.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from clinic.domain.tokens import same_token
from devtools.simulator.payloads import new_wamid

logger = logging.getLogger(__name__)

#: Meta's error bodies for the codes the tests inject (HTTP status, title).
ERRORS = {
    2: (503, "Service temporarily unavailable"),
    4: (429, "Application request limit reached"),
    100: (400, "Invalid parameter"),
    190: (401, "Invalid OAuth access token"),
    130429: (400, "Rate limit hit"),
    131000: (500, "Something went wrong"),
    131016: (503, "Service unavailable"),
    131026: (400, "Message undeliverable"),
    131047: (400, "Re-engagement message"),
    131053: (400, "Media upload error"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
}


def error_body(code: int, details: str = "") -> dict[str, Any]:
    title = ERRORS.get(code, (400, "Error"))[1]
    return {
        "error": {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or title},
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
        }
    }


def limit_problems(body: dict[str, Any]) -> list[str]:
    """Every way `body` breaks Meta's documented limits (empty when it is valid)."""
    problems = []
    if body.get("messaging_product") != "whatsapp":
        problems.append("messaging_product")
    kind = body.get("type")
    if kind == "text":
        text = body.get("text", {}).get("body", "")
        if not text or len(text) > 4096:
            problems.append("text.body length")
    elif kind == "interactive":
        interactive = body.get("interactive", {})
        if not 1 <= len(interactive.get("body", {}).get("text", "")) <= 1024:
            problems.append("interactive.body length")
        action = interactive.get("action", {})
        if interactive.get("type") == "button":
            buttons = action.get("buttons", [])
            titles = [b.get("reply", {}).get("title", "") for b in buttons]
            ids = [b.get("reply", {}).get("id", "") for b in buttons]
            if not 1 <= len(buttons) <= 3:
                problems.append("button count")
            if any(not 1 <= len(t) <= 20 for t in titles) or len(set(titles)) != len(titles):
                problems.append("button titles")
            if any(not 1 <= len(i) <= 256 or i != i.strip() for i in ids):
                problems.append("button ids")
        elif interactive.get("type") == "list":
            if not 1 <= len(action.get("button", "")) <= 20:
                problems.append("list button label")
            sections = action.get("sections", [])
            rows = [row for section in sections for row in section.get("rows", [])]
            if not 1 <= len(rows) <= 10 or len(sections) > 10:
                problems.append("row count")
            if any(len(s.get("title", "")) > 24 for s in sections):
                problems.append("section title")
            for row in rows:
                if not 1 <= len(row.get("title", "")) <= 24:
                    problems.append("row title")
                if len(row.get("description", "")) > 72:
                    problems.append("row description")
                if not 1 <= len(row.get("id", "")) <= 200:
                    problems.append("row id")
        else:
            problems.append("interactive.type")
    elif kind == "template":
        template = body.get("template", {})
        if not template.get("name") or not template.get("language", {}).get("code"):
            problems.append("template name/language")
    elif kind in ("document", "image"):
        media = body.get(kind, {})
        if not (media.get("link") or media.get("id")):
            problems.append(f"{kind} link")
    else:
        problems.append("type")
    if not str(body.get("to", "")).startswith("+"):
        problems.append("to")
    return problems


@dataclass
class FakeGraph:
    phone_number_id: str
    access_token: str
    #: Scripted answers, used one per send: an error code, "hang" (never answers in time) or
    #: "accept-hang" (accepts the message, statuses included, then never answers in time),
    #: or "ok" (answers normally: lets a script fail the n-th send).
    script: deque[int | str] = field(default_factory=deque)
    #: Every request received: {"path", "body", "authorized", "answer"}.
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Messages accepted, in order: {"wamid", "to", "body"}.
    accepted: list[dict[str, Any]] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    hang_seconds: float = 30.0
    listeners: list[Any] = field(default_factory=list)
    changed: asyncio.Event | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{phone_number_id}/messages", self.handle)
        app.router.add_get(r"/{version:v\d+\.\d+}/{phone_number_id}", self.number)
        app.router.add_post("/_fake/script", self.set_script)
        app.router.add_get("/_fake/requests", self.list_requests)
        app.router.add_post("/_fake/reset", self.reset)

    def authorized(self, request: web.Request) -> bool:
        """The Graph API token, checked as Meta would (bytes, constant time)."""
        return same_token(request.headers.get("Authorization"), f"Bearer {self.access_token}")

    def _notify(self) -> None:
        if self.changed is not None:
            self.changed.set()

    async def number(self, request: web.Request) -> web.Response:
        """`GET /{phone_number_id}`: the number's profile, as Meta answers a valid token."""
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return web.json_response(error_body(100, "Unknown phone number id"), status=400)
        if not self.authorized(request):
            return web.json_response(error_body(190), status=401)
        return web.json_response(
            {
                "verified_name": "Cabinet (simulateur)",
                "display_phone_number": "+33 1 00 00 00 00",
                "id": self.phone_number_id,
                "quality_rating": "GREEN",
            }
        )

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        authorized = self.authorized(request)
        record: dict[str, Any] = {"path": request.path, "body": body, "authorized": authorized}
        self.requests.append(record)
        if request.match_info["phone_number_id"] != self.phone_number_id:
            record["answer"] = 100
            return web.json_response(error_body(100, "Unknown phone number id"), status=400)
        if not authorized:
            record["answer"] = 190
            return web.json_response(error_body(190), status=401)
        accept_then_hang = False
        if self.script:
            step = self.script.popleft()
            if step == "ok":
                pass
            elif step == "accept-hang":
                accept_then_hang = True
            elif step == "hang":
                record["answer"] = "hang"
                await asyncio.sleep(self.hang_seconds)
            else:
                record["answer"] = int(step)
                http_status = ERRORS.get(int(step), (400, ""))[0]
                return web.json_response(error_body(int(step)), status=http_status)
        if body.get("status") == "read":
            record["answer"] = "read"
            self.read.append(str(body.get("message_id")))
            self._notify()
            return web.json_response({"success": True})
        problems = limit_problems(body)
        if problems:
            record["answer"] = 100
            return web.json_response(error_body(100, "; ".join(problems)), status=400)
        wamid = new_wamid()
        record["answer"] = wamid
        to = str(body.get("to", "")).lstrip("+")
        self.accepted.append({"wamid": wamid, "to": to, "body": body, "at": time.monotonic()})
        for listener in self.listeners:
            listener(wamid, to, body)
        self._notify()
        if accept_then_hang:
            await asyncio.sleep(self.hang_seconds)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    async def set_script(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.script.extend(data.get("steps", []))
        if "hang_seconds" in data:
            self.hang_seconds = float(data["hang_seconds"])
        return web.json_response({"queued": len(self.script)})

    async def list_requests(self, request: web.Request) -> web.Response:
        """Everything; with `?after=N`, only the messages accepted after the N-th (a load test
        polls this many times a second)."""
        if "after" in request.query:
            try:
                after = int(request.query["after"])
            except ValueError:
                return web.json_response({"error": "after: expected a number"}, status=400)
            return web.json_response({"accepted": self.accepted[after:], "after": after})
        return web.json_response({"requests": self.requests, "accepted": self.accepted})

    async def reset(self, request: web.Request) -> web.Response:
        self.script.clear()
        self.requests.clear()
        self.accepted.clear()
        self.read.clear()
        return web.json_response({"ok": True})
