"""Storage limitation (GDPR art. 5(1)(e)) and keys: the daily retention pass, which deletes what
was said and anonymises what was booked once past its time, and the re-sealing that lets an old
data key be dropped after a rotation. Both sweep whole tables; neither is asked for by a patient."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Table, and_, delete, func, inspect, or_, select, text, update

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.tables import (
    appointments,
    audit_log,
    conversation_log,
    patients,
    staff_totp,
    waitlist,
    whatsapp_contacts,
    whatsapp_inbound,
    whatsapp_outbound,
)
from clinic.domain.clock import Clock
from clinic.domain.practice import Practice
from clinic.services.privacy.erasure import Erasure, anonymise_reminders

# The package's name, as before the split: log filters and dashboards select on it.
logger = logging.getLogger("clinic.services.privacy")


@dataclass
class PurgeReport:
    """What a retention pass removed (or would remove, with --dry-run): counts only."""

    conversations: int = 0  # patients with messages older than the retention
    events: int = 0  # Rasa tracker events deleted
    transcript_lines: int = 0
    patients_erased: int = 0
    appointments_anonymised: int = 0
    erased_tokens: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "events": self.events,
            "transcript_lines": self.transcript_lines,
            "patients_erased": self.patients_erased,
            "appointments_anonymised": self.appointments_anonymised,
        }


class RetentionService:
    """The passes over everything stored: retention (the worker, daily) and re-sealing."""

    def __init__(
        self,
        database: Database,
        *,
        erase: Callable[[str, Actor], Erasure],
        practice: Practice,
        clock: Clock,
        sealer: Sealer,
    ) -> None:
        """`erase` is the erasure service's: an inactive patient is forgotten like any other."""
        self.database = database
        self.erase = erase
        self.practice = practice
        self.clock = clock
        self.sealer = sealer

    def reseal(self) -> int:
        """After DATA_ENCRYPTION_KEY=new,old: seal every value with the new key, so the old one
        can be dropped; values stored before sealing existed get sealed too. One transaction;
        returns how many values were (re-)sealed."""
        columns = [
            (patients, "patient_id", "display_name"),
            (appointments, "id", "patient_name"),
            (whatsapp_contacts, "patient_id", "wa_id"),
            (whatsapp_contacts, "patient_id", "user_id"),
            (whatsapp_contacts, "patient_id", "profile_name"),
            (whatsapp_inbound, "message_id", "body"),  # a message being handled
            (whatsapp_outbound, "id", "body"),
            (conversation_log, "id", "body"),
            (conversation_log, "id", "buttons"),
            (staff_totp, "staff_id", "secret"),  # the console's second factors
            (waitlist, "id", "wish"),  # what a waiting patient waits for
        ]
        count = unreadable = 0
        with self.database.transaction() as connection:
            if inspect(connection).has_table("events"):  # Rasa's tracker store
                events = Table("events", MetaData(), autoload_with=connection)
                columns.append((events, "id", "data"))
            for table, key, column in columns:
                rows = connection.execute(
                    select(table.c[key], table.c[column]).where(table.c[column].is_not(None))
                ).all()
                for row_key, value in rows:
                    sealed = self.sealer.reseal(value)
                    if sealed is None:
                        unreadable += 1
                        continue
                    connection.execute(
                        update(table).where(table.c[key] == row_key).values({column: sealed})
                    )
                    count += 1
        if unreadable:
            logger.error(
                "%d value(s) no DATA_ENCRYPTION_KEY opens were left as they are", unreadable
            )
        return count

    def purge(self, dry_run: bool = False) -> PurgeReport:
        """One retention pass (the worker runs it daily; `clinic privacy purge` by hand)."""
        now = self.clock.now()
        rules = self.practice.privacy
        report = PurgeReport()
        with self.database.transaction() as connection:
            has_events = inspect(connection).has_table("events")
            # 1. what was said, older than the retention (a rolling window)
            stale = now - rules.conversation_retention
            old_lines = conversation_log.c.at < stale
            report.transcript_lines = connection.execute(
                select(func.count()).select_from(conversation_log).where(old_lines)
            ).scalar_one()
            report.conversations = connection.execute(
                select(func.count(func.distinct(conversation_log.c.patient_id))).where(old_lines)
            ).scalar_one()
            if has_events:
                report.events = connection.execute(
                    text("SELECT COUNT(*) FROM events WHERE timestamp < :t"),
                    {"t": stale.timestamp()},
                ).scalar_one()
            # 3. past appointments beyond their retention
            cutoff = now - rules.appointment_retention
            report.appointments_anonymised = connection.execute(
                select(func.count())
                .select_from(appointments)
                .where(appointments.c.end_at < cutoff, ~appointments.c.patient_id.like("erased-%"))
            ).scalar_one()
            if not dry_run:
                connection.execute(delete(conversation_log).where(old_lines))
                if has_events:
                    # Rasa's events older than the retention: whole sessions of the past
                    connection.execute(
                        text("DELETE FROM events WHERE timestamp < :t"), {"t": stale.timestamp()}
                    )
                for row in connection.execute(
                    select(appointments.c.patient_id)
                    .where(
                        appointments.c.end_at < cutoff, ~appointments.c.patient_id.like("erased-%")
                    )
                    .distinct()
                ).all():
                    self._anonymise_before(connection, row.patient_id, cutoff)
        # 2. inactive patients: no message and no appointment within the retention
        for patient_id in self.inactive(now - rules.inactive_patient_retention):
            report.patients_erased += 1
            if not dry_run:
                report.erased_tokens.append(self.erase(patient_id, Actor("system")).token)
        return report

    def _anonymise_before(self, connection: Any, patient_id: str, cutoff: datetime) -> None:
        """A patient's appointments older than `cutoff`, and their audit entries, under a token."""
        token = "erased-" + secrets.token_hex(12)
        old = and_(appointments.c.patient_id == patient_id, appointments.c.end_at < cutoff)
        ids = [r.id for r in connection.execute(select(appointments.c.id).where(old))]
        connection.execute(
            update(appointments)
            .where(old)
            .values(patient_id=token, patient_name=self.sealer.seal(""), note=None)
        )
        anonymise_reminders(connection, ids)
        connection.execute(
            update(audit_log)
            .where(
                audit_log.c.appointment_id.in_(ids),
                audit_log.c.actor == "patient",
                audit_log.c.actor_id == patient_id,
            )
            .values(actor_id=token)
        )

    def inactive(self, since: datetime) -> list[str]:
        """Patients known to the assistant whose last sign of life is before `since`."""
        with self.database.transaction() as connection:
            known = {
                r.patient_id: r.updated_at
                for r in connection.execute(
                    select(whatsapp_contacts.c.patient_id, whatsapp_contacts.c.updated_at)
                ).all()
            }
            for r in connection.execute(select(patients.c.patient_id, patients.c.updated_at)):
                known[r.patient_id] = max(known.get(r.patient_id, r.updated_at), r.updated_at)
            recent = {
                r.patient_id
                for r in connection.execute(
                    select(appointments.c.patient_id).where(
                        or_(appointments.c.end_at >= since, appointments.c.updated_at >= since)
                    )
                )
            }
            recent |= {
                r.patient_id
                for r in connection.execute(
                    select(whatsapp_inbound.c.patient_id).where(
                        and_(whatsapp_inbound.c.received_at >= since)
                    )
                )
            }
        return sorted(p for p, at in known.items() if at < since and p not in recent)
