"""`make shell` for real: `rasa shell` in a pseudo-terminal, a booking typed and clicked through,
then the staff command line sees it. Runs with the stack tests (after `make model`)."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.model import model_path
from tests.conftest import clinic_appointments

ROOT = Path(__file__).parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
pytestmark = pytest.mark.stack


class Terminal:
    """A child process on a pseudo-terminal, read until a pattern shows (a tiny `expect`)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while not (match := regex.search(self.seen)):
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise AssertionError(f"never saw {pattern!r}; screen:\n{self.seen[-3000:]}")
            ready, _, _ = select.select([self.master], [], [], min(left, 1))
            if ready:
                try:
                    self.seen += ANSI.sub(
                        "", os.read(self.master, 65536).decode("utf-8", "replace")
                    )
                except OSError:
                    continue
        self.seen = self.seen[match.end() :]
        return match.group(0)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode() + b"\r")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        os.close(self.master)


def test_a_booking_made_in_rasa_shell_shows_in_clinic_appointments_list(tmp_path: Path) -> None:
    if not model_path(ROOT).exists():
        pytest.fail("no trained model for the current data: run `make model` first")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.db'}",
        "TERM": "xterm",
        "COLUMNS": "200",
        "LINES": "50",
    }
    terminal = Terminal([sys.executable, "-m", "devtools.stack", "shell"], env)
    try:
        terminal.expect(r"Your input ->", timeout=240)
        terminal.type("Bonjour, je voudrais un rdv le plus tot possible pour un vaccin")
        terminal.expect(r"quel nom|votre nom")
        terminal.expect(r"Your input ->")
        terminal.type("Marie Dupont")
        terminal.expect(r"Autres créneaux")  # rasa shell shows the slot buttons as a menu
        terminal.type("")  # Enter: the first slot
        terminal.expect(r"Je récapitule")
        terminal.expect(r"Je confirme")
        terminal.type("")  # Enter: « Je confirme »
        terminal.expect(r"réservé|confirmé")
    finally:
        terminal.close()
    [appointment] = clinic_appointments(env["DATABASE_URL"])
    assert appointment["patient_name"] == "Marie Dupont"
    assert appointment["reason"] == "vaccination" and appointment["status"] == "booked"
