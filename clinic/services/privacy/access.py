"""Access and portability (GDPR arts. 15 and 20): everything the assistant keeps about a patient,
as JSON and as a short French text, served behind a signed link that expires, so the file can
be sent over WhatsApp without the patient's data ever sitting in a message.

A link works once, and an erasure ends every link of the patient not used yet: each link issued
is a row of `export_links` (a keyed digest of the link, never the link itself), which the first
download deletes and the erasure deletes with the patient. A used, revoked, expired or forged
link gets the same answer (None: the route's « lien expiré » page)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.conversations import Transcript, resolve
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.tables import (
    appointments,
    conversations,
    export_links,
    patients,
    whatsapp_contacts,
)
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
        wishes_of: Callable[[str], list[str]] = lambda _patient_id: [],
    ) -> None:
        """`number_of` and `profile_of` read the patient's number and WhatsApp profile name
        from the channel that keeps them; `wishes_of`, what they wait for on the waiting list."""
        self.database = database
        self.appointments = appointments
        self.patients = patients
        self.transcript = transcript
        self.number_of = number_of
        self.profile_of = profile_of
        self.wishes_of = wishes_of
        self.consents = consents
        self.practice = practice
        self.clock = clock
        self.links = LinkSigner(key, b"export-link")
        self._digest_key = hmac.new(key, b"export-link-digest", hashlib.sha256).digest()

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
            "liste_attente": self.wishes_of(patient_id),
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
        for wish in export.get("liste_attente", []):
            lines.append(f"Liste d'attente : {wish}")
        lines.append(f"Messages conservés : {len(export['conversation'])}")
        for consent in export["consentements"]:
            lines.append(f"Consentement {consent['kind']} : {consent['value']} ({consent['at']})")
        lines += [
            "",
            "Le détail complet est dans le fichier JSON joint. Pour faire corriger ou effacer ces "
            "données, écrivez « supprimez mes données » ou contactez le cabinet.",
        ]
        return "\n".join(lines)

    def export_link(self, patient_id: str, base_url: str, suffix: str, spare: bool = False) -> str:
        """A link to the file, for one download within EXPORT_LINK_HOURS. `spare`: a second,
        distinct link to the same file (it expires a second earlier), for the text sent in the
        document's place, since Meta spends the document's own link fetching it."""
        now = self.clock.now()
        lifetime = timedelta(hours=EXPORT_LINK_HOURS, seconds=-1 if spare else 0)
        token = self.links.token(patient_id, now, lifetime)
        link = f"{token}.{suffix}"
        with self.database.transaction() as connection:
            connection.execute(delete(export_links).where(export_links.c.expires_at <= now))
            connection.execute(
                export_links.insert().values(
                    digest=self._digest(link), patient_id=patient_id, expires_at=now + lifetime
                )
            )
        return f"{base_url.rstrip('/')}/webhooks/whatsapp/export/{link}"

    def export_file(self, token: str) -> tuple[bytes, str] | None:
        """The file behind an export link (JSON or text), once; None for a link forged, expired,
        already used or revoked by an erasure (the same answer for all four)."""
        name, _, suffix = token.rpartition(".")
        now = self.clock.now()
        patient_id = self.links.open(name, now)
        if patient_id is None or suffix not in ("json", "txt"):
            return None
        mine = export_links.c.digest == self._digest(token)
        with self.database.transaction() as connection:
            if connection.execute(select(export_links.c.patient_id).where(mine)).first() is None:
                return None  # used, revoked, or never issued
        data = self.export(patient_id)
        if suffix == "json":
            found = (
                json.dumps(data, ensure_ascii=False, indent=2).encode(),
                "application/json; charset=utf-8",
            )
        else:
            found = self.summary(data).encode(), "text/plain; charset=utf-8"
        # Spent only now, in one statement: of two downloads at once, one deletes the row and
        # gets the file; an erasure that ran meanwhile deleted it first, and nobody gets it.
        with self.database.transaction() as connection:
            spent = connection.execute(
                delete(export_links).where(mine, export_links.c.patient_id == patient_id)
            ).rowcount
        return found if spent == 1 else None

    def _digest(self, link: str) -> str:
        """What `export_links` keeps of a link: enough to recognise it, useless to open it."""
        return hmac.new(
            self._digest_key, link.encode("utf-8", "replace"), hashlib.sha256
        ).hexdigest()
