"""Booking for a caller from the console (issue 31): the assistant's free slots, its booking path
(so never a double booking), the audit under the staff member, and the patient told on WhatsApp
when they agreed. Real aiohttp server, real core, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient

from clinic.app.wiring import Services
from tests.conftest import NOW
from tests.console.test_console import (
    STAFF,
    csrf,
    outbox_kinds,
    sign_in,
)


async def first_slot(client: TestClient, **query: str) -> dict[str, str]:
    """The hidden fields of the first « Réserver … » form the page offers."""
    day = (NOW + timedelta(days=1)).date().isoformat()
    params = {"motif": "consultation", "jour": day, **query}
    page = await (await client.get("/agenda/nouveau", params=params)).text()
    form = page.split('<form method="post" action="/agenda/nouveau">', 1)[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert "Réserver le" in form and fields["horaire"], page
    return fields


async def book(client: TestClient, fields: dict[str, str]) -> tuple[int, str]:
    fields = {**fields, "csrf": await csrf(client, "/agenda/nouveau")}
    response = await client.post("/agenda/nouveau", data=fields, allow_redirects=False)
    return response.status, response.headers.get("Location", "")


async def test_a_caller_without_whatsapp_is_booked_and_staff_phone_them(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    fields = await first_slot(client, nom="Paul Martin")
    status, location = await book(client, fields)
    assert status == 303 and location.endswith("?msg=booked_phone"), location
    appointment_id = urlparse(location).path.rsplit("/", 1)[1]
    appointment = services.appointments.get(appointment_id)
    assert appointment is not None and appointment.patient_name == "Paul Martin"
    assert appointment.patient_id.startswith("desk-") and appointment.status == "booked"
    assert [
        (e.action, e.actor, e.actor_id)
        for e in services.audit.entries(appointment_id=appointment_id)
    ] == [("booked", "staff", STAFF[0])]
    page = await (await client.get(location)).text()
    assert "donnez-lui la date" in page and "Paul Martin" in page
    assert outbox_kinds(services) == []


async def test_a_caller_who_agrees_gets_the_whatsapp_confirmation(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    fields = await first_slot(client, nom="Inès Roux", numero="06 55 44 33 22", whatsapp="1")
    status, location = await book(client, fields)
    assert location.endswith("?msg=booked_whatsapp"), location
    patient_id = services.keyring.patient_id("33655443322")
    [appointment] = services.appointments.list(patient_id=patient_id)
    assert appointment.patient_name == "Inès Roux"
    assert outbox_kinds(services) == ["confirmation"]  # a template: no window is open
    page = await (await client.get("/recherche", params={"q": "0655443322"})).text()
    assert "Inès Roux" in page and f"/rendez-vous/{appointment.id}" in page


async def test_a_patient_who_wrote_today_also_gets_the_calendar_link(
    client: TestClient, services: Services
) -> None:
    patient_id = services.keyring.patient_id("33677889900")
    services.contacts.remember_contact(
        patient_id, "33677889900", None, NOW - timedelta(hours=2), NOW
    )
    await sign_in(client)
    fields = await first_slot(client, nom="Zoé Petit", numero="+33 6 77 88 99 00")
    _, location = await book(client, fields)
    assert location.endswith("?msg=booked_whatsapp")
    assert outbox_kinds(services) == ["confirmation", "calendar"]


async def test_the_same_slot_cannot_be_booked_twice(client: TestClient, services: Services) -> None:
    await sign_in(client)
    fields = await first_slot(client, nom="Premier Appelant")
    first, _ = await book(client, fields)
    status, location = await book(client, {**fields, "nom": "Second Appelant"})
    assert first == 303 and status == 303
    assert parse_qs(urlparse(location).query)["msg"] == ["taken"]
    start = datetime.fromisoformat(fields["horaire"])
    held = [a for a in services.appointments.list() if a.start == start]
    assert [a.patient_name for a in held] == ["Premier Appelant"]


async def test_a_form_without_a_name_or_a_forged_time_books_nothing(
    client: TestClient, services: Services
) -> None:
    await sign_in(client)
    fields = await first_slot(client, nom="Jules Vrai")
    _, location = await book(client, {**fields, "nom": " "})
    assert location.endswith("msg=missing")
    _, location = await book(
        client, {**fields, "horaire": fields["horaire"].replace(":00+", ":07+")}
    )
    assert location.endswith("msg=taken")  # not a slot the rules offer
    assert services.appointments.list() == []


async def test_the_agenda_links_to_booking_and_prints(client: TestClient) -> None:
    await sign_in(client)
    page = await (await client.get("/agenda")).text()
    assert "Nouveau rendez-vous" in page and "data-print" in page
    css = await (await client.get("/static/console.css")).text()
    assert "@media print" in css
