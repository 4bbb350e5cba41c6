"""Staff alerts: a row per pause, round, channel and recipient (table `staff_alerts`), sent by
`clinic worker` like reminders: never lost, and never sent twice on WhatsApp.

* queueing is idempotent: the unique key (pause, round, channel, recipient) lets a second replica
  queueing the same alert insert nothing;
* a worker claims a due row with a conditional UPDATE and a lease, so two workers never take the
  same one, and a worker killed mid-send holds it only until the lease ends;
* on WhatsApp the template carries `alert:<id>` as `biz_opaque_callback_data`: when Meta's answer
  is lost (a timeout), its status webhook settles the row, and it is sent again only if Meta never
  heard of it; the row keeps a keyed digest of Meta's message id, never the id (which encodes
  the staff member's number);
* e-mail cannot be asked « already received? »: at least once, with a stable Message-ID
  (clinic.adapters.mail).

The text names no patient, no number and none of the patient's words: a reason (for an
emergency, its red-flag category from a fixed list) and a reference to open.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters import metrics
from clinic.adapters.storage import Database, LeasedQueue
from clinic.adapters.storage.conversations import reference
from clinic.adapters.storage.tables import staff_alerts
from clinic.domain.clock import Clock
from clinic.domain.jobs import after_failure, drain
from clinic.domain.notify import SendFailed, StaffAlert, StaffChannel, TemplateMessage, callback_id
from clinic.domain.practice import Practice
from clinic.domain.safety.categories import by_code
from clinic.domain.statuses import AlertChannel, AlertReason, AlertStatus

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "alert:"
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8

#: What staff read, by reason (no personal data: the console shows the rest to staff only).
LABELS: dict[AlertReason, str] = {
    "emergency": "urgence signalée",
    "handoff": "un patient demande à parler à l'équipe",
    "fallback": "un patient que l'assistant ne comprend pas demande l'équipe",
    "data_request": "demande sur des données personnelles (RGPD)",
    "number_changed": "un patient a changé de numéro WhatsApp",
    "erasure": "un patient a effacé ses données, ses rendez-vous à venir sont annulés",
}


def alert_label(reason: AlertReason, danger: str | None = None) -> str:
    """« urgence signalée : douleur thoracique »: the reason, and for an emergency the red-flag
    category (one of a fixed list, never the patient's words)."""
    label = LABELS.get(reason, reason)
    category = by_code(danger) if reason == "emergency" else None
    return f"{label} : {category.label}" if category else label


def render(
    reason: AlertReason,
    ref: str,
    round_: int,
    key: str,
    template: str,
    language: str,
    danger: str | None = None,
) -> StaffAlert:
    """The alert in each channel's form. The template (`alerte_equipe`,
    docs/whatsapp-templates.md) reads: « Alerte du cabinet : {{1}} dans une conversation
    (réf. {{2}}). Ouvrez la console pour répondre. »"""
    label = alert_label(reason, danger)
    if round_ > 1:
        label = f"rappel, {label}, personne n'a encore ouvert la conversation"
    subject = f"[Cabinet] {label[0].upper()}{label[1:]} (réf. {ref})"
    where = (
        "Les créneaux libérés sont dans le journal : clinic audit list"
        if reason == "erasure"
        else "Ouvrez la console du cabinet pour lire la conversation et répondre au patient, "
        f"ou en ligne de commande : clinic conversations show {ref}"
    )
    text = (
        f"Alerte de l'assistant WhatsApp du cabinet : {label} (réf. {ref}).\n\n{where}\n\n"
        "Ce message ne contient volontairement ni nom, ni numéro, ni motif.\n"
    )
    return StaffAlert(
        reference=ref,
        key=key,
        subject=subject,
        text=text,
        template=TemplateMessage(template, language, (label, ref)),
    )


@dataclass(frozen=True)
class Alert:
    id: int
    patient_id: str
    episode: int
    round: int
    reason: AlertReason
    channel: AlertChannel
    recipient: str
    status: AlertStatus
    attempts: int
    external_id: str | None
    note: str | None
    created_at: datetime
    danger: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation": reference(self.patient_id),
            "round": self.round,
            "reason": self.reason,
            "channel": self.channel,
            "recipient": self.recipient,
            "status": self.status,
            "attempts": self.attempts,
            "note": self.note,
        }


def _alert(row: Any) -> Alert:
    return Alert(
        row.id,
        row.patient_id,
        row.episode,
        row.round,
        row.reason,
        row.channel,
        row.recipient,
        row.status,
        row.attempts,
        row.external_id,
        row.note,
        row.created_at,
        row.danger,
    )


def channel_of(recipient: str) -> AlertChannel:
    return "email" if "@" in recipient else "whatsapp"


