"""The action server process: rasa-sdk's own app, with the door closed to everyone but Rasa.

rasa-sdk checks nothing: anyone who reaches `:5055/webhook` could post a forged tracker and book
under any name. Here every request but `/health` must carry the shared secret that Rasa sends
(`endpoints.yml`: `headers: {X-Action-Token: ${ACTION_SERVER_TOKEN}}`), compared in constant
time; the server refuses to start without one and listens on loopback unless told otherwise.
An error answers a short JSON body, never the tracker back (rasa-sdk's own handler echoes the
request body, which holds the conversation).

    python -m connectors.launch connectors.action_server --port 5055 [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.context import get_context
from clinic.adapters.settings import SettingsError
from clinic.domain.practice import PracticeConfigError
from clinic.domain.tokens import same_token
from connectors.sanic_urls import answer_odd_urls

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Action-Token"
TOKEN_ENV = "ACTION_SERVER_TOKEN"
#: Paths anyone may call: the health check holds no data.
OPEN_PATHS = frozenset({"/health"})
MIN_TOKEN_LENGTH = 16


def authorised(request: Request, token: str) -> bool:
    return same_token(request.headers.get(TOKEN_HEADER), token)


def build_app(token: str, package: str = "actions") -> Sanic:
    """rasa-sdk's app for `package`, behind the shared secret."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise SystemExit(
            f"{TOKEN_ENV} must be set (at least {MIN_TOKEN_LENGTH} characters): without it "
            "anyone reaching the action server could book or cancel for any patient"
        )
    app = create_app(package, cors_origins=None)

    @app.on_request
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorised(request, token):
            return None
        logger.warning("action server: request without the right token refused (%s)", request.path)
        return response.json({"error": "unauthorised"}, status=401)

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if isinstance(exception, SanicException) and 400 <= status < 500:
            return response.json({"error": "bad request"}, status=status)  # a 404 stays a 404
        logger.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the action server, behind a shared secret")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--host",
        default=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"),
        help="interface to listen on (default loopback; 0.0.0.0 only on a private network)",
    )
    args = parser.parse_args(argv)
    answer_odd_urls()  # a URL Sanic cannot read gets a 400, not a dropped connection
    app = build_app(os.environ.get(TOKEN_ENV, ""))
    try:
        services = get_context()  # settings, practice file, database and key checked first
    except (SettingsError, PracticeConfigError) as error:
        raise SystemExit(f"error: {error}") from None
    services.serve_ops(services.readiness_checks(duckling=True))
    logger.info("action server on http://%s:%d", args.host, args.port)
    run: Any = app.run
    run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
