"""Every change this project makes inside Rasa 3.6, installed explicitly by the launcher
(`python -m connectors.launch rasa …`), never as a side effect of constructing a channel.

- `RemoteAction._validate_action_result`: the action-response schema compiled once
  (`connectors.rasa_speedups`), about 24 ms saved per action call;
- `RasaModel.load` (DIET, TED): loaded for inference without Rasa's one-example training step,
  the same predictions, about 2.5 times faster to load (`connectors.rasa_speedups`);
- `MessageProcessor.parse_message`: the NLU's verdict counted and logged
  (`connectors.observability`);
- `rasa.server.requires_auth`: the API token compared in constant time, on bytes
  (`connectors.rasa_http`);
- Sanic's `Http.error_response` and `Http.create_empty_request`: a 400 instead of a dropped
  connection for a URL holding a byte that is not ASCII (`connectors.sanic_urls`).

Each replaced method must still have the signature it had when the patch was written
(`EXPECTED`): `install` refuses to patch a Rasa that changed it, and a test checks the installed
Rasa against this list, so an upgrade fails loudly instead of patching the wrong thing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import rasa.server
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.utils.tensorflow.models import RasaModel
from sanic.http import Http

from connectors.observability import observe_nlu
from connectors.rasa_http import constant_time_auth
from connectors.rasa_speedups import compile_action_response_schema, load_models_for_inference
from connectors.sanic_urls import answer_odd_urls

#: (class or module, name) -> the parameter names of Rasa 3.6's (and its Sanic's) own function.
EXPECTED: dict[tuple[type | ModuleType, str], tuple[str, ...]] = {
    (RemoteAction, "_validate_action_result"): ("self", "result"),
    (RasaModel, "load"): (
        "model_file_name",
        "model_data_example",
        "predict_data_example",
        "finetune_mode",
        "args",
        "kwargs",
    ),  # fmt: skip
    (MessageProcessor, "parse_message"): ("self", "message", "tracker", "only_output_properties"),
    (rasa.server, "requires_auth"): ("app", "token"),
    (Http, "error_response"): ("self", "exception"),
    (Http, "create_empty_request"): ("self",),
}
INSTALLERS: tuple[Callable[[], None], ...] = (
    compile_action_response_schema,
    load_models_for_inference,
    observe_nlu,
    constant_time_auth,
    answer_odd_urls,
)


def original(owner: type | ModuleType, name: str) -> Callable[..., Any]:
    """Rasa's own method, patched or not (a patch keeps it as `.original`)."""
    method = getattr(owner, name)
    return getattr(method, "original", method)


def mismatches() -> list[str]:
    """The patched functions whose signature in the installed Rasa is not the expected one."""
    found = []
    for (owner, name), expected in EXPECTED.items():
        actual = tuple(inspect.signature(original(owner, name)).parameters)
        if actual != expected:
            found.append(f"{owner.__name__}.{name}{actual}, expected {expected}")
    return found


def install() -> None:
    """Install every patch (idempotent); refuse if Rasa's methods changed shape."""
    wrong = mismatches()
    if wrong:
        raise RuntimeError("Rasa changed under connectors/patches.py: " + "; ".join(wrong))
    for installer in INSTALLERS:
        installer()
