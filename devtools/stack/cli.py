"""The command line of `python -m devtools.stack`: parse it, run the command, turn a
StackError or a settings mistake into one `error:` line and exit code 1."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from clinic.adapters.settings import Settings, SettingsError
from devtools.stack.base import StackError
from devtools.stack.cluster import cmd_cluster
from devtools.stack.execute import cmd_exec
from devtools.stack.prod_local import cmd_prod_local
from devtools.stack.run import cmd_run
from devtools.stack.shell import cmd_interactive, cmd_shell

DESCRIPTION = (
    "Start, watch and stop the local stack: Duckling, the action server and the Rasa server."
)
#: The name usage lines and argparse's errors have always shown (the tool was one file).
PROG = "stack.py"

Command = Callable[[Settings, argparse.Namespace], int]
COMMANDS: dict[str, Command] = {
    "run": cmd_run,
    "cluster": cmd_cluster,
    "prod-local": cmd_prod_local,
    "shell": cmd_shell,
    "interactive": cmd_interactive,
    "exec": cmd_exec,
}


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
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
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        code = COMMANDS[args.cmd](settings, args)
    except (StackError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)
