"""The audit trail: an append-only record of every booking, change and cancellation.

Staff and the practice's DPO can answer « who cancelled this, and when? » without reading a
conversation. It holds ids, times and states: never a name, a number or a reason's text, so it
can outlive a patient's GDPR deletion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from clinic.adapters import metrics
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import audit_log
from clinic.domain.appointments import Appointment
from clinic.domain.statuses import ACTOR_KINDS, ActorKind, AuditAction


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"unknown actor {self.kind!r}")


SYSTEM = Actor("system")


def snapshot(appointment: Appointment | None) -> dict[str, Any] | None:
    """What the trail keeps of an appointment: ids, times and states only."""
    if appointment is None:
        return None
    return {
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "practitioner_id": appointment.practitioner_id,
        "reason_id": appointment.reason_id,
        "status": appointment.status,
        "sequence": appointment.sequence,
        "attendance": appointment.attendance,
    }


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    actor_id: str | None
    action: str
    appointment_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_json(self, tz: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.astimezone(tz).isoformat(),
            "actor": self.actor,
            "actor_id": self.actor_id,
            "action": self.action,
            "appointment_id": self.appointment_id,
            "before": self.before,
            "after": self.after,
        }


class AuditTrail:
    """Append and read; there is deliberately no way to change or remove an entry."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self,
        action: AuditAction,
        actor: Actor,
        appointment_id: str,
        before: Appointment | None,
        after: Appointment | None,
        at: datetime,
    ) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                audit_log.insert().values(
                    at=at,
                    actor=actor.kind,
                    actor_id=actor.id,
                    action=action,
                    appointment_id=appointment_id,
                    before=_dump(snapshot(before)),
                    after=_dump(snapshot(after)),
                )
            )
        metrics.APPOINTMENT_CHANGES.labels(action, actor.kind).inc()

    def entries(self, appointment_id: str | None = None, limit: int = 1000) -> list[Entry]:
        query = select(audit_log).order_by(audit_log.c.id).limit(limit)
        if appointment_id:
            query = query.where(audit_log.c.appointment_id == appointment_id)
        with self.database.transaction() as connection:
            rows = connection.execute(query).all()
        return [
            Entry(
                row.id,
                row.at,
                row.actor,
                row.actor_id,
                row.action,
                row.appointment_id,
                json.loads(row.before) if row.before else None,
                json.loads(row.after) if row.after else None,
            )
            for row in rows
        ]


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)
