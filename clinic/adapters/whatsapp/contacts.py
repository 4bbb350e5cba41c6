"""Table `whatsapp_contacts`: the only place a patient's WhatsApp number is kept (sealed, see
clinic.adapters.sealing), next to the pseudonymous id it answers to, and the 24-hour window in which free
text may reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, or_, select, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import whatsapp_contacts

WINDOW = timedelta(hours=24)


def insert_once(database: Database, table: Table, **values: Any) -> bool:
    """Insert a row; False when its primary key exists (the database decides, not a check)."""
    try:
        with database.transaction() as connection:
            connection.execute(table.insert().values(**values))
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class Contact:
    patient_id: str
    wa_id: str | None
    last_inbound_at: datetime | None
    profile_name: str | None = None

    def window_open(self, now: datetime) -> bool:
        """Free text may reach the patient only within 24 h of their last message."""
        return self.last_inbound_at is not None and now - self.last_inbound_at < WINDOW


class Contacts:
    """One short transaction per method, safe with several replicas and workers."""

    def __init__(self, database: Database, sealer: Sealer) -> None:
        self.database = database
        self.sealer = sealer

    def remember_contact(
        self,
        patient_id: str,
        wa_id: str | None,
        user_id: str | None,
        sent_at: datetime,
        now: datetime,
        profile_name: str | None = None,
    ) -> None:
        """Keep the number (needed to answer) and move the 24-hour window forward, never back.
        The WhatsApp profile name is kept too, the latest one Meta sent: what staff see until
        the patient gives a name."""
        table = whatsapp_contacts
        if insert_once(
            self.database,
            table,
            patient_id=patient_id,
            wa_id=self.sealer.seal_optional(wa_id),
            user_id=self.sealer.seal_optional(user_id),
            profile_name=self.sealer.seal_optional(profile_name),
            last_inbound_at=sent_at,
            created_at=now,
            updated_at=now,
        ):
            return
        values: dict[str, Any] = {"updated_at": now}
        if wa_id:
            values["wa_id"] = self.sealer.seal(wa_id)
        if user_id:
            values["user_id"] = self.sealer.seal(user_id)
        if profile_name:
            values["profile_name"] = self.sealer.seal(profile_name)
        with self.database.transaction() as connection:
            connection.execute(update(table).where(table.c.patient_id == patient_id).values(values))
            connection.execute(
                update(table)
                .where(
                    table.c.patient_id == patient_id,
                    or_(table.c.last_inbound_at.is_(None), table.c.last_inbound_at < sent_at),
                )
                .values(last_inbound_at=sent_at)
            )

    def add_number(self, patient_id: str, wa_id: str, now: datetime) -> bool:
        """A number staff were given by phone, with the patient's agreement to be written to:
        kept like one the patient wrote from, with no 24-hour window (templates only). False
        when the patient is already known (their own number stays)."""
        return insert_once(
            self.database,
            whatsapp_contacts,
            patient_id=patient_id,
            wa_id=self.sealer.seal(wa_id),
            last_inbound_at=None,
            created_at=now,
            updated_at=now,
        )

    def numbers(self) -> dict[str, str]:
        """Every known number by patient id (to re-key ids: `clinic keys rotate`)."""
        table = whatsapp_contacts
        with self.database.transaction() as connection:
            rows = connection.execute(
                select(table.c.patient_id, table.c.wa_id).where(table.c.wa_id.is_not(None))
            ).all()
        return {row.patient_id: self.sealer.open(row.wa_id) for row in rows}

    def forget_number(self, patient_id: str, now: datetime) -> None:
        """Keep the conversation, drop the number: nothing can be sent to it any more."""
        table = whatsapp_contacts
        with self.database.transaction() as connection:
            connection.execute(
                update(table)
                .where(table.c.patient_id == patient_id)
                .values(wa_id=None, profile_name=None, updated_at=now)
            )

    def contact(self, patient_id: str) -> Contact | None:
        table = whatsapp_contacts
        with self.database.transaction() as connection:
            row = connection.execute(
                select(table.c.wa_id, table.c.last_inbound_at, table.c.profile_name).where(
                    table.c.patient_id == patient_id
                )
            ).first()
        if row is None:
            return None
        return Contact(
            patient_id,
            self.sealer.open_optional(row.wa_id),
            row.last_inbound_at,
            self.sealer.open_optional(row.profile_name),
        )

    def profile_names(self) -> dict[str, str]:
        """Every WhatsApp profile name by patient id (the console's search reads names in
        memory: they are sealed, so no SQL can match them)."""
        table = whatsapp_contacts
        with self.database.transaction() as connection:
            rows = connection.execute(
                select(table.c.patient_id, table.c.profile_name).where(
                    table.c.profile_name.is_not(None)
                )
            ).all()
        return {row.patient_id: self.sealer.open(row.profile_name) for row in rows}
