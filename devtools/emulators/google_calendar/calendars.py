"""The emulator's calendars and Google's rules for them: events inserted, listed, patched and
cancelled, free/busy merged, faults waiting to be injected, and Google's error bodies.

Kept free of HTTP so the rules read as Google documents them; the handler only routes.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

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


class Reply(Exception):
    """The answer to send, raised from anywhere down the call chain (an error, mostly)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


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


def take_fault(faults: list[Fault], method: str, path: str) -> Fault | None:
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
        raise Reply(400, google_error(400, "Missing time"))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Reply(400, google_error(400, f"Invalid value: {value}")) from None
    if moment.tzinfo is None:
        raise Reply(400, google_error(400, "Missing time zone definition"))
    return moment


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def insert_event(events: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    event_id = body.get("id") or secrets.token_hex(13)
    if not _EVENT_ID.match(event_id):
        raise Reply(400, google_error(400, "Invalid resource id value."))
    if event_id in events:
        raise Reply(409, google_error(409))
    if _instant(body.get("end")) <= _instant(body.get("start")):
        raise Reply(400, google_error(400, "The specified time range is empty."))
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


def one_event(
    events: dict[str, dict[str, Any]], event_id: str, method: str, body: dict[str, Any]
) -> tuple[int, Any]:
    """GET, DELETE (cancel) or PATCH one event: the status and body to answer."""
    event = events.get(event_id)
    if event is None:
        raise Reply(404, google_error(404))
    if method == "GET":
        return 200, event
    if method == "DELETE":
        if event["status"] == "cancelled":
            raise Reply(410, google_error(410))
        event.update(status="cancelled", updated=_now())
        return 204, None
    if method == "PATCH":
        moved = any(k in body and body[k] != event.get(k) for k in ("start", "end"))
        event.update({k: v for k, v in body.items() if k != "id"})
        if _instant(event.get("end")) <= _instant(event.get("start")):
            raise Reply(400, google_error(400, "The specified time range is empty."))
        event.update(updated=_now(), sequence=event["sequence"] + int(moved))
        return 200, event
    raise Reply(405, google_error(400, "Method not allowed"))


def list_events(events: dict[str, dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
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


def free_busy(state: CalendarState, body: dict[str, Any]) -> dict[str, Any]:
    lower, upper = _instant(body.get("timeMin")), _instant(body.get("timeMax"))
    if upper <= lower:
        raise Reply(400, google_error(400, "The specified time range is empty."))
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
