"""Erasure (GDPR art. 17), asked for by the patient in a message or done by staff.

Erasure removes everything that could point to the person (their conversation in Rasa's tracker
store and in the staff transcript, their name, number, message ids, outbox rows, consent records,
conversations with staff and their alerts, the export links not used yet), cancels their future appointments (time freed, the
calendar event removed, reminders cancelled) and anonymises the past ones (a random token instead
of the pseudonymous id, no name; times and reason ids stay for the practice's statistics, the
audit trail keeps its entries under the same token; their reminders keep their times and states
for the report, without the id of the message sent, and none is left to send). What remains is the proof that it was done
(table `erasures`), which names nobody.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.tables import (
    appointments,
    audit_log,
    consents,
    conversation_log,
    conversations,
    erasure_requests,
    erasures,
    export_links,
    identity_views,
    patients,
    reminders,
    staff_alerts,
    waitlist,
    waitlist_holds,
    whatsapp_contacts,
    whatsapp_inbound,
    whatsapp_outbound,
)
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.practice import Practice
from clinic.domain.statuses import ACTIVE
from clinic.services.alerts import AlertRepository

# The package's name, as before the split: log filters and dashboards select on it.
logger = logging.getLogger("clinic.services.privacy")

#: Tables whose rows about a patient go with them, by their `patient_id`. (`reminders` has no
#: patient id: its rows follow the appointments, anonymised with them, `anonymise_reminders`.)
ERASED_WITH_THE_PATIENT: tuple[Table, ...] = (
    patients,
    whatsapp_contacts,
    whatsapp_inbound,
    whatsapp_outbound,
    conversations,
    conversation_log,
    staff_alerts,
    consents,
    export_links,  # every outstanding « mes données » link then answers like an expired one
    waitlist_holds,  # before the wishes they belong to
    waitlist,
)
#: An erasure asked for by message waits for its turn to be saved, then is swept once more.
ERASURE_DELAY = timedelta(seconds=20)
ERASURE_SWEEP = timedelta(minutes=5)


@dataclass(frozen=True)
class Erasure:
    token: str
    cancelled: list[Appointment]
    anonymised: int
    at: datetime


class ErasureService:
    """Forgets a patient, at once (staff, retention) or once their turn is saved (by message)."""

    def __init__(
        self,
        database: Database,
        *,
        appointments: AppointmentRepository,
        cancel: Callable[[str, Actor], Appointment],
        alerts: AlertRepository,
        practice: Practice,
        clock: Clock,
        sealer: Sealer,
    ) -> None:
        """`cancel` is the booking service's (calendar freed, event removed, reminders)."""
        self.database = database
        self.appointments = appointments
        self.cancel = cancel
        self.alerts = alerts
        self.practice = practice
        self.clock = clock
        self.sealer = sealer

    def request_erasure(self, patient_id: str) -> None:
        """An erasure asked for during a turn: the worker does it once the turn is saved (Rasa
        writes the turn's events after the actions), then once more a few minutes later."""
        try:
            with self.database.transaction() as connection:
                connection.execute(
                    erasure_requests.insert().values(
                        patient_id=patient_id, due_at=self.clock.now() + ERASURE_DELAY, passes=0
                    )
                )
        except IntegrityError:
            pass  # already asked

    def run_requested_erasures(self) -> int:
        """The worker's part: each due request, erased (first pass) or swept (second)."""
        now = self.clock.now()
        table = erasure_requests
        with self.database.transaction() as connection:
            due = connection.execute(select(table).where(table.c.due_at <= now)).all()
        for request in due:
            mine = table.c.patient_id == request.patient_id
            if request.passes == 0:
                self.erase(request.patient_id, Actor("patient", request.patient_id))
                with self.database.transaction() as connection:
                    connection.execute(
                        update(table).where(mine).values(passes=1, due_at=now + ERASURE_SWEEP)
                    )
            else:
                with self.database.transaction() as connection:
                    self._forget(connection, request.patient_id)
                    connection.execute(delete(table).where(mine))
        return len(due)

    def erase(self, patient_id: str, actor: Actor) -> Erasure:
        """Forget the patient (module docstring). Safe to run twice."""
        now = self.clock.now()
        cancelled = []
        for appointment in self.appointments.list(now, statuses=ACTIVE, patient_id=patient_id):
            cancelled.append(self.cancel(appointment.id, actor))
        token = "erased-" + secrets.token_hex(12)
        with self.database.transaction() as connection:
            anonymised = self._anonymise(connection, patient_id, token)
            self._forget(connection, patient_id)
            connection.execute(
                erasures.insert().values(
                    token=token,
                    actor=actor.kind if actor.kind != "system" else "retention",
                    at=now,
                    cancelled=len(cancelled),
                    anonymised=anonymised,
                )
            )
        if cancelled and actor.kind == "patient":
            # Staff learn that time was freed (the patient, by design, cannot be named).
            self.alerts.queue(token, 1, "erasure", 1, self.practice.staff_alerts, now)
        logger.warning("a patient's data was erased", extra={"erasure": token})
        return Erasure(token, cancelled, anonymised, now)

    @staticmethod
    def _forget(connection: Any, patient_id: str) -> None:
        for table in ERASED_WITH_THE_PATIENT:
            connection.execute(delete(table).where(table.c.patient_id == patient_id))
        if inspect(connection).has_table("events"):  # Rasa's tracker store, same database
            connection.execute(text("DELETE FROM events WHERE sender_id = :id"), {"id": patient_id})

    def _anonymise(self, connection: Any, patient_id: str, token: str) -> int:
        """Appointments and audit entries keep their facts under `token`, with no name."""
        changed = connection.execute(
            update(appointments)
            .where(appointments.c.patient_id == patient_id)
            .values(patient_id=token, patient_name=self.sealer.seal(""), note=None)
        ).rowcount
        anonymise_reminders(
            connection, select(appointments.c.id).where(appointments.c.patient_id == token)
        )
        connection.execute(
            update(audit_log)
            .where(audit_log.c.actor == "patient", audit_log.c.actor_id == patient_id)
            .values(actor_id=token)
        )
        connection.execute(
            update(identity_views)
            .where(identity_views.c.patient_id == patient_id)
            .values(patient_id=token)
        )
        return int(changed or 0)


def anonymise_reminders(connection: Any, appointment_ids: Any) -> int:
    """The reminders of these appointments (ids, or a SELECT of them) keep their kind, times and
    state (the report counts them) and lose the id of the message sent (the digest of Meta's id,
    which Meta's records could match); one not sent yet never will be."""
    mine = reminders.c.appointment_id.in_(appointment_ids)
    connection.execute(
        update(reminders)
        .where(mine, reminders.c.status.in_(("pending", "sending")))
        .values(status="cancelled", note="anonymised")
    )
    return int(
        connection.execute(
            update(reminders).where(mine).values(wamid=None, lease_until=None)
        ).rowcount
        or 0
    )
