"""The conversation gate at work: the gate's decision (`clinic.domain.gate`) carried out with
handoff, privacy and the channel's own means of answering.

A channel (today WhatsApp; an SMS or web-chat channel would be the same) hands each message
here as an `Incoming`, and gets back the decision: a turn for it to run, or an answer already
given. The channel keeps only what is its own: its wire format, deduplication and leases.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from clinic.adapters.storage.conversations import Conversation
from clinic.domain import safety, texts
from clinic.domain.clock import Clock
from clinic.domain.gate import FLOOD_WINDOW, Channel, Decision, Incoming, Rules, route, screen
from clinic.domain.notice import notice_text
from clinic.services.handoff import RESUMED, STILL_WITH_STAFF, Handoff
from clinic.services.privacy import Privacy

logger = logging.getLogger(__name__)

#: The numbers in several languages go once in this span to a patient writing in another
#: language, not under every message of a conversation.
FOREIGN_WINDOW = timedelta(minutes=15)


@dataclass
class _Facts:
    """The gate's questions about one message's conversation, each asked at most once."""

    handoff: Handoff
    privacy: Privacy
    channel: Channel
    conversation: Conversation | None = field(default=None, init=False)

    def messages_since(self, patient_id: str, since: datetime) -> int:
        return self.channel.messages_since(patient_id, since)

    def paused(self, patient_id: str) -> bool:
        self.conversation = self.handoff.paused(patient_id)
        return self.conversation is not None

    def notice_due(self, patient_id: str) -> bool:
        return self.privacy.notice_due(patient_id)


class ConversationGate:
    """The `clinic.domain.gate.Gate` of every channel."""

    def __init__(
        self,
        handoff: Handoff,
        privacy: Privacy,
        clock: Clock,
        rules: Rules,
        public_url: str = "",
    ) -> None:
        self.handoff = handoff
        self.privacy = privacy
        self.clock = clock
        self.rules = rules
        #: Where the full privacy notice is served (PUBLIC_URL).
        self.public_url = public_url

    async def admit(self, message: Incoming, channel: Channel) -> Decision:
        facts = _Facts(self.handoff, self.privacy, channel)
        now = self.clock.now()
        # A red flag first, on the event loop: it waits for no query, and no busy thread.
        decision = screen(message)
        if decision is None:
            decision = await asyncio.to_thread(route, message, now, self.rules, facts)
        patient_id = message.patient_id
        if decision.verdict == "emergency":
            await self._emergency(patient_id, decision, channel)
        elif decision.verdict == "stale":
            since = now - self.rules.max_message_age
            await self._once(channel, patient_id, "stale", texts.STALE, since)
        elif decision.verdict == "throttled":
            logger.info("message over the per-number rate: no turn")
            await self._once(channel, patient_id, "throttled", texts.THROTTLED, now - FLOOD_WINDOW)
        elif decision.verdict == "back_to_assistant":
            await self._back_to_assistant(patient_id, channel)
        if decision.foreign and decision.verdict in ("turn", "paused"):
            logger.info("message not in French: emergency numbers first")
            since = now - FOREIGN_WINDOW
            await self._once(channel, patient_id, "foreign", safety.FOREIGN, since)
        if decision.notice:
            await channel.say(
                patient_id, notice_text(self.privacy.practice, self.public_url), "notice"
            )
            await asyncio.to_thread(self.privacy.notice_shown, patient_id)
        if decision.verdict == "paused" and facts.conversation is not None:
            answer = await asyncio.to_thread(self.handoff.acknowledgement, facts.conversation)
            if answer is not None:  # once per paused period
                await channel.send(patient_id, answer)
        elif decision.verdict == "fixed":
            await channel.say(patient_id, _FIXED.get(message.kind, texts.MEDIA))
        return decision

    async def number_changed(self, patient_id: str) -> None:
        await asyncio.to_thread(self.handoff.pause, patient_id, "number_changed")

    async def _emergency(self, patient_id: str, decision: Decision, channel: Channel) -> None:
        """The numbers to call in the first bubble, then staff alerted with the category (never
        the words); the conversation waits for staff."""
        finding = decision.finding
        assert finding is not None
        logger.warning("red flag: emergency answer sent")
        await channel.say(patient_id, safety.answer(finding, decision.foreign), "emergency")
        try:
            await asyncio.to_thread(self.handoff.pause, patient_id, "emergency", finding.category)
        except Exception:  # the advice is out; staff see the message in the transcript
            logger.exception("could not hand an emergency to staff")

    @staticmethod
    async def _once(
        channel: Channel, patient_id: str, kind: str, text: str, since: datetime
    ) -> None:
        """One answer of this kind since then (a replayed backlog, a flood), not one a message."""
        if not await asyncio.to_thread(channel.sent_recently, patient_id, kind, since):
            await channel.say(patient_id, text, kind)

    async def _back_to_assistant(self, patient_id: str, channel: Channel) -> None:
        """« Revenir à l'assistant »: honoured unless staff still have an emergency."""
        await asyncio.to_thread(self.handoff.back_to_assistant, patient_id)
        still = await asyncio.to_thread(self.handoff.paused, patient_id)
        await channel.say(patient_id, STILL_WITH_STAFF if still else RESUMED, "handoff")


_FIXED = {"voice": texts.VOICE, "location": texts.LOCATION}
