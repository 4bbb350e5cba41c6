"""The background worker: `clinic worker` (started by `make run`, one service in compose).

Sends the reminders that are due (clinic.reminders), what the outbox holds (messages that failed
while a patient waited, in order per patient), and forgets inbound message ids older than Meta's
redelivery span. Several workers may run at once: each reminder and each outbox row is claimed
by exactly one of them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from clinic.appointments import AppointmentRepository
from clinic.clock import Clock
from clinic.practice import Practice, PracticeConfigError, load_practice
from clinic.reminders import ReminderDispatcher, ReminderRepository
from clinic.settings import Settings, SettingsError
from clinic.storage import Database
from clinic.whatsapp.service import WhatsAppConfig, WhatsAppService

logger = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)


def whatsapp_config(settings: Settings) -> WhatsAppConfig:
    """The WhatsApp settings, or a SettingsError naming what is missing."""
    if not settings.whatsapp_enabled:
        raise SettingsError(
            "WhatsApp is not configured: set WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET, "
            "WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID (make run sets local values)"
        )
    try:
        phone: str | None = load_practice(settings.practice_config).phone
    except (OSError, PracticeConfigError):
        phone = None
    return WhatsAppConfig(
        verify_token=settings.whatsapp_verify_token or "",
        app_secret=settings.whatsapp_app_secret or "",
        access_token=settings.whatsapp_access_token or "",
        phone_number_id=settings.whatsapp_phone_number_id or "",
        api_url=settings.whatsapp_api_url,
        max_message_age=timedelta(seconds=settings.whatsapp_max_message_age),
        patient_id_key=settings.patient_id_key,
        practice_phone=phone,
    )


def dispatcher(
    service: WhatsAppService, database: Database, practice: Practice
) -> ReminderDispatcher:
    return ReminderDispatcher(
        ReminderRepository(database, practice),
        AppointmentRepository(database, buffer=practice.rules.buffer),
        practice,
        service.clock,
        service.send_template_now,
        service.sign,
    )


async def run(
    service: WhatsAppService,
    stop: asyncio.Event,
    reminders: ReminderDispatcher | None = None,
    idle: float = 1.0,
    once: bool = False,
    clock: Clock | None = None,
) -> int:
    """Loop until `stop` is set (or one pass with `once`); returns how many rows were handled."""
    clock = clock or service.clock
    handled = 0
    next_purge = clock.now()
    while not stop.is_set():
        try:
            claimed = await reminders.run_once() if reminders else 0
            claimed += await service.drain_outbox()
            handled += claimed
            if clock.now() >= next_purge:
                purged = await service.purge()
                if purged:
                    logger.info("forgot %d inbound message id(s) older than 8 days", purged)
                next_purge = clock.now() + PURGE_EVERY
        except Exception:  # a database hiccup must not end the worker
            logger.exception("worker pass failed; retrying")
            claimed = 0
        if once:
            break
        if not claimed:
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle)
            except asyncio.TimeoutError:
                pass
    return handled


async def main_async(settings: Settings, once: bool) -> int:
    database = Database(settings.database_url)
    database.create_schema()
    service = WhatsAppService(whatsapp_config(settings), database)
    reminders = dispatcher(service, database, load_practice(settings.practice_config))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info("worker started")
    try:
        await run(service, stop, reminders, once=once)
    finally:
        await service.close()
        database.dispose()
    logger.info("worker stopped")
    return 0
