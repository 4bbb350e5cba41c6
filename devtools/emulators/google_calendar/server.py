"""The emulator's HTTP side: the server and its handler, which routes Google's URLs, injects
the faults asked for, checks the bearer token and answers in Google's wire format."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from clinic.adapters.httpserver import LoopbackHTTPServer
from devtools.emulators.google_calendar.calendars import (
    CalendarState,
    Fault,
    Reply,
    free_busy,
    google_error,
    insert_event,
    list_events,
    one_event,
    take_fault,
)
from devtools.emulators.google_calendar.oauth import check_assertion

#: The package's name, as the emulator logged under when it was one module.
logger = logging.getLogger("devtools.emulators.google_calendar")

PREFIX = "/calendar/v3"


class GoogleCalendarEmulator(LoopbackHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        calendars: Iterable[str] = (),
        public_key: Any = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.state = CalendarState(calendars={c: {} for c in calendars})
        self.public_key = public_key

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: GoogleCalendarEmulator
    protocol_version = "HTTP/1.1"

    # -- plumbing ----------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("%s %s", self.command, urlsplit(self.path).path)

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        """Read the whole body first, so keep-alive connections stay in step on any reply."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self) -> dict[str, Any]:
        try:
            value = json.loads(self._raw or b"{}")
        except json.JSONDecodeError:
            raise Reply(400, google_error(400, "Parse Error")) from None
        if not isinstance(value, dict):
            raise Reply(400, google_error(400))
        return value

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        state = self.server.state
        self._raw = self._read_body()
        try:
            if path.startswith("/_emulator/"):
                self._control(method, path)
                return
            with state.lock:
                state.requests.append((method, path))
                fault = take_fault(state.faults, method, path)
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status:
                raise Reply(fault.status, google_error(fault.status))
            if method == "POST" and path == "/token":
                self._token()
                return
            self._authorise()
            if not path.startswith(PREFIX + "/"):
                raise Reply(404, google_error(404))
            self._api(method, path[len(PREFIX) :], query)
        except Reply as reply:
            self._send(reply.status, reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- OAuth -------------------------------------------------------------------------------

    def _token(self) -> None:
        check_assertion(self._raw, self.server.public_key)
        token = "ya29.emulator-" + secrets.token_urlsafe(24)
        with self.server.state.lock:
            self.server.state.tokens.add(token)
        self._send(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _authorise(self) -> None:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with self.server.state.lock:
            known = token in self.server.state.tokens
        if not known:
            raise Reply(401, google_error(401))

    # -- Calendar API ------------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, str]) -> None:
        state = self.server.state
        if path == "/freeBusy" and method == "POST":
            self._send(200, free_busy(state, self._json()))
            return
        match = re.fullmatch(r"/calendars/([^/]+)/events(?:/([^/]+))?", path)
        if not match:
            raise Reply(404, google_error(404))
        calendar_id, event_id = match.groups()
        body = self._json() if method in ("POST", "PATCH") else {}
        with state.lock:
            events = state.calendars.get(calendar_id)
            if events is None:
                raise Reply(404, google_error(404))
            if event_id is None and method == "POST":
                status, answer = 200, insert_event(events, body)
            elif event_id is None and method == "GET":
                status, answer = 200, list_events(events, query)
            elif event_id is not None:
                status, answer = one_event(events, event_id, method, body)
            else:
                raise Reply(404, google_error(404))
        self._send(status, answer)

    # -- control -----------------------------------------------------------------------------

    def _control(self, method: str, path: str) -> None:
        state = self.server.state
        if path == "/_emulator/faults" and method == "POST":
            spec = self._json()
            fault = Fault(
                method=str(spec.get("method", ".*")).upper(),
                path=re.compile(str(spec.get("path", ".*"))),
                status=spec.get("status"),
                delay=float(spec.get("delay", 0)),
                times=int(spec.get("times", 1)),
            )
            with state.lock:
                state.faults.append(fault)
            self._send(200, {"ok": True})
        elif path == "/_emulator/faults" and method == "DELETE":
            with state.lock:
                state.faults.clear()
            self._send(200, {"ok": True})
        elif path == "/_emulator/requests" and method == "GET":
            with state.lock:
                self._send(200, [list(r) for r in state.requests])
        elif path == "/_emulator/calendars" and method == "POST":
            calendar_id = str(self._json().get("id", ""))
            with state.lock:
                state.calendars.setdefault(calendar_id, {})
            self._send(200, {"id": calendar_id})
        elif path == "/_emulator/state" and method == "GET":
            with state.lock:
                self._send(200, state.calendars)
        else:
            self._send(404, google_error(404))
