"""Where an action gets the core: the process's composition root, or what a test hands in.

Every action and validator takes its `Services` once in `run()` and passes them on explicitly,
so no helper reaches for a global and a test needs no patching: `ActionX(services).run(...)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, FormValidationAction

from actions.context import get_context
from clinic.services import Services


class UsesServices:
    def __init__(self, services: Services | None = None) -> None:
        # rasa-sdk registers actions by calling the class with no argument: then the process's
        # composition root is used, built on the first call.
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or get_context()


class ClinicAction(UsesServices, Action, ABC):
    """An action over the core. Abstract, so the action server does not register it."""

    @abstractmethod
    def name(self) -> str: ...


class ClinicFormValidation(UsesServices, FormValidationAction, ABC):
    """A form validator over the core (`validate_<slot>` methods read `self.services`)."""

    @abstractmethod
    def name(self) -> str: ...
