"""A per-address limit on failed sign-ins, on top of each account's own lockout.

The account lockout (`StaffAccounts`) stops guessing one account's password; this stops one
client trying many addresses, or locking every colleague's account in turn. It is counted in
memory, per console process: a restart forgets it, and two console processes count apart. That
is enough for the console (one process per practice); the account lockout, in the database,
is the limit that holds everywhere.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

FAILURES = 20
WINDOW_SECONDS = 15 * 60
#: Addresses remembered at most: a flood of addresses costs bounded memory (the oldest go first).
MAX_ADDRESSES = 10_000


class SignInLimit:
    """At most `limit` failed sign-ins per address within a sliding `window` of seconds.

    An attempt is counted when it starts (`attempt`) and forgiven if it succeeds (`forgive`):
    parallel requests from one address cannot all pass the check before the first failure is
    recorded. Handlers run on the event loop, so no lock is needed. `now` is injectable so tests
    travel in time.
    """

    def __init__(
        self,
        limit: int = FAILURES,
        window: float = WINDOW_SECONDS,
        now: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.limit = limit
        self.window = window
        self.now = now
        self.max_addresses = max_addresses
        self._attempts: dict[str, deque[float]] = {}

    def attempt(self, address: str) -> float | None:
        """Count an attempt from `address`; its stamp (for `forgive`), or None when the address
        is over the limit and must be refused without checking any password."""
        now = self.now()
        stamps = self._attempts.get(address)
        if stamps is None:
            if len(self._attempts) >= self.max_addresses:
                self._attempts.pop(next(iter(self._attempts)))
            stamps = self._attempts[address] = deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return None
        stamps.append(now)
        return now

    def forgive(self, address: str, stamp: float) -> None:
        """The attempt succeeded (or was a disabled account's right password): not a failure."""
        stamps = self._attempts.get(address)
        if stamps is not None and stamp in stamps:
            stamps.remove(stamp)

    def retry_after(self, address: str) -> int:
        """Seconds until the oldest counted failure of `address` leaves the window."""
        stamps = self._attempts.get(address)
        if not stamps:
            return 0
        return max(1, math.ceil(stamps[0] + self.window - self.now()))


def client_address(request: web.Request) -> str:
    """Who is signing in, for the limit: the direct peer, or, when the peer is on loopback or
    a private network (Caddy in front), the rightmost X-Forwarded-For entry, the one our proxy
    wrote (entries further left are whatever the client sent). An IPv6 client counts by its
    /64, which one subscriber gets whole."""
    peer = request.remote or ""
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if ip.is_loopback or ip.is_private:
        entries = [
            entry.strip()
            for header in request.headers.getall("X-Forwarded-For", [])
            for entry in header.split(",")
            if entry.strip()
        ]
        if entries:
            try:
                ip = ipaddress.ip_address(entries[-1])
            except ValueError:
                pass
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
