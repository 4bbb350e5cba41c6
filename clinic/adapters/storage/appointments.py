"""Appointments: the system of record, over the SQL database.

A booking is one transaction inserting the appointment and its slot claims; the claims' primary
key is what refuses a second booking of the same time, whatever the number of processes.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import appointments, blocks, slot_claims
from clinic.domain.appointments import (
    Appointment,
    AppointmentNotFound,
    SlotTaken,
)
from clinic.domain.scheduling import Interval
from clinic.domain.statuses import (
    ACTIVE,
    APPOINTMENT_STATUSES,
    AppointmentStatus,
    Attendance,
    CalendarState,
)

CELL_SECONDS = 300


class AppointmentRepository:
    """The appointments table; the patient's name is sealed at rest (clinic.adapters.sealing)."""

    def __init__(self, db: Database, sealer: Sealer, buffer: timedelta = timedelta(0)) -> None:
        self.db = db
        self.sealer = sealer
        self.buffer = buffer

    def add(
        self,
        appointment: Appointment,
        now: datetime,
        also: Callable[[Connection], object] | None = None,
    ) -> Appointment:
        """Insert `appointment` with its claims, or raise SlotTaken if any cell is held.
        `also` writes more in the same transaction (the patient's name): all or nothing."""
        stored = replace(appointment, created_at=now, updated_at=now)
        try:
            with self.db.transaction() as connection:
                connection.execute(insert(appointments).values(**self._columns(stored)))
                connection.execute(insert(slot_claims), self._claims(stored))
                if also is not None:
                    also(connection)
        except IntegrityError as error:
            raise SlotTaken(appointment.start.isoformat()) from error
        return stored

    def get(self, appointment_id: str) -> Appointment | None:
        with self.db.engine.connect() as connection:
            row = connection.execute(
                select(appointments).where(appointments.c.id == appointment_id)
            ).first()
        return self._from_row(row) if row else None

    def holder(self, practitioner_id: str, start: datetime) -> Appointment | None:
        """The active appointment holding `start` for this practitioner, if any."""
        cell = int(start.timestamp()) // CELL_SECONDS
        with self.db.engine.connect() as connection:
            row = connection.execute(
                select(appointments)
                .join(slot_claims, slot_claims.c.appointment_id == appointments.c.id)
                .where(slot_claims.c.practitioner_id == practitioner_id, slot_claims.c.cell == cell)
            ).first()
        return self._from_row(row) if row else None

    def list(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: Sequence[AppointmentStatus] = APPOINTMENT_STATUSES,
        patient_id: str | None = None,
    ) -> list[Appointment]:
        query = select(appointments).where(appointments.c.status.in_(statuses))
        if start is not None:
            query = query.where(appointments.c.end_at > start)
        if end is not None:
            query = query.where(appointments.c.start_at < end)
        if patient_id is not None:
            query = query.where(appointments.c.patient_id == patient_id)
        with self.db.engine.connect() as connection:
            rows = connection.execute(query.order_by(appointments.c.start_at, appointments.c.id))
            return [self._from_row(row) for row in rows]

    def busy(self, start: datetime, end: datetime) -> dict[str | None, builtins.list[Interval]]:
        """Active appointments (with the buffer after each) and staff blocks over [start, end)."""
        result: dict[str | None, list[Interval]] = defaultdict(list)
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                select(
                    appointments.c.practitioner_id, appointments.c.start_at, appointments.c.end_at
                )
                .where(appointments.c.status.in_(ACTIVE))
                .where(appointments.c.start_at < end, appointments.c.end_at > start - self.buffer)
            )
            for practitioner_id, start_at, end_at in rows:
                result[practitioner_id].append(Interval(start_at, end_at + self.buffer))
            for practitioner_id, start_at, end_at in connection.execute(
                select(blocks.c.practitioner_id, blocks.c.start_at, blocks.c.end_at).where(
                    blocks.c.start_at < end, blocks.c.end_at > start
                )
            ):
                result[practitioner_id].append(Interval(start_at, end_at))
        return dict(result)

    def cancel(self, appointment_id: str, now: datetime) -> Appointment:
        """Mark cancelled and release the time; cancelling twice is harmless."""
        with self.db.transaction() as connection:
            row = connection.execute(
                select(appointments).where(appointments.c.id == appointment_id)
            ).first()
            if row is None:
                raise AppointmentNotFound(appointment_id)
            current = self._from_row(row)
            if current.status == "cancelled":
                return current
            connection.execute(
                delete(slot_claims).where(slot_claims.c.appointment_id == appointment_id)
            )
            connection.execute(
                update(appointments)
                .where(appointments.c.id == appointment_id)
                .values(status="cancelled", updated_at=now)
            )
        return replace(current, status="cancelled", updated_at=now)

    def promote(self, appointment_id: str, now: datetime) -> bool:
        """A pending request staff verified: pending → booked. False when it was not pending."""
        with self.db.transaction() as connection:
            changed = connection.execute(
                update(appointments)
                .where(appointments.c.id == appointment_id, appointments.c.status == "pending")
                .values(status="booked", updated_at=now)
            ).rowcount
        return bool(changed)

    def confirm(self, appointment_id: str, now: datetime) -> Appointment | None:
        """The patient said they will come: booked → confirmed. None when it is not active."""
        with self.db.transaction() as connection:
            connection.execute(
                update(appointments)
                .where(appointments.c.id == appointment_id, appointments.c.status == "booked")
                .values(status="confirmed", updated_at=now)
            )
        current = self.get(appointment_id)
        return current if current is not None and current.active else None

    def move(
        self, appointment_id: str, start: datetime, end: datetime, now: datetime
    ) -> Appointment:
        """Move an active appointment to [start, end) with the same practitioner, atomically.

        One transaction releases the old time and claims the new one: if the new time is taken
        the whole move rolls back (SlotTaken) and the patient keeps the old appointment; they
        never hold two, nor none. The id stays (calendar event, reminders, calendar file UID);
        the sequence goes up, and an outside event is marked to be moved.
        """
        with self.db.transaction() as connection:
            row = connection.execute(
                select(appointments).where(appointments.c.id == appointment_id).with_for_update()
            ).first()
            if row is None:
                raise AppointmentNotFound(appointment_id)
            current = self._from_row(row)
            if not current.active:
                raise AppointmentNotFound(appointment_id)
            moved = replace(
                current,
                start=start,
                end=end,
                sequence=current.sequence + 1,
                calendar_state="local" if current.calendar_state == "local" else "pending",
                updated_at=now,
            )
            connection.execute(
                delete(slot_claims).where(slot_claims.c.appointment_id == appointment_id)
            )
            try:  # raising rolls the whole move back: the old claims come back with it
                connection.execute(insert(slot_claims), self._claims(moved))
            except IntegrityError as error:
                raise SlotTaken(start.isoformat()) from error
            connection.execute(
                update(appointments)
                .where(appointments.c.id == appointment_id)
                .values(
                    start_at=start,
                    end_at=end,
                    sequence=moved.sequence,
                    calendar_state=moved.calendar_state,
                    updated_at=now,
                )
            )
        return moved

    def set_calendar_state(self, appointment_id: str, state: CalendarState, now: datetime) -> None:
        with self.db.transaction() as connection:
            connection.execute(
                update(appointments)
                .where(appointments.c.id == appointment_id)
                .values(calendar_state=state, updated_at=now)
            )

    def needing_sync(self) -> builtins.list[Appointment]:
        """Appointments whose outside calendar event still has to be written or removed."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                select(appointments).where(
                    and_(
                        appointments.c.calendar_state == "pending",
                        appointments.c.status != "pending",
                    )
                )
            )
            return [self._from_row(row) for row in rows]

    def _columns(self, appointment: Appointment) -> dict[str, object]:
        columns = {
            _COLUMN.get(f.name, f.name): getattr(appointment, f.name) for f in fields(Appointment)
        }
        columns["patient_name"] = self.sealer.seal(appointment.patient_name)
        return columns

    def _from_row(self, row: Row) -> Appointment:
        mapping = dict(row._mapping)
        mapping["patient_name"] = (
            self.sealer.open(mapping["patient_name"]) if mapping["patient_name"] else ""
        )
        return Appointment(
            **{f.name: mapping[_COLUMN.get(f.name, f.name)] for f in fields(Appointment)}
        )

    def mark(
        self, appointment_id: str, attendance: Attendance | None, now: datetime
    ) -> Appointment | None:
        """Record whether the patient came (None clears it); only on an active appointment."""
        with self.db.transaction() as connection:
            changed = connection.execute(
                update(appointments)
                .where(appointments.c.id == appointment_id, appointments.c.status.in_(ACTIVE))
                .values(attendance=attendance, updated_at=now)
            ).rowcount
        return self.get(appointment_id) if changed else None

    def no_shows(self, patient_ids: Sequence[str]) -> dict[str, int]:
        """Appointments each patient missed without notice (staff marked them no-show)."""
        if not patient_ids:
            return {}
        query = (
            select(appointments.c.patient_id, func.count())
            .where(
                appointments.c.patient_id.in_(list(patient_ids)),
                appointments.c.attendance == "no_show",
            )
            .group_by(appointments.c.patient_id)
        )
        with self.db.engine.connect() as connection:
            return {row[0]: row[1] for row in connection.execute(query)}

    def add_block(
        self, start: datetime, end: datetime, practitioner_id: str | None, label: str = ""
    ) -> None:
        with self.db.transaction() as connection:
            connection.execute(
                insert(blocks).values(
                    practitioner_id=practitioner_id, start_at=start, end_at=end, label=label
                )
            )

    def _claims(self, appointment: Appointment) -> builtins.list[dict[str, object]]:
        first = int(appointment.start.timestamp()) // CELL_SECONDS
        stop = -(-int((appointment.end + self.buffer).timestamp()) // CELL_SECONDS)
        return [
            {
                "practitioner_id": appointment.practitioner_id,
                "cell": cell,
                "appointment_id": appointment.id,
            }
            for cell in range(first, stop)
        ]


#: Appointment fields whose column has another name.
_COLUMN = {"start": "start_at", "end": "end_at"}
