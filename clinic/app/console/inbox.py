"""The inbox of conversations needing a human (and the JSON its script polls), and one
conversation with what staff do there: reply, send the re-engagement template, hand back to the
assistant, close. The rules (the 24-hour window, who is told what) are `Handoff`'s."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from clinic.adapters.storage.conversations import Conversation
from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.agenda import appointment_row
from clinic.app.console.pages import Pages
from clinic.services.directory import Identity
from clinic.services.handoff import InboxRow

#: Longest staff reply accepted (WhatsApp's text limit is 4,096; longer is split anyway).
MAX_REPLY = 4000


class InboxPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    # --- inbox -------------------------------------------------------------------------------------

    def _inbox_rows(self, closed: bool) -> list[InboxRow]:
        handoff = self.services.handoff
        return handoff.inbox("active", limit=100) if closed else handoff.inbox("paused")

    def _names(self, rows: list[InboxRow], staff: str) -> dict[str, Identity]:
        """Each row's name (booked, else WhatsApp's), the views written to the trail."""
        return self.services.directory.names([row.id for row in rows], staff, "inbox")

    async def inbox(self, request: web.Request) -> web.Response:
        closed = request.query.get("vue") == "closes"
        member: StaffMember = request["member"]
        rows = await self.pages.call(self._inbox_rows, closed)
        names = await self.pages.call(self._names, rows, member.email)
        return self.pages.render(
            request,
            "inbox.html",
            rows=rows,
            names=names,
            closed=closed,
            unread=_unread(rows, closed),
            query="",
        )

    async def inbox_json(self, request: web.Request) -> web.Response:
        """What the page's script polls: counts for the title, and the rows to redraw."""
        call = self.pages.call
        closed = request.query.get("vue") == "closes"
        member: StaffMember = request["member"]
        rows = await call(self._inbox_rows, closed)
        names = await call(self._names, rows, member.email)
        html = self.pages.templates.get_template("_rows.html").render(
            rows=rows, names=names, closed=closed
        )
        waiting = rows if not closed else await call(self._inbox_rows, False)
        return web.json_response(
            {"unread": _unread(waiting, False), "waiting": len(waiting), "rows": html}
        )

    # --- a conversation ---------------------------------------------------------------------------

    def _find(self, ref: str) -> Conversation | None:
        return self.services.handoff.find(ref)

    async def _conversation_or_404(self, request: web.Request) -> Conversation:
        conversation = await self.pages.call(self._find, request.match_info["ref"])
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
            "identity": services.directory.identity(patient_id, staff, "conversation"),
            "upcoming": [appointment_row(self.pages, a) for a in upcoming],
            "no_shows": services.appointments.no_shows([patient_id]).get(patient_id, 0),
            "reachable": services.messenger.reachable(patient_id),
            "window_open": services.messenger.window_open(patient_id),
        }

    async def conversation(self, request: web.Request) -> web.Response:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        view = await self.pages.call(self._conversation_view, conversation, member.email)
        return self.pages.render(request, "conversation.html", **view)

    def _back_to(self, conversation: Conversation, message: str) -> web.HTTPSeeOther:
        raise web.HTTPSeeOther(f"/conversations/{conversation.reference}?msg={message}")

    async def reply(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        text = str((await request.post()).get("texte", "")).strip()[:MAX_REPLY]
        if not text:
            raise self._back_to(conversation, "empty")
        outcome = await self.pages.call(
            self.services.handoff.reply, conversation.patient_id, text, member.email
        )
        message = {"queued": "sent", "window_closed": "window"}.get(outcome, "unreachable")
        raise self._back_to(conversation, message)

    async def reengage(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        sent = await self.pages.call(
            self.services.handoff.reengage, conversation.patient_id, member.email
        )
        raise self._back_to(conversation, "template" if sent else "unreachable")

    async def resume(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        handoff = self.services.handoff
        done = await self.pages.call(handoff.resume, conversation.patient_id, member.email)
        raise self._back_to(conversation, "resumed" if done else "not_paused")

    async def close(self, request: web.Request) -> web.StreamResponse:
        conversation = await self._conversation_or_404(request)
        member: StaffMember = request["member"]
        handoff = self.services.handoff
        done = await self.pages.call(handoff.close, conversation.patient_id, member.email)
        raise self._back_to(conversation, "closed" if done else "not_paused")


def _unread(rows: list[InboxRow], closed: bool) -> int:
    return 0 if closed else sum(not row.opened for row in rows)
