"""Work rows (reminders, staff alerts, outbox messages) that several workers share without
sending twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, and_, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement, Select

from clinic.adapters.storage.database import Database


def claim_each(
    database: Database,
    table: Table,
    candidates: Select,
    due: ColumnElement[Any],
    values: dict[str, Any],
    take: int | None = None,
    key: Column[Any] | None = None,
) -> list[Row]:
    """Claim the rows `candidates` selects, one short transaction each.

    Each claim is a conditional UPDATE (same id, same status, still `due`): when two workers read
    the same candidate, the database lets exactly one of them change it, with no lock held between
    the read and the write and no `SELECT … FOR UPDATE` that SQLite lacks. Returns the rows won,
    as they were before the claim; stops after `take` wins. `key`: the primary key column
    (default `id`); a table without `status` is matched on `due` alone.
    """
    key = table.c.id if key is None else key
    with database.transaction() as connection:
        rows = connection.execute(candidates).all()
    won: list[Row] = []
    for row in rows:
        with database.transaction() as connection:
            same = key == row._mapping[key.name]
            if "status" in table.c:
                same = and_(same, table.c.status == row.status)
            claimed = connection.execute(update(table).where(same, due).values(values)).rowcount
        if claimed:
            won.append(row)
            if take is not None and len(won) >= take:
                break
    return won


class LeasedQueue:
    """A table of jobs sent one at a time by whichever worker claims them (reminders, staff
    alerts): `pending` until its `due` column passes, then `sending` under a lease; a worker that
    dies holds its row only until the lease ends. Columns used: id, status, attempts,
    lease_until, updated_at, and `due`."""

    def __init__(self, database: Database, table: Table, due: Column[Any]) -> None:
        self.database = database
        self.table = table
        self.due = due

    def claim(
        self, now: datetime, lease: timedelta, take: int | None = None, scan: int = 100
    ) -> list[Row]:
        """Take up to `take` due rows (among the `scan` oldest), each won by one worker only."""
        table = self.table
        due = or_(
            and_(table.c.status == "pending", self.due <= now),
            and_(table.c.status == "sending", table.c.lease_until < now),
        )
        return claim_each(
            self.database,
            table,
            select(table).where(due).order_by(self.due, table.c.id).limit(scan),
            due,
            {
                "status": "sending",
                "lease_until": now + lease,
                "attempts": table.c.attempts + 1,
                "updated_at": now,
            },
            take,
        )

    def finish(self, row_id: int, values: dict[str, Any]) -> bool:
        """Record a claimed row's outcome; False when it is no longer `sending` (cancelled, or
        settled meanwhile by the channel's status callback)."""
        table = self.table
        with self.database.transaction() as connection:
            return bool(
                connection.execute(
                    update(table)
                    .where(table.c.id == row_id, table.c.status == "sending")
                    .values(lease_until=None, **values)
                ).rowcount
            )
