"""The statistics page: the pilot report that `clinic report` prints, for managers, in the
console's frame. The figures and their HTML are `report` and `report_page`'s, shared with the CLI."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web
from markupsafe import Markup

from clinic.app import report_page
from clinic.app.console.pages import Pages
from clinic.services import report


class StatisticsPage:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    async def statistics(self, request: web.Request) -> web.Response:
        """The pilot report (`clinic report`), for managers: the last 30 days by default."""
        pages = self.pages
        pages.manager(request, "Seul un responsable du cabinet voit les statistiques.")
        today = pages.today()
        try:
            first = date.fromisoformat(request.query.get("du", ""))
            last = date.fromisoformat(request.query.get("au", ""))
        except ValueError:
            first, last = today - timedelta(days=29), today
        if last < first or (last - first).days > 366:
            first, last = today - timedelta(days=29), today
        practice = self.services.practice
        figures = await pages.call(
            report.build,
            self.services.database,
            practice,
            self.services.sealer,
            first,
            last,
            practice.no_show_rate_before,
        )
        body = await pages.call(report_page.render, figures, practice.name, True)
        return pages.render(request, "statistics.html", body=Markup(body), first=first, last=last)
