"""The agenda per practitioner, an appointment's page with its audit, the front desk's actions
on it (confirm, refuse, move, cancel, arrived / no-show), and booking for a caller: the rules
are `FrontDesk`'s."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.labels import ACTORS, AUDIT_ACTIONS, STATUSES
from clinic.app.console.pages import Pages, next_path
from clinic.domain.appointments import Appointment
from clinic.domain.scheduling import Slot
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
            message = "marked_whatsapp" if outcome.told == "whatsapp" else "marked"
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


class CallerBooking:
    """Booking for someone who phones: pick the reason, the practitioner and a day, see the
    free slots the assistant would offer, book one. `FrontDesk.book_for_caller` does the rest."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    def _form(self, request: web.Request) -> dict[str, Any]:
        query = request.query
        practice = self.services.practice
        reason = query.get("motif", "")
        practitioner = query.get("praticien", "")
        try:
            day = date.fromisoformat(query.get("jour", ""))
        except ValueError:
            day = self.pages.today()
        return {
            "reasons_list": practice.reasons,
            "practitioners": practice.practitioners,
            "reason": reason if practice.find_reason(reason) else "",
            "practitioner": practitioner if practice.find_practitioner(practitioner) else "",
            "day": max(day, self.pages.today()),
            "name": query.get("nom", "")[:60],
            "number": query.get("numero", "")[:30],
            "whatsapp": query.get("whatsapp") == "1",
        }

    async def page(self, request: web.Request) -> web.Response:
        form = self._form(request)
        slots = []
        if form["reason"]:
            slots = await self.pages.call(
                self.services.frontdesk.caller_slots,
                form["reason"],
                form["practitioner"] or None,
                form["day"],
            )
        names = {p.id: p.name for p in self.services.practice.practitioners}
        return self.pages.render(
            request, "new_appointment.html", slots=slots, practitioner_names=names, **form
        )

    async def book(self, request: web.Request) -> web.StreamResponse:
        member: StaffMember = request["member"]
        form = await request.post()
        practice = self.services.practice
        reason = practice.find_reason(str(form.get("motif", "")))
        practitioner = practice.find_practitioner(str(form.get("praticien_slot", "")))
        name = " ".join(str(form.get("nom", "")).split())[:60]
        try:
            start = datetime.fromisoformat(str(form.get("horaire", "")))
        except ValueError:
            start = None
        back = "/agenda/nouveau?" + urlencode(
            {
                "motif": str(form.get("motif", "")),
                "praticien": str(form.get("praticien", "")),
                "jour": str(form.get("jour", "")),
                "nom": name,
                "numero": str(form.get("numero", "")),
                "whatsapp": "1" if form.get("whatsapp") == "1" else "",
            }
        )
        if reason is None or practitioner is None or not name or start is None or not start.tzinfo:
            raise web.HTTPSeeOther(back + "&msg=missing")
        slot = Slot(start, start + reason.duration, practitioner.id)
        patient_id = await self.pages.call(
            self.services.directory.caller, str(form.get("numero", "")), form.get("whatsapp") == "1"
        )
        outcome = await self.pages.call(
            self.services.frontdesk.book_for_caller,
            slot,
            reason.id,
            patient_id,
            name,
            Actor("staff", member.email),
        )
        if outcome.status != "done" or outcome.appointment is None:
            raise web.HTTPSeeOther(f"{back}&msg={outcome.status}")
        raise web.HTTPSeeOther(f"/rendez-vous/{outcome.appointment.id}?msg=booked_{outcome.told}")
