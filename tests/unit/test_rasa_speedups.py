"""Rasa's action-response validation, compiled once: the same verdicts and the same error as
Rasa's own `jsonschema.validate`, on responses our action server sends and on broken ones."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from connectors.rasa_speedups import compile_action_response_schema

GOOD = {
    "events": [{"event": "slot", "name": f"slot_{i}", "value": None} for i in range(10)]
    + [{"event": "active_loop", "name": None}],
    "responses": [{"text": "Lequel vous convient ?", "buttons": [{"title": "a", "payload": "/b"}]}],
}
BROKEN = [
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [{"name": "no event type"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
]


def rasa_verdict(response: dict) -> str | None:
    """What Rasa 3.6's own code says (jsonschema.validate on the same schema)."""
    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


def test_same_verdicts_and_errors_as_rasa() -> None:
    remote = RemoteAction("action_x", None)
    compile_action_response_schema()
    assert getattr(RemoteAction._validate_action_result, "compiled", False)
    assert remote._validate_action_result(GOOD) is True and rasa_verdict(GOOD) is None
    for response in BROKEN:
        expected = rasa_verdict(response)
        assert expected is not None
        with pytest.raises(jsonschema.ValidationError) as raised:
            remote._validate_action_result(response)
        assert raised.value.message.startswith(expected + ". Failed to validate Action server")
    compile_action_response_schema()  # idempotent: applied once per process
    assert remote._validate_action_result(GOOD) is True
