"""The real action server keeps serving while one action waits on a slow outside call: Google's
freeBusy hanging (the emulator holds it 4 s; our client gives up after its 1.5 s timeout and
retries within its deadline) delays another patient's turn by < 100 ms, because actions run off
the server's event loop (actions/base.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.stack import free_port
from tests.conftest import ROOT, GCal

TOKEN = "action-server-loop-test-token"


def call(port: int, action: str, text: str, slots: dict[str, Any], sender: str) -> float:
    """POST one action request as Rasa does; returns the seconds it took."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    body = {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": domain,
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": text, "intent": {"name": "inform"}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Action-Token": TOKEN},
    )
    began = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        assert response.status == 200
    return time.monotonic() - began


@pytest.fixture
def action_server(gcal: GCal, duckling_url: str, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.db'}",
        "CALENDAR_BACKEND": "google",
        "GOOGLE_CALENDAR_ID": "cabinet",
        "GOOGLE_APPLICATION_CREDENTIALS": str(gcal.key_path),
        "GOOGLE_API_ROOT_URL": gcal.url,
        "DUCKLING_URL": duckling_url,
        "ACTION_SERVER_TOKEN": TOKEN,
        "PRACTICE_CONFIG": str(ROOT / "tests" / "fixtures" / "practice.yml"),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connectors.launch",
            "connectors.action_server",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):  # noqa: S310
                break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "no action server"
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=30)


def test_a_hung_google_call_does_not_stall_another_patient(action_server: int, gcal: GCal) -> None:
    slots = {"reason": "ordonnance"}
    call(action_server, "action_offer_slots", "demain après-midi", slots, "warm-up")
    quick = [call(action_server, "action_opening_hours", "", {}, "b") for _ in range(5)]
    gcal.fault("freeBusy", delay=4, times=3)
    slow: list[float] = []
    worker = threading.Thread(
        target=lambda: slow.append(
            call(action_server, "action_offer_slots", "demain après-midi", slots, "a")
        )
    )
    worker.start()
    time.sleep(0.5)  # patient A's action is now waiting on Google
    during = [call(action_server, "action_opening_hours", "", {}, "b") for _ in range(5)]
    worker.join()
    assert slow and slow[0] >= 1.5  # patient A really waited on Google
    assert max(during) - max(quick) < 0.1, (quick, during)
