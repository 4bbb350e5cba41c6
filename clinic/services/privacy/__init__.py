"""The patient's rights over their data, and retention: information, consent, erasure, export,
purge (GDPR arts. 13, 6(1)(a), 15, 17, 20, 5(1)(e); docs/privacy/).

One module per concern: `consent` (the notice, reminders), `erasure` (art. 17), `access` (the
export and its signed link), `retention` (the purge, re-sealing after a key rotation). `Privacy`
puts them behind the one object the composition root, the actions, the CLI and the worker use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.audit import Actor
from clinic.adapters.storage.conversations import Transcript
from clinic.adapters.storage.patients import PatientRepository
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.practice import Practice
from clinic.services.alerts import AlertRepository
from clinic.services.privacy.access import EXPORT_LINK_HOURS, AccessService
from clinic.services.privacy.consent import ConsentKind, Consents, ConsentService
from clinic.services.privacy.erasure import (
    ERASED_WITH_THE_PATIENT,
    ERASURE_DELAY,
    ERASURE_SWEEP,
    Erasure,
    ErasureService,
)
from clinic.services.privacy.retention import PurgeReport, RetentionService

__all__ = [
    "ERASED_WITH_THE_PATIENT",
    "ERASURE_DELAY",
    "ERASURE_SWEEP",
    "EXPORT_LINK_HOURS",
    "AccessService",
    "ConsentKind",
    "ConsentService",
    "Consents",
    "Erasure",
    "ErasureService",
    "Privacy",
    "PurgeReport",
    "RetentionService",
]


class Privacy:
    """The four concerns behind one object, with the constructor the composition root calls."""

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
        profile_of: Callable[[str], str | None] = lambda _patient_id: None,
        wishes_of: Callable[[str], list[str]] = lambda _patient_id: [],
    ) -> None:
        """`cancel` is the booking service's (calendar freed, event removed, reminders);
        `number_of` reads the patient's number from the channel that keeps it."""
        self.consent = ConsentService(
            database,
            appointments=appointments,
            plan_reminders=plan_reminders,
            consents=consents,
            practice=practice,
            clock=clock,
        )
        self.erasure = ErasureService(
            database,
            appointments=appointments,
            cancel=cancel,
            alerts=alerts,
            practice=practice,
            clock=clock,
            sealer=sealer,
        )
        self.access = AccessService(
            database,
            appointments=appointments,
            patients=patients,
            transcript=transcript,
            number_of=number_of,
            profile_of=profile_of,
            wishes_of=wishes_of,
            consents=consents,
            practice=practice,
            clock=clock,
            key=key,
        )
        self.retention = RetentionService(
            database, erase=self.erasure.erase, practice=practice, clock=clock, sealer=sealer
        )
        self._practice = practice

    @property
    def practice(self) -> Practice:
        """Settings changed on a running process (a new notice version) reach every part."""
        return self._practice

    @practice.setter
    def practice(self, practice: Practice) -> None:
        self._practice = practice
        for part in (self.consent, self.erasure, self.access, self.retention):
            part.practice = practice

    # --- information and consent (consent.py) ----------------------------------------------------

    def notice_due(self, patient_id: str) -> bool:
        return self.consent.notice_due(patient_id)

    def notice_shown(self, patient_id: str) -> None:
        self.consent.notice_shown(patient_id)

    def reminder_answer(self, patient_id: str) -> str | None:
        return self.consent.reminder_answer(patient_id)

    def reminders_allowed(self, patient_id: str) -> bool:
        return self.consent.reminders_allowed(patient_id)

    def should_ask_reminders(self, patient_id: str) -> bool:
        return self.consent.should_ask_reminders(patient_id)

    def set_reminders(self, patient_id: str, wanted: bool) -> None:
        self.consent.set_reminders(patient_id, wanted)

    # --- erasure (erasure.py) --------------------------------------------------------------------

    def request_erasure(self, patient_id: str) -> None:
        self.erasure.request_erasure(patient_id)

    def run_requested_erasures(self) -> int:
        return self.erasure.run_requested_erasures()

    def erase(self, patient_id: str, actor: Actor) -> Erasure:
        return self.erasure.erase(patient_id, actor)

    # --- access and portability (access.py) ------------------------------------------------------

    def find(self, ref: str) -> str | None:
        return self.access.find(ref)

    def export(self, patient_id: str) -> dict[str, Any]:
        return self.access.export(patient_id)

    def summary(self, export: dict[str, Any]) -> str:
        return self.access.summary(export)

    def export_link(self, patient_id: str, base_url: str, suffix: str, spare: bool = False) -> str:
        return self.access.export_link(patient_id, base_url, suffix, spare)

    def export_file(self, token: str) -> tuple[bytes, str] | None:
        return self.access.export_file(token)

    # --- retention and key rotation (retention.py) -----------------------------------------------

    def reseal(self) -> int:
        return self.retention.reseal()

    def purge(self, dry_run: bool = False) -> PurgeReport:
        return self.retention.purge(dry_run)

    def inactive(self, since: datetime) -> list[str]:
        return self.retention.inactive(since)
