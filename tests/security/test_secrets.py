"""Findings 7, 9, 10 (what bypasses logging) and 11, each against real processes: the `clinic`
CLI, the action server, the launcher, the simulator and `make run`'s supervisor. No model needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from clinic.adapters.keys import fingerprint
from clinic.adapters.logs import PHONE_MASK
from clinic.adapters.settings import Settings
from clinic.adapters.whatsapp.identity import Keyring
from clinic.app.wiring import build_services
from clinic.domain.appointments import Appointment
from clinic.domain.practice import load_practice
from devtools.stack import free_port
from tests.http import post_bytes, request
from tests.stack import simulator_token

ROOT = Path(__file__).resolve().parents[2]
OLD_KEY = "the-key-of-the-pilot-0123456789"
NEW_KEY = "the-key-of-production-0123456789"
WA_ID = "33611112222"


def clinic(database_url: str, *args: str, key: str | None, stdin: str | None = None):  # noqa: ANN201
    env = {k: v for k, v in os.environ.items() if k != "PATIENT_ID_KEY"}
    env["DATABASE_URL"] = database_url
    if key is not None:
        env["PATIENT_ID_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "clinic.app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def pilot(tmp_path: Path) -> str:
    """A pilot's database: one WhatsApp patient with an appointment, ids made with OLD_KEY."""
    url = f"sqlite:///{tmp_path / 'pilot.db'}"
    services = build_services(
        Settings(database_url=url, patient_id_key=OLD_KEY), load_practice(ROOT / "practice.yml")
    )
    patient = Keyring(OLD_KEY.encode()).patient_id(WA_ID)
    now = datetime.now(timezone.utc)
    services.contacts.remember_contact(patient, WA_ID, None, now, now)
    start = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    services.appointments.add(
        Appointment("a" * 32, patient, "Marie Dupont", "dr-martin", "consultation", start,
                    start + timedelta(minutes=20)),
        now,
    )  # fmt: skip
    services.patients.remember(patient, "Marie Dupont", now)
    services.transcript.add(patient, "patient", "je voudrais parler à quelqu'un", now)
    services.handoff.pause(patient, "handoff")
    services.database.dispose()
    return url


# --- 7. Another PATIENT_ID_KEY ---------------------------------------------------------------------


def test_7_another_key_is_refused_with_one_line(pilot: str) -> None:
    assert clinic(pilot, "flags", "list", key=OLD_KEY).returncode == 0
    refused = clinic(pilot, "appointments", "list", "--json", key=NEW_KEY)
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert "PATIENT_ID_KEY" in line and "clinic keys rotate" in line
    assert NEW_KEY not in line and OLD_KEY not in line  # fingerprints only


