"""The agenda per practitioner, an appointment's page with its audit, and the front desk's
actions on it (confirm, refuse, move, cancel, arrived / no-show): the rules are `FrontDesk`'s."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.labels import ACTORS, AUDIT_ACTIONS, STATUSES
from clinic.app.console.pages import Pages, next_path
from clinic.domain.appointments import Appointment
from clinic.domain.statuses import Attendance
from clinic.services.frontdesk import DeskOutcome


def appointment_row(pages: Pages, appointment: Appointment, no_shows: int = 0) -> dict[str, Any]:
    """One appointment as a row of the agenda (and of a conversation's « à venir »)."""
    practice = pages.services.practice
    reason = practice.find_reason(appointment.reason_id)
    practitioner = practice.find_practitioner(appointment.practitioner_id)
    day = pages.local(appointment.start).date()
    return {
        "a": appointment,
        "reason": reason.label if reason else appointment.reason_id,
        "practitioner": practitioner.name if practitioner else appointment.practitioner_id,
        "status": "Déplacé"
        if appointment.moved and appointment.status == "booked"
        else STATUSES[appointment.status],
        "markable": appointment.active and day <= pages.today(),
        "day": day,
        "no_shows": no_shows,
    }


class AgendaPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    def _agenda_view(self, first: date, days: int, staff: str) -> dict[str, Any]:
        agenda = self.services.frontdesk.agenda(first, days)
        shown = [
            a.patient_id
            for columns in agenda.by_day.values()
            for day in columns.values()
            for a in day
        ]
        self.services.identity_views.record(staff, shown, "agenda", self.services.clock.now())
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
                                appointment_row(self.pages, a, agenda.no_shows.get(a.patient_id, 0))
                                for a in columns.get(p.id, [])
                            ],
                        }
                        for p in practitioners
                    ],
                }
            )
        return {"grid": grid}

    async def agenda(self, request: web.Request) -> web.Response:
        pages = self.pages
        week = request.query.get("vue") == "semaine"
        try:
            first = date.fromisoformat(request.query.get("jour", ""))
        except ValueError:
            first = pages.today()
        if week:
            first -= timedelta(days=first.weekday())
        days = 7 if week else 1
        member: StaffMember = request["member"]
        view = await pages.call(self._agenda_view, first, days, member.email)
        step = timedelta(days=days)
        return pages.render(
            request,
            "agenda.html",
            week=week,
            first=first,
            previous=(first - step).isoformat(),
            following=(first + step).isoformat(),
            today=pages.today().isoformat(),
            here=request.path_qs,
            **view,
        )

    def _appointment_view(self, appointment_id: str, staff: str) -> dict[str, Any] | None:
        services = self.services
        appointment = services.appointments.get(appointment_id)
        if appointment is None:
            return None
        identity = services.directory.identity(appointment.patient_id, staff, "appointment")
        entries = services.audit.entries(appointment_id=appointment_id)
        free = services.frontdesk.free_slots(appointment) if appointment.active else []
        no_shows = services.appointments.no_shows([appointment.patient_id])
        conversation = services.conversations.get(appointment.patient_id)
        return {
            "row": appointment_row(
                self.pages, appointment, no_shows.get(appointment.patient_id, 0)
            ),
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
            "identity": identity,
        }

    async def appointment(self, request: web.Request) -> web.Response:
        member: StaffMember = request["member"]
        view = await self.pages.call(self._appointment_view, request.match_info["id"], member.email)
        if view is None:
            raise web.HTTPNotFound(text="Rendez-vous introuvable.")
        return self.pages.render(request, "appointment.html", here=request.path_qs, **view)

    async def appointment_action(self, request: web.Request) -> web.StreamResponse:
        appointment_id, action = request.match_info["id"], request.match_info["action"]
        member: StaffMember = request["member"]
        actor = Actor("staff", member.email)
        form = await request.post()
        desk = self.services.frontdesk
        call = self.pages.call
        outcome: DeskOutcome
        if action in ("confirmer", "refuser", "annuler"):
            change = {"confirmer": desk.confirm, "refuser": desk.refuse, "annuler": desk.cancel}
            outcome = await call(change[action], appointment_id, actor)
        elif action in ("arrive", "absent"):
            mark: Attendance = "arrived" if action == "arrive" else "no_show"
            outcome = await call(desk.mark, appointment_id, mark, actor)
        elif action == "deplacer":
            try:
                start = datetime.fromisoformat(str(form.get("horaire", "")))
            except ValueError:
                start = None
            if start is None or start.tzinfo is None:
                outcome = DeskOutcome("taken")
            else:
                outcome = await call(desk.move, appointment_id, start, actor)
        else:
            raise web.HTTPNotFound()
        message: str
        if outcome.status != "done":
            message = outcome.status
        elif action in ("arrive", "absent"):
            message = "marked"
        else:
            message = f"done_{outcome.told}"
        back = _without_message(next_path(str(form.get("retour", ""))))
        back = "/agenda" if back == "/" else back
        raise web.HTTPSeeOther(f"{back}{'&' if '?' in back else '?'}msg={message}")


def _without_message(path: str) -> str:
    """`path` without a previous `msg=` (so messages do not pile up in the address)."""
    if "?" not in path:
        return path
    base, query = path.split("?", 1)
    kept = [part for part in query.split("&") if part and not part.startswith("msg=")]
    return base + ("?" + "&".join(kept) if kept else "")
