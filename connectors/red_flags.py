"""Rasa NLU plug-in: a message with a red flag (clinic.domain.safety) is an `emergency`, whatever DIET says.

Placed after DIET and before the FallbackClassifier in config.yml, so a vital emergency phrased in
a way the model never saw is neither misrouted nor sent to « pouvez-vous reformuler ? ». Not
trainable: the patterns live in the core and are unit-tested there. Button payloads (« /intent »)
are left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic.domain.safety import classifier, is_red_flag

logger = logging.getLogger(__name__)

EMERGENCY = "emergency"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagOverride(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagOverride:
        classifier.warm_up()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not is_red_flag(text):
                continue
            top = {"name": EMERGENCY, "confidence": 1.0}
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY
            ]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
            logger.info("red flag: message classified as emergency")
        return messages
