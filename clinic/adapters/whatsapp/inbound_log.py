"""Table `whatsapp_inbound`: each message id Meta delivered, so a redelivery never runs a second
turn (the primary key decides), and what became of it.

Handling is at least once: the claim keeps the message (sealed) under a lease until its outcome
is recorded; a process that died mid-turn (kill -9, a database restart) leaves it `received`,
and once the lease ends any replica takes it up again (`claim_stale`). A redelivery from Meta
meanwhile is still a duplicate: the lease, not Meta, decides when to try again.

Meta's message id encodes the sender's number: the table keeps only its keyed digest
(`Keyring.message_key`, handed in as `message_key`), and every method given an id digests it
first. The id itself lives on in the sealed body only, while the message is being handled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters import metrics
from clinic.adapters.storage import Database, claim_each
from clinic.adapters.storage.tables import whatsapp_inbound
from clinic.adapters.whatsapp.contacts import insert_once
from clinic.domain.statuses import InboundOutcome


class InboundLog:
    def __init__(self, database: Database, message_key: Callable[[str], str]) -> None:
        """`message_key(message_id)`: the digest stored instead of Meta's id."""
        self.database = database
        self.message_key = message_key

    def claim_inbound(
        self,
        message_id: str,
        patient_id: str,
        kind: str,
        sent_at: datetime,
        now: datetime,
        body: str | None = None,
        lease: timedelta = timedelta(minutes=2),
    ) -> bool:
        """True for the first delivery of `message_id`, False for every later one. `body` is
        the message, sealed, kept until its outcome is recorded."""
        return insert_once(
            self.database,
            whatsapp_inbound,
            message_id=self.message_key(message_id),
            patient_id=patient_id,
            kind=kind,
            sent_at=sent_at,
            received_at=now,
            outcome="received",
            body=body,
            lease_until=now + lease,
            attempts=1,
        )

    def set_outcome(self, message_id: str, outcome: InboundOutcome) -> None:
        """The message is handled: its body and lease go. (The time is the wall clock's: it
        times the turn for `clinic trace`.)"""
        self.set_outcome_of(self.message_key(message_id), outcome)

    def set_outcome_of(self, key: str, outcome: InboundOutcome) -> None:
        """`set_outcome` for a row known by its stored key (`claim_stale`'s: a message whose
        body cannot be read any more has no id to digest)."""
        with self.database.transaction() as connection:
            connection.execute(
                update(whatsapp_inbound)
                .where(whatsapp_inbound.c.message_id == key)
                .values(
                    outcome=outcome,
                    body=None,
                    lease_until=None,
                    handled_at=datetime.now(timezone.utc),
                )
            )
        metrics.MESSAGES_HANDLED.labels(outcome).inc()

    def renew(self, message_id: str, until: datetime) -> None:
        """A turn still running keeps its message (nobody else takes it up meanwhile)."""
        table = whatsapp_inbound
        with self.database.transaction() as connection:
            connection.execute(
                update(table)
                .where(
                    table.c.message_id == self.message_key(message_id),
                    table.c.outcome == "received",
                )
                .values(lease_until=until)
            )

    def claim_stale(
        self, now: datetime, lease: timedelta, limit: int = 20
    ) -> list[tuple[str, str | None, int]]:
        """Messages left `received` by a process that died: (stored key, sealed body, attempt),
        each taken by one process only (a conditional UPDATE). Meta's id is in the body."""
        table = whatsapp_inbound
        due = and_(table.c.outcome == "received", table.c.lease_until < now)
        rows = claim_each(
            self.database,
            table,
            select(table).where(due).order_by(table.c.received_at).limit(limit),
            due,
            {"lease_until": now + lease, "attempts": table.c.attempts + 1},
            key=table.c.message_id,
        )
        return [(row.message_id, row.body, row.attempts + 1) for row in rows]

    def rekey(self, key: str, message_id: str) -> bool:
        """A row stored under a key `clinic keys rotate` replaced since (its digest is not
        `message_key(message_id)` any more), put under the current key; False when the message
        is already there under it (a redelivery claimed it meanwhile): the old row goes."""
        table = whatsapp_inbound
        try:
            with self.database.transaction() as connection:
                connection.execute(
                    update(table)
                    .where(table.c.message_id == key)
                    .values(message_id=self.message_key(message_id))
                )
        except IntegrityError:
            with self.database.transaction() as connection:
                connection.execute(delete(table).where(table.c.message_id == key))
            return False
        return True

    def inbound_outcomes(self, patient_id: str | None = None) -> dict[str, str]:
        """Each message's outcome, by stored key."""
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
