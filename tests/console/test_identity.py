"""Who the patient is, in the console (issue 31): the name (booked, else WhatsApp's, marked as
such), the number as a `tel:` link, search by name, number as staff type it, or reference, and
the trail of each display that managers read. Real aiohttp server, real core, SQLite."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from clinic.adapters.storage.audit import Actor
from clinic.app.console.app import Console
from clinic.app.wiring import Services
from clinic.domain.appointments import Appointment, new_appointment_id
from clinic.domain.scheduling import SearchWindow
from tests.conftest import NOW
from tests.console.test_console import MANAGER, STAFF, sign_in

JEANNE = "33612345678"  # Jeanne Dupont, who booked
LEA = "33698765432"  # wrote, gave no name: WhatsApp says « Léa ☀️ »


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    services.staff.add(MANAGER[0], MANAGER[1], MANAGER[2])
    services.staff.add(STAFF[0], STAFF[1], STAFF[2])
    jeanne, lea = services.keyring.patient_id(JEANNE), services.keyring.patient_id(LEA)
    services.patients.remember(jeanne, "Jeanne Dupont", NOW)
    services.contacts.remember_contact(
        jeanne, JEANNE, None, NOW - timedelta(hours=1), NOW, "Jeannot"
    )
    services.contacts.remember_contact(lea, LEA, None, NOW - timedelta(minutes=5), NOW, "Léa ☀️")
    services.handoff.pause(lea, "emergency")
    client = TestClient(TestServer(Console(services).app()))
    await client.start_server()
    yield client
    await client.close()


def views(services: Services) -> list[tuple[str, str, str]]:
    return [(v.staff, v.patient_id, v.place) for v in services.identity_views.recent()]


def book(services: Services, patient_id: str, name: str) -> Appointment:
    window = SearchWindow(NOW + timedelta(days=1), NOW + timedelta(days=3))
    slot = services.booking.search(window, "consultation").slots[0]
    appointment = Appointment(
        new_appointment_id(), patient_id, name, slot.practitioner_id, "consultation",
        slot.start, slot.end,
    )  # fmt: skip
    return services.appointments.add(appointment, NOW)


async def test_the_inbox_names_the_patient_from_whatsapp_marked_as_such(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    page = await (await client.get("/")).text()
    assert "Léa ☀️" in page and "(nom WhatsApp)" in page
    lea = services.keyring.patient_id(LEA)
    assert views(services) == [(STAFF[0], lea, "inbox")]
    await client.get("/")
    await client.get("/boite.json")
    assert len(views(services)) == 1  # the same view, redrawn, is not written again


async def test_the_conversation_shows_the_name_and_a_tel_link(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    lea = services.keyring.patient_id(LEA)
    ref = lea.split("-", 1)[1][:8]
    page = await (await client.get(f"/conversations/{ref}")).text()
    assert "Léa ☀️" in page and "nom WhatsApp, non vérifié" in page
    assert '<a href="tel:+33698765432" class="tel">+33 6 98 76 54 32</a>' in page
    assert (STAFF[0], lea, "conversation") in views(services)


async def test_the_booked_name_wins_over_the_whatsapp_name(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    jeanne = services.keyring.patient_id(JEANNE)
    services.handoff.pause(jeanne, "handoff")
    page = await (await client.get(f"/conversations/{jeanne.split('-', 1)[1][:8]}")).text()
    assert "<h1>Jeanne Dupont" in page and "Jeannot" not in page and "tel:+33612345678" in page


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678"],
)
async def test_search_finds_a_number_as_staff_type_it(
    client: TestClient, services: Services, typed: str
) -> None:
    await sign_in(client)
    page = await (await client.get("/recherche", params={"q": typed})).text()
    assert "1 patient pour" in page and "Jeanne Dupont" in page, page
    assert 'href="tel:+33612345678"' in page
    assert views(services) == [(STAFF[0], services.keyring.patient_id(JEANNE), "search")]


async def test_search_by_name_without_accents_and_by_reference(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    jeanne = services.keyring.patient_id(JEANNE)
    appointment = book(services, jeanne, "Jeanne Dupont")
    page = await (await client.get("/recherche", params={"q": "dupont jeanne"})).text()
    assert "Jeanne Dupont" in page and f'href="/rendez-vous/{appointment.id}"' in page
    page = await (await client.get("/recherche", params={"q": "lea"})).text()
    assert "Léa ☀️" in page and "Ouvrir la conversation" in page
    ref = jeanne.split("-", 1)[1][:8]
    page = await (await client.get("/recherche", params={"q": ref})).text()
    assert "Jeanne Dupont" in page
    page = await (await client.get("/recherche", params={"q": appointment.id})).text()
    assert "Jeanne Dupont" in page
    page = await (await client.get("/recherche", params={"q": "07 00 00 00 00"})).text()
    assert "Aucun patient ne correspond" in page


async def test_the_search_box_is_labelled_on_the_inbox(client: TestClient) -> None:
    await sign_in(client)
    page = await (await client.get("/")).text()
    assert re.search(r'<label for="q">Rechercher</label>\s*<input type="search" id="q"', page)


async def test_managers_read_the_trail_and_staff_cannot(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    await client.get("/recherche", params={"q": "06 12 34 56 78"})
    assert (await client.get("/journal")).status == 403
    await client.post("/deconnexion")  # refused without a token: sign in afresh instead
    client.session.cookie_jar.clear()
    await sign_in(client, MANAGER)
    page = await (await client.get("/journal")).text()
    jeanne_ref = services.keyring.patient_id(JEANNE).split("-", 1)[1][:8]
    assert STAFF[0] in page and jeanne_ref in page and "Recherche" in page
    page = await (await client.get("/journal", params={"patient": jeanne_ref})).text()
    assert "Boîte de réception" not in page.split("<tbody>")[1]  # only Jeanne's views


async def test_erasure_takes_the_whatsapp_name_and_the_trail_keeps_no_id(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    lea = services.keyring.patient_id(LEA)
    await client.get("/")
    services.privacy.erase(lea, Actor("staff", MANAGER[0]))
    assert services.contacts.contact(lea) is None
    assert all(pid != lea for _, pid, _ in views(services))
    page = await (await client.get("/recherche", params={"q": "lea"})).text()
    assert "Aucun patient ne correspond" in page
