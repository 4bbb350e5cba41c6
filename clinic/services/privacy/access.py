"""Access and portability (GDPR arts. 15 and 20): everything the assistant keeps about a patient,
as JSON and as a short French text, served behind a signed link that expires, so the file can
be sent over WhatsApp without the patient's data ever sitting in a message."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.conversations import Transcript, resolve
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.tables import appointments, conversations, patients, whatsapp_contacts
from clinic.domain import french
from clinic.domain.clock import Clock
from clinic.domain.ics import LinkSigner
from clinic.domain.practice import Practice
from clinic.services.privacy.consent import Consents

#: How long an export link works.
EXPORT_LINK_HOURS = 24


class AccessService:
    """Finds a patient from a staff reference, and exports what is kept about them."""

    def __init__(
        self,
        database: Database,
        *,
        appointments: AppointmentRepository,
        patients: PatientRepository,
        transcript: Transcript,
        number_of: Callable[[str], str | None],
        consents: Consents,
        practice: Practice,
        clock: Clock,
        key: bytes,
        profile_of: Callable[[str], str | None] = lambda _patient_id: None,
    ) -> None:
        """`number_of` and `profile_of` read the patient's number and WhatsApp profile name
        from the channel that keeps them."""
        self.database = database
        self.appointments = appointments
        self.patients = patients
        self.transcript = transcript
        self.number_of = number_of
        self.profile_of = profile_of
        self.consents = consents
        self.practice = practice
        self.clock = clock
        self.links = LinkSigner(key, b"export-link")

    def find(self, ref: str) -> str | None:
        """A patient id from the id itself or a unique prefix of 6+ characters (« 3f9a0c1e »)."""
        ids: set[str] = set()
        with self.database.transaction() as connection:
            for table in (patients, whatsapp_contacts, appointments, conversations):
                ids |= {r[0] for r in connection.execute(select(table.c.patient_id).distinct())}
        return resolve(ref, (i for i in ids if not i.startswith("erased-")))

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
            "nom_whatsapp": self.profile_of(patient_id),
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
