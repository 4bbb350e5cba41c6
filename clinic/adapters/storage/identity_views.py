"""The identity-view trail: each time the console shows a signed-in staff member who a patient
is (their name or number), a row says who saw whom, when and where.

Health-data rules ask that access to identifying data be traceable (docs/privacy/). The rows
hold the staff member's e-mail and the pseudonymous patient id, never the name or number shown.
A page the inbox redraws every few seconds would write the same fact hundreds of times an hour,
so a view already written for the same staff member, patient and place within `REPEAT` is not
written again: the trail says « saw it at least once in these minutes ».
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import identity_views

#: A repeat of the same view within this span is the same view.
REPEAT = timedelta(minutes=10)
PLACES = ("inbox", "conversation", "search", "appointment", "agenda")


@dataclass(frozen=True)
class IdentityView:
    at: datetime
    staff: str
    patient_id: str
    place: str


class IdentityViews:
    """Append and read; there is no way to change or remove a row but a patient's erasure,
    which replaces their id by the erasure's token."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, staff: str, patient_ids: Iterable[str], place: str, now: datetime) -> int:
        """Write the views not already written within REPEAT; how many were written."""
        if place not in PLACES:
            raise ValueError(f"unknown place {place!r}")
        wanted = list(dict.fromkeys(patient_ids))
        if not wanted:
            return 0
        table = identity_views
        with self.database.transaction() as connection:
            recent = set(
                connection.execute(
                    select(table.c.patient_id).where(
                        table.c.staff == staff,
                        table.c.place == place,
                        table.c.at > now - REPEAT,
                        table.c.patient_id.in_(wanted),
                    )
                ).scalars()
            )
            rows = [
                {"at": now, "staff": staff, "patient_id": pid, "place": place}
                for pid in wanted
                if pid not in recent
            ]
            if rows:
                connection.execute(table.insert(), rows)
        return len(rows)

    def recent(self, limit: int = 200, patient_id: str | None = None) -> list[IdentityView]:
        """The latest views, newest first; only one patient's with `patient_id`."""
        table = identity_views
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if patient_id is not None:
            query = query.where(table.c.patient_id == patient_id)
        with self.database.transaction() as connection:
            rows = connection.execute(query).all()
        return [IdentityView(row.at, row.staff, row.patient_id, row.place) for row in rows]
