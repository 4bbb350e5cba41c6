"""E-mail to staff through the practice's SMTP server (`SMTP_URL`): the one SMTP client.

`smtp://user:pass@host:587` uses STARTTLS and refuses to go on without it (credentials and alerts
never cross a network in clear); a relay on the same machine (loopback, no credentials) may go
without. `smtps://host:465` is TLS from the start. Sending runs in a thread (smtplib blocks).

E-mail has no way to ask « did you already get this one? »: an alert is sent at least once. Each
carries a stable Message-ID, so the rare duplicate (a crash between the server's « 250 OK » and
our record of it) is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from clinic.adapters.settings import SettingsError
from clinic.domain.notify import SendFailed, StaffAlert

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # starttls, tls
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK


def smtp_config(url: str, sender: str, timeout: float = 10.0) -> SmtpConfig:
    """Parse `SMTP_URL`; a SettingsError names what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError("SMTP_URL must look like smtp://user:password@host:587 or smtps://…")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise SettingsError("SMTP_URL has an invalid port") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        security="tls" if parts.scheme == "smtps" else "starttls",
        sender=sender,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=timeout,
    )


class Mailer:
    """The staff e-mail channel (`StaffChannel`)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def alert(self, recipient: str, alert: StaffAlert) -> str:
        domain = self.config.sender.rpartition("@")[2].strip("> ") or "localhost"
        message_id = f"<{alert.key.replace(':', '-')}@{domain}>"
        await self.send(recipient, alert.subject, alert.text, message_id)
        return message_id

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id
        message.set_content(body)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        config = self.config
        try:
            if config.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    timeout=config.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with client:
                client.ehlo()
                if config.security == "starttls":
                    if client.has_extn("starttls"):
                        client.starttls(context=ssl.create_default_context())
                        client.ehlo()
                    elif config.username or not config.loopback:
                        raise SendFailed(
                            0, "the SMTP server offers no STARTTLS: not sent in clear", False
                        )
                if config.username:
                    client.login(config.username, config.password or "")
                client.send_message(message)
        except SendFailed:
            raise
        except smtplib.SMTPResponseException as error:
            # 4xx: try again later; 5xx: the server refuses (bad address, bad credentials).
            raise SendFailed(error.smtp_code, "SMTP refused", error.smtp_code < 500) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise SendFailed(550, "recipient refused", retryable=False) from error
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(0, f"SMTP unreachable: {type(error).__name__}", True) from error
