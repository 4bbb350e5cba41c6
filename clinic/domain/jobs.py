"""What the worker's senders of one-at-a-time jobs share (reminders, staff alerts): the pass over
claimed rows, and what a failed send becomes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeVar

from clinic.domain.notify import SendFailed

logger = logging.getLogger(__name__)


class Job(Protocol):
    @property
    def id(self) -> int: ...


J = TypeVar("J", bound=Job)


async def drain(
    claim: Callable[[], Awaitable[Sequence[J]]],
    handle: Callable[[J], Awaitable[None]],
    limit: int,
    what: str,
) -> int:
    """Claim and handle one job at a time, so a worker that dies holds at most one (until its
    lease ends), never a batch others could have sent. Returns how many were claimed."""
    handled = 0
    while handled < limit:
        claimed = await claim()
        if not claimed:
            break
        handled += 1
        try:
            await handle(claimed[0])
        except Exception:  # one bad row must not stop the others
            logger.exception("%s %s could not be handled", what, claimed[0].id)
    return handled


@dataclass(frozen=True)
class Retry:
    """What a failed send becomes: tried again at `retry_at`, or failed for good (None)."""

    status: Literal["pending", "failed"]
    note: str
    retry_at: datetime | None = None


def after_failure(
    error: SendFailed, attempts: int, now: datetime, max_attempts: int, first: float, cap: float
) -> Retry | None:
    """None when the channel may have the message (a timeout): keep the claim, its status
    callback or the lease's end will tell. Else a retry with exponential backoff (`first`
    seconds doubling up to `cap`) while the error allows it, or a failure with its code."""
    if error.ambiguous:
        return None
    if error.retryable and attempts < max_attempts:
        delay = min(cap, first * 2**attempts)
        return Retry("pending", f"code {error.code}", now + timedelta(seconds=delay))
    return Retry("failed", f"code {error.code}: {error.title}")
