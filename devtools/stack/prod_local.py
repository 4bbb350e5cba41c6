"""`make prod-local`: the production configuration as processes on this machine, behind Caddy.

It exercises what only production does (the WhatsApp channel alone, keys read from files,
CLINIC_ENV=production, TLS from Caddy's own CA) before a deployment does; Meta is still the
local simulator's fake Graph API, as no real number is wired here.
"""

from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import replace
from pathlib import Path

from clinic.adapters.settings import Settings
from devtools.stack.base import ROOT, StackError, free_port
from devtools.stack.environment import (
    PRODUCTION_CREDENTIALS,
    auth_token,
    child_env,
    ensure_postgres_database,
    local_port,
    secret_file,
    whatsapp_env,
)
from devtools.stack.services import (
    actions_service,
    assign_metrics_ports,
    caddy_service,
    console_service,
    current_model,
    duckling_service,
    rasa_service,
    redis_service,
    simulator_service,
    worker_service,
)
from devtools.stack.supervisor import Service, running

#: `prod-local` without DATABASE_URL: a database on the machine's PostgreSQL, created if missing.
PROD_LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/clinic_prod_local"


def caddy_root_certificate() -> Path:
    """The root of Caddy's internal CA (trust it to check https://localhost:PORT)."""
    return ROOT / "var" / "caddy" / "caddy" / "pki" / "authorities" / "local" / "root.crt"


def production_env(settings: Settings, args: argparse.Namespace, redis_port: int) -> dict[str, str]:
    """The children's environment as production sets it: CLINIC_ENV=production, its keys from
    files only, the Redis lock store, and Caddy's ports and upstreams."""
    meta = whatsapp_env(settings, args.simulator_port)
    token = auth_token(settings)
    env = child_env(settings, settings.duckling_url, args.actions_port, token)
    env.update(meta)
    env.update(
        CLINIC_ENV="production",
        PATIENT_ID_KEY_FILE=secret_file("patient_id_key"),
        DATA_ENCRYPTION_KEY_FILE=secret_file("data_encryption_key"),
        CONSOLE_SESSION_KEY_FILE=secret_file("console_session_key"),
        CONSOLE_ALLOW="127.0.0.0/8 ::1",  # Caddy's allow-list, and the console's start check
        LOCK_STORE_TYPE="redis",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(redis_port),
        PUBLIC_URL=f"https://localhost:{args.port}",
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
    return env


def production_services(
    settings: Settings, args: argparse.Namespace, redis_port: int
) -> list[Service]:
    """The production processes in their start order; Duckling only when DUCKLING_URL is local."""
    services = [redis_service(redis_port)]
    duckling_port = local_port(settings.duckling_url)
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
    return services


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
    redis_port = free_port()
    env = production_env(settings, args, redis_port)
    public = env["PUBLIC_URL"]
    services = production_services(settings, args, redis_port)
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
