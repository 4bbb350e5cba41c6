"""`make cluster`: every stateless process twice behind HAProxy, sharing PostgreSQL and Redis,
so the multi-replica paths (shared tracker store, lock store, a replica dying) are tried on one
machine before a deployment.
"""

from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import replace

from clinic.adapters.settings import Settings
from devtools.stack.base import ROOT, StackError, free_port
from devtools.stack.environment import (
    DEVELOPMENT_CREDENTIALS,
    PRODUCTION_CREDENTIALS,
    auth_token,
    child_env,
    ensure_postgres_database,
    local_port,
    whatsapp_env,
)
from devtools.stack.services import (
    actions_service,
    assign_metrics_ports,
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
from devtools.stack.supervisor import Service, running

#: `cluster` without DATABASE_URL: a database on the machine's PostgreSQL, created if missing.
CLUSTER_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/clinic_cluster"
#: deploy/haproxy.cfg names two Rasa replicas and two action servers.
REPLICAS = 2


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
    duckling_port = local_port(settings.duckling_url)
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
