"""`python -m clinic.app.console [--host H] [--port P]`: serve the staff console."""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from clinic.adapters.logs import configure_logging
from clinic.adapters.settings import Settings, SettingsError
from clinic.app.console.app import Console
from clinic.app.wiring import build_services
from clinic.domain.practice import PracticeConfigError


def main(argv: list[str] | None = None) -> None:
    try:
        settings = Settings.from_env()
        settings.validate_console()  # its own session key and CONSOLE_ALLOW, in production
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=settings.console_host)
    parser.add_argument("--port", type=int, default=settings.console_port)
    args = parser.parse_args(argv)
    configure_logging(settings.log_format, settings.log_level)
    try:
        services = build_services(settings)
        console = Console(services)  # refuses a session key equal to the application key
    except (SettingsError, PracticeConfigError) as error:
        raise SystemExit(f"error: {error}") from None
    app = console.app()
    services.serve_ops(services.readiness_checks())

    async def close(_: web.Application) -> None:
        await services.close()

    app.on_cleanup.append(close)  # type: ignore[arg-type]  # aiohttp's Signal hint is off
    if not services.staff.list():
        print(
            "Aucun compte : créez le premier (responsable) avec\n"
            '  clinic staff add --email vous@cabinet.fr --name "Votre nom" --password-stdin',
            file=sys.stderr,
            flush=True,
        )
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
