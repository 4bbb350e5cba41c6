"""Finding a patient from what a caller gives (search), and the trail of who saw whose identity
(managers). The rules and the trail are `Directory`'s; here only the forms and the pages."""

from __future__ import annotations

from aiohttp import web

from clinic.adapters.storage.conversations import reference
from clinic.adapters.storage.staff import StaffMember
from clinic.app.console.agenda import appointment_row
from clinic.app.console.pages import Pages

#: Where a view happened, as managers read it.
PLACES = {
    "inbox": "Boîte de réception",
    "conversation": "Conversation",
    "search": "Recherche",
    "appointment": "Rendez-vous",
    "agenda": "Agenda",
}
#: How many views the trail page lists.
JOURNAL_ROWS = 300


class PatientPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    async def search(self, request: web.Request) -> web.Response:
        member: StaffMember = request["member"]
        query = request.query.get("q", "").strip()[:80]
        matches = (
            await self.pages.call(self.services.directory.search, query, member.email)
            if query
            else []
        )
        rows = [
            (match, [appointment_row(self.pages, a) for a in match.appointments])
            for match in matches
        ]
        return self.pages.render(request, "search.html", query=query, rows=rows)

    async def journal(self, request: web.Request) -> web.Response:
        """Who saw which patient's identity, and where: the latest first (managers only)."""
        self.pages.manager(request, "Seul un responsable du cabinet lit ce journal.")
        ref = request.query.get("patient", "").strip()[:64]
        patient_id = await self.pages.call(self.services.privacy.find, ref) if ref else None
        if ref and patient_id is None:
            views = []
        else:
            views = await self.pages.call(
                self.services.identity_views.recent, JOURNAL_ROWS, patient_id
            )
        return self.pages.render(
            request, "journal.html", views=views, patient=ref, reference=reference, places=PLACES
        )
