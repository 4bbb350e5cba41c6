"""`exec`: run one command (`rasa test`, a benchmark…) with the services it needs.

The services get free ports, so the command never clashes with a running `make run`, and it
finds them through the environment (DUCKLING_URL, RASA_URL, SIMULATOR_URL…).
"""

from __future__ import annotations

import argparse
import subprocess

from clinic.adapters.settings import Settings
from devtools.stack.base import ROOT, StackError, free_port
from devtools.stack.environment import (
    DEVELOPMENT_CREDENTIALS,
    auth_token,
    child_env,
    whatsapp_env,
)
from devtools.stack.services import (
    actions_service,
    current_model,
    duckling_service,
    rasa_service,
    simulator_service,
    worker_service,
)
from devtools.stack.supervisor import Service, running


def needed_services(
    names: str, settings: Settings, token: str
) -> tuple[list[Service], dict[str, str]]:
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
    services, env = needed_services(args.with_services, settings, token)
    with running(services, env, echo=False):
        return subprocess.run(command, cwd=ROOT, env=env).returncode
