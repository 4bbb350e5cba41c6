"""The one `Services` of a process, for the parts a framework builds itself and cannot be
handed them: Rasa's WhatsApp channel and tracker store, rasa-sdk's actions."""

from __future__ import annotations

import threading

from clinic.adapters.settings import Settings, SettingsError
from clinic.app.wiring import Services, build_services

_process: Services | None = None
_process_lock = threading.Lock()


def process_services(settings: Settings | None = None) -> Services:
    """This process's `Services`, built once on first use, for the parts a framework builds
    itself and cannot be handed them. `settings`: the caller's (the WhatsApp channel's, with
    credentials.yml over the environment); by default the environment's. Two callers whose
    settings disagree is a misconfiguration, said at start."""
    global _process
    with _process_lock:
        if _process is None:
            _process = build_services(settings or Settings.from_env())
        elif settings is not None and settings != _process.settings:
            raise SettingsError(
                "credentials.yml and the environment disagree on the WhatsApp settings: "
                "give credentials.yml the ${VARIABLES} of the environment"
            )
        return _process


def reset_process_services() -> None:
    """Forget this process's `Services` (its engine disposed): the next `process_services()`
    reads the environment again. For tests that change it between cases."""
    global _process
    with _process_lock:
        if _process is not None:
            _process.database.dispose()
        _process = None
