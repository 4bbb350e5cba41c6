"""`python -m devtools.emulators.google_calendar`: the emulator on a port, for local runs."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from devtools.emulators.google_calendar.oauth import load_public_key, write_service_account_key
from devtools.emulators.google_calendar.server import GoogleCalendarEmulator

logger = logging.getLogger(__name__)

#: The name usage lines and argparse's errors have always shown (the emulator was one file).
PROG = "google_calendar.py"


def main(argv: list[str] | None = None) -> None:
    from clinic.adapters.logs import configure_logging
    from clinic.adapters.settings import Settings

    parser = argparse.ArgumentParser(
        prog=PROG, description="Google Calendar v3 emulator (tests, local runs)"
    )
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