class AlertRepository:
    def __init__(self, database: Database, *, message_key: Callable[[str], str]) -> None:
        """`message_key(wamid)`: the digest stored instead of Meta's message id (a WhatsApp
        alert's id encodes the staff member's number; `Keyring.message_key`)."""
        self.database = database
        self.message_key = message_key
        self.jobs = LeasedQueue(database, staff_alerts, staff_alerts.c.next_attempt_at)

    def queue(
        self,
        patient_id: str,
        episode: int,
        reason: AlertReason,
        round_: int,
        recipients: tuple[str, ...],
        now: datetime,
        danger: str | None = None,
    ) -> int:
        """One row per recipient; a row already queued (another replica) is left alone."""
        queued = 0
        for recipient in recipients:
            try:
                with self.database.transaction() as connection:
                    connection.execute(
                        staff_alerts.insert().values(
                            patient_id=patient_id,
                            episode=episode,
                            round=round_,
                            reason=reason,
                            danger=danger,
                            channel=channel_of(recipient),
                            recipient=recipient,
                            status="pending",
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                queued += 1
            except IntegrityError:
                pass
        return queued

    def claim_due(self, now: datetime, lease: timedelta = LEASE, take: int = 1) -> list[Alert]:
        return [_alert(row) for row in self.jobs.claim(now, lease, take, scan=20)]

    def finish(
        self,
        alert_id: int,
        status: AlertStatus,
        now: datetime,
        *,
        external_id: str | None = None,
        wamid: str | None = None,
        note: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """`external_id`: an e-mail's Message-ID, kept as it is; `wamid`: Meta's id of a
        WhatsApp alert, kept as its digest."""
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if external_id is not None:
            values["external_id"] = external_id
        if wamid is not None:
            values["external_id"] = self.message_key(wamid)
        if note is not None:
            values["note"] = note[:200]
        if retry_at is not None:
            values.update(status="pending", next_attempt_at=retry_at)
        return self.jobs.finish(alert_id, values)

    def confirmed_by_meta(
        self, alert_id: int, wamid: str, status: str, now: datetime, code: int | None = None
    ) -> bool:
        """Meta's status for `alert:<id>`: the message exists (or failed), whatever we thought."""
        table = staff_alerts
        values: dict[str, Any] = {
            "external_id": self.message_key(wamid),
            "lease_until": None,
            "updated_at": now,
        }
        before: tuple[AlertStatus, ...] = ("sending", "pending", "failed")
        if status == "failed":
            values.update(status="failed", note=f"code {code}" if code else "refused by Meta")
            before += ("sent",)
        else:
            values["status"] = "sent"
        with self.database.transaction() as connection:
            return bool(
                connection.execute(
                    update(table)
                    .where(table.c.id == alert_id, table.c.status.in_(before))
                    .values(values)
                ).rowcount
            )

    def list(self, patient_id: str | None = None, limit: int = 500) -> builtins.list[Alert]:
        query = select(staff_alerts).order_by(staff_alerts.c.id).limit(limit)
        if patient_id:
            query = query.where(staff_alerts.c.patient_id == patient_id)
        with self.database.transaction() as connection:
            return [_alert(row) for row in connection.execute(query).all()]


def parse_callback(data: str | None) -> int | None:
    """The alert id in a status webhook's `biz_opaque_callback_data`, if it is one of ours."""
    return callback_id(CALLBACK_PREFIX, data)


class AlertDispatcher:
    """The worker's job: each due alert once, through the channel its recipient needs."""

    def __init__(
        self,
        repository: AlertRepository,
        channels: Mapping[AlertChannel, StaffChannel],
        practice: Practice,
        clock: Clock,
    ) -> None:
        self.repository = repository
        self.channels = channels
        self.practice = practice
        self.clock = clock

    async def run_once(self, limit: int = 50) -> int:
        """One pass over what is due; returns how many alerts were claimed."""

        async def claim() -> list[Alert]:
            return await asyncio.to_thread(self.repository.claim_due, self.clock.now())

        return await drain(claim, self._one, limit, "staff alert")

    async def _one(self, alert: Alert) -> None:
        finish = self.repository.finish
        channel = self.channels.get(alert.channel)
        if channel is None:
            missing = "SMTP_URL" if alert.channel == "email" else "the WhatsApp settings"
            await asyncio.to_thread(
                finish, alert.id, "failed", self.clock.now(), note=f"not configured: {missing}"
            )
            metrics.STAFF_ALERTS.labels(alert.channel, "failed").inc()
            logger.error("staff alert %s not sent: set %s", alert.id, missing)
            return
        message = render(
            alert.reason,
            reference(alert.patient_id),
            alert.round,
            f"{CALLBACK_PREFIX}{alert.id}",
            self.practice.handoff.alert_template,
            self.practice.reminders.language,
            alert.danger,
        )
        try:
            external_id = await channel.alert(alert.recipient, message)
        except SendFailed as error:
            now = self.clock.now()
            retry = after_failure(error, alert.attempts + 1, now, MAX_ATTEMPTS, 5, 300)
            if retry is None:
                logger.info("staff alert %s: no answer; waiting for its status", alert.id)
                return
            await asyncio.to_thread(
                finish, alert.id, retry.status, now, note=retry.note, retry_at=retry.retry_at
            )
            outcome = "failed" if retry.status == "failed" else "retry"
            metrics.STAFF_ALERTS.labels(alert.channel, outcome).inc()
            if retry.status == "failed":
                logger.error("staff alert %s failed: code %s", alert.id, error.code)
            return
        now = self.clock.now()
        if alert.channel == "whatsapp":  # Meta's id encodes the number: its digest only
            await asyncio.to_thread(finish, alert.id, "sent", now, wamid=external_id)
        else:
            await asyncio.to_thread(finish, alert.id, "sent", now, external_id=external_id)
        metrics.STAFF_ALERTS.labels(alert.channel, "sent").inc()
