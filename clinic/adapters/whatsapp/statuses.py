"""Meta's statuses of what the channel sent (sent, delivered, read, failed): the outbox row
moves forward, and a row sent once elsewhere (a reminder, a staff alert) is settled by the
listener its callback names."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from clinic.adapters.whatsapp.inbound import Status
from clinic.adapters.whatsapp.outbox import Outbox
from clinic.domain.clock import Clock

logger = logging.getLogger(__name__)

#: `listener(callback, wamid, status, at, error_code)`: a row sent once (a reminder, a staff
#: alert) settled by Meta's echo of its callback; True if the callback was the listener's.
StatusListener = Callable[[str, str, str, datetime, "int | None"], bool]


class Statuses:
    def __init__(
        self, outbox: Outbox, clock: Clock, listeners: Sequence[StatusListener] = ()
    ) -> None:
        self.outbox = outbox
        self.clock = clock
        self.listeners = listeners

    async def record(self, status: Status) -> None:
        if status.status in ("sent", "delivered", "read", "failed") and status.callback:
            # A reminder or staff alert sent once: Meta's echo of its callback settles the row.
            code = status.errors[0][0] if status.errors else None
            for listener in self.listeners:
                if await asyncio.to_thread(
                    listener,
                    status.callback,
                    status.message_id,
                    status.status,
                    self.clock.now(),
                    code,
                ):
                    break
        changed = await asyncio.to_thread(
            self.outbox.record_status,
            status.message_id,
            status.status,
            status.errors,
            self.clock.now(),
        )
        if status.status == "failed" and changed:
            codes = ",".join(str(code) for code, _ in status.errors) or "?"
            logger.warning("WhatsApp reports an outbound message failed: code %s", codes)
            if any(code == 190 for code, _ in status.errors):
                logger.critical("WhatsApp rejected the access token: replace WHATSAPP_ACCESS_TOKEN")
