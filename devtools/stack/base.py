"""What every part of the stack shares: the project root, the one-line error and port probes.

Kept apart so the supervisor, the children's environment and the commands all depend on it
and never on one another for these basics.
"""

from __future__ import annotations

import random
import socket
import urllib.error
import urllib.request
from pathlib import Path

#: The working directory when the stack starts: `make` runs it from the project's root, and the
#: tests from a scratch copy of it, so paths (models/, var/, deploy/) follow the caller.
ROOT = Path.cwd()


class StackError(RuntimeError):
    """A one-line reason the stack cannot start, naming the culprit."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


#: Ports this process handed out already: two callers must not get the same one before either binds.
_HANDED_OUT: set[int] = set()


def ephemeral_ports() -> range:
    """The ports the kernel gives outgoing connections (Linux's ip_local_port_range)."""
    try:
        low, high = (int(n) for n in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def free_port() -> int:
    """A free loopback port outside the kernel's ephemeral range. A process binds its port only
    once it has started (a Rasa server after a minute of loading its model); a port from the
    ephemeral range could meanwhile be taken as the local end of any outgoing connection, and
    the bind then fails with « address already in use » (it did, in CI)."""
    ephemeral = ephemeral_ports()
    candidates = [p for p in range(20000, 32768) if p not in ephemeral and p not in _HANDED_OUT]
    if not candidates:
        candidates = [p for p in range(ephemeral.stop, 65536) if p not in _HANDED_OUT]
    for port in random.sample(candidates, min(200, len(candidates))):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise StackError("no free port outside the ephemeral range")


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False
