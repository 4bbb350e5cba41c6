"""The simulator's chat page in headless Chromium, against the real connector: what a person
trying the assistant sees — text, reply buttons, lists, documents, read ticks."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from tests.browser import async_chromium
from tests.connector.conftest import Harness

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def scripted(message: UserMessage) -> None:
    out, who = message.output_channel, message.sender_id
    if message.text == "boutons":
        buttons = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
        await out.send_text_with_buttons(who, "Vous confirmez ?", buttons)
    elif message.text == "liste":
        buttons = [
            {"title": f"Vendredi 4 décembre {h}h", "payload": f"/slot{h}"} for h in range(9, 14)
        ]
        await out.send_text_with_buttons(who, "Choisissez :", buttons)
    elif message.text == "fichier":
        await out.send_custom_json(
            who, {"document": {"link": "http://127.0.0.1:1/rdv.ics", "filename": "rendez-vous.ics"}}
        )
    else:
        await out.send_text_message(who, f"reçu : {message.text}")


@pytest.fixture
def dialogue() -> Any:
    return scripted


async def test_type_tap_buttons_pick_from_a_list_and_see_a_document(harness: Harness) -> None:
    async with async_chromium() as browser:
        page = await browser.new_page()
        await page.goto(harness.simulator_url + "/")
        await page.fill("#text", "Bonjour, ça va ? 🙂")
        await page.press("#text", "Enter")
        await page.locator(".msg.bot", has_text="reçu : Bonjour, ça va ? 🙂").wait_for(
            timeout=10_000
        )

        await page.fill("#text", "boutons")
        await page.click("#send")
        await page.locator(".msg.bot button", has_text="Oui").click(timeout=10_000)
        await page.locator(".msg.bot", has_text="reçu : /affirm").wait_for(timeout=10_000)

        await page.fill("#text", "liste")
        await page.press("#text", "Enter")
        await page.locator(".msg.bot button", has_text="Voir les choix").click(timeout=10_000)
        await page.locator(".rows.open button", has_text="Vendredi 4 décembre 11h").click()
        await page.locator(".msg.bot", has_text="reçu : /slot11").wait_for(timeout=10_000)

        await page.fill("#text", "fichier")
        await page.press("#text", "Enter")
        doc = page.locator(".msg.bot a.doc")
        await doc.wait_for(timeout=10_000)
        assert "rendez-vous.ics" in await doc.text_content()

        await page.locator(".msg.me .ticks.read").first.wait_for(timeout=10_000)
        # Polls that overlap (sending starts one, the timer another) draw each message once.
        await page.fill("#text", "encore")
        await page.press("#text", "Enter")
        await page.evaluate("Promise.all([poll(), poll(), poll(), poll()])")
        await page.locator(".msg.bot", has_text="reçu : encore").wait_for(timeout=10_000)
        await page.evaluate("Promise.all([poll(), poll(), poll()])")
        assert await page.locator(".msg.me", has_text="encore").count() == 1
        assert await page.locator(".msg.bot", has_text="reçu : encore").count() == 1
        mine = await page.locator(".msg.me").all_text_contents()
    assert [m.split("\n")[0][:7] for m in mine][:2] == ["Bonjour", "boutons"]
    assert [turn.text for turn in harness.turns] == [
        "Bonjour, ça va ? 🙂",
        "boutons",
        "/affirm",
        "liste",
        "/slot11",
        "fichier",
        "encore",
    ]


async def test_photo_voice_and_position_buttons_send_real_media_webhooks(harness: Harness) -> None:
    async with async_chromium() as browser:
        page = await browser.new_page()
        await page.goto(harness.simulator_url + "/")
        for media, answer in (
            ("audio", "vocaux"),
            ("image", "messages écrits"),
            ("location", "position"),
        ):
            await page.click(f"[data-media={media}]")
            await page.locator(".msg.bot", has_text=answer).wait_for(timeout=10_000)
    assert harness.turns == []
