"""The signed-out console with two accounts (a manager, a receptionist), over the test's core."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from clinic.app.console.app import Console
from clinic.app.wiring import Services
from tests.console.test_console import MANAGER, STAFF


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    services.staff.add(MANAGER[0], MANAGER[1], MANAGER[2])
    services.staff.add(STAFF[0], STAFF[1], STAFF[2])
    client = TestClient(TestServer(Console(services).app()))
    await client.start_server()
    yield client
    await client.close()
