"""The environment every child is given: the settings' defaults spelled out for Rasa's YAML
files, the tokens and secrets kept under var/, and Meta's credentials or the simulator's.

One place builds it, so `run`, `cluster`, `prod-local`, `shell` and `exec` hand their children
the same variables and differ only in what they add on top.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

from clinic.adapters.settings import Settings
from devtools.stack.base import ROOT, StackError


def _local_secret(name: str) -> str:
    """A random secret generated once and kept in var/<name> (mode 0600)."""
    path = ROOT / "var" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def auth_token(settings: Settings) -> str:
    """RASA_AUTH_TOKEN, or a token generated once and kept in var/rasa_auth_token."""
    return settings.rasa_auth_token or _local_secret("rasa_auth_token")


def action_token() -> str:
    """ACTION_SERVER_TOKEN (what Rasa sends the action server), or one kept in var/."""
    return os.environ.get("ACTION_SERVER_TOKEN") or _local_secret("action_server_token")


def secret_file(name: str) -> str:
    """The path of a secret generated once under var/secrets/ (0600), for a `NAME_FILE`."""
    _local_secret(f"secrets/{name}")
    return str(ROOT / "var" / "secrets" / name)


#: Production mounts the WhatsApp channel alone; development adds Rasa's REST channel, which
#: checks nothing (docs/security.md).
PRODUCTION_CREDENTIALS = "credentials.yml"
DEVELOPMENT_CREDENTIALS = "credentials.dev.yml"


#: The local simulator's stand-ins for Meta's credentials (nothing leaves the machine).
LOCAL_WHATSAPP = {
    "WHATSAPP_VERIFY_TOKEN": "local-verify-token",
    "WHATSAPP_ACCESS_TOKEN": "local-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}


WHATSAPP_VARIABLES = (
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)


def whatsapp_env(settings: Settings, simulator_port: int) -> dict[str, str]:
    """Meta's credentials when they are set; else the local simulator's, so the connector is
    always mounted and anyone can try it with no Meta account. Some but not all of Meta's
    variables set is a mistake, never a silent fall-back to the simulator."""
    if settings.whatsapp_enabled:
        return {}
    present = [name for name in WHATSAPP_VARIABLES if os.environ.get(name)]
    if present:
        missing = [name for name in WHATSAPP_VARIABLES if name not in present]
        raise StackError(
            f"Meta's credentials are incomplete: set {', '.join(missing)} too "
            f"(or unset {', '.join(present)} to use the local simulator)"
        )
    return {
        **LOCAL_WHATSAPP,
        "WHATSAPP_APP_SECRET": _local_secret("whatsapp_local_app_secret"),
        "WHATSAPP_API_URL": f"http://127.0.0.1:{simulator_port}/v21.0",
    }


#: endpoints.yml's lock store: in-memory for one Rasa process; `cluster` sets redis.
LOCK_STORE_DEFAULTS = {
    "LOCK_STORE_TYPE": "in_memory",
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_DB": "0",
}


def child_env(
    settings: Settings, duckling_url: str, actions_port: int, token: str
) -> dict[str, str]:
    """Environment of every child: the settings' defaults made explicit for Rasa's YAML files."""
    env = dict(os.environ)
    env.setdefault("WHATSAPP_API_URL", settings.whatsapp_api_url)
    env.update(
        DATABASE_URL=settings.database_url,
        DUCKLING_URL=duckling_url,
        RASA_DUCKLING_HTTP_URL=duckling_url,  # read by Rasa's DucklingEntityExtractor
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
        ACTION_SERVER_TOKEN=action_token(),
        RASA_AUTH_TOKEN=token,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    # Rasa refuses an unset ${VAR} in endpoints.yml: the single-process defaults.
    for name, default in LOCK_STORE_DEFAULTS.items():
        env.setdefault(name, default)
    # Third-party deprecation chatter is noise in a terminal chat and in logs.
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def local_port(url: str) -> int | None:
    """The port of `url` if it points at this machine, else None (an outside Duckling)."""
    parts = urlsplit(url)
    if parts.hostname in ("localhost", "127.0.0.1", "::1"):
        return parts.port or 80
    return None


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (what a managed PostgreSQL gives on day one)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as error:  # noqa: BLE001 (any driver error: one line naming the database)
        raise StackError(
            f"PostgreSQL at {target.host}:{target.port} is unreachable: {error}"
        ) from None
    finally:
        admin.dispose()
