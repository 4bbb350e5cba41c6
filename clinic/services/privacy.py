"""The patient's rights over their data, and retention: information, consent, erasure, export,
purge (GDPR arts. 13, 6(1)(a), 15, 17, 20, 5(1)(e); docs/privacy/).

Erasure removes everything that could point to the person (their conversation in Rasa's tracker
store and in the staff transcript, their name, number, message ids, outbox rows, consent records,
conversations with staff and their alerts), cancels their future appointments (time freed, the
calendar event removed, reminders cancelled) and anonymises the past ones (a random token instead
of the pseudonymous id, no name; times and reason ids stay for the practice's statistics, the
audit trail keeps its entries under the same token). What remains is the proof that it was done
(table `erasures`), which names nobody.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import MetaData, Table, and_, delete, func, inspect, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.conversations import Transcript, resolve
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.tables import (
    appointments,
    audit_log,
    consents,
    conversation_log,
    conversations,
    erasure_requests,
    erasures,
    patients,
    reminders,
    staff_alerts,
    whatsapp_contacts,
    whatsapp_inbound,
    whatsapp_outbound,
)
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.ics import LinkSigner
from clinic.domain.practice import Practice
from clinic.domain.statuses import ACTIVE
from clinic.services.alerts import AlertRepository

logger = logging.getLogger(__name__)

ConsentKind = Literal["notice", "reminders"]
#: Tables whose rows about a patient go with them, by their `patient_id`.
ERASED_WITH_THE_PATIENT: tuple[Table, ...] = (
    patients,
    whatsapp_contacts,
    whatsapp_inbound,
    whatsapp_outbound,
    conversations,
    conversation_log,
    staff_alerts,
    consents,
)
#: How long an export link works.
EXPORT_LINK_HOURS = 24
#: An erasure asked for by message waits for its turn to be saved, then is swept once more.
ERASURE_DELAY = timedelta(seconds=20)
ERASURE_SWEEP = timedelta(minutes=5)


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


@dataclass(frozen=True)
class Erasure:
    token: str
    cancelled: list[Appointment]
    anonymised: int
    at: datetime


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


class Privacy:
    def __init__(
        self,
        database: Database,
        *,
        appointments: AppointmentRepository,
        patients: PatientRepository,
        transcript: Transcript,
        number_of: Callable[[str], str | None],
        cancel: Callable[[str, Actor], Appointment],
        plan_reminders: Callable[[Appointment, datetime], object],
        alerts: AlertRepository,
        consents: Consents,
        practice: Practice,
        clock: Clock,
        sealer: Sealer,
        key: bytes,
    ) -> None:
        """`cancel` is the booking service's (calendar freed, event removed, reminders);
        `number_of` reads the patient's number from the channel that keeps it."""
        self.database = database
        self.appointments = appointments
        self.patients = patients
        self.transcript = transcript
        self.number_of = number_of
        self.cancel = cancel
        self.plan_reminders = plan_reminders
        self.alerts = alerts
        self.consents = consents
        self.practice = practice
        self.clock = clock
        self.sealer = sealer
        self.links = LinkSigner(key, b"export-link")

    # --- information and consent ---------------------------------------------------------------

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

    def find(self, ref: str) -> str | None:
        """A patient id from the id itself or a unique prefix of 6+ characters (« 3f9a0c1e »)."""
        ids: set[str] = set()
        with self.database.transaction() as connection:
            for table in (patients, whatsapp_contacts, appointments, conversations):
                ids |= {r[0] for r in connection.execute(select(table.c.patient_id).distinct())}
        return resolve(ref, (i for i in ids if not i.startswith("erased-")))

    # --- erasure -----------------------------------------------------------------------------------

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
        connection.execute(
            update(audit_log)
            .where(audit_log.c.actor == "patient", audit_log.c.actor_id == patient_id)
            .values(actor_id=token)
        )
        return int(changed or 0)

    # --- access and portability --------------------------------------------------------------

    def export(self, patient_id: str) -> dict[str, Any]:
        """Everything the assistant keeps about the patient, readable (art. 15 and 20)."""
        tz = self.practice.tz
        transcript = self.transcript.lines(patient_id, limit=10_000)
        visits = self.appointments.list(patient_id=patient_id)
        return {
            "cabinet": {"nom": self.practice.name, "adresse": self.practice.address},
            "identifiant": patient_id,
            "nom": self.patients.name(patient_id),
            "numero_whatsapp": self.number_of(patient_id),
            "consentements": self.consents.history(patient_id),
            "rendez_vous": [
                {
                    "debut": a.start.astimezone(tz).isoformat(),
                    "motif": (
                        r.label if (r := self.practice.find_reason(a.reason_id)) else a.reason_id
                    ),
                    "praticien": (
                        p.name if (p := self.practice.find_practitioner(a.practitioner_id)) else ""
                    ),
                    "statut": a.status,
                }
                for a in visits
            ],
            "conversation": [
                {
                    "date": line.at.astimezone(tz).isoformat(),
                    "auteur": line.author,
                    "texte": line.text,
                }
                for line in transcript
                if line.author != "event"
            ],
        }

    def summary(self, export: dict[str, Any]) -> str:
        """The export as a short French text."""
        lines = [
            f"Vos données au {export['cabinet']['nom']}",
            "",
            f"Nom : {export['nom'] or 'non renseigné'}",
            f"Numéro WhatsApp : {export['numero_whatsapp'] or 'non conservé'}",
            f"Rendez-vous : {len(export['rendez_vous'])}",
        ]
        for visit in export["rendez_vous"]:
            start = datetime.fromisoformat(visit["debut"])
            lines.append(f"  - {french.day_and_hour(start)} : {visit['motif']} ({visit['statut']})")
        lines.append(f"Messages conservés : {len(export['conversation'])}")
        for consent in export["consentements"]:
            lines.append(f"Consentement {consent['kind']} : {consent['value']} ({consent['at']})")
        lines += [
            "",
            "Le détail complet est dans le fichier JSON joint. Pour faire corriger ou effacer ces "
            "données, écrivez « supprimez mes données » ou contactez le cabinet.",
        ]
        return "\n".join(lines)

    def export_link(self, patient_id: str, base_url: str, suffix: str) -> str:
        token = self.links.token(patient_id, self.clock.now(), timedelta(hours=EXPORT_LINK_HOURS))
        return f"{base_url.rstrip('/')}/webhooks/whatsapp/export/{token}.{suffix}"

    def export_file(self, token: str) -> tuple[bytes, str] | None:
        """The file behind an export link (JSON or text), or None (forged, expired)."""
        name, _, suffix = token.rpartition(".")
        patient_id = self.links.open(name, self.clock.now())
        if patient_id is None or suffix not in ("json", "txt"):
            return None
        data = self.export(patient_id)
        if suffix == "json":
            body = json.dumps(data, ensure_ascii=False, indent=2).encode()
            return body, "application/json; charset=utf-8"
        return self.summary(data).encode(), "text/plain; charset=utf-8"

    # --- key rotation ---------------------------------------------------------------------------

    def reseal(self) -> int:
        """After DATA_ENCRYPTION_KEY=new,old: seal every value with the new key, so the old one
        can be dropped; values stored before sealing existed get sealed too. One transaction;
        returns how many values were (re-)sealed."""
        columns = [
            (patients, "patient_id", "display_name"),
            (appointments, "id", "patient_name"),
            (whatsapp_contacts, "patient_id", "wa_id"),
            (whatsapp_contacts, "patient_id", "user_id"),
            (whatsapp_outbound, "id", "body"),
            (conversation_log, "id", "body"),
            (conversation_log, "id", "buttons"),
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

    # --- retention ---------------------------------------------------------------------------------

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


# --- what patients read --------------------------------------------------------------------------
