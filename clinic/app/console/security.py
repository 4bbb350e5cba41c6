"""Sessions and CSRF tokens for the console, with nothing stored server-side but the account.

A session is a cookie `id.generation.issued.signature`, signed with the console's own key
(`session_key`: `CONSOLE_SESSION_KEY`, which only the console process is given, so a process
that holds the application key cannot sign a manager's session). It is refused when the
signature is wrong, when it is older than `SESSION_HOURS`, or when the account's generation
moved on (sign-out, disabled account).

CSRF: every browser gets a random CSRF cookie (HttpOnly, SameSite=Strict); each form carries an
HMAC of it and of the session the browser holds (none on the sign-in form). Another site can
neither read the cookie nor compute the token, so a forged form post fails, the sign-in form
included; and a token is worth nothing in another session, even with its cookie planted
alongside. The console gives a new CSRF cookie whenever the session changes (sign-in,
sign-out), so nothing seen before signing in stays valid after.

Cookie names: behind TLS the cookies are `Secure` and carry the `__Host-` prefix (no Domain,
Path=/), which a sibling subdomain or a plain-HTTP answer cannot set; over plain HTTP in
development (`make run`, the browser tests) browsers would refuse such cookies, so they keep
their plain names there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from clinic.adapters.settings import Settings, SettingsError
from clinic.domain.tokens import as_bytes, same_token

SESSION_COOKIE = "console_session"
CSRF_COOKIE = "console_csrf"
#: A right password waiting for the second factor (clinic/app/console/second_factor.py).
PENDING_COOKIE = "console_pending"
#: The prefix of our cookies' names behind TLS: Secure, Path=/ and no Domain, enforced by browsers.
HOST_PREFIX = "__Host-"
CSRF_FIELD = "csrf"
#: A working day and then some: staff sign in again each morning.
SESSION_HOURS = 12


def cookie_name(name: str, secure: bool) -> str:
    """`__Host-console_session` behind TLS, `console_session` over plain HTTP."""
    return HOST_PREFIX + name if secure else name


def read_cookie(cookies: Mapping[str, str], name: str, secure: bool) -> str | None:
    """The cookie `name` as the browser sent it. Behind TLS only the `__Host-` one counts: a
    plain-named cookie there may have been planted by a sibling subdomain or a plain-HTTP
    answer, which is what the prefix rules out. Over HTTP, whichever is present, the plain
    one first: it is the one set over HTTP, and a browser may still hold a `__Host-` one from
    an HTTPS console on the same host (cookies ignore ports)."""
    prefixed = cookies.get(HOST_PREFIX + name)
    if secure:
        return prefixed
    return cookies.get(name) or prefixed


def derive_key(application_key: bytes) -> bytes:
    """The development signing key: one purpose, derived from the application key."""
    return hmac.new(application_key, b"clinic console sessions v1", hashlib.sha256).digest()


def session_key(settings: Settings, application_key: bytes) -> bytes:
    """The key that signs sessions and CSRF tokens.

    `CONSOLE_SESSION_KEY` when set (required in production, where `Settings.validate_console`
    stops the console before this): then a cookie signed with anything else, the derivation
    from the application key included, is refused. In development without it, the key is
    derived from the application key, as before: there every process runs on one machine and
    the application key is itself kept in the database (`app_secrets`), so a second random key
    kept in the same table would guard nothing more, and sessions survive a restart with no new
    storage. Never that fallback in production.
    """
    configured = settings.console_session_key
    if not configured:
        if settings.production:
            raise SettingsError(
                "CONSOLE_SESSION_KEY (or CONSOLE_SESSION_KEY_FILE) is required in production"
            )
        return derive_key(application_key)
    if same_token(configured, application_key):
        raise SettingsError("CONSOLE_SESSION_KEY must not be the application key (PATIENT_ID_KEY)")
    return hmac.new(configured.encode(), b"clinic console sessions v2", hashlib.sha256).digest()


@dataclass(frozen=True)
class Session:
    staff_id: int
    generation: int
    issued: float

    @property
    def binding(self) -> str:
        """What a CSRF token is bound to: this session and no other (a new sign-in, even of
        the same account, issues another)."""
        return f"{self.staff_id}.{self.generation}.{int(self.issued)}"


class Signer:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, message: str) -> str:
        # `message` holds a cookie as the browser sent it: any characters, lone surrogates too.
        return hmac.new(self.key, as_bytes(message), hashlib.sha256).hexdigest()

    def session_cookie(self, staff_id: int, generation: int, issued: float) -> str:
        body = f"{staff_id}.{generation}.{int(issued)}"
        return f"{body}.{self._mac('session:' + body)}"

    def session(self, cookie: str | None, now: float) -> Session | None:
        """The session a cookie carries, if it is ours and not expired."""
        opened = self._open(cookie, "session", now, SESSION_HOURS * 3600)
        return Session(opened[0], opened[1], opened[2]) if opened else None

    def _open(
        self, cookie: str | None, purpose: str, now: float, lifetime: int
    ) -> tuple[int, int, int, str] | None:
        """(staff id, generation, issued, signature) of a cookie signed for `purpose` that is
        younger than `lifetime` seconds; None for anything else."""
        if not cookie or cookie.count(".") != 3:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not same_token(signature, self._mac(f"{purpose}:{body}")):
            return None
        try:
            staff_id, generation, issued = (int(part) for part in body.split("."))
        except ValueError:
            return None
        if not 0 <= now - issued <= lifetime:
            return None
        return staff_id, generation, issued, signature

    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(32)

    def csrf_token(self, cookie: str, session: Session | None = None) -> str:
        """The form token for this CSRF cookie in this session (`None`: not signed in)."""
        binding = session.binding if session is not None else "-"
        return self._mac(f"csrf:{binding}:{cookie}")

    def csrf_valid(
        self, cookie: str | None, token: str | None, session: Session | None = None
    ) -> bool:
        if not cookie or not token:
            return False
        return same_token(token, self.csrf_token(cookie, session))

    def pending_cookie(self, staff_id: int, generation: int, issued: float) -> str:
        """Between a right password and the second factor's code: not a session (its MAC has
        another purpose, so it can never be read as one)."""
        body = f"{staff_id}.{generation}.{int(issued)}"
        return f"{body}.{self._mac('pending:' + body)}"

    def pending(self, cookie: str | None, now: float, lifetime: int) -> Pending | None:
        """The sign-in a pending cookie carries, if ours and younger than `lifetime` seconds."""
        opened = self._open(cookie, "pending", now, lifetime)
        return Pending(opened[0], opened[1], opened[3]) if opened else None


@dataclass(frozen=True)
class Pending:
    """A sign-in waiting for its second factor; `signature` names it (tries are counted by it)."""

    staff_id: int
    generation: int
    signature: str
