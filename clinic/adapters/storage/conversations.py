"""Conversations with staff, as stored: who is paused and why (`Conversations`), and what was
said (`Transcript`). Plain repositories; `clinic.services.handoff` holds the rules.

The pause lives here, in our database, not in Rasa's tracker (docs/decisions.md, 25): the
WhatsApp channel decides before any turn, every replica and the staff CLI read the same row, and
a red flag can still be answered while paused (a paused Rasa tracker answers nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import conversation_log, conversations
from clinic.domain.statuses import Author, ConversationStatus, HandoffReason

#: Characters of the pseudonymous id staff see as the conversation's reference.
REFERENCE_LENGTH = 8


def reference(patient_id: str) -> str:
    """A short handle for staff (« 3f9a0c1e »): part of the pseudonymous id, nothing personal."""
    return patient_id.split("-", 1)[-1][:REFERENCE_LENGTH]


def resolve(ref: str, ids: Iterable[str]) -> str | None:
    """The id `ref` names among `ids`: itself, or the one id its reference or id starts with
    (6 characters at least, so a typo never picks someone)."""
    known = set(ids)
    if ref in known:
        return ref
    if len(ref) < 6:
        return None
    matches = [i for i in known if reference(i).startswith(ref) or i.startswith(ref)]
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class Conversation:
    patient_id: str
    status: ConversationStatus
    reason: HandoffReason
    since: datetime
    episode: int
    acknowledged_episode: int
    alert_round: int
    alerted_at: datetime | None
    opened_at: datetime | None
    staff_activity_at: datetime | None
    #: An emergency's red-flag category code (clinic.domain.safety.Category), if the detector named one.
    danger: str | None = None

    @property
    def paused(self) -> bool:
        return self.status == "paused"

    @property
    def reference(self) -> str:
        return reference(self.patient_id)


def _conversation(row: Any) -> Conversation:
    return Conversation(
        row.patient_id,
        row.status,
        row.reason,
        row.since,
        row.episode,
        row.acknowledged_episode,
        row.alert_round,
        row.alerted_at,
        row.opened_at,
        row.staff_activity_at,
        row.danger,
    )


class Conversations:
    """Each change is one conditional UPDATE: two replicas acting at once cannot both win."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, patient_id: str) -> Conversation | None:
        with self.database.transaction() as connection:
            row = connection.execute(
                select(conversations).where(conversations.c.patient_id == patient_id)
            ).first()
        return _conversation(row) if row else None

    def pause(
        self, patient_id: str, reason: HandoffReason, now: datetime, danger: str | None = None
    ) -> Conversation | None:
        """Pause; returns the conversation when this started a new paused period, or turned a
        paused one into an emergency (both need alerts), else None (already paused). `danger`:
        an emergency's red-flag category."""
        table = conversations
        try:
            with self.database.transaction() as connection:
                connection.execute(
                    table.insert().values(
                        patient_id=patient_id,
                        status="paused",
                        reason=reason,
                        danger=danger,
                        since=now,
                        episode=1,
                        acknowledged_episode=0,
                        alert_round=0,
                        updated_at=now,
                    )
                )
            return self.get(patient_id)
        except IntegrityError:
            pass
        with self.database.transaction() as connection:
            started = connection.execute(
                update(table)
                .where(table.c.patient_id == patient_id, table.c.status == "active")
                .values(
                    status="paused",
                    reason=reason,
                    danger=danger,
                    since=now,
                    episode=table.c.episode + 1,
                    alert_round=0,
                    alerted_at=None,
                    opened_at=None,
                    staff_activity_at=None,
                    updated_at=now,
                )
            ).rowcount
            escalated = 0
            if not started and reason == "emergency":
                escalated = connection.execute(
                    update(table)
                    .where(
                        table.c.patient_id == patient_id,
                        table.c.status == "paused",
                        table.c.reason != "emergency",
                    )
                    .values(reason="emergency", danger=danger, opened_at=None, updated_at=now)
                ).rowcount
        return self.get(patient_id) if started or escalated else None

    def acknowledge(self, patient_id: str, episode: int) -> bool:
        """True for the first caller in a paused period (one acknowledgement per pause)."""
        table = conversations
        with self.database.transaction() as connection:
            return bool(
                connection.execute(
                    update(table)
                    .where(
                        table.c.patient_id == patient_id,
                        table.c.status == "paused",
                        table.c.episode == episode,
                        table.c.acknowledged_episode < episode,
                    )
                    .values(acknowledged_episode=episode)
                ).rowcount
            )

    def resume(self, patient_id: str, now: datetime, episode: int | None = None) -> bool:
        """Back to the assistant; False when it was not paused (or another pause began)."""
        table = conversations
        condition = and_(table.c.patient_id == patient_id, table.c.status == "paused")
        if episode is not None:
            condition = and_(condition, table.c.episode == episode)
        with self.database.transaction() as connection:
            return bool(
                connection.execute(
                    update(table)
                    .where(condition)
                    .values(status="active", since=now, updated_at=now)
                ).rowcount
            )

    def staff_activity(self, patient_id: str, now: datetime, opened: bool = False) -> None:
        table = conversations
        values: dict[str, Any] = {"staff_activity_at": now, "updated_at": now}
        with self.database.transaction() as connection:
            if opened:
                connection.execute(
                    update(table)
                    .where(table.c.patient_id == patient_id, table.c.opened_at.is_(None))
                    .values(opened_at=now)
                )
            connection.execute(update(table).where(table.c.patient_id == patient_id).values(values))

    def start_round(self, patient_id: str, episode: int, round_: int, now: datetime) -> bool:
        """Claim alert round `round_` of this pause: exactly one caller wins it."""
        table = conversations
        with self.database.transaction() as connection:
            return bool(
                connection.execute(
                    update(table)
                    .where(
                        table.c.patient_id == patient_id,
                        table.c.episode == episode,
                        table.c.alert_round == round_ - 1,
                    )
                    .values(alert_round=round_, alerted_at=now)
                ).rowcount
            )

    def listing(self, status: ConversationStatus | None = None) -> list[Conversation]:
        where = [conversations.c.status == status] if status else []
        return self._select(*where)

    def unopened_emergencies(self, alerted_before: datetime) -> list[Conversation]:
        table = conversations
        return self._select(
            table.c.status == "paused",
            table.c.reason == "emergency",
            table.c.opened_at.is_(None),
            table.c.alert_round > 0,
            table.c.alerted_at <= alerted_before,
        )

    def idle(self, quiet_since: datetime) -> list[Conversation]:
        """Paused conversations (not emergencies) with no staff activity since `quiet_since`."""
        table = conversations
        return self._select(
            table.c.status == "paused",
            table.c.reason != "emergency",
            or_(
                and_(table.c.staff_activity_at.is_(None), table.c.since <= quiet_since),
                table.c.staff_activity_at <= quiet_since,
            ),
        )

    def _select(self, *where: Any) -> list[Conversation]:
        query = select(conversations).where(*where).order_by(conversations.c.since)
        with self.database.transaction() as connection:
            return [_conversation(row) for row in connection.execute(query).all()]


