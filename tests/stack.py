"""Starting `make run`'s supervisor from a test, and reading the simulator's page, as the
end-to-end and security suites both do."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from devtools.stack import free_port
from tests.http import request

ROOT = Path(__file__).resolve().parents[1]


def practice_today() -> date:
    """Today where the shipped practice is (Europe/Paris), as the stack reads « demain » or
    « vendredi » and dates its report: the machine's `date.today()` (UTC here) is a day behind
    from 23:00 or 22:00 UTC, which once failed CI."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


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
