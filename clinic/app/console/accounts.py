"""Signing in and out, and the staff accounts a manager adds or disables. Passwords, lockouts and
session generations are `StaffAccounts`' rules; here only the form, the session cookie and the
per-address limit on failed sign-ins (`limits`)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from clinic.adapters import metrics
from clinic.adapters.storage.staff import StaffAccounts, StaffError, StaffMember
from clinic.app.console.limits import SignInLimit, client_address
from clinic.app.console.pages import Pages, next_path
from clinic.app.console.second_factor import SecondFactorPages
from clinic.app.console.security import SESSION_COOKIE
from clinic.domain.statuses import STAFF_ROLES

#: The name sign-in lines carried before the console was split by concern: log filters keep working.
logger = logging.getLogger("clinic.app.console.app")

#: One answer for an unknown address, a wrong password and a locked account: the page must not
#: tell which addresses have an account, nor which are locked (nor until when).
REFUSED = (
    "E-mail ou mot de passe incorrect. Après plusieurs essais, la connexion est bloquée "
    "quelques minutes."
)
#: A disabled account's right password only tells someone who knows the password.
DISABLED = "Ce compte est désactivé. Adressez-vous au responsable du cabinet."
LIMITED = (
    "Trop d'essais de connexion depuis ce réseau. Patientez quelques minutes avant de réessayer."
)


class AccountPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services
        #: On the core's clock, so tests move it; per console process (see `limits`).
        self.limit = SignInLimit(now=pages.now_ts)
        self.second_factor = SecondFactorPages(pages, self.limit)

    @property
    def staff(self) -> StaffAccounts:
        return self.services.staff

    # --- signing in and out ------------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.Response:
        if request["member"] is not None:
            raise web.HTTPSeeOther(next_path(request.query.get("suite")))
        first = not await self.pages.call(self.staff.list)
        return self.pages.render(
            request, "login.html", error=None, email="", suite=request.query.get("suite", ""),
            first=first,
        )  # fmt: skip

    async def login(self, request: web.Request) -> web.StreamResponse:
        pages = self.pages
        form = await request.post()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        address = client_address(request)
        stamp = self.limit.attempt(address)
        if stamp is None:
            logger.warning("staff sign-in refused", extra={"outcome": "limited"})
            return self._refused(request, form, LIMITED, 429, self.limit.retry_after(address))
        outcome = await pages.call(self.staff.sign_in, email, password)
        metrics.CONSOLE_SIGNINS.labels(outcome.outcome).inc()
        if outcome.outcome == "ok" and outcome.member is not None:
            self.limit.forgive(address, stamp)
            # The session, or first the second factor's code (or its enrolment).
            raise await self.second_factor.after_password(
                request, outcome.member, str(form.get("suite", ""))
            )
        logger.warning("staff sign-in refused", extra={"outcome": outcome.outcome})
        if outcome.outcome == "disabled":
            self.limit.forgive(address, stamp)
            return self._refused(request, form, DISABLED, 401)
        return self._refused(request, form, REFUSED, 401)

    def _refused(
        self, request: web.Request, form: Any, error: str, status: int, retry_after: int = 0
    ) -> web.Response:
        """The sign-in form again, filled as sent, with one message."""
        page = self.pages.render_page(
            request, "login.html", error=error, email=str(form.get("email", "")),
            suite=str(form.get("suite", "")), first=False,
        )  # fmt: skip
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return web.Response(status=status, text=page, content_type="text/html", headers=headers)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        member: StaffMember = request["member"]
        await self.pages.call(self.staff.end_sessions, member.id)
        response = web.HTTPSeeOther("/connexion")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    # --- accounts (managers) -----------------------------------------------------------------------

    async def staff_page(self, request: web.Request) -> web.Response:
        self.pages.manager(request)
        members = await self.pages.call(self.staff.list)
        enrolled = await self.pages.call(self._enrolled, members)
        return self.pages.render(
            request, "staff.html", members=members, error=None, role_choices=STAFF_ROLES,
            enrolled=enrolled,
        )  # fmt: skip

    def _enrolled(self, members: list[StaffMember]) -> set[int]:
        return {m.id for m in members if self.services.second_factors.enabled(m.id)}

    async def staff_add(self, request: web.Request) -> web.StreamResponse:
        pages = self.pages
        pages.manager(request)
        form = await request.post()
        role = str(form.get("role", "staff"))
        try:
            await pages.call(
                self.staff.add,
                str(form.get("email", "")),
                str(form.get("nom", "")),
                str(form.get("password", "")),
                role if role in STAFF_ROLES else "staff",
            )
        except StaffError as error:
            members = await pages.call(self.staff.list)
            page = pages.render_page(
                request, "staff.html", members=members, error=str(error).capitalize() + ".",
                role_choices=STAFF_ROLES,
            )  # fmt: skip
            return web.Response(status=400, text=page, content_type="text/html")
        raise web.HTTPSeeOther("/equipe?msg=staff_added")

    async def _managed(self, request: web.Request) -> StaffMember:
        """The account a manager acts on (`/equipe/{id}/…`); a 404 for anything else."""
        self.pages.manager(request)
        try:
            staff_id = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        member = await self.pages.call(self.staff.get, staff_id)
        if member is None:
            raise web.HTTPNotFound()
        return member

    async def staff_reset_second_factor(self, request: web.Request) -> web.StreamResponse:
        """A lost phone: the member's second factor goes and their sessions end; they enrol
        again at their next sign-in where one is required (or from « Sécurité du compte »)."""
        member = await self._managed(request)
        await self.pages.call(self.services.second_factors.remove, member.id)
        await self.pages.call(self.staff.end_sessions, member.id)
        raise web.HTTPSeeOther("/equipe?msg=second_factor_reset")

    async def staff_disable(self, request: web.Request) -> web.StreamResponse:
        member = await self._managed(request)
        try:
            await self.pages.call(self.staff.disable, member.email)
        except StaffError as error:  # the last active manager
            members = await self.pages.call(self.staff.list)
            page = self.pages.render_page(
                request, "staff.html", members=members, error=None, role_choices=STAFF_ROLES,
                refusal=str(error).capitalize() + ".",
            )  # fmt: skip
            return web.Response(status=400, text=page, content_type="text/html")
        raise web.HTTPSeeOther("/equipe?msg=staff_disabled")
