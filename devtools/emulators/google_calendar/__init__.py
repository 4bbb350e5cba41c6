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

`calendars` holds the state and Google's rules, `oauth` the key file and the token check,
`server` the HTTP handler; the names below are what tests and benchmarks import from here.
"""

from devtools.emulators.google_calendar.calendars import CalendarState, Fault, google_error
from devtools.emulators.google_calendar.oauth import load_public_key, write_service_account_key
from devtools.emulators.google_calendar.server import PREFIX, GoogleCalendarEmulator

__all__ = [
    "PREFIX",
    "CalendarState",
    "Fault",
    "GoogleCalendarEmulator",
    "google_error",
    "load_public_key",
    "write_service_account_key",
]
