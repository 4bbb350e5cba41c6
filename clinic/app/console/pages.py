"""What every page of the console shares: the core's `Services`, the templates and their filters,
the signed cookies, and the one way to call the synchronous core from a handler.

Each concern's handlers (`inbox`, `agenda`, `accounts`, `statistics`) receive one `Pages`, so
the pages of a concern read on their own while rendering, time and cookies stay in one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import jinja2
from aiohttp import web

from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.labels import ATTENDANCE, DANGERS, MESSAGES, REASONS, ROLES, STATUSES
from clinic.app.console.security import (
    CSRF_FIELD,
    Signer,
    cookie_name,
    read_cookie,
    session_key,
)
from clinic.app.wiring import Services
from clinic.domain import french

T = TypeVar("T")


class Pages:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.signer = Signer(session_key(services.settings, services.key))
        self.tz = services.practice.tz
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("clinic.app.console", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.globals.update(
            practice=services.practice.name,
            reasons=REASONS,
            dangers=DANGERS,
            statuses=STATUSES,
            attendance_labels=ATTENDANCE,
            roles=ROLES,
        )
        self.templates.filters.update(
            when=self._when, hour=self._hour, waited=self._waited, day=self._day
        )

    # --- rendering -------------------------------------------------------------------------------

    def render_page(self, request: web.Request, template: str, **context: Any) -> str:
        member: StaffMember | None = request.get("member")
        message = MESSAGES.get(request.query.get("msg", ""))
        return self.templates.get_template(template).render(
            member=member, csrf=request["csrf"], csrf_field=CSRF_FIELD, message=message, **context
        )

    def render(self, request: web.Request, template: str, **context: Any) -> web.Response:
        return web.Response(
            text=self.render_page(request, template, **context), content_type="text/html"
        )

    def refused(self, request: web.Request, status: int, text: str) -> web.Response:
        page = self.render_page(request, "error.html", title="Refusé", text=text)
        return web.Response(status=status, text=page, content_type="text/html")

    def manager(
        self, request: web.Request, text: str = "Seul un responsable du cabinet gère les comptes."
    ) -> StaffMember:
        """The signed-in member if a manager; anyone else gets a 403 page saying why."""
        member: StaffMember = request["member"]
        if not member.manager:
            raise web.HTTPForbidden(
                text=self.render_page(request, "error.html", title="Refusé", text=text),
                content_type="text/html",
            )
        return member

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """The core is synchronous SQL: run it off the event loop."""
        return await asyncio.to_thread(function, *args)

    # --- cookies ---------------------------------------------------------------------------------

    def cookie(
        self,
        request: web.Request,
        response: web.StreamResponse,
        name: str,
        value: str,
        samesite: str,
        max_age: int | None = None,
    ) -> None:
        """Our cookies are never readable by scripts, and `Secure` behind TLS, where their name
        takes the `__Host-` prefix (Path=/ and no Domain, as the prefix requires)."""
        secure = self.secure(request)
        response.set_cookie(
            cookie_name(name, secure),
            value,
            httponly=True,
            samesite=samesite,
            secure=secure,
            path="/",
            max_age=max_age,
        )

    def read_cookie(self, request: web.Request, name: str) -> str | None:
        return read_cookie(request.cookies, name, self.secure(request))

    def secure(self, request: web.Request) -> bool:
        """`Secure` cookies behind TLS (Caddy or the ingress says so), and always in production.
        The guard reads the cookies by the same answer (`security.read_cookie`)."""
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        return self.services.settings.production or request.secure or forwarded == "https"

    # --- time, as the practice reads it ----------------------------------------------------------

    def now_ts(self) -> float:
        return self.services.clock.now().timestamp()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def today(self) -> date:
        return self.local(self.services.clock.now()).date()

    def _when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return french.day_and_hour(self.local(moment), self.today())

    def _hour(self, moment: datetime) -> str:
        return french.hour(self.local(moment))

    def _day(self, day: date) -> str:
        return french.day(day, self.today()).capitalize()

    def _waited(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return french.waited((self.services.clock.now() - moment).total_seconds())


def next_path(target: str | None) -> str:
    """Only a path of ours: never off to another site after signing in. Browsers read
    « /\\host » as « //host », so a backslash (or a control character) is refused too."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/"
