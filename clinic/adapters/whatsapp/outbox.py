"""Table `whatsapp_outbound`: every message is written here before it is sent, so a crash loses
nothing, a patient's messages keep their order, and statuses from Meta have a row to land on.

Several senders share it: claims are conditional UPDATEs (`clinic.adapters.storage.claim_each`).
Meta's id of a sent message (its `wamid`, which encodes the recipient's number) is kept as a keyed
digest only (`Keyring.message_key`): `accepted` stores it, `record_status` looks it up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from clinic.adapters.logs import current_trace
from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database, claim_each
from clinic.adapters.storage.tables import whatsapp_outbound
from clinic.domain.statuses import UNFINISHED, OutboxStatus

#: How far each status is along the way; statuses from Meta only ever move forward.
STATUS_RANK: dict[OutboxStatus, int] = {
    "queued": 0,
    "sending": 1,
    "accepted": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "played": 5,
}


@dataclass(frozen=True)
class Outbound:
    id: int
    patient_id: str
    kind: str
    body: dict[str, Any] | None
    status: OutboxStatus
    attempts: int


@dataclass(frozen=True)
class OutboundView:
    """An outbox row for operators: ids and states, never the text or the number."""

    id: int
    patient_id: str
    kind: str
    status: OutboxStatus
    attempts: int
    error_code: int | None
    error_title: str | None
    created_at: datetime
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "patient_id": self.patient_id,
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
            "error_code": self.error_code,
            "error_title": self.error_title,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class Outbox:
    """Bodies (what the patient is told: names, times) are sealed until Meta accepts them."""

    def __init__(
        self, database: Database, sealer: Sealer, message_key: Callable[[str], str]
    ) -> None:
        """`message_key(wamid)`: the digest stored instead of Meta's id."""
        self.database = database
        self.sealer = sealer
        self.message_key = message_key

    def enqueue(
        self, patient_id: str, kind: str, body: dict[str, Any], now: datetime, lease: timedelta
    ) -> tuple[int, bool]:
        """Record a message to send. Returns (id, claimed).

        Claimed means the caller sends it now. A message is never claimed while an earlier one
        to the same patient is unfinished: it waits in the queue, and the worker keeps the order.
        """
        table = whatsapp_outbound
        with self.database.transaction() as connection:
            earlier = connection.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.patient_id == patient_id, table.c.status.in_(UNFINISHED))
            ).scalar_one()
            claimed = earlier == 0
            result = connection.execute(
                table.insert().values(
                    patient_id=patient_id,
                    kind=kind,
                    body=self.sealer.seal(json.dumps(body, ensure_ascii=False)),
                    status="sending" if claimed else "queued",
                    attempts=0,
                    next_attempt_at=now,
                    lease_until=now + lease if claimed else None,
                    created_at=now,
                    updated_at=now,
                    trace_id=current_trace(),
                )
            )
            return int(result.inserted_primary_key[0]), claimed

    def queue(self, patient_id: str, kind: str, body: dict[str, Any], now: datetime) -> int:
        """Leave a message for the worker (from a process that does not send: the staff CLI)."""
        with self.database.transaction() as connection:
            result = connection.execute(
                whatsapp_outbound.insert().values(
                    patient_id=patient_id,
                    kind=kind,
                    body=self.sealer.seal(json.dumps(body, ensure_ascii=False)),
                    status="queued",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                    trace_id=current_trace(),
                )
            )
        return int(result.inserted_primary_key[0])

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 50) -> list[Outbound]:
        """Take due messages for sending: the oldest unfinished one of each patient only.

        A row in `sending` whose lease ran out belonged to a process that died mid-send: it is
        due again. The conditional UPDATE lets only one worker win each row.
        """
        table = whatsapp_outbound
        due = or_(
            and_(table.c.status == "queued", table.c.next_attempt_at <= now),
            and_(table.c.status == "sending", table.c.lease_until < now),
        )
        first_unfinished = (
            select(table.c.patient_id, func.min(table.c.id).label("first_id"))
            .where(table.c.status.in_(UNFINISHED))
            .group_by(table.c.patient_id)
            .subquery()
        )
        rows = claim_each(
            self.database,
            table,
            select(table)
            .join(first_unfinished, first_unfinished.c.first_id == table.c.id)
            .where(due)
            .order_by(table.c.id)
            .limit(limit),
            due,
            {"status": "sending", "lease_until": now + lease, "updated_at": now},
        )
        return [
            Outbound(
                row.id,
                row.patient_id,
                row.kind,
                self._body(row.body),
                "sending",
                row.attempts,
            )
            for row in rows
        ]

    def _body(self, sealed: str | None) -> dict[str, Any] | None:
        if not sealed:
            return None
        try:
            body = json.loads(self.sealer.open(sealed))
        except ValueError:
            return None  # unreadable: recorded as lost by the sender
        return body if isinstance(body, dict) else None

    def accepted(self, outbound_id: int, wamid: str, attempts: int, now: datetime) -> None:
        """Meta took the message: keep its wamid's digest for statuses, drop the text."""
        self._finish(
            outbound_id,
            now,
            status="accepted",
            wamid=self.message_key(wamid),
            attempts=attempts,
            body=None,
        )

    def failed(self, outbound_id: int, code: int, title: str, attempts: int, now: datetime) -> None:
        self._finish(
            outbound_id,
            now,
            status="failed",
            error_code=code,
            error_title=title[:200],
            attempts=attempts,
            body=None,
            lease_until=None,
        )

    def retry_later(
        self, outbound_id: int, at: datetime, code: int, title: str, attempts: int, now: datetime
    ) -> None:
        self._finish(
            outbound_id,
            now,
            status="queued",
            next_attempt_at=at,
            lease_until=None,
            error_code=code,
            error_title=title[:200],
            attempts=attempts,
        )

    def _finish(self, outbound_id: int, now: datetime, **values: Any) -> None:
        table = whatsapp_outbound
        with self.database.transaction() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == outbound_id, table.c.status == "sending")
                .values(updated_at=now, **values)
            )

    def record_status(
        self, wamid: str, status: str, errors: Iterable[tuple[int, str]], now: datetime
    ) -> bool:
        """Apply Meta's status to our message; False for an unknown wamid or a step backwards."""
        table = whatsapp_outbound
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == "failed":
            # A failure reported after delivery cannot be; one before it wins.
            allowed = [s for s, rank in STATUS_RANK.items() if 2 <= rank < 4]
            first = next(iter(errors), None)
            if first:
                values.update(error_code=first[0], error_title=first[1][:200])
        elif status in STATUS_RANK:
            allowed = [s for s, rank in STATUS_RANK.items() if 2 <= rank < STATUS_RANK[status]]
        else:
            return False
        with self.database.transaction() as connection:
            changed = connection.execute(
                update(table)
                .where(table.c.wamid == self.message_key(wamid), table.c.status.in_(allowed))
                .values(values)
            ).rowcount
        return bool(changed)

    def sent_recently(self, patient_id: str, kind: str, since: datetime) -> bool:
        table = whatsapp_outbound
        with self.database.transaction() as connection:
            return (
                connection.execute(
                    select(table.c.id).where(
                        table.c.patient_id == patient_id,
                        table.c.kind == kind,
                        table.c.created_at >= since,
                    )
                ).first()
                is not None
            )

    def outbox(
        self, patient_id: str | None = None, status: OutboxStatus | None = None, limit: int = 200
    ) -> list[OutboundView]:
        table = whatsapp_outbound
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if patient_id:
            query = query.where(table.c.patient_id == patient_id)
        if status:
            query = query.where(table.c.status == status)
        with self.database.transaction() as connection:
            rows = connection.execute(query).all()
        return [
            OutboundView(
                row.id,
                row.patient_id,
                row.kind,
                row.status,
                row.attempts,
                row.error_code,
                row.error_title,
                row.created_at,
                row.updated_at,
            )
            for row in reversed(rows)
        ]
