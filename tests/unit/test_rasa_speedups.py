"""Rasa's action-response validation, compiled once: the same verdicts and the same error as
Rasa's own `jsonschema.validate`, on responses our action server sends and on broken ones."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from connectors.rasa_speedups import compile_action_response_schema
from devtools.model import cache_dir

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


DOMAIN = """
version: "3.1"
intents: [greet, book, cancel]
entities: [reason]
slots:
  reason: {type: text, mappings: [{type: from_entity, entity: reason}]}
responses:
  utter_hello: [{text: "Bonjour"}]
  utter_when: [{text: "Quand ?"}]
  utter_cancelled: [{text: "Annulé"}]
"""
NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - bonjour
    - salut
    - bonsoir madame
    - coucou
- intent: book
  examples: |
    - je voudrais un rdv pour un [vaccin](reason)
    - un rendez-vous pour un [certificat](reason) svp
    - prendre rdv pour [renouvellement](reason)
    - rdv jeudi pour un [vaccin](reason)
- intent: cancel
  examples: |
    - annuler mon rdv
    - je ne pourrai pas venir
    - annulez svp
    - je dois annuler
"""
STORIES = """
version: "3.1"
stories:
- story: book
  steps: [{intent: greet}, {action: utter_hello}, {intent: book}, {action: utter_when}]
- story: cancel
  steps: [{intent: greet}, {action: utter_hello}, {intent: cancel}, {action: utter_cancelled}]
"""
CONFIG = """
recipe: default.v1
language: fr
assistant_id: speedup-test
pipeline:
  - {name: WhitespaceTokenizer}
  - {name: CountVectorsFeaturizer, analyzer: char_wb, min_ngram: 1, max_ngram: 3}
  - {name: DIETClassifier, epochs: 3, random_seed: 1}
policies:
  - {name: TEDPolicy, max_history: 3, epochs: 3, random_seed: 1}
"""


def _reference(key: str, compute: Callable[[], Any]) -> Any:
    """Rasa's own predictions for the small model, computed once per content and versions and
    kept beside the trained models (`CLINIC_MODEL_CACHE`): Rasa's own load runs a warm-up
    training step (about 50 s here), the very cost `load_models_for_inference` removes. A fresh
    machine computes it; JSON keeps Python floats to the last bit."""
    path = cache_dir() / f"speedups-reference-{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    except OSError:
        pass  # an unwritable cache only costs the time
    return value


def test_models_loaded_for_inference_predict_exactly_as_rasas_own_load(tmp_path) -> None:  # noqa: ANN001
    """A small DIET and TED, trained here (or taken from the model cache, keyed by their data and
    the Rasa and TensorFlow versions), loaded Rasa's way and the fast way: the same intents,
    confidences, entities and next-action probabilities, to the last bit."""
    import asyncio

    import rasa
    import tensorflow
    from rasa.core.agent import load_agent
    from rasa.model_training import train
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.tensorflow.models import RasaModel

    from connectors.rasa_speedups import load_models_for_inference

    sources = {"domain.yml": DOMAIN, "config.yml": CONFIG, "nlu.yml": NLU, "stories.yml": STORIES}
    digest = hashlib.sha256(f"{rasa.__version__} {tensorflow.__version__}".encode())
    for name, text in sources.items():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    key = digest.hexdigest()[:16]
    model = cache_dir() / f"speedups-{key}.tar.gz"
    if not model.is_file():
        for name in ("domain.yml", "config.yml"):
            (tmp_path / name).write_text(sources[name])
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "nlu.yml").write_text(NLU)
        (tmp_path / "data" / "stories.yml").write_text(STORIES)
        result = train(
            str(tmp_path / "domain.yml"), str(tmp_path / "config.yml"), [str(tmp_path / "data")],
            str(tmp_path / "models"),
        )  # fmt: skip
        assert result.code == 0 and result.model
        model.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result.model, tmp_path / "copy.tar.gz")
        os.replace(tmp_path / "copy.tar.gz", model)  # whole or not at all

    def predictions() -> list[Any]:
        agent = asyncio.run(load_agent(model_path=str(model)))
        texts = ["bonjour", "rdv pour un vaccin", "annuler", "zzz", "je voudrais un certificat"]
        parses = [asyncio.run(agent.parse_message(text)) for text in texts]
        nlu = [[p["intent_ranking"], p["entities"]] for p in parses]
        nodes = agent.processor.graph_runner._instantiated_nodes  # type: ignore[union-attr]
        ted = next(
            n._component for n in nodes.values() if type(n._component).__name__ == "TEDPolicy"
        )
        tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen")])
        probabilities = []
        for intent in ("greet", "book", "cancel"):
            tracker.update(UserUttered(intent, {"name": intent, "confidence": 1.0}))
            probabilities.append(
                [
                    float(p)
                    for p in ted.predict_action_probabilities(tracker, agent.domain).probabilities
                ]
            )
            tracker.update(ActionExecuted("utter_hello"))
            tracker.update(ActionExecuted("action_listen"))
        # as JSON reads it back: the cached reference and a fresh one compare alike
        return json.loads(json.dumps([nlu, probabilities]))

    rasas = RasaModel.__dict__["load"]
    try:
        if getattr(RasaModel.load, "for_inference", False):  # installed by an earlier test
            RasaModel.load = classmethod(RasaModel.load.original.__func__)  # type: ignore[method-assign]
        assert not getattr(RasaModel.load, "for_inference", False)
        expected = _reference(key, predictions)
        load_models_for_inference()
        assert getattr(RasaModel.load, "for_inference", False)
        assert predictions() == expected
    finally:
        RasaModel.load = rasas  # type: ignore[method-assign]
