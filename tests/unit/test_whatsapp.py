"""The WhatsApp core without a network: signatures, parsing, limits, ids, error classes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.adapters.settings import Settings, SettingsError
from clinic.adapters.whatsapp import inbound, messages
from clinic.adapters.whatsapp.delivery import RetryPolicy
from clinic.adapters.whatsapp.graph import classify
from clinic.adapters.whatsapp.identity import Keyring
from clinic.adapters.whatsapp.reading import WhatsAppConfig, neutralise
from connectors.whatsapp import with_credentials

# --- signature and handshake ------------------------------------------------------------------


def test_signature_matches_the_published_vector() -> None:
    expected = "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
    assert inbound.sign(b"test", "secret") == f"sha256={expected}"
    inbound.check_signature(b"test", f"sha256={expected}", "secret")
    inbound.check_signature(b"test", f"SHA256={expected.upper()}", "secret")


@pytest.mark.parametrize("header", ["", None])
def test_no_signature(header: str | None) -> None:
    with pytest.raises(inbound.SignatureMissing):
        inbound.check_signature(b"{}", header, "secret")


@pytest.mark.parametrize("header", ["sha1=abc", "sha256=00", "abc", "sha256"])
def test_bad_signature(header: str) -> None:
    with pytest.raises(inbound.SignatureInvalid):
        inbound.check_signature(b"{}", header, "secret")


def test_handshake() -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": "t", "hub.challenge": "0042"}
    assert inbound.handshake(ok, "t") == "0042"  # echoed as text, leading zeros kept
    assert inbound.handshake({**ok, "hub.verify_token": "x"}, "t") is None
    assert inbound.handshake(ok, "") is None  # an empty configured token never verifies


# --- parsing ----------------------------------------------------------------------------------------


def _payload(*items: dict) -> dict:
    return {"entry": [{"changes": [{"value": {"messages": list(items)}}]}]}


def test_interactive_without_its_object_is_unsupported_not_a_crash() -> None:
    [message], _ = inbound.parse(_payload({"id": "w1", "from": "331", "type": "interactive"}))
    assert message.kind == inbound.UNSUPPORTED


def test_a_username_user_without_a_number_is_read_by_bsuid() -> None:
    item = {"id": "w1", "from_user_id": "US.1349", "type": "text", "text": {"body": "hi"}}
    [message], _ = inbound.parse(_payload(item))
    assert message.wa_id is None and message.sender == "US.1349"


def test_voice_notes_are_told_apart_from_audio_files() -> None:
    voice = {"id": "1", "from": "3", "type": "audio", "audio": {"voice": True}}
    audio = {"id": "2", "from": "3", "type": "audio", "audio": {"voice": False}}
    kinds = [m.kind for m in inbound.parse(_payload(voice, audio))[0]]
    assert kinds == [inbound.VOICE, inbound.MEDIA]


def test_statuses_with_errors() -> None:
    payload = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "statuses": [
                                {
                                    "id": "w",
                                    "status": "failed",
                                    "errors": [{"code": 131047, "title": "x"}],
                                }
                            ]
                        }
                    }
                ]
            }
        ]
    }
    _, [status] = inbound.parse(payload)
    assert status.errors == ((131047, "x"),)


@given(
    st.recursive(
        st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_parse_never_raises(payload: object) -> None:
    inbound.parse(payload)
    inbound.parse(
        {"entry": [{"changes": [{"value": {"messages": [payload], "statuses": [payload]}}]}]}
    )


# --- limits -------------------------------------------------------------------------------------------


@given(st.text(min_size=0, max_size=200), st.integers(min_value=2, max_value=72))
def test_shorten_always_fits(text: str, limit: int) -> None:
    assert len(messages.shorten(text, limit)) <= limit


def test_shorten_cuts_at_a_word() -> None:
    assert messages.shorten("Renouvellement d'ordonnance", 20) == "Renouvellement…"
    assert messages.shorten("Mercredi 9h", 20) == "Mercredi 9h"


@given(st.text(min_size=1, max_size=12_000))
def test_split_text_keeps_every_word_within_the_limit(text: str) -> None:
    parts = messages.split_text(text, 4096)
    assert all(0 < len(part) <= 4096 for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_three_choices_are_buttons_four_are_a_list() -> None:
    options = [messages.Option(f"/o{i}", f"Option {i}") for i in range(4)]
    assert messages.choices("?", options[:3])[0]["interactive"]["type"] == "button"
    assert messages.choices("?", options)[0]["interactive"]["type"] == "list"


def test_titles_equal_after_cutting_fall_back_to_a_list() -> None:
    options = [
        messages.Option("/a", "Consultation du matin A"),
        messages.Option("/b", "Consultation du matin B"),
    ]
    [body] = messages.choices("?", options)
    assert body["interactive"]["type"] == "list"


# --- identity -------------------------------------------------------------------------------------------


def test_patient_ids_are_stable_keyed_and_never_the_number() -> None:
    one, other = Keyring(b"k" * 32), Keyring(b"j" * 32)
    assert one.patient_id("33612345678") == one.patient_id("33612345678")
    assert one.patient_id("33612345678") != other.patient_id("33612345678")
    assert "33612345678" not in one.patient_id("33612345678")


def test_choice_ids_are_bound_to_the_patient() -> None:
    keyring = Keyring(b"k" * 32)
    issued = keyring.sign_choice("wa-a", "/affirm")
    assert issued and keyring.open_choice("wa-a", issued) == "/affirm"
    assert keyring.open_choice("wa-b", issued) is None
    assert keyring.open_choice("wa-a", "/affirm") is None
    assert keyring.open_choice("wa-a", issued.replace("/affirm", "/restart")) is None
    assert keyring.sign_choice("wa-a", "/x" * 100) is None  # too long for Meta's 200


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Keyring(b"short")


# --- errors and retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, 130429, True),
        (400, 131056, True),
        (500, 131000, True),
        (503, 131016, True),
        (429, 4, True),
        (503, 2, True),
        (400, 131047, False),
        (400, 131026, False),
        (401, 190, False),
        (400, 100, False),
    ],
)
def test_error_classes(status: int, code: int, retryable: bool) -> None:
    error = classify(status, {"error": {"code": code, "message": "m", "fbtrace_id": "t"}})
    assert (error.code, error.retryable, error.fbtrace_id) == (code, retryable, "t")
    assert error.needs_operator == (code == 190)


@pytest.mark.parametrize(("status", "retryable"), [(502, True), (404, False)])
def test_errors_without_a_graph_body(status: int, retryable: bool) -> None:
    assert classify(status, None).retryable is retryable


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=60)
    for attempt in range(1, 12):
        delay = policy.delay(attempt, 131000)
        ceiling = min(60, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert policy.delay(3, 131056) >= 8  # 4^2 / 2 for the pair rate limit


# --- text hygiene and settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/restart", "restart"), (" //stop ", "stop"), ("/", "?"), ("rdv demain", "rdv demain")],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_the_connector_refuses_to_run_without_an_app_secret() -> None:
    from connectors.whatsapp import WhatsAppInput

    credentials = {"verify_token": "v", "access_token": "a", "phone_number_id": "1"}
    settings = Settings(database_url="sqlite:///:memory:")
    with pytest.raises(SettingsError, match=r"set WHATSAPP_APP_SECRET \("):
        WhatsAppInput(settings=with_credentials(settings, credentials))
    with pytest.raises(ValueError, match="WHATSAPP_APP_SECRET"):
        WhatsAppConfig("v", "", "a", "1", "http://x")


def test_new_settings_are_validated() -> None:
    assert Settings.from_env({"WHATSAPP_MAX_MESSAGE_AGE": "600"}).whatsapp_max_message_age == 600
    with pytest.raises(SettingsError, match="WHATSAPP_MAX_MESSAGE_AGE"):
        Settings.from_env({"WHATSAPP_MAX_MESSAGE_AGE": "soon"})
    with pytest.raises(SettingsError, match="PATIENT_ID_KEY"):
        Settings.from_env({"PATIENT_ID_KEY": "short"})


def test_hmac_is_what_meta_computes() -> None:
    body = b'{"text":"\\u00e9t\\u00e9 \\ud83d\\ude00"}'
    assert inbound.sign(body, "s")[7:] == hmac.new(b"s", body, hashlib.sha256).hexdigest()


def test_the_profile_name_comes_with_the_message() -> None:
    """Meta's own sample: `contacts[0].profile.name` beside the message it came with."""
    import json
    from pathlib import Path

    sample = Path(__file__).parents[1] / "fixtures" / "whatsapp" / "inbound_text__meta_openapi.json"
    (message,), _ = inbound.parse(json.loads(sample.read_text()))
    assert message.profile_name == "Sheena Nelson"
    payload = json.loads(sample.read_text())
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = "Léa\u202e\n  ☀️" + "x" * 200
    (message,), _ = inbound.parse(payload)
    assert message.profile_name is not None
    assert message.profile_name.startswith("Léa ☀️") and len(message.profile_name) == 60
    del value["contacts"]
    (message,), _ = inbound.parse(payload)
    assert message.profile_name is None
