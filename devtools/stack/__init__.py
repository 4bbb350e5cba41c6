"""Start, watch and stop the local stack: Duckling, the action server and the Rasa server.

``run``   the whole assistant on the standard ports, until Ctrl-C (``make run``);
``cluster`` replicas behind HAProxy, PostgreSQL and Redis (``make cluster``);
``prod-local`` the production configuration behind Caddy (``make prod-local``);
``shell`` a terminal chat (``rasa shell``) sharing Duckling, the actions and the database;
``interactive`` the same for trainers (``rasa interactive``);
``exec``  a command (``rasa test``…) with the services it needs on free ports (``make test``).

By concern: `supervisor` starts, watches and stops the children; `environment` assembles what
they are given; `services` says how each one is launched; one module per command; `cli` parses
the command line. The names below are what tests, benchmarks and scripts import from here.
"""

from devtools.stack.base import ROOT, StackError, free_port, http_ok, port_in_use
from devtools.stack.cli import main
from devtools.stack.cluster import (
    CLUSTER_DATABASE_URL,
    REPLICAS,
    cluster_services,
    cmd_cluster,
)
from devtools.stack.environment import (
    DEVELOPMENT_CREDENTIALS,
    LOCAL_WHATSAPP,
    LOCK_STORE_DEFAULTS,
    PRODUCTION_CREDENTIALS,
    WHATSAPP_VARIABLES,
    action_token,
    auth_token,
    child_env,
    ensure_postgres_database,
    secret_file,
    whatsapp_env,
)
from devtools.stack.execute import cmd_exec
from devtools.stack.prod_local import (
    PROD_LOCAL_DATABASE_URL,
    caddy_root_certificate,
    cmd_prod_local,
)
from devtools.stack.run import cmd_run
from devtools.stack.services import (
    MEASURED,
    actions_service,
    assign_metrics_ports,
    caddy_service,
    console_lines,
    console_service,
    current_model,
    duckling_service,
    haproxy_service,
    rasa_service,
    redis_service,
    simulator_service,
    worker_service,
)
from devtools.stack.shell import cmd_interactive, cmd_shell
from devtools.stack.supervisor import (
    LOG_TAIL,
    PR_SET_PDEATHSIG,
    Service,
    Supervisor,
    WarningFilter,
    running,
)

__all__ = [
    "CLUSTER_DATABASE_URL",
    "DEVELOPMENT_CREDENTIALS",
    "LOCAL_WHATSAPP",
    "LOCK_STORE_DEFAULTS",
    "LOG_TAIL",
    "MEASURED",
    "PRODUCTION_CREDENTIALS",
    "PROD_LOCAL_DATABASE_URL",
    "PR_SET_PDEATHSIG",
    "REPLICAS",
    "ROOT",
    "WHATSAPP_VARIABLES",
    "Service",
    "StackError",
    "Supervisor",
    "WarningFilter",
    "action_token",
    "actions_service",
    "assign_metrics_ports",
    "auth_token",
    "caddy_root_certificate",
    "caddy_service",
    "child_env",
    "cluster_services",
    "cmd_cluster",
    "cmd_exec",
    "cmd_interactive",
    "cmd_prod_local",
    "cmd_run",
    "cmd_shell",
    "console_lines",
    "console_service",
    "current_model",
    "duckling_service",
    "ensure_postgres_database",
    "free_port",
    "haproxy_service",
    "http_ok",
    "main",
    "port_in_use",
    "rasa_service",
    "redis_service",
    "running",
    "secret_file",
    "simulator_service",
    "whatsapp_env",
    "worker_service",
]
