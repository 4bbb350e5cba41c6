"""Duckling's HTTP API on the embedded engine, so Rasa's stock extractor talks to it unchanged.

``POST /parse`` takes form fields (or the query string) ``text``, ``locale``/``lang``, ``tz``,
``dims`` (a JSON list), ``reftime`` (Unix milliseconds) and ``latent``, and answers Duckling's
JSON list of entities. ``GET /`` answers ``quack!`` as Duckling does; ``GET /health`` answers JSON.
The ``rasa/duckling`` image can replace this server without any change to the clients.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from clinic.adapters.duckling.engine import (
    DEFAULT_LOCALE,
    DEFAULT_TZ,
    DucklingEngine,
    DucklingRequestError,
    ParseRequest,
)
from clinic.adapters.httpserver import LoopbackHTTPServer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def parse_form(fields: dict[str, list[str]]) -> ParseRequest:
    """Turn Duckling's form fields into a validated request, or raise with a clear reason."""

    def field(name: str) -> str | None:
        values = fields.get(name)
        return values[-1] if values else None

    text = field("text")
    if text is None or not text.strip():
        raise DucklingRequestError("missing field 'text'")

    raw_dims = field("dims")
    dims: list[str] = []
    if raw_dims is not None and raw_dims not in ("", "null"):
        decoded: Any
        try:
            decoded = json.loads(raw_dims)
        except json.JSONDecodeError:
            decoded = [part.strip() for part in raw_dims.split(",") if part.strip()]
        if isinstance(decoded, str):
            decoded = [decoded]
        if not isinstance(decoded, list) or not all(isinstance(d, str) for d in decoded):
            raise DucklingRequestError("field 'dims' must be a JSON list such as [\"time\"]")
        dims = decoded

    reftime_ms = None
    raw_reftime = field("reftime")
    if raw_reftime is not None and raw_reftime != "":
        try:
            value = float(raw_reftime)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise DucklingRequestError(
                f"bad reftime {raw_reftime!r}: expected Unix time in milliseconds"
            )
        reftime_ms = int(value)

    latent = (field("latent") or "false").strip().lower() in ("true", "1", "yes")
    return ParseRequest(
        text=text,
        locale=field("locale") or field("lang") or DEFAULT_LOCALE,
        tz=field("tz") or DEFAULT_TZ,
        dims=tuple(dims),
        reftime_ms=reftime_ms,
        latent=latent,
    )


class DucklingHandler(BaseHTTPRequestHandler):
    server: DucklingHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "clinic-duckling/1"

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        payload = (
            body.encode()
            if isinstance(body, str)
            else json.dumps(body, ensure_ascii=False).encode()
        )
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        if path == "/":
            self._send(HTTPStatus.OK, "quack!", "text/plain")
        elif path == "/health":
            self._send(HTTPStatus.OK, {"status": "ok", "service": "duckling"})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {path}"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/parse":
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no route {url.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length > 0 else HTTPStatus.BAD_REQUEST,
                {"error": f"body must be at most {MAX_BODY_BYTES} bytes"},
            )
            return
        raw = self.rfile.read(length) if length else b""
        try:
            fields = parse_qs(url.query, keep_blank_values=True)
            fields.update(parse_qs(raw.decode("utf-8"), keep_blank_values=True, errors="strict"))
            request = parse_form(fields)
            entities = self.server.engine.parse(request)
        except UnicodeDecodeError:
            self._send(HTTPStatus.BAD_REQUEST, {"error": "body is not UTF-8"})
        except DucklingRequestError as error:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(error)})
        except Exception:
            logger.exception("duckling parse failed")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "parse failed"})
        else:
            self._send(HTTPStatus.OK, entities)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Method and path only: the query string may carry the patient's text (health data).
        path = urlsplit(getattr(self, "path", "") or "").path
        logger.debug("%s %s", getattr(self, "command", None) or "-", path)


class DucklingHTTPServer(LoopbackHTTPServer):
    """One thread per connection; the engine is shared (the binding is thread-safe)."""

    def __init__(self, address: tuple[str, int], engine: DucklingEngine) -> None:
        super().__init__(address, DucklingHandler)
        self.engine = engine


def main(argv: list[str] | None = None) -> None:
    from clinic.adapters.logs import configure_logging
    from clinic.adapters.settings import Settings

    parser = argparse.ArgumentParser(description="Embedded Duckling HTTP server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    server = DucklingHTTPServer((args.host, args.port), DucklingEngine())
    logger.info("Duckling listening on http://%s:%d", args.host, args.port)
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
