"""The domain's ports over WhatsApp: `Messenger` (reminders, staff notices and replies to a
patient) and `StaffChannel` (alerts to the staff numbers of practice.yml).

Templates are the only messages Meta delivers outside the 24-hour window. Their quick replies
are signed for the patient here, so only that patient's tap is honoured.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from clinic.adapters.whatsapp import messages
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.graph import GraphClient, GraphError
from clinic.adapters.whatsapp.identity import Keyring
from clinic.adapters.whatsapp.outbox import Outbox
from clinic.domain.clock import Clock
from clinic.domain.notify import SendFailed, StaffAlert, TemplateMessage

logger = logging.getLogger(__name__)


class WhatsAppMessenger:
    """Queues templates for the worker, or sends them at once (`graph` is None in processes
    that only queue, such as the staff CLI)."""

    def __init__(
        self,
        contacts: Contacts,
        outbox: Outbox,
        keyring: Keyring,
        clock: Clock,
        graph: GraphClient | None = None,
    ) -> None:
        self.contacts = contacts
        self.outbox = outbox
        self.keyring = keyring
        self.clock = clock
        self.graph = graph

    def sign(self, patient_id: str, payload: str) -> str:
        return self.keyring.sign_choice(patient_id, payload) or payload

    def body(self, patient_id: str, message: TemplateMessage) -> dict[str, Any]:
        """The Graph API body of `message`, its quick replies signed for the patient."""
        return messages.template(
            message.name,
            message.language,
            list(message.parameters),
            [self.sign(patient_id, payload) for payload in message.quick_replies],
        )

    def reachable(self, patient_id: str) -> bool:
        contact = self.contacts.contact(patient_id)
        return contact is not None and bool(contact.wa_id)

    def queue(self, patient_id: str, kind: str, message: TemplateMessage) -> int:
        return self.outbox.queue(patient_id, kind, self.body(patient_id, message), self.clock.now())

    def window_open(self, patient_id: str) -> bool:
        contact = self.contacts.contact(patient_id)
        return contact is not None and contact.window_open(self.clock.now())

    def queue_text(self, patient_id: str, kind: str, text: str) -> int:
        """A long text becomes several messages, queued in order (the worker keeps it)."""
        now = self.clock.now()
        ids = [self.outbox.queue(patient_id, kind, body, now) for body in messages.text(text)]
        return ids[0]

    def queue_choice(
        self, patient_id: str, kind: str, text: str, choices: tuple[tuple[str, str], ...]
    ) -> int:
        now = self.clock.now()
        options = [
            messages.Option(self.sign(patient_id, payload), title) for title, payload in choices
        ]
        ids = [
            self.outbox.queue(patient_id, kind, body, now)
            for body in messages.choices(text, options)
        ]
        return ids[0]

    async def alert(self, recipient: str, alert: StaffAlert) -> str:
        """The alert template to a staff number; Meta echoes `alert.key` in its statuses, which
        settles a send whose answer was lost (as for reminders)."""
        body = {
            **messages.template(
                alert.template.name, alert.template.language, list(alert.template.parameters)
            ),
            "biz_opaque_callback_data": alert.key,
        }
        return await self._send(recipient.lstrip("+"), body)

    async def send_now(self, patient_id: str, message: TemplateMessage, callback: str) -> str:
        """Outside the outbox: reminders keep their own rows and their own exactly-once claim."""
        if self.graph is None:
            raise SendFailed(0, "WhatsApp is not configured in this process", retryable=False)
        contact = await asyncio.to_thread(self.contacts.contact, patient_id)
        if contact is None or not contact.wa_id:
            raise SendFailed(0, "no WhatsApp number for this patient", retryable=False)
        body = {**self.body(patient_id, message), "biz_opaque_callback_data": callback}
        return await self._send(contact.wa_id, body)

    async def _send(self, to: str, body: dict[str, Any]) -> str:
        if self.graph is None:
            raise SendFailed(0, "WhatsApp is not configured in this process", retryable=False)
        try:
            return await self.graph.send(to, body)
        except GraphError as error:
            if error.needs_operator:
                logger.critical("WhatsApp rejected the access token: replace WHATSAPP_ACCESS_TOKEN")
            raise SendFailed(error.code, error.title, error.retryable, error.ambiguous) from error
