"""`shell` and `interactive`: a terminal chat with the bot in the foreground.

Rasa runs in the terminal itself (it reads the keyboard), with Duckling and the action server
started behind it on free ports and sharing the database with `make run`.
"""

from __future__ import annotations

import argparse
import subprocess

from clinic.adapters.settings import Settings
from devtools.stack.base import ROOT, free_port
from devtools.stack.environment import auth_token
from devtools.stack.execute import needed_services
from devtools.stack.services import current_model, launch
from devtools.stack.supervisor import running


def _chat(settings: Settings, rasa_command: str, *extra: str) -> int:
    """`rasa shell` / `rasa interactive` in the foreground, with Duckling and the actions behind."""
    model = current_model()
    token = auth_token(settings)
    services, env = needed_services("duckling,actions", settings, token)
    command = launch(
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
