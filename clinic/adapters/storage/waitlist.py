"""The waiting list over the SQL database: wishes (sealed) and the holds on freed slots.

A hold is claimed, accepted or passed on by conditional UPDATEs: two workers never hold one slot
twice (partial unique indexes), and two taps on one offer never both win.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from clinic.adapters.sealing import Sealer
from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import waitlist, waitlist_holds
from clinic.domain.scheduling import Slot
from clinic.domain.scheduling.waitlist import Hold, Wish
from clinic.domain.timeexpr import window_from_dict, window_to_dict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredHold:
    """A hold as stored: its id (in the offer's buttons), its wish and where it stands."""

    id: int
    patient_id: str
    hold: Hold
    status: str
    created_at: datetime
    settled_at: datetime | None = None
    appointment_id: str | None = None


class WaitlistRepository:
    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    # --- wishes ---------------------------------------------------------------------------------

    def add(self, wish: Wish) -> Wish:
        """Store a new wish; the patient's earlier wishes for the same reason end (replaced)."""
        with self.db.transaction() as connection:
            for row in connection.execute(
                select(waitlist.c.id, waitlist.c.wish).where(
                    waitlist.c.patient_id == wish.patient_id, waitlist.c.status == "waiting"
                )
            ).all():
                if self._open(row)["reason_id"] == wish.reason_id:
                    connection.execute(
                        update(waitlist)
                        .where(waitlist.c.id == row.id)
                        .values(status="ended", ended_reason="replaced", ended_at=wish.created_at)
                    )
            connection.execute(
                insert(waitlist).values(
                    id=wish.id,
                    patient_id=wish.patient_id,
                    wish=self.sealer.seal(json.dumps(_document(wish))),
                    status="waiting",
                    created_at=wish.created_at,
                )
            )
        return wish

    def waiting(self, patient_id: str | None = None) -> list[Wish]:
        """Wishes still waiting, oldest first (the order offers follow)."""
        query = select(waitlist).where(waitlist.c.status == "waiting")
        if patient_id is not None:
            query = query.where(waitlist.c.patient_id == patient_id)
        with self.db.engine.connect() as connection:
            rows = connection.execute(query.order_by(waitlist.c.created_at, waitlist.c.id)).all()
        wishes = []
        for row in rows:
            try:
                wishes.append(self._wish(row))
            except (ValueError, KeyError):  # sealed with a key since dropped: skipped, logged
                logger.warning("waiting list: wish %s cannot be read", row.id)
        return wishes

    def get(self, wish_id: str) -> Wish | None:
        with self.db.engine.connect() as connection:
            row = connection.execute(select(waitlist).where(waitlist.c.id == wish_id)).first()
        return self._wish(row) if row is not None else None

    def end(self, wish_id: str, reason: str, now: datetime) -> bool:
        """Waiting → ended (once); a live hold of the wish is released with it."""
        with self.db.transaction() as connection:
            ended = connection.execute(
                update(waitlist)
                .where(waitlist.c.id == wish_id, waitlist.c.status == "waiting")
                .values(status="ended", ended_reason=reason, ended_at=now)
            ).rowcount
            connection.execute(
                update(waitlist_holds)
                .where(waitlist_holds.c.wish_id == wish_id, waitlist_holds.c.status == "held")
                .values(status="expired", settled_at=now)
            )
        return bool(ended)

    def counts(self) -> dict[str, int]:
        """Wishes by status and end reason (ids and states only), for metrics and the report."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(select(waitlist.c.status, waitlist.c.ended_reason)).all()
        counts: dict[str, int] = {}
        for status, reason in rows:
            key = status if reason is None else f"{status}:{reason}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    # --- holds ----------------------------------------------------------------------------------

    def hold(self, hold: Hold, patient_id: str, now: datetime) -> int | None:
        """Store a hold, or None when another worker holds this slot or this wish already."""
        try:
            with self.db.transaction() as connection:
                result = connection.execute(
                    insert(waitlist_holds).values(
                        wish_id=hold.wish_id,
                        patient_id=patient_id,
                        practitioner_id=hold.slot.practitioner_id,
                        start_at=hold.slot.start,
                        end_at=hold.slot.end,
                        status="held",
                        expires_at=hold.expires_at,
                        created_at=now,
                    )
                )
                key = result.inserted_primary_key
                return int(key[0]) if key else None
        except IntegrityError:
            return None

    def live(self, now: datetime | None = None) -> list[StoredHold]:
        """Holds in force (not yet past their time when `now` is given)."""
        query = select(waitlist_holds).where(waitlist_holds.c.status == "held")
        if now is not None:
            query = query.where(waitlist_holds.c.expires_at > now)
        with self.db.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_hold(row) for row in rows]

    def get_hold(self, hold_id: int) -> StoredHold | None:
        with self.db.engine.connect() as connection:
            row = connection.execute(
                select(waitlist_holds).where(waitlist_holds.c.id == hold_id)
            ).first()
        return _hold(row) if row is not None else None

    def refused(self) -> dict[str, set[datetime]]:
        """Per wish, the starts it was offered and did not take (declined or let expire)."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                select(waitlist_holds.c.wish_id, waitlist_holds.c.start_at).where(
                    waitlist_holds.c.status.in_(("declined", "expired", "stale"))
                )
            ).all()
        refused: dict[str, set[datetime]] = {}
        for wish_id, start in rows:
            refused.setdefault(wish_id, set()).add(start)
        return refused

    def expire(self, now: datetime) -> int:
        """Holds past their time are passed on: held → expired."""
        with self.db.transaction() as connection:
            return connection.execute(
                update(waitlist_holds)
                .where(waitlist_holds.c.status == "held", waitlist_holds.c.expires_at <= now)
                .values(status="expired", settled_at=now)
            ).rowcount

    def settle(
        self,
        hold_id: int,
        patient_id: str,
        statuses: Sequence[str],
        status: str,
        now: datetime,
        appointment_id: str | None = None,
    ) -> bool:
        """One conditional move of this patient's hold from one of `statuses` to `status`: of
        two concurrent taps exactly one wins."""
        with self.db.transaction() as connection:
            return bool(
                connection.execute(
                    update(waitlist_holds)
                    .where(
                        waitlist_holds.c.id == hold_id,
                        waitlist_holds.c.patient_id == patient_id,
                        waitlist_holds.c.status.in_(list(statuses)),
                    )
                    .values(status=status, settled_at=now, appointment_id=appointment_id)
                ).rowcount
            )

    def slot_held_by_other(self, hold: StoredHold) -> bool:
        """Whether another patient holds this slot now (the first one let it expire)."""
        with self.db.engine.connect() as connection:
            return (
                connection.execute(
                    select(waitlist_holds.c.id).where(
                        waitlist_holds.c.status == "held",
                        waitlist_holds.c.practitioner_id == hold.hold.slot.practitioner_id,
                        waitlist_holds.c.start_at == hold.hold.slot.start,
                        waitlist_holds.c.id != hold.id,
                    )
                ).first()
                is not None
            )

    def holds(self) -> list[StoredHold]:
        """Every hold (ids, times, states): the report's offers and time to fill."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(select(waitlist_holds).order_by(waitlist_holds.c.id)).all()
        return [_hold(row) for row in rows]

    # --- rows -----------------------------------------------------------------------------------

    def _open(self, row: Row[Any]) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.sealer.open(row.wish))
        return loaded

    def _wish(self, row: Row[Any]) -> Wish:
        document = self._open(row)
        return Wish(
            id=row.id,
            patient_id=row.patient_id,
            reason_id=document["reason_id"],
            window=window_from_dict(document["window"]),
            practitioner_id=document.get("practitioner_id"),
            created_at=row.created_at,
            seen=frozenset(datetime.fromisoformat(s) for s in document.get("seen", [])),
            replaces=document.get("replaces"),
        )


def _document(wish: Wish) -> dict[str, Any]:
    return {
        "reason_id": wish.reason_id,
        "window": window_to_dict(wish.window),
        "practitioner_id": wish.practitioner_id,
        "seen": sorted(s.isoformat() for s in wish.seen),
        "replaces": wish.replaces,
    }


def _hold(row: Row[Any]) -> StoredHold:
    return StoredHold(
        id=row.id,
        patient_id=row.patient_id,
        hold=Hold(row.wish_id, Slot(row.start_at, row.end_at, row.practitioner_id), row.expires_at),
        status=row.status,
        created_at=row.created_at,
        settled_at=row.settled_at,
        appointment_id=row.appointment_id,
    )
