"""Reminders before each appointment, in the database: never lost, never sent twice.

Rasa's own reminders live in the process and die with it. Ours are rows (table `reminders`),
created with the booking, moved or cancelled with the appointment, and sent by `clinic worker`:

* a worker claims a due row with a conditional UPDATE, so two workers never take the same one;
* it sends a WhatsApp template whose `biz_opaque_callback_data` is `reminder:<id>`;
* Meta's answer marks it sent (the row keeps a keyed digest of Meta's message id, never the id,
  which encodes the patient's number). When the answer is lost (a timeout after Meta accepted it, or a
  worker killed mid-send) the row stays claimed until its lease runs out, and Meta's status
  webhook, which echoes `reminder:<id>`, marks it sent meanwhile: it is sent again only if Meta
  never heard of it;
* a reminder missed while everything was down goes out on restart if the appointment is still
  ahead, and is recorded as skipped if not.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clinic.adapters import metrics
from clinic.adapters.storage import Database, LeasedQueue
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.tables import reminders
from clinic.domain import french
from clinic.domain.appointments import Appointment
from clinic.domain.clock import Clock
from clinic.domain.jobs import after_failure, drain
from clinic.domain.notify import Messenger, SendFailed, TemplateMessage, callback_id
from clinic.domain.practice import Practice
from clinic.domain.statuses import REMINDER_STATUSES, ReminderStatus

logger = logging.getLogger(__name__)

STATUSES = REMINDER_STATUSES
CALLBACK_PREFIX = "reminder:"
#: How long a claimed reminder waits for Meta's answer or status before it may be sent again.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def kind_of(offset: timedelta) -> str:
    return f"{int(offset.total_seconds() // 3600)}h"


def due_time(start: datetime, offset: timedelta, practice: Practice) -> datetime:
    """When the reminder `offset` before `start` goes out, on the practice's wall clock.

    Whole days are calendar days (24 h before 9h00 is 9h00 the day before, also across a DST
    change); a time outside the practice's sending hours moves earlier, to the end of the
    previous sending window, so a reminder never wakes anyone and never comes late.
    """
    tz = practice.tz
    local = start.astimezone(tz)
    days, rest = divmod(offset, timedelta(days=1))
    wall = datetime.combine(local.date() - timedelta(days=days), local.time())
    due = (wall.replace(tzinfo=tz) - rest).astimezone(tz)
    window = practice.reminders.send_hours
    last = timedelta(minutes=5)
    if due.time() >= window.end:
        due = _at(due.date(), window.end, tz) - last
    elif due.time() < window.start:
        due = _at(due.date() - timedelta(days=1), window.end, tz) - last
    return due


def _at(day: date, moment: time, tz: Any) -> datetime:
    return datetime.combine(day, moment).replace(tzinfo=tz)


@dataclass(frozen=True)
class Reminder:
    id: int
    appointment_id: str
    kind: str
    due: datetime
    status: ReminderStatus
    attempts: int
    note: str | None = None

    def as_json(self, tz: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "appointment_id": self.appointment_id,
            "kind": self.kind,
            "due": self.due.astimezone(tz).isoformat(),
            "status": self.status,
            "attempts": self.attempts,
            "note": self.note,
        }


def _reminder(row: Any) -> Reminder:
    return Reminder(
        row.id, row.appointment_id, row.kind, row.due_at, row.status, row.attempts, row.note
    )


class ReminderRepository:
    """The `reminders` table, planned by the practice's reminder rules."""

    def __init__(
        self,
        database: Database,
        practice: Practice,
        allowed: Callable[[str], bool] | None = None,
        *,
        message_key: Callable[[str], str],
    ) -> None:
        """`allowed(patient_id)`: whether the patient's consent allows reminders
        (clinic.services.privacy; always, when not given). `message_key(wamid)`: the digest
        stored instead of Meta's message id (`Keyring.message_key`)."""
        self.database = database
        self.practice = practice
        self.allowed = allowed or (lambda patient_id: True)
        self.message_key = message_key
        self.jobs = LeasedQueue(database, reminders, reminders.c.due_at)

    def schedule(self, appointment: Appointment, now: datetime) -> list[Reminder]:
        """(Re)plan the reminders of `appointment`: after a booking or a move.

        A reminder whose time has already passed (a booking made less than 24 h ahead) is
        recorded as skipped: the confirmation just sent says the same; so is one the patient's
        consent does not allow (`no consent`).
        """
        declined = not self.allowed(appointment.patient_id)
        for offset in self.practice.reminders.offsets:
            due = due_time(appointment.start, offset, self.practice)
            status, note = ("pending", None) if due > now else ("skipped", "booked after due time")
            if declined:
                status, note = "skipped", "no consent"
            metrics.REMINDERS.labels("planned" if status == "pending" else "skipped").inc()
            values = {
                "due_at": due,
                "status": status,
                "note": note,
                "lease_until": None,
                "wamid": None,
                "sent_at": None,
                "attempts": 0,
                "updated_at": now,
            }
            try:
                with self.database.transaction() as connection:
                    connection.execute(
                        reminders.insert().values(
                            appointment_id=appointment.id,
                            kind=kind_of(offset),
                            created_at=now,
                            **values,
                        )
                    )
            except IntegrityError:  # a move: the same row, a new time (a claimed send loses)
                with self.database.transaction() as connection:
                    connection.execute(
                        update(reminders)
                        .where(
                            reminders.c.appointment_id == appointment.id,
                            reminders.c.kind == kind_of(offset),
                        )
                        .values(values)
                    )
        return self.for_appointment(appointment.id)

    def cancel(self, appointment_id: str, now: datetime) -> int:
        """Cancel what is not sent yet, also a reminder a worker is sending right now: its
        final UPDATE then finds the row cancelled and reports the race."""
        with self.database.transaction() as connection:
            result = connection.execute(
                update(reminders)
                .where(
                    reminders.c.appointment_id == appointment_id,
                    reminders.c.status.in_(("pending", "sending")),
                )
                .values(status="cancelled", lease_until=None, updated_at=now)
            )
        return result.rowcount or 0

    def for_appointment(self, appointment_id: str) -> list[Reminder]:
        with self.database.transaction() as connection:
            rows = connection.execute(
                select(reminders)
                .where(reminders.c.appointment_id == appointment_id)
                .order_by(reminders.c.due_at)
            ).all()
        return [_reminder(row) for row in rows]

    def list(self, status: str | None = None, limit: int = 1000) -> list[Reminder]:
        query = select(reminders).order_by(reminders.c.due_at, reminders.c.id).limit(limit)
        if status:
            query = query.where(reminders.c.status == status)
        with self.database.transaction() as connection:
            return [_reminder(row) for row in connection.execute(query).all()]

    def claim_due(
        self, now: datetime, limit: int = 100, lease: timedelta = LEASE, take: int | None = None
    ) -> builtins.list[Reminder]:
        """Take due reminders for sending (at most `take`); each row is won by one worker only."""
        return [_reminder(row) for row in self.jobs.claim(now, lease, take, scan=limit)]

    def finish(
        self,
        reminder_id: int,
        status: ReminderStatus,
        now: datetime,
        *,
        wamid: str | None = None,
        note: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Record a claimed reminder's outcome; False when it was cancelled (or moved) meanwhile."""
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == "sent":
            values.update(wamid=self.message_key(wamid) if wamid else None, sent_at=now)
        if note is not None:
            values["note"] = note[:200]
        if retry_at is not None:
            values.update(status="pending", due_at=retry_at)
        finished = self.jobs.finish(reminder_id, values)
        if finished:
            metrics.REMINDERS.labels("retry" if retry_at is not None else status).inc()
        return finished

    def confirmed_by_meta(
        self, reminder_id: int, wamid: str, status: str, now: datetime, code: int | None = None
    ) -> bool:
        """Meta's status webhook for `reminder:<id>`: the message exists, whatever we thought;
        and a `failed` after Meta accepted it (an undeliverable number, a template paused) makes
        it failed even when it was recorded as sent, so `reminders list --status failed` is true."""
        failed = status == "failed"
        before: tuple[ReminderStatus, ...] = ("sending", "pending", "failed")
        values: dict[str, Any] = {
            "wamid": self.message_key(wamid),
            "lease_until": None,
            "updated_at": now,
        }
        if failed:
            before += ("sent",)
            values.update(status="failed", note=f"code {code}" if code else "refused by Meta")
        else:
            values.update(status="sent", sent_at=now)
        with self.database.transaction() as connection:
            changed = bool(
                connection.execute(
                    update(reminders)
                    .where(reminders.c.id == reminder_id, reminders.c.status.in_(before))
                    .values(values)
                ).rowcount
            )
        if changed and failed:
            metrics.REMINDERS.labels("failed").inc()
        return changed


def parse_callback(data: str | None) -> int | None:
    """The reminder id in a status webhook's `biz_opaque_callback_data`, if it is one of ours."""
    return callback_id(CALLBACK_PREFIX, data)


class ReminderDispatcher:
    """The worker's job: send each due reminder once, as the practice's approved template."""

    def __init__(
        self,
        repository: ReminderRepository,
        appointments: AppointmentRepository,
        practice: Practice,
        clock: Clock,
        messenger: Messenger,
    ) -> None:
        self.repository = repository
        self.appointments = appointments
        self.practice = practice
        self.clock = clock
        self.messenger = messenger

    def template(self, appointment: Appointment) -> TemplateMessage:
        """First name, day and time; no reason, no practitioner (no health data). Its quick
        replies carry this appointment's id, so they work days later, after the session ended."""
        rules = self.practice.reminders
        return TemplateMessage(
            rules.template,
            rules.language,
            name_and_day(appointment, self.practice),
            tuple(
                f'/{intent}{{"appointment_id": "{appointment.id}"}}'
                for intent in (
                    "confirm_appointment",
                    "cancel_appointment",
                    "reschedule_appointment",
                )
            ),
        )

    async def run_once(self, limit: int = 100) -> int:
        """One pass over what is due; returns how many reminders were claimed."""

        async def claim() -> list[Reminder]:
            return await asyncio.to_thread(
                self.repository.claim_due, self.clock.now(), 20, LEASE, 1
            )

        return await drain(claim, self._one, limit, "reminder")

    async def _one(self, reminder: Reminder) -> None:
        now = self.clock.now()
        appointment = await asyncio.to_thread(self.appointments.get, reminder.appointment_id)
        finish = self.repository.finish
        if appointment is None or not appointment.active:
            await asyncio.to_thread(
                finish, reminder.id, "cancelled", now, note="appointment cancelled"
            )
            return
        if appointment.start <= now:
            # Missed while everything was down, and too late now: say so in the record only.
            await asyncio.to_thread(
                finish, reminder.id, "skipped", now, note="appointment already started"
            )
            logger.info("reminder %s skipped: its appointment has started", reminder.id)
            return
        try:
            wamid = await self.messenger.send_now(
                appointment.patient_id,
                self.template(appointment),
                f"{CALLBACK_PREFIX}{reminder.id}",
            )
        except SendFailed as error:
            retry = after_failure(error, reminder.attempts + 1, now, MAX_ATTEMPTS, 15, 600)
            if retry is None:
                logger.info("reminder %s: no answer from Meta; waiting for its status", reminder.id)
                return
            await asyncio.to_thread(
                finish, reminder.id, retry.status, now, note=retry.note, retry_at=retry.retry_at
            )
            if retry.status == "failed":
                logger.warning("reminder %s failed: code %s", reminder.id, error.code)
            return
        if not await asyncio.to_thread(finish, reminder.id, "sent", now, wamid=wamid):
            logger.warning(
                "reminder %s was sent while its appointment was cancelled or moved", reminder.id
            )


def name_and_day(appointment: Appointment, practice: Practice) -> tuple[str, str]:
    """The only variables our templates carry: the first name and the day and time."""
    first_name = appointment.patient_name.split()[0] if appointment.patient_name else ""
    local = appointment.start.astimezone(practice.tz)
    return (first_name or "Madame, Monsieur", french.day_and_hour(local))


def staff_notice(appointment: Appointment, practice: Practice, template: str) -> TemplateMessage:
    """A template about this appointment, in the practice's approved wording: the first name
    and the day only (no reason, no practitioner)."""
    return TemplateMessage(
        template, practice.reminders.language, name_and_day(appointment, practice)
    )
