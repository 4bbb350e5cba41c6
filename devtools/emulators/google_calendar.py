"""A Google Calendar v3 emulator: the subset the assistant uses, on Google's wire format.

The real `google-api-python-client` (built from the discovery document it ships) talks to it
through `GOOGLE_API_ROOT_URL`, and the real service-account token exchange runs against its
`/token` endpoint (the key file's `token_uri` points here; the JWT assertion is verified with the
key's public half). It serves:

- `POST /calendar/v3/freeBusy`
- `POST|GET /calendar/v3/calendars/{id}/events`, `GET|PATCH|DELETE …/events/{eventId}`

with Google's error bodies (400 invalid, 401 authError, 404 notFound, 409 duplicate, 410 deleted,
429 rateLimitExceeded, 500 backendError). Faults are injected on demand through
`POST /_emulator/faults` ({"method", "path" (a regex), "status" or "delay", "times"}), and
`GET /_emulator/requests` lists what was called, so tests can count retries.

Run it: `python -m devtools.emulators.google_calendar --port 8085 --key var/gcal-key.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from clinic.adapters.httpserver import LoopbackHTTPServer

logger = logging.getLogger(__name__)

PREFIX = "/calendar/v3"
_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_REASONS = {
    400: ("invalid", "Invalid Value"),
    401: ("authError", "Invalid Credentials"),
    403: ("forbidden", "Forbidden"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    503: ("backendError", "Service Unavailable"),
}


def google_error(status: int, message: str | None = None) -> dict[str, Any]:
    """Google's JSON error body for `status`."""
    reason, default = _REASONS.get(status, ("backendError", HTTPStatus(status).phrase))
    text = message or default
    return {
        "error": {
            "errors": [{"domain": "global", "reason": reason, "message": text}],
            "code": status,
            "message": text,
        }
    }


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class CalendarState:
    """Everything the emulator holds; guarded by one lock (requests run in threads)."""

    calendars: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


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
            raise _Reply(400, google_error(400, "Parse Error")) from None
        if not isinstance(value, dict):
            raise _Reply(400, google_error(400))
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
                fault = _take_fault(state.faults, method, path)
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status:
                raise _Reply(fault.status, google_error(fault.status))
            if method == "POST" and path == "/token":
                self._token()
                return
            self._authorise()
            if not path.startswith(PREFIX + "/"):
                raise _Reply(404, google_error(404))
            self._api(method, path[len(PREFIX) :], query)
        except _Reply as reply:
            self._send(reply.status, reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- OAuth -------------------------------------------------------------------------------

    def _token(self) -> None:
        import jwt

        form = {k: v[-1] for k, v in parse_qs(self._raw.decode()).items()}
        assertion = form.get("assertion", "")
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not assertion:
            raise _Reply(400, {"error": "invalid_grant", "error_description": "bad request"})
        try:
            if self.server.public_key is not None:
                jwt.decode(
                    assertion,
                    self.server.public_key,
                    algorithms=["RS256"],
                    options={"verify_aud": False},
                )
            else:
                jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise _Reply(
                400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {error}"}
            ) from None
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
            raise _Reply(401, google_error(401))

    # -- Calendar API ------------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, str]) -> None:
        state = self.server.state
        if path == "/freeBusy" and method == "POST":
            self._send(200, _free_busy(state, self._json()))
            return
        match = re.fullmatch(r"/calendars/([^/]+)/events(?:/([^/]+))?", path)
        if not match:
            raise _Reply(404, google_error(404))
        calendar_id, event_id = match.groups()
        body = self._json() if method in ("POST", "PATCH") else {}
        with state.lock:
            events = state.calendars.get(calendar_id)
            if events is None:
                raise _Reply(404, google_error(404))
            if event_id is None and method == "POST":
                status, answer = 200, _insert(events, body)
            elif event_id is None and method == "GET":
                status, answer = 200, _list(events, query)
            elif event_id is not None:
                status, answer = _one(events, event_id, method, body)
            else:
                raise _Reply(404, google_error(404))
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


class _Reply(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _take_fault(faults: list[Fault], method: str, path: str) -> Fault | None:
    for fault in faults:
        if re.fullmatch(fault.method, method) and fault.path.search(path):
            fault.times -= 1
            if fault.times <= 0:
                faults.remove(fault)
            return fault
    return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _instant(value: Any) -> datetime:
    """An RFC 3339 instant, or a start/end object with dateTime (date-only: all-day, midnight UTC)."""
    if isinstance(value, dict):
        value = value.get("dateTime") or (value.get("date") and value["date"] + "T00:00:00Z")
    if not isinstance(value, str):
        raise _Reply(400, google_error(400, "Missing time"))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Reply(400, google_error(400, f"Invalid value: {value}")) from None
    if moment.tzinfo is None:
        raise _Reply(400, google_error(400, "Missing time zone definition"))
    return moment


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _insert(events: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    event_id = body.get("id") or secrets.token_hex(13)
    if not _EVENT_ID.match(event_id):
        raise _Reply(400, google_error(400, "Invalid resource id value."))
    if event_id in events:
        raise _Reply(409, google_error(409))
    if _instant(body.get("end")) <= _instant(body.get("start")):
        raise _Reply(400, google_error(400, "The specified time range is empty."))
    stamp = _now()
    event = {
        **body,
        "kind": "calendar#event",
        "id": event_id,
        "status": body.get("status", "confirmed"),
        "etag": f'"{secrets.randbits(48)}"',
        "created": stamp,
        "updated": stamp,
        "sequence": 0,
        "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
    }
    events[event_id] = event
    return event


def _one(
    events: dict[str, dict[str, Any]], event_id: str, method: str, body: dict[str, Any]
) -> tuple[int, Any]:
    event = events.get(event_id)
    if event is None:
        raise _Reply(404, google_error(404))
    if method == "GET":
        return 200, event
    if method == "DELETE":
        if event["status"] == "cancelled":
            raise _Reply(410, google_error(410))
        event.update(status="cancelled", updated=_now())
        return 204, None
    if method == "PATCH":
        moved = any(k in body and body[k] != event.get(k) for k in ("start", "end"))
        event.update({k: v for k, v in body.items() if k != "id"})
        if _instant(event.get("end")) <= _instant(event.get("start")):
            raise _Reply(400, google_error(400, "The specified time range is empty."))
        event.update(updated=_now(), sequence=event["sequence"] + int(moved))
        return 200, event
    raise _Reply(405, google_error(400, "Method not allowed"))


def _list(events: dict[str, dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    lower = _instant(query["timeMin"]) if "timeMin" in query else None
    upper = _instant(query["timeMax"]) if "timeMax" in query else None
    wanted = query.get("privateExtendedProperty")
    items = []
    for event in events.values():
        if event["status"] == "cancelled" and query.get("showDeleted") != "true":
            continue
        if lower and _instant(event["end"]) <= lower or upper and _instant(event["start"]) >= upper:
            continue
        if wanted:
            key, _, value = wanted.partition("=")
            private = event.get("extendedProperties", {}).get("private", {})
            if private.get(key) != value:
                continue
        items.append(event)
    items.sort(key=lambda e: _instant(e["start"]))
    return {"kind": "calendar#events", "items": items, "timeZone": "UTC"}


def _free_busy(state: CalendarState, body: dict[str, Any]) -> dict[str, Any]:
    lower, upper = _instant(body.get("timeMin")), _instant(body.get("timeMax"))
    if upper <= lower:
        raise _Reply(400, google_error(400, "The specified time range is empty."))
    calendars: dict[str, Any] = {}
    with state.lock:
        for item in body.get("items", []):
            calendar_id = item.get("id")
            events = state.calendars.get(calendar_id)
            if events is None:
                calendars[calendar_id] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            spans = sorted(
                (max(_instant(e["start"]), lower), min(_instant(e["end"]), upper))
                for e in events.values()
                if e["status"] != "cancelled"
                and e.get("transparency", "opaque") == "opaque"
                and _instant(e["start"]) < upper
                and _instant(e["end"]) > lower
            )
            merged: list[list[datetime]] = []
            for start, end in spans:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            calendars[calendar_id] = {
                "busy": [{"start": _rfc3339(s), "end": _rfc3339(e)} for s, e in merged]
            }
    return {
        "kind": "calendar#freeBusy",
        "timeMin": _rfc3339(lower),
        "timeMax": _rfc3339(upper),
        "calendars": calendars,
    }


def write_service_account_key(path: Path, token_uri: str) -> Any:
    """Write a service-account key file whose token exchange goes to `token_uri`.

    Returns the public key, for the emulator to verify the signed assertions.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "clinic-emulator",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": "assistant@clinic-emulator.iam.gserviceaccount.com",
        "client_id": "100000000000000000000",
        "token_uri": token_uri,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)
    return key.public_key()


def load_public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    info = json.loads(path.read_text())
    private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    return private.public_key()


def main(argv: list[str] | None = None) -> None:
    from clinic.adapters.logs import configure_logging
    from clinic.adapters.settings import Settings

    parser = argparse.ArgumentParser(description="Google Calendar v3 emulator (tests, local runs)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument(
        "--calendar", action="append", default=[], help="calendar id to create (repeatable)"
    )
    parser.add_argument(
        "--key", type=Path, help="service-account key file (written if missing, token_uri here)"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    public_key = None
    if args.key:
        token_uri = f"http://{args.host}:{args.port}/token"
        if args.key.exists():
            public_key = load_public_key(args.key)
        else:
            public_key = write_service_account_key(args.key, token_uri)
    server = GoogleCalendarEmulator(
        (args.host, args.port), args.calendar or ["primary"], public_key
    )
    logger.info(
        "Google Calendar emulator on %s (calendars: %s)",
        server.url,
        ", ".join(server.state.calendars),
    )
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