def test_7_the_action_server_refuses_to_start_with_another_key(pilot: str) -> None:
    env = {**os.environ, "DATABASE_URL": pilot, "PATIENT_ID_KEY": NEW_KEY}
    env["ACTION_SERVER_TOKEN"] = "t" * 24
    started = subprocess.run(
        [sys.executable, "-m", "connectors.launch", "connectors.action_server"]
        + ["--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "error: PATIENT_ID_KEY is not the key" in started.stderr


def test_7_keys_rotate_rekeys_every_id_in_one_go(pilot: str) -> None:
    rotated = clinic(pilot, "keys", "rotate", "--new-key-stdin", key=OLD_KEY, stdin=NEW_KEY + "\n")
    assert rotated.returncode == 0, rotated.stderr
    assert fingerprint(NEW_KEY.encode()) in rotated.stdout
    assert clinic(pilot, "flags", "list", key=OLD_KEY).returncode == 2  # the old key is refused
    listed = clinic(pilot, "appointments", "list", "--json", key=NEW_KEY)
    assert listed.returncode == 0, listed.stderr
    [appointment] = json.loads(listed.stdout)
    assert appointment["patient_name"] == "Marie Dupont"
    services = build_services(
        Settings(database_url=pilot, patient_id_key=NEW_KEY), load_practice(ROOT / "practice.yml")
    )
    try:
        new_id = Keyring(NEW_KEY.encode()).patient_id(WA_ID)  # what her next message maps to
        assert [a.id for a in services.booking.upcoming(new_id)] == ["a" * 32]
        assert services.patients.name(new_id) == "Marie Dupont"
        contact = services.contacts.contact(new_id)
        assert contact is not None and contact.wa_id == WA_ID
        # her conversation with staff follows her id, its transcript re-sealed with the new key
        paused = services.handoff.paused(new_id)
        assert paused is not None and paused.reason == "handoff"
        texts = [line.text for line in services.transcript.lines(new_id)]
        assert "je voudrais parler à quelqu'un" in texts
    finally:
        services.database.dispose()


def test_7_rotate_with_the_wrong_current_key_changes_nothing(pilot: str) -> None:
    clinic(pilot, "flags", "list", key=OLD_KEY)
    refused = clinic(
        pilot, "keys", "rotate", "--new-key-stdin", key="not-the-pilot-key-0123456", stdin=NEW_KEY
    )
    assert refused.returncode == 2
    assert clinic(pilot, "appointments", "list", key=OLD_KEY).returncode == 0


# --- 9. Secrets in images ----------------------------------------------------------------------------


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's own rule, as the `docker` package applies it to a build context (its
    `PatternMatcher`, the port of Docker's fileutils): `*` does not cross `/`, `**` does, and a
    path is out when it or a parent matches. `fnmatch` got this wrong: its `*` crosses `/`."""
    from docker.utils.build import PatternMatcher

    matcher = PatternMatcher(patterns)
    parts = path.split("/")
    return any(matcher.matches("/".join(parts[: i + 1])) for i in range(len(parts)))


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        "deploy/.env",
        "var/clinic.db",
        "var/rasa_auth_token",
        "secrets/google.json",
        "keys/tls.pem",
        "tls.key",
        "deploy/tls.key",
        "deploy/k8s/service-account.json",
        "config/google-credentials.json",
        "cabinet-service-account.json",
        "google_service_account.json",
        ".venv/bin/python",
        ".git/config",
    ],
)
def test_9_no_secret_reaches_the_docker_build_context(path: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignored(path, patterns), path


@pytest.mark.parametrize("path", ["clinic/app/wiring.py", "credentials.yml", "practice.yml"])
def test_9_the_code_still_reaches_it(path: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not ignored(path, patterns), path


# --- 10. What bypasses logging -------------------------------------------------------------------

NOISY = """
import sys, warnings
print("print to stderr: 06 12 34 56 78", file=sys.stderr)
warnings.warn("a warning naming 33612345678")
raise RuntimeError("a crash naming +33 6 12 34 56 78")
"""


def test_10_warnings_prints_and_crashes_of_a_launched_process_are_masked(tmp_path: Path) -> None:
    (tmp_path / "noisy_module.py").write_text(NOISY)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    ran = subprocess.run(
        [sys.executable, "-m", "connectors.launch", "noisy_module"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode != 0 and "RuntimeError" in ran.stderr  # the crash was written…
    assert ran.stderr.count(PHONE_MASK) >= 3  # …with each number masked
    for raw in ("06 12 34 56 78", "33612345678", "+33 6 12 34 56 78"):
        assert raw not in ran.stderr


# --- 11. The simulator and partial Meta credentials ---------------------------------------------


@pytest.fixture
def simulator() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "WHATSAPP_APP_SECRET": "s", "WHATSAPP_ACCESS_TOKEN": "t"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.simulator", "--port", str(port)]
        + ["--webhook-url", f"http://127.0.0.1:{free_port()}/nowhere", "--no-statuses"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(f"{base}/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_11_another_site_cannot_make_the_simulator_post(simulator: str) -> None:
    """A page elsewhere can send a « simple » cross-site POST (text/plain, no custom header)."""
    message = json.dumps({"type": "text", "text": "/book_appointment"}).encode()
    status, _ = post_bytes(f"{simulator}/_sim/send", message, {"Content-Type": "text/plain"})
    assert status == 415
    status, _ = post_bytes(f"{simulator}/_sim/send", message, {"Content-Type": "application/json"})
    assert status == 403  # JSON, but not from the page this simulator served
    token = simulator_token(simulator)
    status, sent = post_bytes(
        f"{simulator}/_sim/send",
        message,
        {"Content-Type": "application/json", "X-Sim-Token": token},
    )
    assert status == 200 and json.loads(sent)["wamid"]  # the page itself still works


def test_11_partial_meta_credentials_stop_make_run_with_the_missing_names() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHATSAPP_")}
    env.update(WHATSAPP_APP_SECRET="real-secret", WHATSAPP_ACCESS_TOKEN="real-token")
    ran = subprocess.run(
        [sys.executable, "-m", "devtools.stack", "run", "--quiet"]
        + ["--rasa-port", str(free_port()), "--actions-port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode != 0
    assert "WHATSAPP_VERIFY_TOKEN" in ran.stderr and "WHATSAPP_PHONE_NUMBER_ID" in ran.stderr
