"""The real connector in a real Sanic app on a loopback port, sending to the fake Graph API.

The dialogue behind it is a small scripted stand-in (the connector's subject is the channel, not
Rasa); tests/test_e2e_whatsapp.py runs the same connector inside the real Rasa server.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from clinic.adapters.settings import Settings
from clinic.adapters.storage import Database
from clinic.adapters.whatsapp.delivery import RetryPolicy
from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign
from clinic.adapters.whatsapp.service import WhatsAppService
from clinic.app.wiring import Services, Tuning, build_services
from clinic.domain.practice import Practice
from clinic.domain.safety import language
from connectors.whatsapp import WhatsAppInput
from devtools.simulator import payloads
from devtools.simulator.graph import FakeGraph
from devtools.simulator.server import build

#: Meta's own sample payloads (sources in tests/fixtures/whatsapp/SOURCES.md).
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
APP_SECRET = "test-app-secret"
ACCESS_TOKEN = "test-access-token"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "106540352242922"
PATIENT = "33612345678"
#: Fast retries for tests: the policy's numbers, not its logic, are what differ in production.
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, lease=timedelta(seconds=1))
#: The turn budget is a patient's (production: 4 s), so a loaded CI machine never sends « un
#: instant » where a test counts the replies; tests/connector/test_slow_turns.py shortens it.
TUNING = Tuning(
    retry=FAST,
    graph_timeout=0.5,
    smtp_timeout=1.0,
    turn_budget=5.0,
    turns_in_flight=2,
    inbound_lease=timedelta(seconds=1),
)


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


Dialogue = Callable[[UserMessage], Any]


async def echo(message: UserMessage) -> None:
    """A stand-in dialogue: answers every turn with what it understood."""
    await message.output_channel.send_text_message(message.sender_id, f"reçu : {message.text}")


@dataclass
class Harness:
    url: str  # the webhook URL
    graph: FakeGraph
    channel: WhatsAppInput
    database: Database
    session: aiohttp.ClientSession
    turns: list[UserMessage] = field(default_factory=list)
    simulator_url: str = ""  # the chat page and the fake Graph API

    async def post(
        self, payload: dict[str, Any] | bytes, signature: str | None | bool = True
    ) -> tuple[int, str]:
        body = payload if isinstance(payload, bytes) else payloads.dumps(payload)
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers[SIGNATURE_HEADER] = sign(body, APP_SECRET)
        elif isinstance(signature, str):
            headers[SIGNATURE_HEADER] = signature
        async with self.session.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every background turn and send has finished."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.channel._tasks or self.service._receipts:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("background work did not finish")
            await asyncio.sleep(0.01)

    def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        bodies = [item["body"] for item in self.graph.accepted]
        return [b for b in bodies if kind is None or b["type"] == kind]

    @property
    def services(self) -> Services:
        return self.channel.services

    @property
    def service(self) -> WhatsAppService:
        return self.channel.service


@pytest.fixture
def dialogue() -> Dialogue:
    return echo


@pytest.fixture
def tuning() -> Tuning:
    """The harness's timings; a module overrides this fixture to test one of them."""
    return TUNING


def harness_services(
    database_url: str, practice: Practice, api_url: str, tuning: Tuning = TUNING
) -> Services:
    """What a Rasa server with the WhatsApp channel builds, pointed at the fake Graph API."""
    settings = Settings(
        database_url=database_url,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_access_token=ACCESS_TOKEN,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_api_url=api_url,
    )
    return build_services(settings, practice, tuning=tuning)


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(100)
    return sock


@pytest.fixture
async def harness(
    database_url: str, dialogue: Dialogue, practice: Practice, tuning: Tuning
) -> AsyncIterator[Harness]:
    # Sockets bound now and handed to the servers: a port picked then bound later could be taken
    # in between by another process (seen in CI: « address already in use »).
    connector_socket, graph_socket = listening_socket(), listening_socket()
    port, graph_port = connector_socket.getsockname()[1], graph_socket.getsockname()[1]
    # The simulator: the fake Graph API plus the chat page, posting to this connector.
    simulator, graph_app = build(
        f"http://127.0.0.1:{port}/webhooks/whatsapp/webhook",
        APP_SECRET,
        ACCESS_TOKEN,
        PHONE_NUMBER_ID,
        statuses=False,
    )
    graph = simulator.graph
    runner = web.AppRunner(graph_app)
    await runner.setup()
    await web.SockSite(runner, graph_socket).start()

    services = harness_services(
        database_url, practice, f"http://127.0.0.1:{graph_port}/v21.0", tuning
    )
    # The test patient has seen the privacy notice (tests/connector/test_privacy.py shows it to
    # new numbers): the other tests read the answers that follow it.
    services.privacy.notice_shown(services.keyring.patient_id(PATIENT))
    # The channel loads the language models in the background as it starts; loaded here, no
    # test depends on how fast (an English sample gets the foreign line first, always).
    language.load()
    channel = WhatsAppInput(services=services)
    turns: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        turns.append(message)
        await dialogue(message)

    Sanic.test_mode = True
    app = Sanic(f"whatsapp_test_{uuid.uuid4().hex[:8]}")
    # Rasa's own registration; the agent is the stand-in dialogue.
    app.ctx.agent = SimpleNamespace(handle_message=on_new_message)
    register([channel], app, route="/webhooks/")
    server = await app.create_server(
        sock=connector_socket, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    session = aiohttp.ClientSession()
    harness = Harness(
        f"http://127.0.0.1:{port}/webhooks/whatsapp/webhook",
        graph,
        channel,
        services.database,
        session,
        turns,
        f"http://127.0.0.1:{graph_port}",
    )
    try:
        yield harness
    finally:
        await harness.settle()
        await session.close()
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        services.database.dispose()
        await runner.cleanup()


ROOT = Path(__file__).resolve().parents[2]


def worker_env(harness: Harness) -> dict[str, str]:
    """The environment of a `clinic worker` process pointed at this harness."""
    import os

    settings = harness.services.settings
    return dict(
        os.environ,
        DATABASE_URL=settings.database_url,
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_ACCESS_TOKEN=ACCESS_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_API_URL=settings.whatsapp_api_url,
        PRACTICE_CONFIG=str(ROOT / "tests" / "fixtures" / "practice.yml"),
        LOG_LEVEL="WARNING",
    )


def worker_process(harness: Harness, **extra: str) -> subprocess.Popen[bytes]:
    """`clinic worker` in its own process, pointed at this harness (`extra`: more variables)."""
    return subprocess.Popen(
        [sys.executable, "-m", "clinic.app.cli", "worker"],
        cwd=ROOT,
        env={**worker_env(harness), **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def wait_for(
    condition: Callable[[], bool], timeout: float, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Until `condition()`, failing with a worker's output if one dies meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                out = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"a worker died: {out}")
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
