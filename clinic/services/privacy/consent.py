"""Information and consent (GDPR arts. 13 and 6(1)(a)): which notice a patient has seen, and
their answer about reminders, each kept with the notice's version so that a new notice is
shown again and a « no » is honoured until the patient says otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update

from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.tables import consents, reminders
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.practice import Practice
from clinic.domain.statuses import ACTIVE

ConsentKind = Literal["notice", "reminders"]


class Consents:
    """The notice shown and the answers given, newest last (table `consents`)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self, patient_id: str, kind: ConsentKind, value: str, version: str, now: datetime
    ) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                consents.insert().values(
                    patient_id=patient_id, kind=kind, value=value, version=version, at=now
                )
            )

    def latest(self, patient_id: str, kind: ConsentKind) -> tuple[str, str] | None:
        """(value, version) of the newest record of `kind`, or None."""
        query = (
            select(consents.c.value, consents.c.version)
            .where(consents.c.patient_id == patient_id, consents.c.kind == kind)
            .order_by(consents.c.id.desc())
            .limit(1)
        )
        with self.database.transaction() as connection:
            row = connection.execute(query).first()
        return (row.value, row.version) if row else None

    def reminders_allowed(self, patient_id: str, mode: str) -> bool:
        """`mode` is practice.yml's `privacy.reminder_consent` (ask, required, none)."""
        if mode == "none":
            return True
        latest = self.latest(patient_id, "reminders")
        answer = latest[0] if latest else None
        return answer == "yes" if mode == "required" else answer != "no"

    def history(self, patient_id: str) -> list[dict[str, Any]]:
        query = select(consents).where(consents.c.patient_id == patient_id).order_by(consents.c.id)
        with self.database.transaction() as connection:
            return [
                {"kind": r.kind, "value": r.value, "version": r.version, "at": r.at.isoformat()}
                for r in connection.execute(query).all()
            ]


class ConsentService:
    """The notice and the reminders question, as the practice's settings ask for them."""

    def __init__(
        self,
        database: Database,
        *,
        appointments: AppointmentRepository,
        plan_reminders: Callable[[Appointment, datetime], object],
        consents: Consents,
        practice: Practice,
        clock: Clock,
    ) -> None:
        """`plan_reminders` is the reminder scheduler's: a « yes » plans what a « no » skipped."""
        self.database = database
        self.appointments = appointments
        self.plan_reminders = plan_reminders
        self.consents = consents
        self.practice = practice
        self.clock = clock

    def notice_due(self, patient_id: str) -> bool:
        """Whether this patient has not seen the current notice yet."""
        seen = self.consents.latest(patient_id, "notice")
        return seen is None or seen[1] != self.practice.privacy.notice_version

    def notice_shown(self, patient_id: str) -> None:
        self.consents.record(
            patient_id, "notice", "shown", self.practice.privacy.notice_version, self.clock.now()
        )

    def reminder_answer(self, patient_id: str) -> str | None:
        """« yes », « no », or None when not asked yet."""
        latest = self.consents.latest(patient_id, "reminders")
        return latest[0] if latest else None

    def reminders_allowed(self, patient_id: str) -> bool:
        return self.consents.reminders_allowed(patient_id, self.practice.privacy.reminder_consent)

    def should_ask_reminders(self, patient_id: str) -> bool:
        """Ask once, after a booking, when the practice asks and the patient never answered."""
        mode = self.practice.privacy.reminder_consent
        return mode != "none" and self.reminder_answer(patient_id) is None

    def set_reminders(self, patient_id: str, wanted: bool) -> None:
        """Record the answer; a « no » cancels the reminders not sent yet, a « yes » plans
        those of the upcoming appointments."""
        version = self.practice.privacy.notice_version
        now = self.clock.now()
        self.consents.record(patient_id, "reminders", "yes" if wanted else "no", version, now)
        upcoming = self.appointments.list(now, statuses=ACTIVE, patient_id=patient_id)
        if wanted:
            for appointment in upcoming:
                self.plan_reminders(appointment, now)
            return
        ids = [a.id for a in upcoming]
        if ids:
            with self.database.transaction() as connection:
                connection.execute(
                    update(reminders)
                    .where(reminders.c.appointment_id.in_(ids), reminders.c.status == "pending")
                    .values(status="cancelled", note="declined by the patient", updated_at=now)
                )
