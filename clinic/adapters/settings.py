"""Process settings, read from the environment once, at start, never at import.

The names are a contract (README, docs/architecture.md): deployment files and outside checks
set them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/clinic.db"
DEFAULT_DUCKLING_URL = "http://localhost:8000"
DEFAULT_WHATSAPP_API_URL = "https://graph.facebook.com/v21.0"
DEFAULT_WHATSAPP_MAX_MESSAGE_AGE = 3600  # seconds
DEFAULT_WHATSAPP_INBOUND_LEASE = 120  # seconds
DEFAULT_PUBLIC_URL = "http://localhost:5005"
DEFAULT_CONSOLE_PORT = 8070
DEFAULT_SMTP_FROM = "Assistant du cabinet <assistant@localhost>"
CALENDAR_BACKENDS = ("local", "google")
LOG_FORMATS = ("text", "json")
#: The word that opens the console to every address (`CONSOLE_ALLOW=public`): a choice made
#: explicitly, never a default.
CONSOLE_PUBLIC = "public"
#: Caddy's allow-list when `CONSOLE_ALLOW` is unset: loopback and private networks only.
CONSOLE_PRIVATE_RANGES = "127.0.0.0/8 ::1 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"
#: At least 32 bytes of entropy for the console's session key (`openssl rand -base64 48`).
CONSOLE_SESSION_KEY_MIN = 32


class SettingsError(ValueError):
    """A setting has a value the assistant cannot run with."""


#: Secrets that may come from a file instead: `NAME_FILE=/run/secrets/name` (compose and
#: Kubernetes secrets), so no secret sits in a compose file, an image or a process's environment
#: listing. `DATA_ENCRYPTION_KEY_FILE` has its own reader (several keys, one per line).
SECRET_FILES = (
    "DATABASE_URL",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "PATIENT_ID_KEY",
    "RASA_AUTH_TOKEN",
    "ACTION_SERVER_TOKEN",
    "SMTP_URL",
    "CONSOLE_SESSION_KEY",
)
#: Secrets whose file may be empty, meaning « none »: a compose secret cannot be optional (its
#: file must exist), and a practice without a mail server sends no staff e-mail.
OPTIONAL_SECRET_FILES = ("SMTP_URL",)


def secrets_from_files(environ: MutableMapping[str, str]) -> None:
    """Fill each secret of SECRET_FILES from `NAME_FILE` when NAME itself is unset: in place,
    so Rasa, which reads `${WHATSAPP_APP_SECRET}` from the environment, sees it too (and a
    second read finds the same value). Two different values are refused: which one would win
    is a trap."""
    for name in SECRET_FILES:
        path = environ.get(f"{name}_FILE")
        if not path:
            continue
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SettingsError(f"{name}_FILE={path}: {error.strerror}") from None
        if not value and name not in OPTIONAL_SECRET_FILES:
            raise SettingsError(f"{name}_FILE={path} is empty")
        if environ.get(name) not in (None, "", value):  # the same value twice is a re-read
            raise SettingsError(f"set {name} or {name}_FILE, not both")
        if value:  # an empty optional file leaves the secret unset, deliberately
            environ[name] = value


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a number of seconds") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r}: expected a positive number of seconds")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r}: expected a TCP port number")
    return int(raw)


def console_allow_ranges(value: str) -> tuple[str, ...] | None:
    """The ranges of `CONSOLE_ALLOW` (separated by spaces, as Caddy reads them, or commas, as
    the Kubernetes ingress does); None for `public`. Anything else is refused by name, so a
    typo stops the console instead of Caddy refusing its configuration later."""
    words = tuple(value.replace(",", " ").split())
    if words == (CONSOLE_PUBLIC,):
        return None
    if not words:
        raise SettingsError(f"CONSOLE_ALLOW is empty: address ranges, or {CONSOLE_PUBLIC!r}")
    for word in words:
        try:
            ipaddress.ip_network(word, strict=False)
        except ValueError:
            raise SettingsError(
                f"CONSOLE_ALLOW: {word!r} is not an address range (e.g. 203.0.113.10/32); "
                f"{CONSOLE_PUBLIC!r} alone opens the console to everyone"
            ) from None
    return words


@dataclass(frozen=True)
class Settings:
    """Every environment variable the project reads, with its default."""

    database_url: str = DEFAULT_DATABASE_URL
    calendar_backend: str = "local"
    google_calendar_id: str | None = None
    google_application_credentials: str | None = None
    google_api_root_url: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_app_secret: str | None = field(default=None, repr=False)
    whatsapp_access_token: str | None = field(default=None, repr=False)
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str = DEFAULT_WHATSAPP_API_URL
    whatsapp_max_message_age: int = DEFAULT_WHATSAPP_MAX_MESSAGE_AGE
    #: Seconds a message being handled stays with its process; a process killed mid-turn
    #: leaves it, and any replica takes it up once the lease ends.
    whatsapp_inbound_lease: int = DEFAULT_WHATSAPP_INBOUND_LEASE
    patient_id_key: str | None = field(default=None, repr=False)
    #: Seals names, numbers and texts at rest (clinic.adapters.sealing); comma-separated for rotation.
    data_encryption_key: str | None = field(default=None, repr=False)
    data_encryption_key_file: Path | None = None
    #: `production` when real patients write: refuse keys kept in the database.
    clinic_env: str = "development"
    public_url: str = DEFAULT_PUBLIC_URL
    duckling_url: str = DEFAULT_DUCKLING_URL
    rasa_auth_token: str | None = field(default=None, repr=False)
    #: Staff e-mail alerts: smtp://user:password@host:587 (STARTTLS) or smtps://host:465.
    smtp_url: str | None = field(default=None, repr=False)
    smtp_from: str = DEFAULT_SMTP_FROM
    practice_config: Path = Path("practice.yml")
    #: The staff console: loopback by default (Caddy or an SSH tunnel reaches it).
    console_host: str = "127.0.0.1"
    console_port: int = DEFAULT_CONSOLE_PORT
    #: The console's own session secret; only the console process is given it.
    console_session_key: str | None = field(default=None, repr=False)
    #: Who reaches the console through Caddy or the ingress: address ranges, or `public`.
    console_allow: str | None = None
    #: This process's /metrics and /health/* (clinic.adapters.metrics.OpsServer); None: not served.
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    log_format: str = "text"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: the process environment).

        Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
        """
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if v != ""}
        secrets_from_files(env)
        settings = cls(
            database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
            calendar_backend=env.get("CALENDAR_BACKEND", "local").lower(),
            google_calendar_id=env.get("GOOGLE_CALENDAR_ID"),
            google_application_credentials=env.get("GOOGLE_APPLICATION_CREDENTIALS"),
            google_api_root_url=env.get("GOOGLE_API_ROOT_URL"),
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN"),
            whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET"),
            whatsapp_access_token=env.get("WHATSAPP_ACCESS_TOKEN"),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID"),
            whatsapp_api_url=env.get("WHATSAPP_API_URL", DEFAULT_WHATSAPP_API_URL).rstrip("/"),
            whatsapp_max_message_age=_seconds(
                env, "WHATSAPP_MAX_MESSAGE_AGE", DEFAULT_WHATSAPP_MAX_MESSAGE_AGE
            ),
            whatsapp_inbound_lease=_seconds(
                env, "WHATSAPP_INBOUND_LEASE", DEFAULT_WHATSAPP_INBOUND_LEASE
            ),
            patient_id_key=env.get("PATIENT_ID_KEY"),
            data_encryption_key=env.get("DATA_ENCRYPTION_KEY"),
            data_encryption_key_file=(
                Path(env["DATA_ENCRYPTION_KEY_FILE"])
                if env.get("DATA_ENCRYPTION_KEY_FILE")
                else None
            ),
            clinic_env=env.get("CLINIC_ENV", "development").lower(),
            public_url=env.get("PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/"),
            duckling_url=env.get("DUCKLING_URL", DEFAULT_DUCKLING_URL).rstrip("/"),
            rasa_auth_token=env.get("RASA_AUTH_TOKEN"),
            smtp_url=env.get("SMTP_URL"),
            smtp_from=env.get("SMTP_FROM", DEFAULT_SMTP_FROM),
            practice_config=Path(env.get("PRACTICE_CONFIG", "practice.yml")),
            console_host=env.get("CONSOLE_HOST", "127.0.0.1"),
            console_port=_port(env, "CONSOLE_PORT", DEFAULT_CONSOLE_PORT),
            console_session_key=env.get("CONSOLE_SESSION_KEY"),
            console_allow=env.get("CONSOLE_ALLOW", "").strip() or None,
            metrics_port=_port(env, "METRICS_PORT", 0) or None,
            metrics_host=env.get("METRICS_HOST", "127.0.0.1"),
            log_format=env.get("LOG_FORMAT", "text").lower(),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail fast, with the variable's name, on a value that cannot work."""
        if self.calendar_backend not in CALENDAR_BACKENDS:
            raise SettingsError(
                f"CALENDAR_BACKEND={self.calendar_backend!r}: expected one of "
                f"{', '.join(CALENDAR_BACKENDS)}"
            )
        if self.calendar_backend == "google":
            missing = [
                name
                for name, value in (
                    ("GOOGLE_CALENDAR_ID", self.google_calendar_id),
                    ("GOOGLE_APPLICATION_CREDENTIALS", self.google_application_credentials),
                )
                if not value
            ]
            if missing:
                raise SettingsError(f"CALENDAR_BACKEND=google needs {', '.join(missing)}")
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"LOG_FORMAT={self.log_format!r}: expected one of {', '.join(LOG_FORMATS)}"
            )
        if self.clinic_env not in ("development", "production"):
            raise SettingsError(
                f"CLINIC_ENV={self.clinic_env!r}: expected development or production"
            )
        if self.patient_id_key is not None and len(self.patient_id_key) < 16:
            raise SettingsError("PATIENT_ID_KEY must be at least 16 characters long")
        if self.smtp_url and not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise SettingsError("SMTP_URL must look like smtp://user:password@host:587")
        if "://" not in self.database_url:
            raise SettingsError(
                f"DATABASE_URL must be an SQLAlchemy URL such as {DEFAULT_DATABASE_URL}"
            )
        if self.console_session_key is not None:
            if len(self.console_session_key) < CONSOLE_SESSION_KEY_MIN:
                raise SettingsError(
                    f"CONSOLE_SESSION_KEY must be at least {CONSOLE_SESSION_KEY_MIN} characters "
                    "long (openssl rand -base64 48)"
                )
            if self.console_session_key == self.patient_id_key:
                raise SettingsError(
                    "CONSOLE_SESSION_KEY must not be PATIENT_ID_KEY: the console's sessions "
                    "need a secret the other processes do not hold"
                )

    def validate_console(self) -> None:
        """What only the console needs, checked when it starts. In production it refuses to
        run without its own session key (a process holding the application key must not be
        able to sign a manager's session) and without an explicit `CONSOLE_ALLOW`: who may
        reach the staff's pages is a choice made on purpose, `public` included. Only the
        console reads `CONSOLE_ALLOW`, so only the console checks its spelling."""
        if self.console_allow is not None:
            console_allow_ranges(self.console_allow)
        if not self.production:
            return
        if not self.console_session_key:
            raise SettingsError(
                "CONSOLE_SESSION_KEY (or CONSOLE_SESSION_KEY_FILE) is required in production: "
                "the console's own session secret, given to the console alone "
                "(openssl rand -base64 48)"
            )
        if not self.console_allow:
            raise SettingsError(
                "CONSOLE_ALLOW is required in production: the practice's address ranges "
                f"(e.g. 203.0.113.10/32), or {CONSOLE_PUBLIC!r} to open the console to everyone"
            )

    @property
    def production(self) -> bool:
        """Real patients: CLINIC_ENV=production, or sending through Meta's own API."""
        real_meta = self.whatsapp_sends and "graph.facebook.com" in self.whatsapp_api_url
        return self.clinic_env == "production" or real_meta

    @property
    def whatsapp_enabled(self) -> bool:
        """The WhatsApp channel is mounted only when its credentials are all set."""
        return all(
            (
                self.whatsapp_verify_token,
                self.whatsapp_app_secret,
                self.whatsapp_access_token,
                self.whatsapp_phone_number_id,
            )
        )

    @property
    def whatsapp_sends(self) -> bool:
        """This process may send through the Graph API: the access token and the number's id
        are all it needs (the worker holds neither the app secret nor the verify token, which
        only the channel receiving Meta's webhooks uses)."""
        return bool(self.whatsapp_access_token and self.whatsapp_phone_number_id)
