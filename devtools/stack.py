"""Start, watch and stop the local stack: Duckling, the action server and the Rasa server.

``run``   the whole assistant on the standard ports, until Ctrl-C (``make run``);
``shell`` a terminal chat (``rasa shell``) sharing Duckling, the actions and the database;
``interactive`` the same for trainers (``rasa interactive``);
``exec``  a command (``rasa test``…) with the services it needs on free ports (``make test``).

Without Meta's credentials, ``run`` also starts the local WhatsApp simulator (fake Graph API and
chat page) and points the connector at it; the worker always runs beside Rasa.

Each child runs in its own process group and dies with the supervisor (``PR_SET_PDEATHSIG``),
so neither Ctrl-C nor a killed supervisor leaves an orphan. A port already taken, a missing
model or a child that dies while starting gives one line naming the culprit.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from clinic.adapters.settings import Settings, SettingsError
from clinic.adapters.storage import Database
from clinic.adapters.storage.staff import StaffAccounts
from clinic.domain.clock import SystemClock
from devtools.model import model_path

ROOT = Path.cwd()
PR_SET_PDEATHSIG = 1
LOG_TAIL = 15


class StackError(RuntimeError):
    """A one-line reason the stack cannot start, naming the culprit."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


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


@dataclass
class Service:
    name: str
    argv: list[str]
    port: int | None  # None: no HTTP port (the worker); healthy once it stays up
    health_path: str
    startup_timeout: float = 60.0
    #: Its /metrics and /health/ready (clinic.adapters.metrics.OpsServer); ready there = started.
    metrics_port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL))

    @property
    def started(self) -> subprocess.Popen[bytes]:
        """The process; a StackError when `Supervisor.start` was never called for it."""
        if self.process is None:
            raise StackError(f"{self.name} was never started")
        return self.process

    @property
    def health_url(self) -> str:
        if not self.port:
            return "(no port)"
        if self.health_path == "tcp":
            return f"127.0.0.1:{self.port} (TCP)"
        return f"http://127.0.0.1:{self.port}{self.health_path}"


#: « …/site-packages/x.py:39: DeprecationWarning: … »: Python's warning line (its source line
#: follows, indented). Third-party chatter: kept in var/log, not echoed to the terminal.
_WARNING_LINE = re.compile(r"^\S+\.py:\d+: \w*Warning: ")


class WarningFilter:
    """Drops Python warnings (and the source line each prints after it) from what `make run`
    shows; everything still goes to the log file."""

    def __init__(self) -> None:
        self._source_line_next = False

    def shows(self, line: str) -> bool:
        if self._source_line_next:
            self._source_line_next = False
            if line.startswith("  "):
                return False
        if _WARNING_LINE.match(line):
            self._source_line_next = True
            return False
        return True


