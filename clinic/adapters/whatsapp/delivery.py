"""Getting messages to the patient: in order, retried when Meta says so, never lost.

Every outbound message is written to the outbox first, then sent. A retryable failure is
retried a few times at once with exponential backoff and jitter; if it still fails the row waits
for the worker (`clinic worker`), so a restart loses nothing. Permanent failures are recorded,
not retried; an expired token (190) is logged at CRITICAL for the operator.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from clinic.adapters.whatsapp import messages
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.graph import WINDOW_CLOSED, GraphClient, GraphError
from clinic.adapters.whatsapp.messages import is_template
from clinic.adapters.whatsapp.outbox import Outbound, Outbox
from clinic.domain.clock import Clock

logger = logging.getLogger(__name__)

#: Meta asks to wait 4^X seconds between retries to one recipient after a pair rate limit.
PAIR_RATE_LIMIT = 131056


@dataclass(frozen=True)
class RetryPolicy:
    inline_attempts: int = 3  # tries while the patient waits for the answer
    max_attempts: int = 10  # in all, worker included, before giving up
    base_delay: float = 0.5  # seconds
    max_delay: float = 300.0
    lease: timedelta = timedelta(seconds=60)  # a claimed row is due again after this

    def delay(self, attempts: int, code: int) -> float:
        """Exponential backoff with full jitter (4^n for Meta's pair rate limit)."""
        factor = 4 if code == PAIR_RATE_LIMIT else 2
        ceiling = min(self.max_delay, self.base_delay * factor ** max(0, attempts - 1))
        return random.uniform(ceiling / 2, ceiling)


class KeyedLocks:
    """One asyncio lock per key (a patient), forgotten when nobody holds or waits on it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock


class Delivery:
    def __init__(
        self,
        outbox: Outbox,
        contacts: Contacts,
        graph: GraphClient,
        clock: Clock,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.outbox = outbox
        self.contacts = contacts
        self.graph = graph
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._locks = KeyedLocks()

    async def deliver(self, patient_id: str, bodies: list[dict[str, Any]], kind: str = "") -> None:
        """Send `bodies` to the patient, one after the other: Meta does not keep the order of
        concurrent requests, so each waits for the previous one to be accepted or queued."""
        async with self._locks(patient_id):
            for body in bodies:
                row_id, claimed = await asyncio.to_thread(
                    self.outbox.enqueue,
                    patient_id,
                    kind or body.get("type", "text"),
                    body,
                    self.clock.now(),
                    self.policy.lease,
                )
                if claimed:
                    await self._attempt(row_id, patient_id, body, 0, self.policy.inline_attempts)

    async def _attempt(
        self, row_id: int, patient_id: str, body: dict[str, Any], attempts: int, budget: int
    ) -> bool:
        """Up to `budget` tries now; True when Meta accepted the message."""
        wa_id = await self._reachable(row_id, patient_id, body, attempts)
        if wa_id is None:
            return False
        wire = {key: value for key, value in body.items() if not key.startswith("_")}
        for attempt in range(budget):
            try:
                wamid = await self.graph.send(wa_id, wire)
            except GraphError as error:
                attempts += 1
                if error.needs_operator:
                    logger.critical(
                        "WhatsApp rejected the access token (%s): replace WHATSAPP_ACCESS_TOKEN; "
                        "messages are failing",
                        error.code,
                    )
                if not error.retryable or attempts >= self.policy.max_attempts:
                    await self._give_up(row_id, patient_id, body, error, attempts)
                    return False
                delay = self.policy.delay(attempts, error.code)
                if attempt == budget - 1:
                    await self._retry_later(row_id, error, attempts, delay)
                    return False
                await self._sleep(delay)
            else:
                attempts += 1
                now = self.clock.now()
                await asyncio.to_thread(self.outbox.accepted, row_id, wamid, attempts, now)
                return True
        return False

    async def _reachable(
        self, row_id: int, patient_id: str, body: dict[str, Any], attempts: int
    ) -> str | None:
        """The patient's WhatsApp id, or None (the row failed): no number, or a free-form
        message outside the 24-hour window (Meta would refuse it with 131047)."""
        outbox, now = self.outbox, self.clock.now()
        contact = await asyncio.to_thread(self.contacts.contact, patient_id)
        if contact is None or not contact.wa_id:
            await asyncio.to_thread(outbox.failed, row_id, 0, "no phone number", attempts, now)
            logger.warning("outbound %s: no WhatsApp number for this patient", row_id)
            return None
        if not is_template(body) and not contact.window_open(now):
            await asyncio.to_thread(
                outbox.failed, row_id, WINDOW_CLOSED, "24-hour window closed", attempts, now
            )
            logger.info("outbound %s not sent: the 24-hour window is closed", row_id)
            return None
        return contact.wa_id

    async def _give_up(
        self, row_id: int, patient_id: str, body: dict[str, Any], error: GraphError, attempts: int
    ) -> None:
        """Failed for good: recorded, and its plain-text stand-in sent if it has one."""
        now = self.clock.now()
        await asyncio.to_thread(self.outbox.failed, row_id, error.code, error.title, attempts, now)
        logger.warning(
            "outbound %s failed for good after %d attempt(s): code %s (fbtrace %s)",
            row_id,
            attempts,
            error.code,
            error.fbtrace_id,
        )
        if body.get("_fallback"):
            await self._fallback(patient_id, str(body["_fallback"]))

    async def _retry_later(
        self, row_id: int, error: GraphError, attempts: int, delay: float
    ) -> None:
        """Out of tries for now: the worker sends it again after `delay` seconds."""
        now = self.clock.now()
        at = now + timedelta(seconds=delay)
        await asyncio.to_thread(
            self.outbox.retry_later, row_id, at, error.code, error.title, attempts, now
        )
        logger.info("outbound %s queued for retry in %.1f s (code %s)", row_id, delay, error.code)

    async def _fallback(self, patient_id: str, text: str) -> None:
        """The plain-text stand-in of a message WhatsApp refused (a document it could not fetch)."""
        for piece in messages.text(text):
            row_id, claimed = await asyncio.to_thread(
                self.outbox.enqueue,
                patient_id,
                "fallback",
                piece,
                self.clock.now(),
                self.policy.lease,
            )
            if claimed:
                await self._attempt(row_id, patient_id, piece, 0, self.policy.inline_attempts)

    async def drain(self, limit: int = 50) -> int:
        """Send what is due in the outbox (one pass); returns how many rows were claimed.

        Each patient's messages go one at a time and in order; patients are served concurrently.
        """
        rows = await asyncio.to_thread(
            self.outbox.claim_due, self.clock.now(), self.policy.lease, limit
        )
        by_patient: defaultdict[str, list[Outbound]] = defaultdict(list)
        for row in rows:
            by_patient[row.patient_id].append(row)

        async def serve(patient_rows: list[Outbound]) -> None:
            for row in patient_rows:
                if row.body is None:
                    await asyncio.to_thread(
                        self.outbox.failed, row.id, 0, "body lost", row.attempts, self.clock.now()
                    )
                    continue
                await self._attempt(row.id, row.patient_id, row.body, row.attempts, 1)

        await asyncio.gather(*(serve(patient_rows) for patient_rows in by_patient.values()))
        return len(rows)

    async def mark_read(self, message_id: str) -> None:
        """Best effort: a lost read receipt is not worth a retry."""
        try:
            await self.graph.mark_read(message_id, typing=True)
        except GraphError as error:
            logger.info("mark-as-read failed: code %s", error.code)
