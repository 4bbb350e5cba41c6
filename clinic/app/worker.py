"""The background worker: `clinic worker` (started by `make run`, one service in compose).

Sends the reminders that are due (clinic.services.reminders), freed slots to waiting patients
(clinic.services.waitlist), the staff alerts (clinic.services.alerts), what the
outbox holds (staff replies, messages that failed while a patient waited, in order per patient);
re-alerts unopened emergencies and resumes quiet handoffs (clinic.services.handoff); forgets inbound
message ids older than Meta's redelivery span; once a day, applies the retention rules
(clinic.services.privacy). Several workers may run at once: each reminder,
alert and outbox row is claimed by exactly one of them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from clinic.adapters import metrics
from clinic.adapters.settings import Settings
from clinic.adapters.whatsapp.service import DEDUP_RETENTION
from clinic.app.wiring import Services, build_services

logger = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)
#: Freed slots are looked for this often (each look reads the calendar's busy time).
SWEEP_EVERY = timedelta(seconds=15)
#: The retention pass (clinic.services.privacy): once a day is what a retention in days needs.
RETENTION_EVERY = timedelta(days=1)


async def run(
    services: Services, stop: asyncio.Event, idle: float = 1.0, once: bool = False
) -> int:
    """Loop until `stop` is set (or one pass with `once`); returns how many rows were handled."""
    # Sending is all the worker does on WhatsApp: it needs WHATSAPP_ACCESS_TOKEN and
    # WHATSAPP_PHONE_NUMBER_ID, never the webhook's secrets; fails here, naming what is missing.
    delivery = services.delivery
    clock = services.clock
    handled = 0
    next_purge = next_retention = next_sweep = clock.now()
    while not stop.is_set():
        try:
            realerts, resumed = await asyncio.to_thread(services.handoff.sweep)
            claimed = realerts + resumed
            claimed += await services.alert_dispatcher.run_once()
            claimed += await services.reminder_dispatcher.run_once()
            claimed += await delivery.drain()
            claimed += await asyncio.to_thread(services.privacy.run_requested_erasures)
            handled += claimed
            if clock.now() >= next_sweep:
                next_sweep = clock.now() + SWEEP_EVERY
                try:  # its own failure never holds back the outbox nor an erasure
                    claimed += await asyncio.to_thread(services.waitlist.sweep)
                except Exception:
                    logger.exception("waiting-list sweep failed; retrying at the next one")
            if clock.now() >= next_purge:
                purged = await asyncio.to_thread(
                    services.inbound.purge_inbound, clock.now() - DEDUP_RETENTION
                )
                if purged:
                    logger.info("forgot %d inbound message id(s) older than 8 days", purged)
                next_purge = clock.now() + PURGE_EVERY
            if clock.now() >= next_retention:
                report = await asyncio.to_thread(services.privacy.purge)
                logger.info("retention pass", extra={"retention": report.as_json()})
                next_retention = clock.now() + RETENTION_EVERY
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
    services = build_services(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The database's state (outbox backlog, unopened emergencies…) is reported by workers only.
    metrics.register_database_gauges(services.database, services.clock.now)
    ops = None if once else services.serve_ops(services.readiness_checks(graph=True))
    logger.info("worker started")
    try:
        await run(services, stop, once=once)
    finally:
        if ops is not None:
            ops.stop()
        await services.close()
    logger.info("worker stopped")
    return 0
