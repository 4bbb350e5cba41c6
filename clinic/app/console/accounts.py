"""Signing in and out, and the staff accounts a manager adds or disables. Passwords, lockouts and
session generations are `StaffAccounts`' rules; here only the form and the session cookie."""

from __future__ import annotations

import logging

from aiohttp import web

from clinic.adapters import metrics
from clinic.adapters.storage.staff import StaffAccounts, StaffError, StaffMember
from clinic.app.console.pages import Pages, next_path
from clinic.app.console.security import SESSION_COOKIE, SESSION_HOURS
from clinic.domain import french
from clinic.domain.statuses import STAFF_ROLES

#: The name sign-in lines carried before the console was split by concern: log filters keep working.
logger = logging.getLogger("clinic.app.console.app")


class AccountPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

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
        outcome = await pages.call(self.staff.sign_in, email, password)
        metrics.CONSOLE_SIGNINS.labels(outcome.outcome).inc()
        if outcome.outcome == "ok" and outcome.member is not None:
            member = outcome.member
            logger.info("staff sign-in", extra={"staff_id": member.id})
            response = web.HTTPSeeOther(next_path(str(form.get("suite", ""))))
            cookie = pages.signer.session_cookie(
                member.id, member.session_generation, pages.now_ts()
            )
            pages.cookie(request, response, SESSION_COOKIE, cookie, "Lax", SESSION_HOURS * 3600)
            raise response
        if outcome.outcome == "locked" and outcome.locked_until is not None:
            until = french.hour(pages.local(outcome.locked_until))
            error = f"Trop d'essais : ce compte est bloqué jusqu'à {until}."
        elif outcome.outcome == "disabled":
            error = "Ce compte est désactivé. Adressez-vous au responsable du cabinet."
        else:
            error = "E-mail ou mot de passe incorrect."
        logger.warning("staff sign-in refused", extra={"outcome": outcome.outcome})
        page = pages.render_page(
            request, "login.html", error=error, email=email, suite=str(form.get("suite", "")),
            first=False,
        )  # fmt: skip
        return web.Response(status=401, text=page, content_type="text/html")

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
        return self.pages.render(
            request, "staff.html", members=members, error=None, role_choices=STAFF_ROLES
        )

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

    async def staff_disable(self, request: web.Request) -> web.StreamResponse:
        self.pages.manager(request)
        try:
            staff_id = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        member = await self.pages.call(self.staff.get, staff_id)
        if member is None:
            raise web.HTTPNotFound()
        await self.pages.call(self.staff.disable, member.email)
        raise web.HTTPSeeOther("/equipe?msg=staff_disabled")