@dataclass(frozen=True)
class Line:
    at: datetime
    author: Author
    actor_id: str | None
    text: str
    #: The titles of the buttons the patient saw under an assistant message.
    buttons: tuple[str, ...] = ()


class Transcript:
    """What was said, sealed at rest; newest last."""

    def __init__(self, database: Database, sealer: Sealer) -> None:
        self.database = database
        self.sealer = sealer

    def add(
        self,
        patient_id: str,
        author: Author,
        text: str,
        at: datetime,
        actor_id: str | None = None,
        buttons: Sequence[str] = (),
    ) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                conversation_log.insert().values(
                    patient_id=patient_id,
                    at=at,
                    author=author,
                    actor_id=actor_id,
                    body=self.sealer.seal(text),
                    buttons=self.sealer.seal(json.dumps(list(buttons))) if buttons else None,
                )
            )

    def lines(self, patient_id: str, limit: int = 200) -> list[Line]:
        table = conversation_log
        query = (
            select(table)
            .where(table.c.patient_id == patient_id)
            .order_by(table.c.id.desc())
            .limit(limit)
        )
        with self.database.transaction() as connection:
            rows = connection.execute(query).all()
        return [
            Line(
                row.at,
                row.author,
                row.actor_id,
                self.sealer.open(row.body),
                tuple(json.loads(self.sealer.open(row.buttons))) if row.buttons else (),
            )
            for row in reversed(rows)
        ]

    def last_patient_message(self, patient_ids: Iterable[str]) -> dict[str, datetime]:
        table = conversation_log
        ids = list(patient_ids)
        if not ids:
            return {}
        query = (
            select(table.c.patient_id, func.max(table.c.at))
            .where(table.c.patient_id.in_(ids), table.c.author == "patient")
            .group_by(table.c.patient_id)
        )
        with self.database.transaction() as connection:
            return {row[0]: row[1] for row in connection.execute(query).all()}

    def recent_patients(self, since: datetime) -> list[str]:
        """Patients who wrote since `since` (the « active » conversations)."""
        table = conversation_log
        query = (
            select(table.c.patient_id)
            .where(table.c.author == "patient", table.c.at >= since)
            .group_by(table.c.patient_id)
        )
        with self.database.transaction() as connection:
            return [row[0] for row in connection.execute(query).all()]
