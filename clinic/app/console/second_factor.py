"""The second factor at sign-in, and enrolling one (`SecondFactors` holds the rules).

After a right password, an account with a second factor gets no session yet: a short-lived
signed cookie (`PENDING_COOKIE`, 5 minutes, bound to the account's session generation) carries
it to the code page, and only a right code opens the session. Where a factor is required
(`CLINIC_ENV=production`) and the account has none, the same cookie carries it to enrolment
first. Codes are limited like passwords: by client address (`SignInLimit`), and to
`MAX_CODES` tries per pending sign-in, after which the password is asked again.

In development a new account signs in without a second factor until it enrols one
(« Sécurité du compte »); once enrolled it is always asked.
"""

from __future__ import annotations

import io
import logging

import segno
from aiohttp import web
from markupsafe import Markup

from clinic.adapters.storage.second_factor import Enrolment
from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.limits import SignInLimit, client_address
from clinic.app.console.pages import Pages, next_path
from clinic.app.console.security import PENDING_COOKIE, SESSION_COOKIE, SESSION_HOURS, Pending

logger = logging.getLogger("clinic.app.console.app")

#: Wrong codes accepted per pending sign-in before the password is asked again.
MAX_CODES = 5
PENDING_MINUTES = 5
WRONG = "Code incorrect ou déjà utilisé. Vérifiez l'heure de votre téléphone et réessayez."
EXPIRED = "La connexion a expiré : saisissez de nouveau votre e-mail et votre mot de passe."


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code, inline SVG (no image request, nothing from outside)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=4, xmldecl=False, svgns=True, title="QR code à scanner"
    )
    return Markup(buffer.getvalue().decode())


