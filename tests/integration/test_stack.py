"""The stack supervisor: one-line reasons for failures, and no orphan process, ever."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.model import fingerprint
from devtools.stack import Service, StackError, Supervisor, free_port, port_in_use

ROOT = Path(__file__).parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purpose
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def wait_until(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def http_server(port: int) -> Service:
    return Service("web", [sys.executable, "-m", "http.server", str(port)], port, "/", 20)


def test_a_service_dying_at_start_is_named_with_its_last_lines(tmp_path: Path) -> None:
    supervisor = Supervisor(dict(os.environ), tmp_path, echo=False)
    crash = Service(
        "actions",
        [
            sys.executable,
            "-c",
            "print('ImportError: no module named actions'); raise SystemExit(3)",
        ],
        free_port(),
        "/health",
    )
    supervisor.start(crash)
    with pytest.raises(StackError) as error:
        supervisor.wait_healthy(crash)
    supervisor.stop()
    assert "actions exited with code 3 while starting" in str(error.value)
    assert "ImportError: no module named actions" in str(error.value)
    assert (tmp_path / "actions.log").read_text().startswith("ImportError")


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        supervisor = Supervisor(dict(os.environ), tmp_path, echo=False)
        with pytest.raises(StackError, match=f"web: port {port} is already in use"):
            supervisor.start(http_server(port))
        assert supervisor.services == []


def test_make_run_names_the_busy_port(tmp_path: Path) -> None:
    """`stack run` with Duckling's port taken: exit 1 and one line naming Duckling and the port."""
    for name in ("config.yml", "domain.yml", "data", "constraints.txt"):
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            subprocess.run(["cp", "-r", str(source), str(target)], check=True)
        else:
            target.write_bytes(source.read_bytes())
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / f"{fingerprint(tmp_path)}.tar.gz").write_bytes(b"placeholder")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "devtools.stack", "run", "--rasa-port", str(free_port())],
            cwd=tmp_path,
            env={
                **os.environ,
                "DUCKLING_URL": f"http://127.0.0.1:{port}",
                "RASA_AUTH_TOKEN": "t",
                "PYTHONPATH": str(ROOT),  # the dev tools are the repository's, not installed
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"error: duckling: port {port} is already in use" in result.stderr


def test_make_run_without_a_model_says_so(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "devtools.stack", "run"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # the dev tools are the repository's
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no trained model" in result.stderr and "make model" in result.stderr


SUPERVISED = """
import sys, time
from pathlib import Path
from devtools.stack import Service, Supervisor
port = int(sys.argv[1])
s = Supervisor({}, Path(sys.argv[2]), echo=False)
service = Service("web", [sys.executable, "-m", "http.server", str(port)], port, "/", 20)
s.start(service)
s.wait_healthy(service)
print(service.process.pid, flush=True)
time.sleep(120)
"""


def test_killing_the_supervisor_with_sigkill_leaves_no_orphan(tmp_path: Path) -> None:
    port = free_port()
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED, str(port), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(supervisor.stdout.readline())
    assert alive(child) and port_in_use(port)
    supervisor.kill()
    supervisor.wait()
    assert wait_until(lambda: not alive(child)), "the child outlived its supervisor"
    assert wait_until(lambda: not port_in_use(port))


def test_ctrl_c_on_exec_stops_every_service(tmp_path: Path) -> None:
    """SIGINT reaches the supervisor even when it was started with SIGINT ignored."""
    marker = tmp_path / "env"
    script = f"import os; open({str(marker)!r}, 'w').write(os.environ['RASA_DUCKLING_HTTP_URL']); import time; time.sleep(120)"
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.stack",
            "exec",
            "--with",
            "duckling",
            "--",
            sys.executable,
            "-c",
            script,
        ],
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert wait_until(marker.exists, 60), (
        supervisor.stderr.read1().decode() if supervisor.poll() else ""
    )
    time.sleep(0.2)
    duckling_port = int(marker.read_text().rsplit(":", 1)[1])
    assert port_in_use(duckling_port)
    supervisor.send_signal(signal.SIGINT)
    assert supervisor.wait(timeout=30) != 0
    assert wait_until(lambda: not port_in_use(duckling_port))


def test_make_run_shows_the_useful_lines_not_python_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Third-party deprecation chatter stays in var/log; the terminal shows what matters."""
    script = tmp_path / "noisy.py"
    script.write_text(
        "import sys, warnings\n"
        "print('loading the model', flush=True)\n"
        "warnings.warn('pkg_resources is deprecated', DeprecationWarning)\n"
        "warnings.warn('non-supported Python version', FutureWarning)\n"
        "sys.stderr.flush()\n"
        "print('Rasa server is up and running.', flush=True)\n"
    )
    supervisor = Supervisor(dict(os.environ), tmp_path / "log", echo=True)
    noisy = Service("rasa", [sys.executable, "-W", "always", str(script)], None, "/")
    supervisor.start(noisy)
    assert noisy.process is not None and noisy.process.wait(timeout=30) == 0
    assert wait_until(lambda: "up and running" in " ".join(noisy.tail))
    supervisor.stop()
    shown = capsys.readouterr().out
    assert "[rasa] loading the model" in shown and "[rasa] Rasa server is up" in shown
    assert "Warning" not in shown and "warnings.warn" not in shown
    logged = (tmp_path / "log" / "rasa.log").read_text()
    assert "DeprecationWarning: pkg_resources" in logged and "FutureWarning" in logged
