"""Cost cuts inside Rasa: its per-turn path, each measured by `bench/turn_profile.py`, and the
loading of its TensorFlow models (`load_models_for_inference`).

Rasa checks each action server response with `jsonschema.validate(response, schema)`, which
first validates the large events schema itself against the JSON Schema metaschema, on every
call: about 24 ms of the 28 ms each action call spends in validation, several calls per turn.
The same schema compiled once gives the same verdicts and the same error (`best_match`, as
`jsonschema.validate` picks it), for a fraction of the time.
"""

from __future__ import annotations

from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def compile_action_response_schema() -> None:
    """Make `RemoteAction` validate responses with a validator compiled once (idempotent)."""
    if getattr(RemoteAction._validate_action_result, "compiled", False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per action call
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result.compiled = True  # type: ignore[attr-defined]
    _validate_action_result.original = RemoteAction._validate_action_result  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result


def load_models_for_inference() -> None:
    """Make `RasaModel.load` (DIET, TED) skip its warm-up training step when serving.

    Rasa 3.6 builds a loaded model's variables by fitting it on one example (`model.fit`), which
    traces the whole training graph, gradients included: about 140 of the 170 s a Rasa server
    took to load this project's model (py-spy, docs/benchmarks.md). For inference the variables
    only need to exist: the weights are read first, then one prediction on Rasa's own example
    creates the variables, which TensorFlow's checkpoint restores as they are created (deferred
    restoration). The predictions are the same to the last bit (tests/unit/test_rasa_speedups.py);
    fine-tuning (`rasa train --finetune`) and a model without a prediction example keep Rasa's
    own path. Idempotent.
    """
    from rasa.utils.tensorflow.models import RasaModel

    if getattr(RasaModel.load, "for_inference", False):
        return
    rasa_bound = RasaModel.load  # Rasa's classmethod, bound to RasaModel
    rasa_load = rasa_bound.__func__  # called with the subclass (DIET, TED) as `cls`

    def load(
        cls: type[RasaModel],
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or predict_data_example is None:
            return rasa_load(
                cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                *args, **kwargs,
            )  # fmt: skip
        model = cls(*args, **kwargs)
        status = model._checkpoint.read(model_file_name)  # restored as the variables appear
        model.run_inference(predict_data_example)
        status.assert_existing_objects_matched()  # every variable the model made got its weights
        status.expect_partial()  # the optimizer's slots are for training only
        return model

    load.for_inference = True  # type: ignore[attr-defined]
    load.original = rasa_bound  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)
