"""Google Calendar backend: `google-api-python-client` with a service account.

- Busy time comes from `freebusy.query`, so staff can block time in their Google Calendar.
- Events carry the appointment id as their own id (a retried insert answers 409 instead of
  creating a second event) and in private extended properties. Titles never hold the patient's
  name or the visit reason; the reason goes in only when the practice opts in.
- Every call has a per-attempt timeout and bounded retries (backoff with jitter) inside an
  overall deadline that fits the 5-second reply budget, then raises CalendarUnavailable.

httplib2 is not thread-safe and the action server calls this from worker threads, so each
thread gets its own authorised HTTP object; the service description is built once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import warnings
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import Any

from clinic.adapters import metrics
from clinic.adapters.calendars import CalendarUnavailable
from clinic.domain.appointments import Appointment
from clinic.domain.practice import Practice
from clinic.domain.scheduling import Interval

logger = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/calendar"]
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class GoogleCalendar:
    name = "google"

    def __init__(
        self,
        practice: Practice,
        calendar_id: str,
        credentials_file: str,
        api_root_url: str | None = None,
        timeout: float = 1.5,
        deadline: float = 4.0,
        max_attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # google.api_core on Python 3.10
            from google.oauth2 import service_account
            from googleapiclient.discovery import build

        self.practice = practice
        self.default_calendar_id = calendar_id
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._credentials = service_account.Credentials.from_service_account_file(
            credentials_file, scopes=SCOPES
        )
        self._local = threading.local()
        options = (
            {"api_endpoint": api_root_url.rstrip("/") + "/calendar/v3/"} if api_root_url else None
        )
        self._service = build(
            "calendar",
            "v3",
            http=self._http(),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    # -- the Calendar interface ------------------------------------------------------------

    def busy(self, start: datetime, end: datetime) -> Mapping[str | None, list[Interval]]:
        calendars: dict[str, list[str]] = {}
        for practitioner in self.practice.practitioners:
            calendars.setdefault(self._calendar_of(practitioner.id), []).append(practitioner.id)
        body = {
            "timeMin": _rfc3339(start),
            "timeMax": _rfc3339(end),
            "timeZone": "UTC",
            "items": [{"id": calendar_id} for calendar_id in calendars],
        }
        answer = self._call("freebusy", lambda s: s.freebusy().query(body=body))
        result: dict[str | None, list[Interval]] = {}
        for calendar_id, practitioner_ids in calendars.items():
            entry = answer.get("calendars", {}).get(calendar_id, {})
            if entry.get("errors"):
                reasons = ",".join(e.get("reason", "?") for e in entry["errors"])
                raise CalendarUnavailable(f"freebusy error for a calendar: {reasons}")
            intervals = [
                Interval(_parse(b["start"]), _parse(b["end"])) for b in entry.get("busy", [])
            ]
            for practitioner_id in practitioner_ids:
                result[practitioner_id] = intervals
        return result

    def create_event(self, appointment: Appointment) -> None:
        body = self._event(appointment)
        calendar_id = self._calendar_of(appointment.practitioner_id)
        try:
            self._call(
                "events.insert",
                lambda s: s.events().insert(calendarId=calendar_id, body=body),
                accept={409},
            )
        except _Accepted:
            logger.info("event %s already exists (retried insert)", appointment.id)

    def move_event(self, appointment: Appointment) -> None:
        """Patch the event's times (same id: staff see it move, not a new one)."""
        calendar_id = self._calendar_of(appointment.practitioner_id)
        body = {k: v for k, v in self._event(appointment).items() if k in ("start", "end")}
        try:
            self._call(
                "events.patch",
                lambda s: s.events().patch(
                    calendarId=calendar_id, eventId=appointment.id, body=body
                ),
                accept={404},
            )
        except _Accepted:  # never written (it was pending when moved): write it now
            self.create_event(appointment)

    def delete_event(self, appointment: Appointment) -> None:
        calendar_id = self._calendar_of(appointment.practitioner_id)
        try:
            self._call(
                "events.delete",
                lambda s: s.events().delete(calendarId=calendar_id, eventId=appointment.id),
                accept={404, 410},
            )
        except _Accepted:
            logger.info("event %s was already gone", appointment.id)

    # -- helpers -----------------------------------------------------------------------------

    def _calendar_of(self, practitioner_id: str) -> str:
        practitioner = self.practice.find_practitioner(practitioner_id)
        return (practitioner and practitioner.calendar_id) or self.default_calendar_id

    def _event(self, appointment: Appointment) -> dict[str, Any]:
        practitioner = self.practice.find_practitioner(appointment.practitioner_id)
        who = practitioner.name if practitioner else appointment.practitioner_id
        lines = [f"Patient : {appointment.patient_name}", f"Référence : {appointment.id}"]
        if self.practice.reason_in_calendar:
            reason = self.practice.find_reason(appointment.reason_id)
            lines.append(f"Motif : {reason.label if reason else appointment.reason_id}")
        lines.append("Pris par l'assistant WhatsApp du cabinet.")
        tz = self.practice.timezone
        return {
            "id": appointment.id,
            "summary": f"Rendez-vous patient · {who}",
            "description": "\n".join(lines),
            "start": {
                "dateTime": appointment.start.astimezone(self.practice.tz).isoformat(),
                "timeZone": tz,
            },
            "end": {
                "dateTime": appointment.end.astimezone(self.practice.tz).isoformat(),
                "timeZone": tz,
            },
            "visibility": "private",
            "transparency": "opaque",
            "extendedProperties": {"private": {"appointment_id": appointment.id}},
        }

    def _http(self) -> Any:
        http = getattr(self._local, "http", None)
        if http is None:
            import google_auth_httplib2
            import httplib2

            http = google_auth_httplib2.AuthorizedHttp(
                self._credentials, http=httplib2.Http(timeout=self.timeout)
            )
            self._local.http = http
        return http

    def _call(self, what: str, build: Callable[[Any], Any], accept: Collection[int] = ()) -> Any:
        """Execute with retries on 429/5xx/timeouts within the deadline; `accept` codes raise
        _Accepted (an answer that means "already done")."""
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            retry_after = 0.0
            try:
                return build(self._service).execute(http=self._http(), num_retries=0)
            except HttpError as error:
                status = int(error.resp.status)
                if status in accept:
                    raise _Accepted(status) from None
                if status not in RETRYABLE_STATUS:
                    metrics.GOOGLE_ERRORS.labels(what).inc()
                    raise CalendarUnavailable(f"{what}: HTTP {status}") from None
                problem = f"HTTP {status}"
                retry_after = _retry_after(error.resp)
            except (OSError, HttpLib2Error, TransportError) as error:  # timeouts, resets
                problem = type(error).__name__
                self._local.http = None  # a timed-out connection may hold a half-read answer
            except RefreshError as error:
                metrics.GOOGLE_ERRORS.labels(what).inc()
                raise CalendarUnavailable(f"{what}: token refused ({error})") from None
            pause = max(retry_after, self.backoff * 2 ** (attempt - 1)) + random.uniform(
                0, self.backoff
            )
            elapsed = time.monotonic() - started
            if attempt >= self.max_attempts or elapsed + pause + self.timeout > self.deadline:
                logger.warning("%s failed after %d attempt(s): %s", what, attempt, problem)
                metrics.GOOGLE_ERRORS.labels(what).inc()
                raise CalendarUnavailable(f"{what}: {problem}")
            logger.info("%s: %s, retry %d in %.2fs", what, problem, attempt, pause)
            time.sleep(pause)


class _Accepted(Exception):
    """An error status that means the wanted state already holds (409 on insert, 410 on delete)."""


def _retry_after(response: Any) -> float:
    try:
        return min(float(response.get("retry-after", 0)), 2.0)
    except (TypeError, ValueError):
        return 0.0


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
