"""The children the commands start, one constructor each: how every process is launched,
where it listens and how its health is checked, plus the model Rasa serves and the metrics
ports of the processes that serve /metrics.

The commands only choose which children they want and on which ports.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from clinic.adapters.settings import Settings
from clinic.adapters.storage import Database
from clinic.adapters.storage.staff import StaffAccounts
from clinic.domain.clock import SystemClock
from devtools.model import model_path
from devtools.stack.base import ROOT, StackError, free_port
from devtools.stack.supervisor import Service


def launch(*argv: str) -> list[str]:
    """The command line of `connectors.launch`, which installs the Rasa patches first."""
    return [sys.executable, "-m", "connectors.launch", *argv]


def current_model() -> Path:
    path = model_path(ROOT)
    if not path.exists():
        raise StackError(
            f"no trained model for the current data ({path.relative_to(ROOT)} is missing): "
            "run `make model`"
        )
    return path


def duckling_service(port: int) -> Service:
    return Service(
        "duckling",
        [sys.executable, "-m", "clinic.adapters.duckling", "--port", str(port)],
        port,
        "/health",
        startup_timeout=30,
    )


def actions_service(port: int, name: str = "actions") -> Service:
    """rasa-sdk's server behind the shared secret (connectors/action_server.py), on loopback."""
    return Service(
        name,
        launch("connectors.action_server", "--host", "127.0.0.1", "--port", str(port)),
        port,
        "/health",
        startup_timeout=90,
    )


def rasa_service(port: int, model: Path, credentials: str, name: str = "rasa") -> Service:
    """`rasa run` on loopback; its API token comes from RASA_AUTH_TOKEN through the launcher,
    never on the command line (where `ps` shows it to every user of the host)."""
    return Service(
        name,
        launch(
            "rasa",
            "run",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--model",
            str(model),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            credentials,
            "--port",
            str(port),
        ),
        port,
        "/",
        # About 65-120 s on 2 cores; a CI rehearsal saw three starts in a row pass 180 s while
        # the red-flag model trained beside the model load (cause not yet proven, issue 33).
        startup_timeout=300,
    )


def simulator_service(port: int, rasa_port: int) -> Service:
    webhook = f"http://127.0.0.1:{rasa_port}/webhooks/whatsapp/webhook"
    return Service(
        "simulator",
        [sys.executable, "-m", "devtools.simulator", "--port", str(port), "--webhook-url", webhook],
        port,
        "/health",
        startup_timeout=30,
    )


def console_service(port: int) -> Service:
    """The staff console, on loopback (Caddy is its only way in from elsewhere)."""
    argv = [sys.executable, "-m", "clinic.app.console", "--host", "127.0.0.1", "--port", str(port)]
    return Service("console", argv, port, "/health", startup_timeout=60)


def worker_service(name: str = "worker") -> Service:
    return Service(name, [sys.executable, "-m", "clinic.app.cli", "worker"], None, "")


def redis_service(port: int) -> Service:
    """A private Redis for the lock store: nothing on disk (locks live seconds)."""
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    return Service("redis", [*argv, "--appendonly", "no"], port, "tcp", startup_timeout=15)


def haproxy_service(port: int) -> Service:
    """HAProxy in the foreground with deploy/haproxy.cfg (its ports come from the environment)."""
    argv = ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")]
    return Service("haproxy", argv, port, "/haproxy-health", startup_timeout=15)


def caddy_service(https_port: int) -> Service:
    """Caddy with deploy/Caddyfile, the only public entry (its settings from the environment)."""
    argv = [
        "caddy",
        "run",
        "--config",
        str(ROOT / "deploy" / "Caddyfile"),
        "--adapter",
        "caddyfile",
    ]
    return Service("caddy", argv, https_port, "tcp", startup_timeout=30)


#: Processes that serve /metrics and /health/ready (Duckling and the simulator do not).
MEASURED = ("rasa", "actions", "worker", "console")


def assign_metrics_ports(services: Sequence[Service], base: int) -> str:
    """Give each measured process its METRICS_PORT: base+1, base+2… (0: free ports, as the
    tests use); returns the line saying where they are."""
    measured = sorted(
        (s for s in services if s.name.split("-")[0] in MEASURED),
        key=lambda s: (MEASURED.index(s.name.split("-")[0]), s.name),
    )
    for index, service in enumerate(measured, start=1):
        service.metrics_port = base + index if base else free_port()
    where = ", ".join(f"{s.name} {s.metrics_port}" for s in measured)
    return f"\n  Metrics (loopback, /metrics and /health/ready): {where}"


def console_lines(settings: Settings, port: int) -> str:
    """Where the console is, and, while no account exists, how to create the first one."""
    text = f"\n  Console de l'équipe: http://localhost:{port}/"
    try:
        database = Database(settings.database_url)
        try:
            accounts = StaffAccounts(database, SystemClock()).list()
        finally:
            database.dispose()
    except Exception:  # the console itself reports a database it cannot read
        return text
    if not accounts:
        text += (
            "\n    premier compte (responsable) / first account: "
            "echo 'mot de passe' | .venv/bin/clinic staff add --email vous@cabinet.fr "
            '--name "Votre nom" --password-stdin'
        )
    return text
