"""Every page of the console through axe-core (npm, `make install-axe`) in Chromium: no serious or
critical violation (issue 31). The console runs in process on loopback over the real core
(SQLite), seeded so that each page shows what staff see on a working day: a named patient in an
emergency, a closed conversation, an appointment, the identity trail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Page

from clinic.app.console.app import Console
from clinic.app.wiring import Services
from clinic.domain.appointments import Appointment, new_appointment_id
from clinic.domain.scheduling import SearchWindow
from tests.browser import async_chromium
from tests.conftest import NOW, ROOT
from tests.console.test_console import MANAGER, STAFF

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
NAME = "Jeanne Dupont"
JEANNE = "33612345678"  # booked, then wrote in an emergency
PAUL = "33698765432"  # talked to the team, who closed the conversation

#: Each violation as axe reports it, cut to what a reader needs: the rule, how bad, where.
RUN_AXE = """async () => {
  const results = await axe.run(document);
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 4).map(n => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


@pytest.fixture
async def console(services: Services) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The console's base URL and the seeded identifiers the pages' paths need."""
    services.staff.add(MANAGER[0], MANAGER[1], MANAGER[2])
    services.staff.add(STAFF[0], STAFF[1], STAFF[2])
    jeanne, paul = services.keyring.patient_id(JEANNE), services.keyring.patient_id(PAUL)
    services.patients.remember(jeanne, NAME, NOW)
    services.contacts.remember_contact(
        jeanne, JEANNE, None, NOW - timedelta(hours=1), NOW, "Jeannot"
    )
    services.contacts.remember_contact(paul, PAUL, None, NOW - timedelta(hours=2), NOW, "Paul ☀️")
    services.transcript.add(jeanne, "patient", "mon père a fait un malaise", NOW)
    services.transcript.add(
        jeanne, "assistant", "Appelez le 15.", NOW, None, ["Oui", "Non", "Plus tard", "Autre"]
    )
    services.handoff.pause(jeanne, "emergency")
    services.handoff.pause(paul, "handoff")
    services.handoff.close(paul, STAFF[0])
    window = SearchWindow(NOW, NOW + timedelta(days=2))
    slot = services.booking.search(window, "consultation").slots[0]
    appointment = services.appointments.add(
        Appointment(
            new_appointment_id(), jeanne, NAME, slot.practitioner_id, "consultation",
            slot.start, slot.end,
        ),
        NOW,
    )  # fmt: skip
    server = TestServer(Console(services).app(), host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        yield base, {"ref": jeanne.split("-", 1)[1][:8], "appointment": appointment.id}
    finally:
        await server.close()


async def audit(page: Page, base: str, path: str, shows: str) -> list[str]:
    """Open `path` (it must answer 200, at that address, showing `shows`: the seeded data, not an
    empty state) and list its serious and critical violations."""
    response = await page.goto(base + path)
    assert response is not None and response.status == 200, (
        f"{path}: HTTP {response.status if response else 'no response'}"
    )
    assert urlsplit(page.url).path == urlsplit(path).path, f"{path}: redirected to {page.url}"
    assert shows in await page.locator("main").inner_text(), f"{path}: {shows!r} not shown"
    await page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return [
        f"{path}: {v['id']} ({v['impact']}, {v['count']} node(s)): {v['help']} — "
        + " | ".join(v["targets"])
        for v in violations
        if v["impact"] in BLOCKING
    ]


async def test_no_page_of_the_console_has_a_serious_or_critical_violation(
    console: tuple[str, dict[str, str]],
) -> None:
    assert AXE.is_file(), "axe-core is missing: run `make install-axe` (npm ci)"
    base, ids = console
    pages = {  # path: what it shows
        "/": NAME,
        "/?vue=closes": "Paul",
        f"/conversations/{ids['ref']}": "mon père a fait un malaise",
        "/agenda": NAME,
        "/agenda?vue=semaine": NAME,
        f"/rendez-vous/{ids['appointment']}": NAME,
        "/agenda/nouveau?motif=consultation": "Réserver le",
        f"/recherche?q={quote(NAME)}": ids["ref"],
        "/journal": MANAGER[0],
        "/statistiques": "Bilan du pilote",
        "/equipe": STAFF[1],
        "/compte/securite": "Activer la double authentification",  # the QR code's page
    }
    found: list[str] = []
    async with async_chromium() as browser:
        # The console's CSP forbids inline scripts, which is how Playwright injects axe.
        context = await browser.new_context(bypass_csp=True, locale="fr-FR")
        page = await context.new_page()
        found += await audit(page, base, "/connexion", "Mot de passe")
        await page.get_by_label("E-mail").fill(MANAGER[0])
        await page.get_by_label("Mot de passe").fill(MANAGER[2])
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_url(base + "/")
        # The unread count is part of the inbox link's name (an aria-label on the badge hid it).
        await page.get_by_role("link", name="Boîte de réception 1 non lues").wait_for()
        for path, shows in pages.items():
            found += await audit(page, base, path, shows)
        await context.close()
    assert not found, "axe-core, serious or critical:\n" + "\n".join(found)
