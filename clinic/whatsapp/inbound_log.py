"""Table `whatsapp_inbound`: each message id Meta delivered, so a redelivery never runs a second
turn (the primary key decides), and what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update

from clinic.statuses import InboundOutcome
from clinic.storage import Database
from clinic.storage.tables import whatsapp_inbound
from clinic.whatsapp.contacts import insert_once


class InboundLog:
    def __init__(self, database: Database) -> None:
        self.database = database

    def claim_inbound(
        self, message_id: str, patient_id: str, kind: str, sent_at: datetime, now: datetime
    ) -> bool:
        """True for the first delivery of `message_id`, False for every later one."""
        return insert_once(
            self.database,
            whatsapp_inbound,
            message_id=message_id,
            patient_id=patient_id,
            kind=kind,
            sent_at=sent_at,
            received_at=now,
            outcome="received",
        )

    def set_outcome(self, message_id: str, outcome: InboundOutcome) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                update(whatsapp_inbound)
                .where(whatsapp_inbound.c.message_id == message_id)
                .values(outcome=outcome)
            )

    def inbound_outcomes(self, patient_id: str | None = None) -> dict[str, str]:
        query = select(whatsapp_inbound.c.message_id, whatsapp_inbound.c.outcome)
        if patient_id:
            query = query.where(whatsapp_inbound.c.patient_id == patient_id)
        with self.database.transaction() as connection:
            return {row.message_id: row.outcome for row in connection.execute(query)}

    def count_since(self, patient_id: str, since: datetime) -> int:
        """Messages received from this patient since `since` (the rate limit's count)."""
        table = whatsapp_inbound
        with self.database.transaction() as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.patient_id == patient_id, table.c.received_at >= since)
                ).scalar_one()
            )

    def purge_inbound(self, before: datetime) -> int:
        """Forget message ids received before `before` (callers keep at least 7 days)."""
        with self.database.transaction() as connection:
            result = connection.execute(
                delete(whatsapp_inbound).where(whatsapp_inbound.c.received_at < before)
            )
        return result.rowcount or 0
