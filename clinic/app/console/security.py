"""Sessions and CSRF tokens for the console, with nothing stored server-side but the account.

A session is a cookie `id.generation.issued.signature`, signed with a key derived from the
application key (so no extra secret to configure, and rotating the key signs everyone out).
It is refused when the signature is wrong, when it is older than `SESSION_HOURS`, or when the
account's generation moved on (sign-out, disabled account).

CSRF: every browser gets a random `console_csrf` cookie (HttpOnly, SameSite=Strict); each form
carries an HMAC of it. Another site can neither read the cookie nor compute the token, so a
forged form post fails, the login form included.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SESSION_COOKIE = "console_session"
CSRF_COOKIE = "console_csrf"
CSRF_FIELD = "csrf"
#: A working day and then some: staff sign in again each morning.
SESSION_HOURS = 12


def derive_key(application_key: bytes) -> bytes:
    """The console's signing key: one purpose, derived from the application key."""
    return hmac.new(application_key, b"clinic console sessions v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class Session:
    staff_id: int
    generation: int
    issued: float


class Signer:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, message: str) -> str:
        return hmac.new(self.key, message.encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, staff_id: int, generation: int, issued: float) -> str:
        body = f"{staff_id}.{generation}.{int(issued)}"
        return f"{body}.{self._mac('session:' + body)}"

    def session(self, cookie: str | None, now: float) -> Session | None:
        """The session a cookie carries, if it is ours and not expired."""
        if not cookie or cookie.count(".") != 3:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not _same(signature, self._mac("session:" + body)):
            return None
        try:
            staff_id, generation, issued = (int(part) for part in body.split("."))
        except ValueError:
            return None
        if not 0 <= now - issued <= SESSION_HOURS * 3600:
            return None
        return Session(staff_id, generation, issued)

    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(32)

    def csrf_token(self, cookie: str) -> str:
        return self._mac("csrf:" + cookie)

    def csrf_valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return _same(token, self.csrf_token(cookie))


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes what a client made up (any characters)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
