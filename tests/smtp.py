"""A real SMTP server (aiosmtpd) on loopback, collecting what it is sent: staff e-mail alerts
are tested against it, never a mock of smtplib."""

from __future__ import annotations

import asyncio
import email
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from devtools.stack import free_port


@dataclass
class Inbox:
    """The server's handler: every message it accepted, in order."""

    messages: list[EmailMessage] = field(default_factory=list)
    #: Recipients whose next RCPT is held (the client is then killed or times out).
    hang_for: set[str] = field(default_factory=set)
    hang_seconds: float = 60.0

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.hang_for:
            self.hang_for.discard(address)
            await asyncio.sleep(self.hang_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[str, Inbox]]:
    """(SMTP_URL, inbox) of a server listening on 127.0.0.1 for the duration."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()
