"""Work rows (reminders, outbox messages) that several workers share without sending twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement, Select

from clinic.storage.database import Database


def claim_each(
    database: Database,
    table: Table,
    candidates: Select,
    due: ColumnElement[Any],
    values: dict[str, Any],
    take: int | None = None,
) -> list[Row]:
    """Claim the rows `candidates` selects, one short transaction each.

    Each claim is a conditional UPDATE (same id, same status, still `due`): when two workers read
    the same candidate, the database lets exactly one of them change it, with no lock held between
    the read and the write and no `SELECT … FOR UPDATE` that SQLite lacks. Returns the rows won,
    as they were before the claim; stops after `take` wins.
    """
    with database.transaction() as connection:
        rows = connection.execute(candidates).all()
    won: list[Row] = []
    for row in rows:
        with database.transaction() as connection:
            claimed = connection.execute(
                update(table)
                .where(table.c.id == row.id, table.c.status == row.status, due)
                .values(values)
            ).rowcount
        if claimed:
            won.append(row)
            if take is not None and len(won) >= take:
                break
    return won
