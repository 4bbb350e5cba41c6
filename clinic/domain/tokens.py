"""Comparing a secret with what a client sent: the one way every check in the project does it.

Webhook signatures, the verify token, the action server's token, Rasa's API token, signed links
and button tags, console sessions, CSRF tokens and second-factor codes, the simulator's tokens:
each is compared by `same_token`, on bytes and in constant time (`hmac.compare_digest`).
`compare_digest` on `str` raises a TypeError for any character that is not ASCII (a 500 where a
403 was due), and a client may send anything: any characters, the lone surrogates Sanic and
aiohttp keep for bytes that are not UTF-8, nothing at all, or 100 kB. None of it raises here.
"""

from __future__ import annotations

import hmac


def as_bytes(value: str | bytes) -> bytes:
    """UTF-8; a lone surrogate is encoded too (`surrogatepass`) rather than refused, so two
    different strings never give the same bytes and nothing a client sends raises."""
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def same_token(given: str | bytes | None, expected: str | bytes) -> bool:
    """`given` is `expected`, compared in constant time on bytes (their lengths aside). Nothing
    matches an empty secret: a setting left blank opens no door."""
    wanted = as_bytes(expected)
    matches = hmac.compare_digest(as_bytes(given if given is not None else b""), wanted)
    return matches and bool(wanted)
