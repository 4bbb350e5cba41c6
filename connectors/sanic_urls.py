"""Sanic, made to answer a URL it cannot read instead of dropping the connection.

Sanic 21.12 closes the connection without a word when a request's target holds a byte outside
printable ASCII (« ?hub.verify_token=é » not percent-encoded): httptools refuses the URL, and
the request Sanic builds for its error page is made from the same URL, so it fails again (and
bytes that are not UTF-8 fail even before, on `str.encode`). Caddy forwards a raw query as it
came, so the client saw a 502. `answer_odd_urls` makes that a 400: an error raised before any
request existed is a bad request (Sanic already answers a head it cannot split so), and the
error page's request gets the URL with those bytes percent-encoded.

No Rasa import: both Sanic processes install it as they start, Rasa's (`connectors.patches`)
and the action server's (`connectors.action_server.main`).
"""

from __future__ import annotations

from urllib.parse import quote

from sanic.exceptions import InvalidUsage, SanicException
from sanic.http import Http

#: What httptools takes in a URL as it is: printable ASCII (so « % » escapes stay escapes).
PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))


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
