"""Meta's message ids stored before decision 42, converted once to their keyed digest.

A Meta message id (`wamid.…`) is a base64 record that holds the sender's or recipient's number.
The tables keep only `Keyring.message_key(id)` now; versions before kept the id itself in
`whatsapp_inbound.message_id`, `whatsapp_outbound.wamid`, `reminders.wamid` and
`staff_alerts.external_id`. `digest_stored_ids` replaces each such value by its digest. It is
idempotent (a digest never starts with `wamid.`), safe with several processes at once (each UPDATE
names the raw value it replaces), and run by the processes that own these tables (the WhatsApp
channel and the worker) when they build the channel (`clinic.app.wiring.Services.whatsapp`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.engine import Connection

from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import (
    reminders,
    staff_alerts,
    whatsapp_inbound,
    whatsapp_outbound,
)

logger = logging.getLogger(__name__)

#: How every Meta message id begins; no digest (`m-…`) or e-mail Message-ID (`<…>`) does.
RAW_PREFIX = "wamid."
#: Every column that holds a Meta message id, as its digest.
MESSAGE_ID_COLUMNS: tuple[tuple[Table, str], ...] = (
    (whatsapp_inbound, "message_id"),
    (whatsapp_outbound, "wamid"),
    (reminders, "wamid"),
    (staff_alerts, "external_id"),
)
#: Values converted per transaction.
BATCH = 500


def digest_stored_ids(database: Database, message_key: Callable[[str], str]) -> int:
    """Replace every raw Meta id still stored by `message_key(id)`; returns how many rows
    changed (0 once done)."""
    changed = 0
    for table, name in MESSAGE_ID_COLUMNS:
        column = table.c[name]
        while True:
            with database.transaction() as connection:
                raw = (
                    connection.execute(
                        select(column).where(column.like(f"{RAW_PREFIX}%")).distinct().limit(BATCH)
                    )
                    .scalars()
                    .all()
                )
                for value in raw:
                    changed += _convert(connection, table, column, value, message_key(value))
            if len(raw) < BATCH:
                break
    if changed:
        logger.warning("%d stored WhatsApp message id(s) replaced by their digest", changed)
    return changed


def _convert(connection: Connection, table: Table, column: Column[str], raw: str, key: str) -> int:
    if (
        table is whatsapp_inbound
        and connection.execute(select(column).where(column == key)).first()
    ):
        # The same message claimed again under its digest meanwhile (a redelivery during the
        # upgrade): the digest's row is the one kept.
        return int(connection.execute(delete(table).where(column == raw)).rowcount or 0)
    replaced = update(table).where(column == raw).values({column.name: key})
    return int(connection.execute(replaced).rowcount or 0)
