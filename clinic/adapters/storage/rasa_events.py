"""Rasa's tracker table, as the core reads it: with SQL, never through Rasa.

The table is Rasa's (created by its SQLTrackerStore; `connectors/tracker_store.py` seals the
`data` column). The pilot report and the trainers' export read it; only this module knows its
shape and how an event's data is opened.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from clinic.adapters.sealing import PREFIX, Sealer

#: A description, not part of the core's schema: `Database.create_schema` never creates it.
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)


def exists(connection: sa.engine.Connection) -> bool:
    """False when Rasa never ran on this database."""
    return bool(sa.inspect(connection).has_table("events"))


def open_event(data: str | None, sealer: Sealer) -> dict[str, Any] | None:
    """An event's data as Rasa wrote it, sealed or (older rows) clear; None if unreadable."""
    if not data:
        return None
    try:
        loaded = json.loads(sealer.open(data) if data.startswith(PREFIX) else data)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None
