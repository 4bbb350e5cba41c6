"""`make run`: the whole assistant on the standard ports until Ctrl-C, for development.

Without Meta's credentials it also starts the local WhatsApp simulator (fake Graph API and
chat page) and points the connector at it; the worker always runs beside Rasa.
"""

from __future__ import annotations

import argparse

from clinic.adapters.settings import Settings
from devtools.stack.environment import (
    DEVELOPMENT_CREDENTIALS,
    PRODUCTION_CREDENTIALS,
    auth_token,
    child_env,
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
    rasa_service,
    simulator_service,
    worker_service,
)
from devtools.stack.supervisor import running


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    meta = whatsapp_env(settings, args.simulator_port)  # half-set credentials: stop first
    model = current_model()
    token = auth_token(settings)
    duckling_port = local_port(settings.duckling_url)
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
