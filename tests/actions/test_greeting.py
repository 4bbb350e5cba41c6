from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.greeting import ActionGreet
from clinic.app.process import reset_process_services

ROOT = Path(__file__).parents[2]


@pytest.fixture
def practice_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "practice.yml"
    path.write_text(
        "practice:\n  name: Cabinet du Parc\n  address: 1 place du Parc, Lille\n  phone: 03 20 00 00 00\n"
        "practitioners: [{id: dr-a, name: Dr A}]\nreasons: [{id: consultation, label: Consultation}]\n"
    )
    monkeypatch.setenv("PRACTICE_CONFIG", str(path))
    reset_process_services()
    yield path
    reset_process_services()


def tracker(text: str = "bonjour") -> Tracker:
    return Tracker(
        "a1b2c3",
        {},
        {"text": text, "intent": {"name": "greet", "confidence": 1.0}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )


async def test_greets_with_the_practice_name_then_presents_itself(practice_file: Path) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionGreet().run(dispatcher, tracker(), {})
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_greet", "utter_presentation"]
    assert dispatcher.messages[0]["practice_name"] == "Cabinet du Parc"


def test_domain_responses_use_the_variable_and_vouvoiement() -> None:
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    greets = [r["text"] for r in domain["responses"]["utter_greet"]]
    assert all("{practice_name}" in text and "assistant automatique" in text for text in greets)
    everything = " ".join(r["text"] for rs in domain["responses"].values() for r in rs)
    assert " tu " not in f" {everything.lower()} " and " t'" not in everything.lower()


async def test_an_action_logs_under_the_trace_id_of_its_message(
    practice_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The channel puts the trace id in the message's metadata; the action server's lines
    carry it, so `clinic trace` joins them to the Rasa process's."""
    from clinic.adapters.logs import install_masking

    install_masking()
    events = [
        {"event": "user", "text": "avant", "metadata": {"trace_id": "1111111111111111"}},
        {"event": "user", "text": "bonjour", "metadata": {"trace_id": "0123456789abcdef"}},
    ]
    traced = Tracker(
        "a1b2c3",
        {},
        {"text": "bonjour", "intent": {"name": "greet", "confidence": 0.97}, "entities": []},
        events,
        False,
        None,
        {},
        "action_listen",
    )
    with caplog.at_level("INFO", logger="actions.base"):
        await ActionGreet().run(CollectingDispatcher(), traced, {})
    [line] = [r for r in caplog.records if r.name == "actions.base"]
    assert line.getMessage() == "action action_greet"
    assert (line.trace_id, line.intent, line.confidence) == ("0123456789abcdef", "greet", 0.97)  # type: ignore[attr-defined]


async def test_out_of_scope_says_what_the_assistant_does_and_gives_the_number(
    practice_file: Path,
) -> None:
    """A question it cannot answer is neither forced into a booking nor left without a way
    on: the reply lists what the assistant does, with buttons, and the practice's number."""
    import yaml

    from actions.info import ActionOutOfScope

    dispatcher = CollectingDispatcher()
    assert await ActionOutOfScope().run(dispatcher, tracker("vous vendez des masques ?"), {}) == []
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert dispatcher.messages[0]["phone"] == "03 20 00 00 00"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    for variant in domain["responses"]["utter_out_of_scope"]:
        assert "{phone}" in variant["text"] and "rendez-vous" in variant["text"]
        payloads = [button["payload"] for button in variant["buttons"]]
        assert payloads == ["/book_appointment", "/check_appointment", "/ask_opening_hours"]
