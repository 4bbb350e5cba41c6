"""The production-shaped stack the attacks run against: the real Rasa server started with the
production credentials file (Meta's variables set, so `make run` picks credentials.yml), the real
action server behind its token, the worker, Duckling; Meta itself is the fake Graph API of the
simulator, on loopback. Attacks speak HTTP from outside, as an attacker on the host would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clinic.adapters.whatsapp.identity import Keyring
from clinic.adapters.whatsapp.inbound import SIGNATURE_HEADER, sign
from devtools.model import model_path
from devtools.simulator import payloads
from devtools.stack import free_port
from tests.http import post_bytes, request
from tests.stack import start_stack

ROOT = Path(__file__).resolve().parents[2]
APP_SECRET = "security-app-secret"
ACCESS_TOKEN = "security-access-token"
VERIFY_TOKEN = "security-verify-token"
PHONE_NUMBER_ID = "106540352242922"
RASA_TOKEN = "security-rasa-token-0123456789"
ACTION_TOKEN = "security-action-token-0123456789"
PATIENT_KEY = "security-patient-id-key-0123456789"


@dataclass
class Production:
    rasa: str
    actions: str
    graph: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    graph_process: subprocess.Popen[str]
    log_offsets: dict[Path, int]

    @property
    def webhook(self) -> str:
        return f"{self.rasa}/webhooks/whatsapp/webhook"

    def patient_id(self, wa_id: str) -> str:
        return Keyring(PATIENT_KEY.encode()).patient_id(wa_id)

    def post(self, payload: dict[str, Any] | bytes, signature: str | bytes | None = None) -> int:
        """A webhook as Meta signs it (or with the given signature header)."""
        body = payload if isinstance(payload, bytes) else payloads.dumps(payload)
        header = signature if signature is not None else sign(body, APP_SECRET)
        headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
        headers[SIGNATURE_HEADER] = header
        status, _ = post_bytes(self.webhook, body, headers)
        return status

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        """Every message body the assistant sent to `wa_id` (the fake Graph API's record)."""
        _, recorded = request(f"{self.graph}/_fake/requests")
        accepted = recorded["accepted"]  # type: ignore[index]
        return [a["body"] for a in accepted if a["to"] == wa_id]

    def texts_to(self, wa_id: str) -> list[str]:
        bodies = self.sent_to(wa_id)
        return [
            b.get("text", {}).get("body")
            or b.get("interactive", {}).get("body", {}).get("text", "")
            for b in bodies
        ]

    def wait_for(self, wa_id: str, count: int, timeout: float = 30) -> list[str]:
        """The texts sent to `wa_id`, once there are at least `count` (or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts_to(wa_id)
            if len(texts) >= count:
                time.sleep(1.0)  # a turn may send several messages
                return self.texts_to(wa_id)
            time.sleep(0.2)
        return self.texts_to(wa_id)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clinic.app.cli", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def logs(self) -> str:
        """What every process of the stack wrote to var/log since it started."""
        written = ""
        for path in (ROOT / "var" / "log").glob("*.log"):
            with path.open("rb") as handle:
                handle.seek(self.log_offsets.get(path, 0))
                written += handle.read().decode("utf-8", "replace")
        return written


def production_env(database_url: str, graph_port: int, duckling_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DUCKLING_URL": f"http://127.0.0.1:{duckling_port}",
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_URL": f"http://127.0.0.1:{graph_port}/v21.0",
        "RASA_AUTH_TOKEN": RASA_TOKEN,
        "ACTION_SERVER_TOKEN": ACTION_TOKEN,
        "PATIENT_ID_KEY": PATIENT_KEY,
        "LOG_LEVEL": "DEBUG",  # the most talkative processes: still no number in any line
    }


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    if not model_path(ROOT).exists():
        pytest.fail("no trained model for the current data: run `make model` first")
    database_url = f"sqlite:///{tmp_path_factory.mktemp('security') / 'clinic.db'}"
    rasa_port, actions_port, graph_port, duckling_port = (free_port() for _ in range(4))
    env = production_env(database_url, graph_port, duckling_port)
    logs = ROOT / "var" / "log"
    offsets = {p: p.stat().st_size for p in logs.glob("*.log")} if logs.exists() else {}
    webhook = f"http://127.0.0.1:{rasa_port}/webhooks/whatsapp/webhook"
    graph = subprocess.Popen(
        [sys.executable, "-m", "devtools.simulator", "--port", str(graph_port)]
        + ["--webhook-url", webhook, "--no-statuses"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        process, output = start_stack(
            env, "--rasa-port", str(rasa_port), "--actions-port", str(actions_port)
        )
    except RuntimeError as error:
        graph.terminate()
        pytest.fail(str(error))
    assert "REST channel" not in output  # the banner offers no REST channel
    yield Production(
        f"http://127.0.0.1:{rasa_port}",
        f"http://127.0.0.1:{actions_port}",
        f"http://127.0.0.1:{graph_port}",
        database_url,
        env,
        process,
        graph,
        offsets,
    )
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    graph.terminate()
    graph.wait(timeout=10)
