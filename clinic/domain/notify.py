"""The port between the domain and the channels that reach a patient.

The domain decides *what* to say outside a conversation (a reminder, a cancellation by staff) in
its own words, a `TemplateMessage`; a channel (today `clinic.adapters.whatsapp.messenger`) decides how it
travels. The domain never imports a channel: the composition root (`clinic.app.wiring`) plugs one
in. Staff alerts travel through the same kind of port, `StaffChannel` (WhatsApp, e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TemplateMessage:
    """A pre-approved message: WhatsApp only delivers these outside the 24-hour window.

    `quick_replies` are intent payloads; the channel makes them its own (signs them for the
    patient) so that only that patient's answer is honoured.
    """

    name: str
    language: str
    parameters: tuple[str, ...] = ()
    quick_replies: tuple[str, ...] = ()


def callback_id(prefix: str, data: str | None) -> int | None:
    """The row id in a channel's echoed callback (« reminder:12 », « alert:7 »), if ours."""
    if not data or not data.startswith(prefix):
        return None
    try:
        return int(data[len(prefix) :])
    except ValueError:
        return None


class SendFailed(Exception):
    """The message was not accepted. `retryable` says whether trying later may work;
    `ambiguous` says the channel may have accepted it anyway (a timeout)."""

    def __init__(self, code: int, title: str, retryable: bool, ambiguous: bool = False) -> None:
        super().__init__(f"({code}) {title}")
        self.code = code
        self.title = title
        self.retryable = retryable
        self.ambiguous = ambiguous


class Messenger(Protocol):
    """How the domain reaches a patient outside their own turn."""

    def reachable(self, patient_id: str) -> bool:
        """Whether this channel knows how to reach the patient at all."""
        ...

    def queue(self, patient_id: str, kind: str, message: TemplateMessage) -> int:
        """Leave the message for the worker to send (in order, retried); returns its id."""
        ...

    async def send_now(self, patient_id: str, message: TemplateMessage, callback: str) -> str:
        """Send at once and return the channel's message id; the channel echoes `callback` in
        its delivery statuses. Raises SendFailed."""
        ...

    def window_open(self, patient_id: str) -> bool:
        """Whether free text may reach the patient now (WhatsApp: within 24 h of their last
        message); outside it only a template can."""
        ...

    def queue_text(self, patient_id: str, kind: str, text: str) -> int:
        """Leave a free-text message for the worker (inside the window only)."""
        ...

    def queue_choice(
        self, patient_id: str, kind: str, text: str, choices: tuple[tuple[str, str], ...]
    ) -> int:
        """Free text with buttons (title, intent payload) for the worker (inside the window
        only); the payloads are signed for the patient, as a template's quick replies."""
        ...


@dataclass(frozen=True)
class StaffAlert:
    """What staff are told when a conversation needs them: a reference, never a name, a number
    or a symptom. Each channel takes the form it can carry."""

    reference: str
    #: Identifies this alert for good (the e-mail's Message-ID, the WhatsApp callback).
    key: str
    subject: str
    text: str
    template: TemplateMessage


class StaffChannel(Protocol):
    """How staff are alerted (WhatsApp template to a staff number, e-mail)."""

    async def alert(self, recipient: str, alert: StaffAlert) -> str:
        """Send and return the channel's id for the message. Raises SendFailed."""
        ...
