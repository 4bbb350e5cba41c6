"""Where an action gets the core: the process's composition root, or what a test hands in;
and where it runs: off the action server's event loop.

Every action and validator takes its `Services` once in `run()` and passes them on explicitly,
so no helper reaches for a global and a test needs no patching: `ActionX(services).run(...)`.

The core is synchronous (SQLAlchemy, Duckling over HTTP, Google's client with its backoff):
run on rasa-sdk's single event loop, one slow call would stall every patient. So each `run`
executes in a worker thread, with an event loop of its own for the coroutine: the server's loop
stays free for other patients' requests.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import get_context
from clinic.adapters.logs import traced
from clinic.app.wiring import Services

logger = logging.getLogger(__name__)


class UsesServices:
    def __init__(self, services: Services | None = None) -> None:
        # rasa-sdk registers actions by calling the class with no argument: then the process's
        # composition root is used, built on the first call.
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or get_context()


R = TypeVar("R")
Run = Callable[..., Coroutine[Any, Any, R]]


def off_the_loop(run: Run[R]) -> Run[R]:
    """`run`, executed in a worker thread with its own event loop, under the trace id of the
    message that caused it (so the action's log lines join the Rasa process's)."""

    @functools.wraps(run)
    async def wrapper(*args: Any) -> R:
        with traced(trace_of(args[2] if len(args) > 2 else None)):
            announce(args[0], args[2] if len(args) > 2 else None)
            return await asyncio.to_thread(asyncio.run, run(*args))

    return wrapper


def trace_of(tracker: Tracker | None) -> str | None:
    """The trace id the WhatsApp channel put in the message's metadata (None elsewhere)."""
    if tracker is None:
        return None
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            trace = (event.get("metadata") or {}).get("trace_id")
            return str(trace) if trace else None
    return None


def announce(action: Any, tracker: Tracker | None) -> None:
    """One line per action run: which, and on what intent (for `clinic trace`)."""
    intent = ((tracker.latest_message or {}).get("intent") or {}) if tracker else {}
    logger.info(
        "action %s",
        action.name(),
        extra={"intent": intent.get("name"), "confidence": intent.get("confidence")},
    )


class ClinicAction(UsesServices, Action, ABC):
    """An action over the core. Abstract, so the action server does not register it."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = off_the_loop(cls.__dict__["run"])

    @abstractmethod
    def name(self) -> str: ...


class ClinicFormValidation(UsesServices, FormValidationAction, ABC):
    """A form validator over the core (`validate_<slot>` methods read `self.services`)."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """rasa-sdk's validation (which calls our synchronous validators), off the loop."""
        parent = super().run
        with traced(trace_of(tracker)):
            announce(self, tracker)
            return await asyncio.to_thread(asyncio.run, parent(dispatcher, tracker, domain))


class ClinicSlotExtraction(UsesServices, ValidationAction, ABC):
    """The custom slot mappings over the core: `extract_<slot>` methods, read in the one call
    Rasa makes after its own mappings on every user message (`action_validate_slot_mappings`,
    rasa-sdk's `ValidationAction`), off the loop.

    Only extraction: the form's validator checks the values (`validate_booking_form`), so
    rasa-sdk's validation pass, which here would only log « no validation method », is skipped.
    A slot that one of the domain's own mappings filled from this message is left to it."""

    @property
    @abstractmethod
    def slots(self) -> tuple[str, ...]:
        """The slots with an `extract_<slot>` method, in the order they are read (a class
        attribute in the subclass); abstract, so the action server registers only that one."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        filled = tracker.slots_to_validate()  # by the domain's mappings, from this message
        return [slot for slot in self.slots if slot not in filled]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        extract = self.get_extraction_events
        with traced(trace_of(tracker)):
            announce(self, tracker)
            return await asyncio.to_thread(asyncio.run, extract(dispatcher, tracker, domain))
