"""The console's pages: an aiohttp application over the same `Services` as every process.

Server-rendered Jinja2 pages, one stylesheet and one small script (the inbox refreshes itself),
all served from here: a practice network without internet loses nothing. Handlers only parse
the request, call the core (`Handoff`, `FrontDesk`, `StaffAccounts`) in a thread (the core is
synchronous SQL) and render; the rules live in the core, shared with the CLI.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from aiohttp import web
from markupsafe import Markup

from clinic.adapters import metrics
from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.conversations import Conversation
from clinic.adapters.storage.staff import StaffError, StaffMember
from clinic.app import report_page
from clinic.app.console.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_HOURS,
    Signer,
    derive_key,
)
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.safety.categories import Category
from clinic.domain.statuses import STAFF_ROLES, Attendance
from clinic.services import report
from clinic.services.frontdesk import DeskOutcome
from clinic.services.handoff import InboxRow

logger = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC = ("/connexion", "/health", "/static/")
#: Longest staff reply accepted (WhatsApp's text limit is 4,096; longer is split anyway).
MAX_REPLY = 4000

#: An emergency's red-flag category, as staff read it (« douleur thoracique »).
DANGERS = {category.value: category.label for category in Category}
REASONS = {
    "emergency": "Urgence",
    "handoff": "Demande à parler à l'équipe",
    "fallback": "Incompris, demande l'équipe",
    "data_request": "Demande RGPD",
    "number_changed": "A changé de numéro",
}
STATUSES = {
    "pending": "À confirmer",
    "booked": "Réservé",
    "confirmed": "Confirmé par le patient",
    "cancelled": "Annulé",
}
ATTENDANCE = {"arrived": "Arrivé", "no_show": "Absent"}
ROLES = {"staff": "Équipe", "manager": "Responsable"}
AUDIT_ACTIONS = {
    "booked": "Réservé",
    "pending": "Enregistré en attente",
    "moved": "Déplacé",
    "confirmed": "Confirmé",
    "cancelled": "Annulé",
    "arrived": "Marqué arrivé",
    "no_show": "Marqué absent",
}
ACTORS = {"patient": "le patient (WhatsApp)", "system": "le système"}
#: What a redirect's `?msg=` shows: fixed texts only, so a link cannot put words on the page.
MESSAGES = {
    "sent": "Réponse envoyée au patient.",
    "template": "Le modèle « reprise de contact » est envoyé.",
    "window": "Le patient n'a pas écrit depuis plus de 24 h : WhatsApp n'accepte plus de texte "
    "libre. Envoyez le modèle « reprise de contact » ci-dessous.",
    "unreachable": "Ce patient n'a pas WhatsApp : appelez-le.",
    "empty": "Écrivez d'abord votre réponse.",
    "resumed": "La conversation est rendue à l'assistant ; le patient en est informé.",
    "closed": "Conversation close, sans message au patient.",
    "not_paused": "Cette conversation est déjà avec l'assistant.",
    "done_whatsapp": "C'est fait ; le patient est prévenu sur WhatsApp.",
    "done_phone": "C'est fait. Ce patient n'a pas WhatsApp : prévenez-le par téléphone.",
    "marked": "Présence enregistrée.",
    "not_found": "Rendez-vous introuvable.",
    "not_pending": "Ce rendez-vous n'est plus en attente.",
    "not_active": "Ce rendez-vous est annulé.",
    "unverified": "L'agenda du cabinet est injoignable : rien n'est changé, réessayez plus tard.",
    "taken": "Cet horaire est déjà pris : choisissez-en un autre.",
    "not_yet": "La présence se note le jour du rendez-vous.",
    "staff_added": "Compte créé.",
    "staff_disabled": "Compte désactivé.",
}


def _resource_dir(name: str) -> Any:
    return resources.files("clinic.app.console").joinpath(name)


class Console:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.signer = Signer(derive_key(services.key))
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
        static = _resource_dir("static")
        self.static = {
            "console.css": (static.joinpath("console.css").read_bytes(), "text/css"),
            "console.js": (static.joinpath("console.js").read_bytes(), "text/javascript"),
        }

    # --- the application -------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=256 * 1024)
        get, post = web.get, web.post
        app.add_routes(
            [
                get("/health", self.health),
                get("/static/{name}", self.static_file),
                get("/connexion", self.login_page),
                post("/connexion", self.login),
                post("/deconnexion", self.logout),
                get("/", self.inbox),
                get("/boite.json", self.inbox_json),
                get("/conversations/{ref}", self.conversation),
                post("/conversations/{ref}/repondre", self.reply),
                post("/conversations/{ref}/modele", self.reengage),
                post("/conversations/{ref}/rendre", self.resume),
                post("/conversations/{ref}/clore", self.close),
                get("/agenda", self.agenda),
                get("/rendez-vous/{id}", self.appointment),
                post("/rendez-vous/{id}/{action}", self.appointment_action),
                get("/statistiques", self.statistics),
                get("/equipe", self.staff_page),
                post("/equipe", self.staff_add),
                post("/equipe/{id}/desactiver", self.staff_disable),
            ]
        )
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """CSRF on every POST, a session everywhere but the sign-in page, security headers."""
        csrf_cookie = request.cookies.get(CSRF_COOKIE)
        new_cookie = None
        if not csrf_cookie:
            csrf_cookie = new_cookie = self.signer.new_csrf_cookie()
        request["csrf"] = self.signer.csrf_token(csrf_cookie)
        public = request.path.startswith(PUBLIC)
        if request.method == "POST":
            form = await request.post()
            token = form.get(CSRF_FIELD)
            if new_cookie or not self.signer.csrf_valid(csrf_cookie, str(token or "")):
                return self._refused(request, 403, "Jeton de sécurité manquant ou périmé.")
        request["member"] = member = await self._member(request)
        if member is None and not public:
            if request.method == "GET" and request.path != "/boite.json":
                target = quote(request.path_qs, safe="")
                response: web.StreamResponse = web.HTTPSeeOther(f"/connexion?suite={target}")
            else:
                response = self._refused(request, 401, "Connectez-vous d'abord.")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exception:
                response = exception
        if new_cookie:
            self._cookie(request, response, CSRF_COOKIE, new_cookie, "Strict")
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
        return response

    def _cookie(
        self,
        request: web.Request,
        response: web.StreamResponse,
        name: str,
        value: str,
        samesite: str,
        max_age: int | None = None,
    ) -> None:
        """Our cookies are never readable by scripts, and `Secure` behind TLS."""
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite=samesite,
            secure=self._secure(request),
            path="/",
            max_age=max_age,
        )

    def _secure(self, request: web.Request) -> bool:
        """`Secure` cookies behind TLS (Caddy says so), and always in production."""
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        return self.services.settings.production or request.secure or forwarded == "https"

    async def _member(self, request: web.Request) -> StaffMember | None:
        session = self.signer.session(request.cookies.get(SESSION_COOKIE), self._now_ts())
        if session is None:
            return None
        member = await asyncio.to_thread(self.services.staff.get, session.staff_id)
        if member is None or not member.active or member.session_generation != session.generation:
            return None
        return member

    def _now_ts(self) -> float:
        return self.services.clock.now().timestamp()

    def _refused(self, request: web.Request, status: int, text: str) -> web.Response:
        page = self._render_page(request, "error.html", title="Refusé", text=text)
        return web.Response(status=status, text=page, content_type="text/html")

    # --- rendering -------------------------------------------------------------------------------

    def _render_page(self, request: web.Request, template: str, **context: Any) -> str:
        member: StaffMember | None = request.get("member")
        message = MESSAGES.get(request.query.get("msg", ""))
        return self.templates.get_template(template).render(
            member=member, csrf=request["csrf"], csrf_field=CSRF_FIELD, message=message, **context
        )

    def render(self, request: web.Request, template: str, **context: Any) -> web.Response:
        return web.Response(
            text=self._render_page(request, template, **context), content_type="text/html"
        )

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """The core is synchronous SQL: run it off the event loop."""
        return await asyncio.to_thread(function, *args)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def _today(self) -> date:
        return self._local(self.services.clock.now()).date()

    def _when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return french.day_and_hour(self._local(moment), self._today())

    def _hour(self, moment: datetime) -> str:
        return french.hour(self._local(moment))

    def _day(self, day: date) -> str:
        return french.day(day, self._today()).capitalize()

    def _waited(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return french.waited((self.services.clock.now() - moment).total_seconds())

    # --- public pages ----------------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def static_file(self, request: web.Request) -> web.Response:
        found = self.static.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        body, kind = found
        return web.Response(body=body, content_type=kind, headers={"Cache-Control": "max-age=3600"})

    async def login_page(self, request: web.Request) -> web.Response:
        if request["member"] is not None:
            raise web.HTTPSeeOther(self._next(request.query.get("suite")))
        first = not await self.call(self.services.staff.list)
        return self.render(
            request, "login.html", error=None, email="", suite=request.query.get("suite", ""),
            first=first,
        )  # fmt: skip

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        outcome = await self.call(self.services.staff.sign_in, email, password)
        metrics.CONSOLE_SIGNINS.labels(outcome.outcome).inc()
        if outcome.outcome == "ok" and outcome.member is not None:
            member = outcome.member
            logger.info("staff sign-in", extra={"staff_id": member.id})
            response = web.HTTPSeeOther(self._next(str(form.get("suite", ""))))
            cookie = self.signer.session_cookie(
                member.id, member.session_generation, self._now_ts()
            )
            self._cookie(request, response, SESSION_COOKIE, cookie, "Lax", SESSION_HOURS * 3600)
            raise response
        if outcome.outcome == "locked" and outcome.locked_until is not None:
            until = french.hour(self._local(outcome.locked_until))
            error = f"Trop d'essais : ce compte est bloqué jusqu'à {until}."
        elif outcome.outcome == "disabled":
            error = "Ce compte est désactivé. Adressez-vous au responsable du cabinet."
        else:
            error = "E-mail ou mot de passe incorrect."
        logger.warning("staff sign-in refused", extra={"outcome": outcome.outcome})
        page = self._render_page(
            request, "login.html", error=error, email=email, suite=str(form.get("suite", "")),
            first=False,
        )  # fmt: skip
        return web.Response(status=401, text=page, content_type="text/html")

    @staticmethod
    def _next(target: str | None) -> str:
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

    async def logout(self, request: web.Request) -> web.StreamResponse:
        member: StaffMember = request["member"]
        await self.call(self.services.staff.end_sessions, member.id)
        response = web.HTTPSeeOther("/connexion")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    # --- inbox -------------------------------------------------------------------------------------

    def _inbox_rows(self, closed: bool) -> list[InboxRow]:
        handoff = self.services.handoff
        return handoff.inbox("active", limit=100) if closed else handoff.inbox("paused")

    async def inbox(self, request: web.Request) -> web.Response:
        closed = request.query.get("vue") == "closes"
        rows = await self.call(self._inbox_rows, closed)
        return self.render(
            request, "inbox.html", rows=rows, closed=closed, unread=_unread(rows, closed)
        )

    async def inbox_json(self, request: web.Request) -> web.Response:
        """What the page's script polls: counts for the title, and the rows to redraw."""
        closed = request.query.get("vue") == "closes"
        rows = await self.call(self._inbox_rows, closed)
        html = self.templates.get_template("_rows.html").render(rows=rows, closed=closed)
        waiting = rows if not closed else await self.call(self._inbox_rows, False)
        return web.json_response(
            {"unread": _unread(waiting, False), "waiting": len(waiting), "rows": html}
        )

    # --- a conversation ---------------------------------------------------------------------------

    def _find(self, ref: str) -> Conversation | None:
        return self.services.handoff.find(ref)

    async def _conversation_or_404(self, request: web.Request) -> Conversation:
        conversation = await self.call(self._find, request.match_info["ref"])
        if conversation is None:
            raise web.HTTPNotFound(text="Conversation introuvable.")
        return conversation

    def _conversation_view(self, conversation: Conversation, staff: str) -> dict[str, Any]:
        services = self.services
        patient_id = conversation.patient_id
        lines = services.handoff.open(patient_id, staff)
        upcoming = services.booking.upcoming(patient_id)
        return {
            "conversation": conversation,
            "lines": lines,
            "name": services.patients.name(patient_id),
            "upcoming": [self._appointment_row(a) for a in upcoming],
            "no_shows": services.appointments.no_shows([patient_id]).get(patient_id, 0),
            "reachable": services.messenger.reachable(patient_id),
            "window_open": services.messenger.window_open(patient_id),
        }

    async def conversation(self, request: web.Request) -> web.Response:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        view = await self.call(self._conversation_view, conversation, member.email)
        return self.render(request, "conversation.html", **view)

    def _back_to(self, conversation: Conversation, message: str) -> web.HTTPSeeOther:
        raise web.HTTPSeeOther(f"/conversations/{conversation.reference}?msg={message}")

    async def reply(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        text = str((await request.post()).get("texte", "")).strip()[:MAX_REPLY]
        if not text:
            raise self._back_to(conversation, "empty")
        outcome = await self.call(
            self.services.handoff.reply, conversation.patient_id, text, member.email
        )
        message = {"queued": "sent", "window_closed": "window"}.get(outcome, "unreachable")
        raise self._back_to(conversation, message)

    async def reengage(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        sent = await self.call(
            self.services.handoff.reengage, conversation.patient_id, member.email
        )
        raise self._back_to(conversation, "template" if sent else "unreachable")

    async def resume(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        done = await self.call(self.services.handoff.resume, conversation.patient_id, member.email)
        raise self._back_to(conversation, "resumed" if done else "not_paused")

    async def close(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        done = await self.call(self.services.handoff.close, conversation.patient_id, member.email)
        raise self._back_to(conversation, "closed" if done else "not_paused")

    # --- agenda ------------------------------------------------------------------------------------

    def _appointment_row(self, appointment: Appointment, no_shows: int = 0) -> dict[str, Any]:
        practice = self.services.practice
        reason = practice.find_reason(appointment.reason_id)
        practitioner = practice.find_practitioner(appointment.practitioner_id)
        day = self._local(appointment.start).date()
        return {
            "a": appointment,
            "reason": reason.label if reason else appointment.reason_id,
            "practitioner": practitioner.name if practitioner else appointment.practitioner_id,
            "status": "Déplacé"
            if appointment.moved and appointment.status == "booked"
            else STATUSES[appointment.status],
            "markable": appointment.active and day <= self._today(),
            "day": day,
            "no_shows": no_shows,
        }

    def _agenda_view(self, first: date, days: int) -> dict[str, Any]:
        agenda = self.services.frontdesk.agenda(first, days)
        practitioners = self.services.practice.practitioners
        grid = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            columns = agenda.by_day.get(day, {})
            grid.append(
                {
                    "day": day,
                    "practitioners": [
                        {
                            "name": p.name,
                            "rows": [
                                self._appointment_row(a, agenda.no_shows.get(a.patient_id, 0))
                                for a in columns.get(p.id, [])
                            ],
                        }
                        for p in practitioners
                    ],
                }
            )
        return {"grid": grid}

    async def agenda(self, request: web.Request) -> web.Response:
        week = request.query.get("vue") == "semaine"
        try:
            first = date.fromisoformat(request.query.get("jour", ""))
        except ValueError:
            first = self._today()
        if week:
            first -= timedelta(days=first.weekday())
        days = 7 if week else 1
        view = await self.call(self._agenda_view, first, days)
        step = timedelta(days=days)
        return self.render(
            request,
            "agenda.html",
            week=week,
            first=first,
            previous=(first - step).isoformat(),
            following=(first + step).isoformat(),
            today=self._today().isoformat(),
            here=request.path_qs,
            **view,
        )

    def _appointment_view(self, appointment_id: str) -> dict[str, Any] | None:
        services = self.services
        appointment = services.appointments.get(appointment_id)
        if appointment is None:
            return None
        entries = services.audit.entries(appointment_id=appointment_id)
        free = services.frontdesk.free_slots(appointment) if appointment.active else []
        no_shows = services.appointments.no_shows([appointment.patient_id])
        conversation = services.conversations.get(appointment.patient_id)
        return {
            "row": self._appointment_row(appointment, no_shows.get(appointment.patient_id, 0)),
            "entries": [
                {
                    "at": e.at,
                    "action": AUDIT_ACTIONS.get(e.action, e.action),
                    "who": e.actor_id
                    if e.actor == "staff" and e.actor_id
                    else ACTORS.get(e.actor, e.actor),
                    "start": datetime.fromisoformat(e.after["start"]) if e.after else None,
                }
                for e in entries
            ],
            "free": free,
            "reference": conversation.reference if conversation else None,
        }

    async def appointment(self, request: web.Request) -> web.Response:
        view = await self.call(self._appointment_view, request.match_info["id"])
        if view is None:
            raise web.HTTPNotFound(text="Rendez-vous introuvable.")
        return self.render(request, "appointment.html", here=request.path_qs, **view)

    async def appointment_action(self, request: web.Request) -> web.StreamResponse:
        appointment_id, action = request.match_info["id"], request.match_info["action"]
        member: StaffMember = request["member"]
        actor = Actor("staff", member.email)
        form = await request.post()
        desk = self.services.frontdesk
        outcome: DeskOutcome
        if action in ("confirmer", "refuser", "annuler"):
            change = {"confirmer": desk.confirm, "refuser": desk.refuse, "annuler": desk.cancel}
            outcome = await self.call(change[action], appointment_id, actor)
        elif action in ("arrive", "absent"):
            mark: Attendance = "arrived" if action == "arrive" else "no_show"
            outcome = await self.call(desk.mark, appointment_id, mark, actor)
        elif action == "deplacer":
            try:
                start = datetime.fromisoformat(str(form.get("horaire", "")))
            except ValueError:
                start = None
            if start is None or start.tzinfo is None:
                outcome = DeskOutcome("taken")
            else:
                outcome = await self.call(desk.move, appointment_id, start, actor)
        else:
            raise web.HTTPNotFound()
        message: str
        if outcome.status != "done":
            message = outcome.status
        elif action in ("arrive", "absent"):
            message = "marked"
        else:
            message = f"done_{outcome.told}"
        back = _without_message(self._next(str(form.get("retour", ""))))
        back = "/agenda" if back == "/" else back
        raise web.HTTPSeeOther(f"{back}{'&' if '?' in back else '?'}msg={message}")

    # --- accounts (managers) -----------------------------------------------------------------------

    def _manager(
        self, request: web.Request, text: str = "Seul un responsable du cabinet gère les comptes."
    ) -> StaffMember:
        member: StaffMember = request["member"]
        if not member.manager:
            raise web.HTTPForbidden(
                text=self._render_page(request, "error.html", title="Refusé", text=text),
                content_type="text/html",
            )
        return member

    async def statistics(self, request: web.Request) -> web.Response:
        """The pilot report (`clinic report`), for managers: the last 30 days by default."""
        self._manager(request, "Seul un responsable du cabinet voit les statistiques.")
        today = self._today()
        try:
            first = date.fromisoformat(request.query.get("du", ""))
            last = date.fromisoformat(request.query.get("au", ""))
        except ValueError:
            first, last = today - timedelta(days=29), today
        if last < first or (last - first).days > 366:
            first, last = today - timedelta(days=29), today
        practice = self.services.practice
        figures = await self.call(
            report.build,
            self.services.database,
            practice,
            self.services.sealer,
            first,
            last,
            practice.no_show_rate_before,
        )
        body = await self.call(report_page.render, figures, practice.name, True)
        return self.render(request, "statistics.html", body=Markup(body), first=first, last=last)

    async def staff_page(self, request: web.Request) -> web.Response:
        self._manager(request)
        members = await self.call(self.services.staff.list)
        return self.render(
            request, "staff.html", members=members, error=None, role_choices=STAFF_ROLES
        )

    async def staff_add(self, request: web.Request) -> web.StreamResponse:
        self._manager(request)
        form = await request.post()
        role = str(form.get("role", "staff"))
        try:
            await self.call(
                self.services.staff.add,
                str(form.get("email", "")),
                str(form.get("nom", "")),
                str(form.get("password", "")),
                role if role in STAFF_ROLES else "staff",
            )
        except StaffError as error:
            members = await self.call(self.services.staff.list)
            page = self._render_page(
                request, "staff.html", members=members, error=str(error).capitalize() + ".",
                role_choices=STAFF_ROLES,
            )  # fmt: skip
            return web.Response(status=400, text=page, content_type="text/html")
        raise web.HTTPSeeOther("/equipe?msg=staff_added")

    async def staff_disable(self, request: web.Request) -> web.StreamResponse:
        self._manager(request)
        try:
            staff_id = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        member = await self.call(self.services.staff.get, staff_id)
        if member is None:
            raise web.HTTPNotFound()
        await self.call(self.services.staff.disable, member.email)
        raise web.HTTPSeeOther("/equipe?msg=staff_disabled")


def _unread(rows: list[InboxRow], closed: bool) -> int:
    return 0 if closed else sum(not row.opened for row in rows)


def _without_message(path: str) -> str:
    """`path` without a previous `msg=` (so messages do not pile up in the address)."""
    if "?" not in path:
        return path
    base, query = path.split("?", 1)
    kept = [part for part in query.split("&") if part and not part.startswith("msg=")]
    return base + ("?" + "&".join(kept) if kept else "")
