"""A message plainly not in French, through the real connector: its first bubble is the
emergency numbers in several languages, before the privacy notice, once in a span, and the
message still reaches the dialogue (a French sentence in it is not lost)."""

from __future__ import annotations

import pytest

from clinic.domain import safety
from clinic.domain.safety import language
from devtools.simulator import payloads
from tests.connector.conftest import PHONE_NUMBER_ID, Harness

NEW = "33655544499"
#: Turkish, « I would like an appointment for my father », no red flag.
TURKISH = "babam icin yarin sabah randevu almak istiyorum lutfen"  # 7 words


@pytest.fixture(autouse=True)
def language_models_loaded() -> None:
    """The channel loads them in the background as it starts; a test waits for them."""
    assert language.is_foreign(TURKISH, wait=True)


def texts(harness: Harness) -> list[str]:
    return [
        a["body"]["text"]["body"]
        for a in harness.graph.accepted
        if a["to"] == NEW and a["body"]["type"] == "text"
    ]


async def send(harness: Harness, text: str) -> None:
    await harness.post(payloads.text_payload(NEW, text, PHONE_NUMBER_ID))
    await harness.settle()


async def test_the_numbers_come_first_then_the_notice_then_the_turn(harness: Harness) -> None:
    await send(harness, TURKISH)
    sent = texts(harness)
    assert sent[0] == safety.FOREIGN and "112" in sent[0] and "15" in sent[0]
    assert sent[1].startswith("ℹ️")  # the notice, after the numbers
    assert sent[2:] == [f"reçu : {TURKISH}"]  # and the dialogue still reads it
    assert [m.text for m in harness.turns] == [TURKISH]


async def test_once_in_a_span_and_never_for_french(harness: Harness) -> None:
    await send(harness, TURKISH)
    await send(harness, "annem de gelebilir mi, o da biraz hasta")
    await send(harness, "bjr jvoudrais 1 rdv demain aprem svp")
    sent = texts(harness)
    assert sent.count(safety.FOREIGN) == 1
    assert len(harness.turns) == 3


async def test_while_paused_the_numbers_come_before_the_acknowledgement(
    harness: Harness,
) -> None:
    await send(harness, "bonjour")
    harness.services.handoff.pause(harness.service.patient_id(NEW), "handoff")
    await send(harness, "durerea nu trece si nu stiu ce sa fac")  # Romanian, no red flag
    after = texts(harness)[2:]
    assert after[0] == safety.FOREIGN
    assert [m.text for m in harness.turns] == ["bonjour"]  # staff have it: no turn


async def test_a_red_flag_in_another_language_names_the_112_in_several(harness: Harness) -> None:
    """« My dad can't breathe, his lips are blue », in Turkish: caught by the patterns."""
    await send(harness, "babam nefes alamiyor, dudaklari morardi")
    [first] = texts(harness)
    assert first == f"{safety.answers.DANGER}\n{safety.MULTILINGUAL}"
    assert harness.turns == []
