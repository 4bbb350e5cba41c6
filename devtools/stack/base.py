"""What every part of the stack shares: the project root, the one-line error and port probes.

Kept apart so the supervisor, the children's environment and the commands all depend on it
and never on one another for these basics.
"""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False
