"""Rasa's HTTP server, made to answer whatever a client sends (installed by `connectors.patches`).

- Rasa's API token (`?token=`) is compared with `==` on `str`, not in constant time:
  `constant_time_auth` wraps `rasa.server.requires_auth` so that the token is compared by
  `same_token` (bytes, constant time) and anything else goes to Rasa's own code, which can then
  only refuse it (its JWT check, its 401), since the token it holds equals no string.
- Sanic 21.12 closes the connection without a word when a request's target holds a byte outside
  printable ASCII (« ?hub.verify_token=é » not percent-encoded): httptools refuses the URL, and
  the request Sanic builds for its error page is made from the same URL, so it fails again (and
  bytes that are not UTF-8 fail even before, on `str.encode`). Caddy forwards a raw query as it
  came, so the client saw a 502. `answer_odd_urls` makes that a 400: an error raised before any
  request existed is a bad request (Sanic already answers a head it cannot split so), and the
  error page's request gets the URL with those bytes percent-encoded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from inspect import isawaitable
from typing import Any, cast
from urllib.parse import quote

import rasa.server
from sanic import Sanic
from sanic.exceptions import InvalidUsage, SanicException
from sanic.http import Http
from sanic.request import Request

from clinic.domain.tokens import same_token

Handler = Callable[..., Awaitable[Any]]
#: What httptools takes in a URL as it is: printable ASCII (so « % » escapes stay escapes).
PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))


class _NoToken:
    """The token Rasa's own check is given: no string equals it, so it never lets one through."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


def constant_time_auth() -> None:
    """Replace `rasa.server.requires_auth` (idempotent); `rasa.server.create_app` applies it to
    each API route when Rasa starts, so this runs before (the launcher)."""
    if getattr(rasa.server.requires_auth, "constant_time", False):
        return
    original = rasa.server.requires_auth

    def requires_auth(app: Sanic, token: str | None = None) -> Callable[[Handler], Handler]:
        if token is None:
            return cast(Callable[[Handler], Handler], original(app, None))
        refuse = original(app, cast(str, _NoToken()))

        def decorator(handler: Handler) -> Handler:
            otherwise = refuse(handler)

            @wraps(handler)
            async def decorated(request: Request, *args: Any, **kwargs: Any) -> Any:
                if same_token(request.args.get("token"), token):
                    result = handler(request, *args, **kwargs)
                    return await result if isawaitable(result) else result
                return await otherwise(request, *args, **kwargs)

            return decorated

        return decorator

    requires_auth.constant_time = True  # type: ignore[attr-defined]
    requires_auth.original = original  # type: ignore[attr-defined]
    rasa.server.requires_auth = requires_auth


def printable(url: str) -> str:
    """`url` as Sanic decoded it (a byte that is not UTF-8 as a surrogate), with every byte
    outside printable ASCII percent-encoded, as a proxy forwards a path."""
    return quote(url.encode("utf-8", "surrogateescape"), safe=PRINTABLE)


def answer_odd_urls() -> None:
    """Make Sanic answer a 400 where it dropped the connection (idempotent)."""
    if getattr(Http.error_response, "answers_odd_urls", False):
        return
    error_response = Http.error_response
    create_empty_request = Http.create_empty_request

    async def tolerant_error_response(self: Http, exception: Exception) -> None:
        if self.request is None and not isinstance(exception, SanicException):
            exception = InvalidUsage("Bad Request")
        await error_response(self, exception)

    def tolerant_create_empty_request(self: Http) -> None:
        if self.url:
            self.url = printable(self.url)
        create_empty_request(self)

    tolerant_error_response.answers_odd_urls = True  # type: ignore[attr-defined]
    tolerant_error_response.original = error_response  # type: ignore[attr-defined]
    tolerant_create_empty_request.original = create_empty_request  # type: ignore[attr-defined]
    Http.error_response = tolerant_error_response  # type: ignore[method-assign]
    Http.create_empty_request = tolerant_create_empty_request  # type: ignore[method-assign]
