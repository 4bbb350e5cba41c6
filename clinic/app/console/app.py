"""The console's pages: an aiohttp application over the same `Services` as every process.

Server-rendered Jinja2 pages, one stylesheet and one small script (the inbox refreshes itself),
all served from here: a practice network without internet loses nothing. Handlers only parse
the request, call the core (`Handoff`, `FrontDesk`, `StaffAccounts`) in a thread (the core is
synchronous SQL) and render; the rules live in the core, shared with the CLI.

`Console` is the assembly: the routes, the guard every request passes, and the public pages.
The handlers live by concern (`inbox`, `agenda`, `accounts`, `statistics`) over one shared
`Pages` (templates, cookies, time), so each concern reads on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from aiohttp import web

from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.accounts import AccountPages
from clinic.app.console.agenda import AgendaPages, CallerBooking
from clinic.app.console.inbox import InboxPages
from clinic.app.console.pages import Pages
from clinic.app.console.patients import PatientPages
from clinic.app.console.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    HOST_PREFIX,
    SESSION_COOKIE,
    Session,
    read_cookie,
)
from clinic.app.console.statistics import StatisticsPage
from clinic.app.wiring import Services

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC = ("/connexion", "/health", "/static/")


def _resource_dir(name: str) -> Any:
    return resources.files("clinic.app.console").joinpath(name)


class Console:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.pages = Pages(services)
        self.inbox = InboxPages(self.pages)
        self.agenda = AgendaPages(self.pages)
        self.accounts = AccountPages(self.pages)
        self.statistics = StatisticsPage(self.pages)
        self.patients = PatientPages(self.pages)
        self.caller = CallerBooking(self.pages)
        static = _resource_dir("static")
        self.static = {
            "console.css": (static.joinpath("console.css").read_bytes(), "text/css"),
            "console.js": (static.joinpath("console.js").read_bytes(), "text/javascript"),
        }

    # --- the application -------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=256 * 1024)
        get, post = web.get, web.post
        inbox, agenda, accounts = self.inbox, self.agenda, self.accounts
        app.add_routes(
            [
                get("/health", self.health),
                get("/static/{name}", self.static_file),
                get("/connexion", accounts.login_page),
                post("/connexion", accounts.login),
                post("/deconnexion", accounts.logout),
                get("/", inbox.inbox),
                get("/boite.json", inbox.inbox_json),
                get("/conversations/{ref}", inbox.conversation),
                post("/conversations/{ref}/repondre", inbox.reply),
                post("/conversations/{ref}/modele", inbox.reengage),
                post("/conversations/{ref}/rendre", inbox.resume),
                post("/conversations/{ref}/clore", inbox.close),
                get("/agenda", agenda.agenda),
                get("/agenda/nouveau", self.caller.page),
                post("/agenda/nouveau", self.caller.book),
                get("/rendez-vous/{id}", agenda.appointment),
                post("/rendez-vous/{id}/{action}", agenda.appointment_action),
                get("/recherche", self.patients.search),
                get("/journal", self.patients.journal),
                get("/statistiques", self.statistics.statistics),
                get("/equipe", accounts.staff_page),
                post("/equipe", accounts.staff_add),
                post("/equipe/{id}/desactiver", accounts.staff_disable),
                post("/equipe/{id}/second-facteur", accounts.staff_reset_second_factor),
                get("/connexion/code", accounts.second_factor.code_page),
                post("/connexion/code", accounts.second_factor.code),
                get("/connexion/activer", accounts.second_factor.enrol_at_sign_in),
                post("/connexion/activer", accounts.second_factor.confirm_at_sign_in),
                get("/compte/securite", accounts.second_factor.security_page),
                post("/compte/securite", accounts.second_factor.confirm_signed_in),
            ]
        )
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """CSRF on every POST, a session everywhere but the sign-in page, security headers.

        The CSRF token is bound to the session the request carries (none on the sign-in form),
        and a response that starts or ends a session gets a new CSRF cookie: a cookie and token
        pair known before signing in (planted, or read over a shoulder) is worth nothing after.
        """
        pages, signer = self.pages, self.pages.signer
        secure = pages.secure(request)
        csrf_cookie = read_cookie(request.cookies, CSRF_COOKIE, secure)
        new_cookie = None
        if not csrf_cookie:
            csrf_cookie = new_cookie = signer.new_csrf_cookie()
        session = signer.session(
            read_cookie(request.cookies, SESSION_COOKIE, secure), pages.now_ts()
        )
        request["csrf"] = signer.csrf_token(csrf_cookie, session)
        public = request.path.startswith(PUBLIC)
        if request.method == "POST":
            try:
                form = await request.post()
            except (ValueError, LookupError):  # bytes that are not text, or an unknown charset
                return pages.refused(request, 400, "Formulaire illisible.")
            token = form.get(CSRF_FIELD)
            if new_cookie or not signer.csrf_valid(csrf_cookie, str(token or ""), session):
                return pages.refused(request, 403, "Jeton de sécurité manquant ou périmé.")
        request["member"] = member = await self._member(session)
        if member is None and not public:
            if request.method == "GET" and request.path != "/boite.json":
                target = quote(request.path_qs, safe="")
                response: web.StreamResponse = web.HTTPSeeOther(f"/connexion?suite={target}")
            else:
                response = pages.refused(request, 401, "Connectez-vous d'abord.")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exception:
                response = exception
        cookies = response.cookies
        if secure and SESSION_COOKIE in cookies:  # a sign-out's del_cookie, by the plain name
            del cookies[SESSION_COOKIE]
            pages.cookie(request, response, SESSION_COOKIE, "", "Lax", max_age=0)
        if SESSION_COOKIE in cookies or HOST_PREFIX + SESSION_COOKIE in cookies:
            new_cookie = signer.new_csrf_cookie()  # signed in or out: no fixation
        if new_cookie:
            pages.cookie(request, response, CSRF_COOKIE, new_cookie, "Strict")
        _security_headers(request, response)
        return response

    async def _member(self, session: Session | None) -> StaffMember | None:
        if session is None:
            return None
        member = await asyncio.to_thread(self.services.staff.get, session.staff_id)
        if member is None or not member.active or member.session_generation != session.generation:
            return None
        return member

    # --- public pages ----------------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def static_file(self, request: web.Request) -> web.Response:
        found = self.static.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        body, kind = found
        return web.Response(body=body, content_type=kind, headers={"Cache-Control": "max-age=3600"})


def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """No framing, no sniffing, no third party; pages never cached (they show patients)."""
    headers = response.headers
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    )
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
