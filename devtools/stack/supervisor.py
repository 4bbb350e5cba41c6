"""Process supervision: start each child, wait until it is healthy, watch it, stop it cleanly.

Each child runs in its own process group and dies with the supervisor (``PR_SET_PDEATHSIG``),
so neither Ctrl-C nor a killed supervisor leaves an orphan. A port already taken or a child
that dies while starting gives one line naming the culprit.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from devtools.stack.base import ROOT, StackError, http_ok, port_in_use

PR_SET_PDEATHSIG = 1
LOG_TAIL = 15


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


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
