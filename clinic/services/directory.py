"""Who a patient is, for signed-in staff: their name, their number, and finding them from what
a caller gives (a name, a number as it is typed, a reference).

Names and numbers are sealed at rest, so the search opens them in memory rather than in SQL; a
number is found without opening anything, since the pseudonymous id is a keyed hash of it. Every
display of an identity is written to the identity-view trail (`IdentityViews`) with the staff
member who saw it: privacy here means that the right people see it, and that it is traceable.
Alerts sent outside the console never go through here: they carry no name and no number.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.conversations import Conversations, reference
from clinic.adapters.storage.identity_views import IdentityViews
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.identity import Keyring
from clinic.domain import phones
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.french import fold
from clinic.domain.statuses import ACTIVE

NameSource = Literal["booked", "whatsapp"]
#: How far back a cancelled or past appointment still answers a search by name.
RECENT = timedelta(days=30)
MAX_MATCHES = 20


@dataclass(frozen=True)
class Identity:
    """What staff see of a patient. `name` is the one given when booking; otherwise the
    WhatsApp profile name, which the patient chose and may be a nickname (`name_source`)."""

    patient_id: str
    name: str | None
    name_source: NameSource | None
    wa_id: str | None

    @property
    def reference(self) -> str:
        return reference(self.patient_id)

    @property
    def number(self) -> str | None:
        return phones.display(self.wa_id) if self.wa_id else None

    @property
    def tel(self) -> str | None:
        return phones.tel(self.wa_id) if self.wa_id else None


@dataclass(frozen=True)
class Match:
    """One patient a search found, with what staff may open next."""

    identity: Identity
    #: Why it matched: number, reference, name or appointment.
    by: str
    has_conversation: bool
    appointments: tuple[Appointment, ...] = field(default=())


class Directory:
    def __init__(
        self,
        patients: PatientRepository,
        contacts: Contacts,
        keyring: Keyring,
        conversations: Conversations,
        appointments: AppointmentRepository,
        views: IdentityViews,
        clock: Clock,
    ) -> None:
        self.patients = patients
        self.contacts = contacts
        self.keyring = keyring
        self.conversations = conversations
        self.appointments = appointments
        self.views = views
        self.clock = clock

    # --- showing who a patient is ----------------------------------------------------------------

    def identity(self, patient_id: str, staff: str, place: str) -> Identity:
        """The patient's name and number, and the view written to the trail."""
        found = self._identity(patient_id)
        self.views.record(staff, [patient_id], place, self.clock.now())
        return found

    def names(self, patient_ids: Sequence[str], staff: str, place: str) -> dict[str, Identity]:
        """Names (no numbers) for a list of patients, such as the inbox; each view written."""
        booked = self.patients.names(patient_ids)
        profiles = self.contacts.profile_names() if len(booked) < len(patient_ids) else {}
        found = {pid: _named(pid, booked.get(pid), profiles.get(pid), None) for pid in patient_ids}
        shown = [pid for pid, identity in found.items() if identity.name]
        self.views.record(staff, shown, place, self.clock.now())
        return found

    def _identity(self, patient_id: str) -> Identity:
        contact = self.contacts.contact(patient_id)
        return _named(
            patient_id,
            self.patients.name(patient_id),
            contact.profile_name if contact else None,
            contact.wa_id if contact else None,
        )

    # --- a caller at the front desk --------------------------------------------------------------

    def caller(self, typed_number: str, whatsapp_agreed: bool) -> str:
        """The patient id to book a caller under: the one their WhatsApp number already has
        (so the assistant and the console see one patient), else a new pseudonymous one. With
        the caller's agreement, the number is kept so that confirmations reach them."""
        wa_id = phones.whatsapp_id(typed_number) if typed_number.strip() else None
        if wa_id is None:
            return "desk-" + secrets.token_hex(12)
        patient_id = self.keyring.patient_id(wa_id)
        if whatsapp_agreed:
            self.contacts.add_number(patient_id, wa_id, self.clock.now())
        return patient_id

    # --- finding a patient -----------------------------------------------------------------------

    def search(self, query: str, staff: str) -> list[Match]:
        """Patients matching a number (« 06 12 34 56 78 », « +33 6… »), a reference (a
        conversation's « 3f9a0c1e » or an appointment's id) or a name (every word of the query,
        accents and case aside, in the booked name, the WhatsApp name or an appointment's name)."""
        query = " ".join(query.split())[:80]
        if len(query) < 2:
            return []
        matches = self._by_number(query) or self._by_reference(query) or self._by_name(query)
        matches = matches[:MAX_MATCHES]
        self.views.record(
            staff, [m.identity.patient_id for m in matches], "search", self.clock.now()
        )
        return matches

    def _known(self, patient_id: str) -> bool:
        return (
            self.contacts.contact(patient_id) is not None
            or self.patients.name(patient_id) is not None
            or bool(self.appointments.list(patient_id=patient_id))
        )

    def _match(self, patient_id: str, by: str) -> Match:
        return Match(
            self._identity(patient_id),
            by,
            self.conversations.get(patient_id) is not None or self._wrote(patient_id),
            tuple(self._appointments_of(patient_id)),
        )

    def _wrote(self, patient_id: str) -> bool:
        contact = self.contacts.contact(patient_id)
        return contact is not None and contact.last_inbound_at is not None

    def _appointments_of(self, patient_id: str) -> list[Appointment]:
        since = self.clock.now() - RECENT
        return self.appointments.list(start=since, statuses=ACTIVE, patient_id=patient_id)

    def _by_number(self, query: str) -> list[Match]:
        wa_id = phones.whatsapp_id(query)
        if wa_id is None:
            return []
        patient_id = self.keyring.patient_id(wa_id)
        return [self._match(patient_id, "number")] if self._known(patient_id) else []

    def _by_reference(self, query: str) -> list[Match]:
        ref = query.strip().lower()
        if not all(c.isalnum() or c == "-" for c in ref) or len(ref) < 6:
            return []
        appointment = self.appointments.get(ref)
        if appointment is not None:
            return [self._match(appointment.patient_id, "appointment")]
        ids = {c.patient_id for c in self.conversations.listing(None)}
        ids |= set(self.patients.every_name())
        matching = [pid for pid in ids if reference(pid).startswith(ref) or pid.startswith(ref)]
        return [self._match(pid, "reference") for pid in sorted(matching)]

    def _by_name(self, query: str) -> list[Match]:
        words = fold(query).split()
        if not any(len(w) >= 2 for w in words):
            return []

        def fits(name: str | None) -> bool:
            folded = fold(name or "")
            return bool(name) and all(w in folded for w in words)

        found: dict[str, str] = {}
        for pid, name in self.patients.every_name().items():
            if fits(name):
                found.setdefault(pid, "name")
        for pid, name in self.contacts.profile_names().items():
            if fits(name):
                found.setdefault(pid, "name")
        since = self.clock.now() - RECENT
        for appointment in self.appointments.list(start=since, statuses=ACTIVE):
            if fits(appointment.patient_name):
                found.setdefault(appointment.patient_id, "appointment")
        return [self._match(pid, by) for pid, by in _first(found.items(), MAX_MATCHES)]


def _named(patient_id: str, booked: str | None, profile: str | None, wa_id: str | None) -> Identity:
    if booked:
        return Identity(patient_id, booked, "booked", wa_id)
    if profile:
        return Identity(patient_id, profile, "whatsapp", wa_id)
    return Identity(patient_id, None, None, wa_id)


def _first(items: Iterable[tuple[str, str]], count: int) -> list[tuple[str, str]]:
    return list(items)[:count]