def grouped(secret: str) -> str:
    """« JBSW Y3DP EHPK 3PXP »: the secret as a person types it into the app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class SecondFactorPages:
    def __init__(self, pages: Pages, limit: SignInLimit) -> None:
        self.pages = pages
        self.services = pages.services
        self.limit = limit
        self.tries: dict[str, int] = {}

    @property
    def required(self) -> bool:
        return self.services.settings.production

    # --- after the password -----------------------------------------------------------------------

    async def after_password(
        self, request: web.Request, member: StaffMember, suite: str
    ) -> web.HTTPSeeOther:
        """The session, or the code page (or enrolment) when a second factor applies."""
        enabled = await self.pages.call(self.services.second_factors.enabled, member.id)
        if not enabled and not self.required:
            return self.open_session(request, member, suite)
        target = "/connexion/code" if enabled else "/connexion/activer"
        response = web.HTTPSeeOther(f"{target}?suite={suite}" if suite else target)
        cookie = self.pages.signer.pending_cookie(
            member.id, member.session_generation, self.pages.now_ts()
        )
        self.pages.cookie(request, response, PENDING_COOKIE, cookie, "Strict", PENDING_MINUTES * 60)
        return response

    def open_session(
        self, request: web.Request, member: StaffMember, suite: str
    ) -> web.HTTPSeeOther:
        response = web.HTTPSeeOther(next_path(suite))
        cookie = self.pages.signer.session_cookie(
            member.id, member.session_generation, self.pages.now_ts()
        )
        self.pages.cookie(request, response, SESSION_COOKIE, cookie, "Lax", SESSION_HOURS * 3600)
        # Expired with the same attributes it was set with (a `__Host-` one must stay Secure).
        self.pages.cookie(request, response, PENDING_COOKIE, "", "Strict", max_age=0)
        logger.info("staff sign-in", extra={"staff_id": member.id})
        return response

    async def _pending(self, request: web.Request) -> tuple[Pending, StaffMember] | None:
        cookie = self.pages.read_cookie(request, PENDING_COOKIE)
        pending = self.pages.signer.pending(cookie, self.pages.now_ts(), PENDING_MINUTES * 60)
        if pending is None:
            return None
        member = await self.pages.call(self.services.staff.get, pending.staff_id)
        if member is None or not member.active or member.session_generation != pending.generation:
            return None
        return pending, member

    def _expired(self, request: web.Request) -> web.Response:
        page = self.pages.render_page(
            request, "login.html", error=EXPIRED, email="", suite="", first=False
        )
        return web.Response(status=401, text=page, content_type="text/html")

    # --- the code page ----------------------------------------------------------------------------

    async def code_page(self, request: web.Request) -> web.Response:
        if await self._pending(request) is None:
            return self._expired(request)
        return self.pages.render(
            request, "second_factor.html", error=None, suite=request.query.get("suite", "")
        )

    async def code(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        suite = str(form.get("suite", ""))
        found = await self._pending(request)
        if found is None:
            return self._expired(request)
        pending, member = found
        address = client_address(request)
        stamp = self.limit.attempt(address)
        tries = self.tries.get(pending.signature, 0)
        if stamp is None or tries >= MAX_CODES:
            self.tries.pop(pending.signature, None)
            return self._expired(request)
        code = str(form.get("code", ""))[:40]
        now = self.services.clock.now()
        if await self.pages.call(self.services.second_factors.verify, member.id, code, now):
            self.limit.forgive(address, stamp)
            self.tries.pop(pending.signature, None)
            return self.open_session(request, member, suite)
        self.tries[pending.signature] = tries + 1
        logger.warning("staff second factor refused", extra={"staff_id": member.id})
        page = self.pages.render_page(request, "second_factor.html", error=WRONG, suite=suite)
        return web.Response(status=401, text=page, content_type="text/html")

    # --- enrolling --------------------------------------------------------------------------------

    async def _enrolment(self, member: StaffMember) -> Enrolment:
        factors = self.services.second_factors
        now = self.services.clock.now()
        found = await self.pages.call(factors.pending, member.id, member.email)
        if found is not None:
            return found
        return await self.pages.call(factors.begin, member.id, member.email, now)

    def _enrol_page(
        self, request: web.Request, enrolment: Enrolment, action: str, error: str | None
    ) -> str:
        return self.pages.render_page(
            request,
            "enrol.html",
            qr=qr_svg(enrolment.uri),
            secret=grouped(enrolment.secret),
            action=action,
            error=error,
            suite=request.query.get("suite", ""),
        )

    async def enrol_at_sign_in(self, request: web.Request) -> web.Response:
        """Required and not enrolled: enrol before the first session."""
        found = await self._pending(request)
        if found is None:
            return self._expired(request)
        enrolment = await self._enrolment(found[1])
        page = self._enrol_page(request, enrolment, "/connexion/activer", None)
        return web.Response(text=page, content_type="text/html")

    async def confirm_at_sign_in(self, request: web.Request) -> web.StreamResponse:
        found = await self._pending(request)
        if found is None:
            return self._expired(request)
        member = found[1]
        return await self._confirm(request, member, "/connexion/activer", signing_in=True)

    async def security_page(self, request: web.Request) -> web.Response:
        """« Sécurité du compte »: enrol (a signed-in account), or see that it is."""
        member: StaffMember = request["member"]
        factors = self.services.second_factors
        if await self.pages.call(factors.enabled, member.id):
            left = await self.pages.call(factors.recovery_left, member.id)
            return self.pages.render(request, "security.html", enabled=True, left=left)
        enrolment = await self._enrolment(member)
        page = self._enrol_page(request, enrolment, "/compte/securite", None)
        return web.Response(text=page, content_type="text/html")

    async def confirm_signed_in(self, request: web.Request) -> web.StreamResponse:
        member: StaffMember = request["member"]
        return await self._confirm(request, member, "/compte/securite", signing_in=False)

    async def _confirm(
        self, request: web.Request, member: StaffMember, action: str, signing_in: bool
    ) -> web.StreamResponse:
        form = await request.post()
        now = self.services.clock.now()
        code = str(form.get("code", ""))[:40]
        codes = await self.pages.call(self.services.second_factors.confirm, member.id, code, now)
        if codes is None:
            enrolment = await self._enrolment(member)
            page = self._enrol_page(request, enrolment, action, WRONG)
            return web.Response(status=400, text=page, content_type="text/html")
        logger.info("staff second factor enrolled", extra={"staff_id": member.id})
        suite = str(form.get("suite", ""))
        page = self.pages.render_page(
            request, "recovery.html", codes=codes, next=next_path(suite) if signing_in else "/"
        )
        response = web.Response(text=page, content_type="text/html")
        if signing_in:
            session = self.open_session(request, member, suite)
            for morsel in session.cookies.values():
                response.cookies[morsel.key] = morsel
        return response