class Supervisor:
    """Owns the child processes; `stop()` is safe to call any number of times."""

    def __init__(self, env: dict[str, str], log_dir: Path, echo: bool) -> None:
        self.env = env
        self.log_dir = log_dir
        self.echo = echo
        self.services: list[Service] = []

    def start(self, service: Service) -> None:
        if service.port is not None and port_in_use(service.port):
            raise StackError(
                f"{service.name}: port {service.port} is already in use by another process "
                f"(stop it, e.g. `fuser -k {service.port}/tcp`, or choose another port)"
            )
        if service.metrics_port and port_in_use(service.metrics_port):
            raise StackError(
                f"{service.name}: metrics port {service.metrics_port} is already in use "
                "(another `make run`? set METRICS_BASE_PORT to another range)"
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = (self.log_dir / f"{service.name}.log").open("ab")
        env = {k: v for k, v in self.env.items() if k != "METRICS_PORT"}  # one port each
        if service.metrics_port:
            env["METRICS_PORT"] = str(service.metrics_port)
        service.process = subprocess.Popen(
            service.argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.services.append(service)
        threading.Thread(target=self._pump, args=(service, log_file), daemon=True).start()

    def _pump(self, service: Service, log_file: BinaryIO) -> None:
        if service.process is None or service.process.stdout is None:
            return
        noise = WarningFilter()
        with log_file:
            for raw in service.process.stdout:
                log_file.write(raw)
                log_file.flush()
                line = raw.decode("utf-8", "replace").rstrip()
                service.tail.append(line)
                if self.echo and noise.shows(line):
                    print(f"[{service.name}] {line}", flush=True)

    def wait_healthy(self, service: Service) -> None:
        process = service.started
        deadline = time.monotonic() + service.startup_timeout
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                time.sleep(0.2)  # let the pump read the last lines
                raise StackError(
                    f"{service.name} exited with code {code} while starting; last lines:\n  "
                    + "\n  ".join(service.tail)
                    + f"\n(full log: {self.log_dir / (service.name + '.log')})"
                )
            if service.port is None and not service.metrics_port:
                time.sleep(1.0)  # no endpoint: alive after a second counts as started
                if process.poll() is None:
                    return
                continue
            if service.port is None:  # the worker: ready once its dependencies answer
                if http_ok(f"http://127.0.0.1:{service.metrics_port}/health/ready"):
                    return
                time.sleep(0.3)
                continue
            if service.health_path == "tcp":
                if port_in_use(service.port):
                    return
            elif http_ok(service.health_url) and (
                not service.metrics_port
                or http_ok(f"http://127.0.0.1:{service.metrics_port}/health/ready")
            ):
                return
            time.sleep(0.3)
        raise StackError(
            f"{service.name} did not become healthy at {service.health_url} within "
            f"{service.startup_timeout:.0f} s (log: {self.log_dir / (service.name + '.log')})"
        )

    def restart(self, service: Service) -> None:
        """Start a dead service again, as an orchestrator's restart policy would."""
        self.services.remove(service)
        self.start(service)

    def watch(self, restart: bool) -> int:
        """Until Ctrl-C (0). A process that dies stops everything (1), or, with `restart`, is
        started again while the others keep serving (an orchestrator's restart policy)."""
        try:
            while True:
                dead = self.first_dead()
                if dead is not None:
                    code, log = dead.started.returncode, f"var/log/{dead.name}.log"
                    if not restart:
                        print(
                            f"error: {dead.name} stopped unexpectedly (exit {code}); "
                            f"stopping the stack. Log: {log}",
                            file=sys.stderr,
                        )
                        return 1
                    print(
                        f"{dead.name} stopped (exit {code}): starting it again. Log: {log}",
                        file=sys.stderr,
                        flush=True,
                    )
                    self.restart(dead)
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping…", flush=True)
        return 0

    def first_dead(self) -> Service | None:
        for service in self.services:
            if service.process and service.process.poll() is not None:
                return service
        return None

    def stop(self) -> None:
        for service in reversed(self.services):
            if service.process and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for service in reversed(self.services):
            if not service.process:
                continue
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
            # reap anything the service itself left in its group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGKILL)
        self.services.clear()


def _local_secret(name: str) -> str:
    """A random secret generated once and kept in var/<name> (mode 0600)."""
    path = ROOT / "var" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def auth_token(settings: Settings) -> str:
    """RASA_AUTH_TOKEN, or a token generated once and kept in var/rasa_auth_token."""
    return settings.rasa_auth_token or _local_secret("rasa_auth_token")


def action_token() -> str:
    """ACTION_SERVER_TOKEN (what Rasa sends the action server), or one kept in var/."""
    return os.environ.get("ACTION_SERVER_TOKEN") or _local_secret("action_server_token")


#: Production mounts the WhatsApp channel alone; development adds Rasa's REST channel, which
#: checks nothing (docs/security.md).
PRODUCTION_CREDENTIALS = "credentials.yml"
DEVELOPMENT_CREDENTIALS = "credentials.dev.yml"


#: The local simulator's stand-ins for Meta's credentials (nothing leaves the machine).
LOCAL_WHATSAPP = {
    "WHATSAPP_VERIFY_TOKEN": "local-verify-token",
    "WHATSAPP_ACCESS_TOKEN": "local-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}


WHATSAPP_VARIABLES = (
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)


def whatsapp_env(settings: Settings, simulator_port: int) -> dict[str, str]:
    """Meta's credentials when they are set; else the local simulator's, so the connector is
    always mounted and anyone can try it with no Meta account. Some but not all of Meta's
    variables set is a mistake, never a silent fall-back to the simulator."""
    if settings.whatsapp_enabled:
        return {}
    present = [name for name in WHATSAPP_VARIABLES if os.environ.get(name)]
    if present:
        missing = [name for name in WHATSAPP_VARIABLES if name not in present]
        raise StackError(
            f"Meta's credentials are incomplete: set {', '.join(missing)} too "
            f"(or unset {', '.join(present)} to use the local simulator)"
        )
    return {
        **LOCAL_WHATSAPP,
        "WHATSAPP_APP_SECRET": _local_secret("whatsapp_local_app_secret"),
        "WHATSAPP_API_URL": f"http://127.0.0.1:{simulator_port}/v21.0",
    }


#: endpoints.yml's lock store: in-memory for one Rasa process; `cluster` sets redis.
LOCK_STORE_DEFAULTS = {
    "LOCK_STORE_TYPE": "in_memory",
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_DB": "0",
}


def child_env(
    settings: Settings, duckling_url: str, actions_port: int, token: str
) -> dict[str, str]:
    """Environment of every child: the settings' defaults made explicit for Rasa's YAML files."""
    env = dict(os.environ)
    env.setdefault("WHATSAPP_API_URL", settings.whatsapp_api_url)
    env.update(
        DATABASE_URL=settings.database_url,
        DUCKLING_URL=duckling_url,
        RASA_DUCKLING_HTTP_URL=duckling_url,  # read by Rasa's DucklingEntityExtractor
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
        ACTION_SERVER_TOKEN=action_token(),
        RASA_AUTH_TOKEN=token,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    # Rasa refuses an unset ${VAR} in endpoints.yml: the single-process defaults.
    for name, default in LOCK_STORE_DEFAULTS.items():
        env.setdefault(name, default)
    # Third-party deprecation chatter is noise in a terminal chat and in logs.
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def _local_port(url: str) -> int | None:
    """The port of `url` if it points at this machine, else None (an outside Duckling)."""
    parts = urlsplit(url)
    if parts.hostname in ("localhost", "127.0.0.1", "::1"):
        return parts.port or 80
    return None


def _launch(*argv: str) -> list[str]:
    return [sys.executable, "-m", "connectors.launch", *argv]


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
        _launch("connectors.action_server", "--host", "127.0.0.1", "--port", str(port)),
        port,
        "/health",
        startup_timeout=90,
    )


def rasa_service(port: int, model: Path, credentials: str, name: str = "rasa") -> Service:
    """`rasa run` on loopback; its API token comes from RASA_AUTH_TOKEN through the launcher,
    never on the command line (where `ps` shows it to every user of the host)."""
    return Service(
        name,
        _launch(
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
        startup_timeout=180,
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


def current_model() -> Path:
    path = model_path(ROOT)
    if not path.exists():
        raise StackError(
            f"no trained model for the current data ({path.relative_to(ROOT)} is missing): "
            "run `make model`"
        )
    return path


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def running(services: Sequence[Service], env: dict[str, str], echo: bool) -> Iterator[Supervisor]:
    supervisor = Supervisor(env, ROOT / "var" / "log", echo)
    # Ctrl-C, `kill` and a closed terminal all stop the stack, even when the supervisor was
    # started with SIGINT ignored (as `cmd &` does in a non-interactive shell).
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _interrupt) for sig in stop_signals}
    try:
        for service in services:
            supervisor.start(service)
        for service in services:
            supervisor.wait_healthy(service)
            print(f"✓ {service.name} healthy on {service.health_url}", flush=True)
        yield supervisor
    finally:
        for sig in stop_signals:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    meta = whatsapp_env(settings, args.simulator_port)  # half-set credentials: stop first
    model = current_model()
    token = auth_token(settings)
    duckling_port = _local_port(settings.duckling_url)
    env = child_env(settings, settings.duckling_url, args.actions_port, token)
    env.update(meta)
    env.setdefault("PUBLIC_URL", f"http://localhost:{args.rasa_port}")
    simulated = not settings.whatsapp_enabled
    services = []
    if duckling_port is not None:
        services.append(duckling_service(duckling_port))
    if simulated:
        services.append(simulator_service(args.simulator_port, args.rasa_port))
    services += [
        actions_service(args.actions_port),
        rasa_service(
            args.rasa_port, model, DEVELOPMENT_CREDENTIALS if simulated else PRODUCTION_CREDENTIALS
        ),
        worker_service(),
        console_service(args.console_port),
    ]
    measured = assign_metrics_ports(services, args.metrics_base)
    with running(services, env, echo=not args.quiet) as supervisor:
        base = f"http://localhost:{args.rasa_port}"
        whatsapp = f"\n  WhatsApp webhook:  {base}/webhooks/whatsapp/webhook" + (
            f"\n  Simulateur WhatsApp (local): http://localhost:{args.simulator_port}/"
            if simulated
            else " (Meta)"
        )
        rest = (
            f"\n  REST channel (dev): curl -s {base}/webhooks/rest/webhook "
            """-d '{"sender": "essai", "message": "Bonjour"}'"""
            if simulated
            else ""
        )
        print(
            f"""
L'assistant est prêt / the assistant is up (model {model.name}){rest}
  Rasa HTTP API:     {base}/status?token=<RASA_AUTH_TOKEN>   (token in var/rasa_auth_token){whatsapp}
  Action server:     http://localhost:{args.actions_port}/health
  Duckling:          {settings.duckling_url}/health
  Terminal chat:     make shell   (in another terminal){console_lines(settings, args.console_port)}\
{measured}
Ctrl-C stops everything.""",
            flush=True,
        )
        return supervisor.watch(restart=False)


#: `cluster` without DATABASE_URL: a database on the machine's PostgreSQL, created if missing.
CLUSTER_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/clinic_cluster"
#: deploy/haproxy.cfg names two Rasa replicas and two action servers.
REPLICAS = 2


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (what a managed PostgreSQL gives on day one)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as error:  # noqa: BLE001 (any driver error: one line naming the database)
        raise StackError(
            f"PostgreSQL at {target.host}:{target.port} is unreachable: {error}"
        ) from None
    finally:
        admin.dispose()


def cluster_services(
    settings: Settings, args: argparse.Namespace, env: dict[str, str]
) -> list[Service]:
    """Rasa's own distributed setup on one machine, as processes: two Rasa replicas sharing a
    PostgreSQL tracker store and a RedisLockStore, two action servers, HAProxy in front of both,
    two workers; Duckling and the simulator as in `run`. `env` gets the ports it needs."""
    model = current_model()
    rasa_ports = [free_port() for _ in range(REPLICAS)]
    action_ports = [free_port() for _ in range(REPLICAS)]
    lb_actions = free_port()
    env.update(
        LOCK_STORE_TYPE="redis",
        LB_RASA_PORT=str(args.port),
        LB_ACTIONS_PORT=str(lb_actions),
        HAPROXY_STATS_SOCKET=str(ROOT / "var" / f"haproxy-{args.port}.sock"),
        ACTION_SERVER_URL=f"http://127.0.0.1:{lb_actions}/webhook",
    )
    for index, (rasa_port, action_port) in enumerate(
        zip(rasa_ports, action_ports, strict=True), start=1
    ):
        env[f"RASA_{index}_PORT"] = str(rasa_port)
        env[f"ACTIONS_{index}_PORT"] = str(action_port)
    services: list[Service] = []
    if "REDIS_HOST" not in os.environ:
        redis_port = free_port()
        env.update(REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis_port))
        services.append(redis_service(redis_port))
    duckling_port = _local_port(settings.duckling_url)
    if duckling_port is not None:
        services.append(duckling_service(duckling_port))
    if not settings.whatsapp_enabled:
        services.append(simulator_service(args.simulator_port, args.port))
    credentials = PRODUCTION_CREDENTIALS if settings.whatsapp_enabled else DEVELOPMENT_CREDENTIALS
    for index in range(REPLICAS):
        services.append(actions_service(action_ports[index], f"actions-{index + 1}"))
    for index in range(REPLICAS):
        services.append(rasa_service(rasa_ports[index], model, credentials, f"rasa-{index + 1}"))
    services.append(haproxy_service(args.port))
    services += [worker_service(f"worker-{index + 1}") for index in range(REPLICAS)]
    services.append(console_service(args.console_port))
    return services


def cmd_cluster(settings: Settings, args: argparse.Namespace) -> int:
    """`make cluster`: like `run`, with every stateless process twice behind HAProxy. A process
    that dies is started again (an orchestrator's restart policy), the others keep serving."""
    if "DATABASE_URL" not in os.environ:
        settings = replace(settings, database_url=CLUSTER_DATABASE_URL)
    if not settings.database_url.startswith("postgresql"):
        raise StackError(
            "the cluster shares one PostgreSQL database between its replicas: set DATABASE_URL "
            f"to a postgresql:// URL (default {CLUSTER_DATABASE_URL})"
        )
    if shutil.which("haproxy") is None:
        raise StackError("HAProxy is missing: `make install-haproxy` (Debian's package)")
    meta = whatsapp_env(settings, args.simulator_port)
    ensure_postgres_database(settings.database_url)
    token = auth_token(settings)
    env = child_env(settings, settings.duckling_url, 0, token)
    env.update(meta)
    env.setdefault("PUBLIC_URL", f"http://localhost:{args.port}")
    services = cluster_services(settings, args, env)
    measured = assign_metrics_ports(services, args.metrics_base)
    with running(services, env, echo=not args.quiet) as supervisor:
        base = f"http://localhost:{args.port}"
        simulated = (
            ""
            if settings.whatsapp_enabled
            else (f"\n  Simulateur WhatsApp (local): http://localhost:{args.simulator_port}/")
        )
        print(
            f"""
Le cluster est prêt / the cluster is up: {REPLICAS} Rasa replicas, {REPLICAS} action servers, \
{REPLICAS} workers
  HAProxy (WhatsApp webhook): {base}/webhooks/whatsapp/webhook{simulated}
  Database: PostgreSQL; lock store: Redis at {env["REDIS_HOST"]}:{env["REDIS_PORT"]}
  Replicas: {", ".join(f"{s.name} on {s.port}" for s in services if s.name.startswith("rasa-"))}
  Action servers: {", ".join(f"{s.name} on {s.port}" for s in services if s.name.startswith("actions-"))}\
{console_lines(settings, args.console_port)}{measured}
Ctrl-C stops everything.""",
            flush=True,
        )
        return supervisor.watch(restart=True)


#: `prod-local` without DATABASE_URL: a database on the machine's PostgreSQL, created if missing.
PROD_LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/clinic_prod_local"


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


def secret_file(name: str) -> str:
    """The path of a secret generated once under var/secrets/ (0600), for a `NAME_FILE`."""
    _local_secret(f"secrets/{name}")
    return str(ROOT / "var" / "secrets" / name)


def cmd_prod_local(settings: Settings, args: argparse.Namespace) -> int:
    """`make prod-local`: the production configuration as processes on this machine, behind
    Caddy with its own CA on https://localhost:PORT: production credentials (the WhatsApp
    channel alone, no REST), CLINIC_ENV=production with its keys read from files, PostgreSQL,
    the Redis lock store. Meta is the local simulator's fake Graph API (no real number here)."""
    for tool in ("caddy", "redis-server"):
        if shutil.which(tool) is None:
            raise StackError(f"{tool} is missing: `make install-caddy` / Debian's redis-server")
    if "DATABASE_URL" not in os.environ and "DATABASE_URL_FILE" not in os.environ:
        settings = replace(settings, database_url=PROD_LOCAL_DATABASE_URL)
    if not settings.database_url.startswith("postgresql"):
        raise StackError("prod-local runs on PostgreSQL: set DATABASE_URL to a postgresql:// URL")
    ensure_postgres_database(settings.database_url)
    meta = whatsapp_env(settings, args.simulator_port)
    token = auth_token(settings)
    env = child_env(settings, settings.duckling_url, args.actions_port, token)
    env.update(meta)
    public = f"https://localhost:{args.port}"
    redis_port = free_port()
    env.update(
        CLINIC_ENV="production",
        PATIENT_ID_KEY_FILE=secret_file("patient_id_key"),
        DATA_ENCRYPTION_KEY_FILE=secret_file("data_encryption_key"),
        LOCK_STORE_TYPE="redis",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(redis_port),
        PUBLIC_URL=public,
        CLINIC_SITE=f"localhost:{args.port}",  # the port in the redirects from HTTP
        CLINIC_TLS="internal",
        CADDY_HTTPS_PORT=str(args.port),
        CADDY_HTTP_PORT=str(args.http_port),
        RASA_UPSTREAM=f"127.0.0.1:{args.rasa_port}",
        CONSOLE_UPSTREAM=f"127.0.0.1:{args.console_port}",
        XDG_DATA_HOME=str(ROOT / "var" / "caddy"),  # Caddy's local CA and certificates
        XDG_CONFIG_HOME=str(ROOT / "var" / "caddy"),
    )
    for name in ("PATIENT_ID_KEY", "DATA_ENCRYPTION_KEY"):
        env.pop(name, None)  # the files are the production way in
    services = [redis_service(redis_port)]
    duckling_port = _local_port(settings.duckling_url)
    if duckling_port is not None:
        services.append(duckling_service(duckling_port))
    services += [
        simulator_service(args.simulator_port, args.rasa_port),
        actions_service(args.actions_port),
        rasa_service(args.rasa_port, current_model(), PRODUCTION_CREDENTIALS),
        worker_service(),
        console_service(args.console_port),
        caddy_service(args.port),
    ]
    measured = assign_metrics_ports(services, args.metrics_base)
    with running(services, env, echo=not args.quiet) as supervisor:
        print(
            f"""
La configuration de production tourne en local / production configuration, locally
  Seule entrée publique (Caddy, HTTPS): {public}/   (console de l'équipe)
  WhatsApp webhook:   {public}/webhooks/whatsapp/webhook
  Caddy's local CA:   {caddy_root_certificate()}
  HTTP (redirects):   http://localhost:{args.http_port}/
  Database: PostgreSQL; lock store: Redis on {redis_port}; keys from var/secrets/{measured}
Ctrl-C stops everything.""",
            flush=True,
        )
        return supervisor.watch(restart=True)


def caddy_root_certificate() -> Path:
    """The root of Caddy's internal CA (trust it to check https://localhost:PORT)."""
    return ROOT / "var" / "caddy" / "caddy" / "pki" / "authorities" / "local" / "root.crt"


def _needed(names: str, settings: Settings, token: str) -> tuple[list[Service], dict[str, str]]:
    """Services for `exec`/`shell` on free ports, so they never clash with a running `make run`."""
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    unknown = wanted - {"duckling", "actions", "rasa", "simulator", "worker"}
    if unknown:
        raise StackError(f"unknown service(s): {', '.join(sorted(unknown))}")
    services: list[Service] = []
    duckling_url = settings.duckling_url
    if "duckling" in wanted:
        port = free_port()
        duckling_url = f"http://127.0.0.1:{port}"
        services.append(duckling_service(port))
    actions_port = free_port()
    if "actions" in wanted:
        services.append(actions_service(actions_port))
    rasa_port, simulator_port = free_port(), free_port()
    # Rasa mounts the WhatsApp channel; without Meta's credentials it talks to the simulator.
    if ("simulator" in wanted or "rasa" in wanted) and not settings.whatsapp_enabled:
        services.append(simulator_service(simulator_port, rasa_port))
        wanted.add("simulator")
    if "rasa" in wanted:
        services.append(rasa_service(rasa_port, current_model(), DEVELOPMENT_CREDENTIALS))
    if "worker" in wanted:
        services.append(worker_service())
    env = child_env(settings, duckling_url, actions_port, token)
    env.update(whatsapp_env(settings, simulator_port))
    if "rasa" in wanted:
        env["RASA_URL"] = f"http://127.0.0.1:{rasa_port}"
        env.setdefault("PUBLIC_URL", env["RASA_URL"])
    if "simulator" in wanted:
        env["SIMULATOR_URL"] = f"http://127.0.0.1:{simulator_port}"
    return services, env


def cmd_exec(settings: Settings, args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise StackError("exec needs a command after --")
    token = auth_token(settings)
    services, env = _needed(args.with_services, settings, token)
    with running(services, env, echo=False):
        return subprocess.run(command, cwd=ROOT, env=env).returncode


def _chat(settings: Settings, rasa_command: str, *extra: str) -> int:
    """`rasa shell` / `rasa interactive` in the foreground, with Duckling and the actions behind."""
    model = current_model()
    token = auth_token(settings)
    services, env = _needed("duckling,actions", settings, token)
    command = _launch(
        "rasa",
        rasa_command,
        "--model",
        str(model),
        "--endpoints",
        "endpoints.yml",
        "--port",
        str(free_port()),
        *extra,
    )
    with running(services, env, echo=False):
        try:
            return subprocess.run(command, cwd=ROOT, env=env).returncode
        except KeyboardInterrupt:
            return 0


def cmd_shell(settings: Settings, args: argparse.Namespace) -> int:
    return _chat(settings, "shell")


def cmd_interactive(settings: Settings, args: argparse.Namespace) -> int:
    """Trainers correct the bot turn by turn; stories and NLU examples are saved under data/."""
    return _chat(
        settings,
        "interactive",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--skip-visualization",
    )


def _port(parser: argparse.ArgumentParser, flag: str, variable: str, default: int) -> None:
    parser.add_argument(flag, type=int, default=int(os.environ.get(variable, default)))


def _shared_options(parser: argparse.ArgumentParser) -> None:
    """What `run`, `cluster` and `prod-local` all take: the simulator's and the console's
    ports, the base of the metrics ports, --quiet."""
    _port(parser, "--simulator-port", "SIMULATOR_PORT", 8090)
    _port(parser, "--console-port", "CONSOLE_PORT", 8070)
    parser.add_argument(
        "--metrics-base",
        type=int,
        default=int(os.environ.get("METRICS_BASE_PORT", 9100)),
        help="processes' metrics ports are base+1, base+2… (0: free ports)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the services' logs")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start the whole stack until Ctrl-C")
    _port(run, "--rasa-port", "RASA_PORT", 5005)
    _port(run, "--actions-port", "ACTION_SERVER_PORT", 5055)
    _shared_options(run)
    cluster = sub.add_parser("cluster", help="replicas behind HAProxy, until Ctrl-C")
    _port(cluster, "--port", "RASA_PORT", 5005)
    _shared_options(cluster)
    prod = sub.add_parser("prod-local", help="the production configuration behind Caddy (TLS)")
    _port(prod, "--port", "HTTPS_PORT", 8443)
    _port(prod, "--http-port", "HTTP_PORT", 8080)
    _port(prod, "--rasa-port", "RASA_PORT", 5005)
    _port(prod, "--actions-port", "ACTION_SERVER_PORT", 5055)
    _shared_options(prod)
    sub.add_parser("shell", help="terminal chat against Duckling and the action server")
    sub.add_parser("interactive", help="rasa interactive against Duckling and the action server")
    ex = sub.add_parser("exec", help="run a command with services on free ports")
    ex.add_argument("--with", dest="with_services", default="duckling,actions")
    ex.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "cluster": cmd_cluster,
        "prod-local": cmd_prod_local,
        "shell": cmd_shell,
        "interactive": cmd_interactive,
        "exec": cmd_exec,
    }
    try:
        settings = Settings.from_env()
        code = handlers[args.cmd](settings, args)
    except (StackError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


if __name__ == "__main__":
    main()
