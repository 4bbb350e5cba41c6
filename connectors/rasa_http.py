"""Rasa's HTTP server, made to answer whatever a client sends (installed by `connectors.patches`).

- Rasa's API token (`?token=`) is compared with `==` on `str`, not in constant time:
  `constant_time_auth` wraps `rasa.server.requires_auth` so that the token is compared by
  `same_token` (bytes, constant time) and anything else goes to Rasa's own code, which can then
  only refuse it (its JWT check, its 401), since the token it holds equals no string.
- A URL Sanic cannot read is answered with a 400 by `connectors.sanic_urls`, which the action
  server (no Rasa there) installs too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from inspect import isawaitable
from typing import Any, cast

import rasa.server
from sanic import Sanic
from sanic.request import Request

from clinic.domain.tokens import same_token

Handler = Callable[..., Awaitable[Any]]


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
