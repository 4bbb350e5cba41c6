"""Rasa's SQL tracker store with every event's data sealed at rest (clinic.adapters.sealing).

Tracker events hold what patients wrote, the names they gave (texts, entities, slot values):
health data that Rasa Open Source 3.6 stores verbatim. This store keeps Rasa's table and queries
(sender id, type, timestamp, intent and action names stay readable for Rasa's session logic and
for erasure) and seals only the `data` column. Events written before it (clear JSON) still load.

Rasa builds the store from endpoints.yml; its sealer and its database engine are the process's,
from the composition root (`clinic.app.process.process_services`): one pool per process, with
the core's pre-ping and SQLite settings. The URL in endpoints.yml must be DATABASE_URL.

    tracker_store:
      type: connectors.tracker_store.SealedSQLTrackerStore
      url: ${DATABASE_URL}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import InterfaceError, OperationalError

from clinic.adapters.sealing import PREFIX, Sealer
from clinic.app.process import process_services
from clinic.app.wiring import Services

logger = logging.getLogger(__name__)


class ConversationStoreDown(BaseException):  # noqa: N818 (what it says, not an "Error")
    """The database cannot be read or written. A BaseException on purpose: Rasa wraps every
    tracker store in a FailSafeTrackerStore that catches each Exception and then runs the turn
    on an empty tracker kept in memory: the conversation forgotten, its new events lost. This
    goes through it; the WhatsApp channel leaves the message for a retry (decision 30)."""


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise ConversationStoreDown(type(error.orig).__name__) from error


class SealedSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        *args: Any,
        services: Services | None = None,
        sealer: Sealer | None = None,
        **kwargs: Any,
    ) -> None:
        """`services`: the process's by default; `sealer`: another key (tests of a key change)."""
        super().__init__(*args, **kwargs)  # Rasa's own engine: it creates Rasa's table, then goes
        services = services or process_services()
        self.sealer = sealer or services.sealer
        rasa_engine: sa.engine.Engine = self.engine  # type: ignore[has-type]
        ours = services.database.engine
        if rasa_engine.url.render_as_string(False) != ours.url.render_as_string(False):
            raise ValueError("endpoints.yml: the tracker store's url must be DATABASE_URL")
        # The core's engine: it tests a pooled connection before use (after a database restart
        # each stale one would otherwise fail a patient's turn once), and on SQLite it waits
        # for the write lock instead of failing.
        self.engine = ours
        self.sessionmaker = sa.orm.session.sessionmaker(bind=ours)
        rasa_engine.dispose()

    def _open(self, data: str) -> dict[str, Any] | None:
        """The event, or None when this key cannot read it (logged: it is lost to the dialogue,
        never read as something else)."""
        try:
            loaded = json.loads(self.sealer.open(data) if data.startswith(PREFIX) else data)
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            logger.error("a tracker event cannot be read with DATA_ENCRYPTION_KEY: skipped")
            return None
        return loaded

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with _reachable(), self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [event for row in rows if (event := self._open(row.data)) is not None]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As Rasa's own save, the data column sealed."""
        await self.stream_events(tracker)
        with _reachable(), self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=self.sealer.seal(json.dumps(data)),
                    )
                )
            session.commit()
