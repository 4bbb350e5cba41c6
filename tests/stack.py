"""Starting `make run`'s supervisor from a test, and reading the simulator's page, as the
end-to-end and security suites both do; and the one development stack the end-to-end files
share in a test session (`dev_stack`, tests/conftest.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from devtools.model import model_path
from devtools.stack import free_port
from tests.http import request
from tests.smtp import Inbox, smtp_server

ROOT = Path(__file__).resolve().parents[1]


def practice_today() -> date:
    """Today where the shipped practice is (Europe/Paris), as the stack reads « demain » or
    « vendredi » and dates its report: the machine's `date.today()` (UTC here) is a day behind
    from 23:00 or 22:00 UTC, which once failed CI."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


#: The staff the shared stack's practice alerts: a WhatsApp number and an address.
STAFF_NUMBER = "33600000009"
STAFF_EMAIL = "accueil@cabinet-e2e.test"
#: Rasa's HTTP API token of the shared stack.
DEV_TOKEN = "e2e-token"


@dataclass
class DevStack:
    """`make run` as the end-to-end files share it: every process of the development stack
    (Rasa with the REST channel and the simulator, actions, Duckling, worker, console), on one
    SQLite file, with the shipped practice alerting staff by WhatsApp and by e-mail."""

    rasa: str
    actions: str
    duckling: str
    simulator: str
    console: str
    token: str
    database: Path
    process: subprocess.Popen[str]
    printed: str  # what `make run` printed: the console's address, the metrics ports
    log_offsets: dict[Path, int]  # var/log as it was before the stack started
    env: dict[str, str]  # what the staff CLI needs to reach the same data
    mailbox: Inbox  # the practice's SMTP server (staff e-mail alerts)


@contextmanager
def running_dev_stack(base: Path) -> Iterator[DevStack]:
    """Start the shared stack under `base`; stop it (Ctrl-C) when the session ends, unless a
    test did (test_e2e_stack.py's last test checks that Ctrl-C stops everything)."""
    if not model_path(ROOT).exists():
        raise RuntimeError("no trained model for the current data: run `make model` first")
    database = base / "clinic.db"
    practice = base / "practice.yml"
    practice.write_text(
        (ROOT / "practice.yml")
        .read_text()
        .replace("staff_alerts: []", f"staff_alerts: [+{STAFF_NUMBER}, {STAFF_EMAIL}]")
        # freed slots are offered whatever the hour the tests run at (never at night otherwise)
        .replace("send_hours: 8h00-21h00", "send_hours: 0h00-24h00")
    )
    ports = {name: free_port() for name in ("rasa", "actions", "duckling", "simulator", "console")}
    logs = ROOT / "var" / "log"
    offsets = {p: p.stat().st_size for p in logs.glob("*.log")} if logs.exists() else {}
    with smtp_server() as (smtp_url, mailbox):
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "DUCKLING_URL": f"http://127.0.0.1:{ports['duckling']}",
            "RASA_AUTH_TOKEN": DEV_TOKEN,
            "LOG_LEVEL": "DEBUG",  # the most talkative Rasa: still no phone number in any log
            "LOG_FORMAT": "json",  # what production ships; `clinic trace` reads it back
            "PRACTICE_CONFIG": str(practice),
            "SMTP_URL": smtp_url,
        }
        flags = [f"--{name}-port" for name in ("rasa", "actions", "simulator", "console")]
        process, printed = start_stack(  # Duckling's port: DUCKLING_URL
            env, *(arg for flag in flags for arg in (flag, str(ports[flag[2:-5]])))
        )
        try:
            yield DevStack(
                **{name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
                token=DEV_TOKEN,
                database=database,
                process=process,
                printed=printed,
                log_offsets=offsets,
                env=env,
                mailbox=mailbox,
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=60)


def start_stack(
    env: dict[str, str], *ports: str, command: str = "run"
) -> tuple[subprocess.Popen[str], str]:
    """`python -m devtools.stack run --quiet PORTS…` (or `cluster`), once every service is
    healthy.

    Returns the process and what it printed; raises with that output if it did not start.
    """
    if "--console-port" not in ports:  # never the developer's 8070
        ports = (*ports, "--console-port", str(free_port()))
    if "--metrics-base" not in ports:  # free ports for each process's /metrics
        ports = (*ports, "--metrics-base", "0")
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stack", command, "--quiet", *ports],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if "Ctrl-C stops everything" in line:
            return process, "".join(output)
    raise RuntimeError("the stack did not start:\n" + "".join(output))


def printed_ports(printed: str) -> dict[str, int]:
    """{"rasa-1": port, …, "actions-2": port}, from what `devtools.stack cluster` printed."""
    ports = {}
    for line in printed.splitlines():
        if line.strip().startswith(("Replicas:", "Action servers:")):
            for part in line.split(":", 1)[1].split(","):
                name, port = part.strip().split(" on ")
                ports[name] = int(port)
    return ports


def printed_metrics(printed: str) -> dict[str, str]:
    """{"rasa": "http://127.0.0.1:P", …}: where each process serves /metrics and /health/*."""
    for line in printed.splitlines():
        if line.strip().startswith("Metrics"):
            pairs = line.split(":", 1)[1].split(",")
            return {
                name: f"http://127.0.0.1:{port}"
                for name, port in (pair.strip().rsplit(" ", 1) for pair in pairs)
            }
    raise AssertionError("the stack printed no metrics ports:\n" + printed)


def simulate(
    simulator: str, message: dict[str, Any], wa_id: str, wait: float = 30
) -> tuple[str, list[dict[str, Any]]]:
    """Send like a phone (a signed Meta webhook, via the simulator); return the message's wamid
    and the bot's new bodies (waiting a moment more once the first arrives: a turn may send
    several)."""
    _, before = request(f"{simulator}/_sim/messages?wa_id={wa_id}")
    after = max([item["n"] for item in before["items"]], default=0)  # type: ignore[index]
    status, sent = request(
        f"{simulator}/_sim/send",
        {**message, "wa_id": wa_id},
        headers={"X-Sim-Token": simulator_token(simulator)},
    )
    assert status == 200 and sent["status"] == 200, sent  # type: ignore[index]
    deadline = time.monotonic() + wait
    replies: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        _, news = request(f"{simulator}/_sim/messages?wa_id={wa_id}&after={after}")
        replies = [i["body"] for i in news["items"] if i["from"] == "bot"]  # type: ignore[index]
        if replies and time.monotonic() > deadline - wait + 1.5:
            break
        time.sleep(0.2)
    return str(sent["wamid"]), replies  # type: ignore[index]


def simulator_token(base: str) -> str:
    """The per-run token the simulator's page carries (read as the page's own script does)."""
    _, page = request(f"{base}/")
    found = re.search(r'name="sim-token" content="([^"]+)"', str(page))
    assert found, "the simulator page carries no token"
    return found[1]


def pid_listening_on(port: int, needle: str) -> int:
    """The pid of the stack's process started with `--port <port>` and `needle` in its command
    line (to stop and resume it, as a hung dependency would behave). Redis renames itself
    "redis-server 127.0.0.1:<port>": that matches too."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        line = " ".join(argv).strip()
        renamed = line.endswith(f":{port}")  # "redis-server 127.0.0.1:<port>"
        if needle in line and (str(port) in argv or renamed):
            return int(entry.name)
    raise AssertionError(f"no process {needle} on port {port}")
