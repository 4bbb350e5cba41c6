"""Shared fixtures: real servers on free loopback ports, never a live outside service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic.duckling.engine import DucklingEngine
from clinic.duckling.server import DucklingHTTPServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def duckling_engine() -> DucklingEngine:
    return DucklingEngine()


@pytest.fixture(scope="session")
def duckling_url(duckling_engine: DucklingEngine) -> Iterator[str]:
    """The embedded Duckling HTTP server, in a thread, on a free port."""
    server = DucklingHTTPServer(("127.0.0.1", 0), duckling_engine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
