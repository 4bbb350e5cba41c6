"""The conversation gate: what happens to a patient's message before, or instead of, a dialogue
turn, whatever the channel it came by.

One order for every channel, decided here once:

1. a red flag gets the emergency answer, in every state (first message, mid-booking, paused,
   flooding), with no turn: it needs neither the model, the action server nor Duckling;
2. a message that arrived long after it was sent (an outage replayed) is not answered as new;
3. past the per-number rate, the excess gets no turn (a flood must not book);
4. « revenir à l'assistant » ends a pause, unless staff still hold an emergency;
5. a new patient gets the privacy notice before the answer, also while paused;
6. staff have the conversation: no turn;
7. a voice note, a photo or a position gets a fixed reply; anything else is a turn.

A text plainly not in French (`safety.is_foreign`) is marked `foreign`: with no red flag, when
it is paused or a turn, its first bubble is the emergency numbers in several languages, since
neither the detector nor the model can vouch for what it says; with one, the emergency answer
names the 112 in several languages too.

`decide` reads the few facts it needs through `Facts`, lazily and in this order; `screen`, the
first step, reads the words alone, so a red flag costs no query and waits for no database. The service that acts on a decision (`clinic.services.conversation`) implements
`Gate`, the only interface a channel uses to reach these rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from clinic.domain import safety

#: The span `Rules.messages_per_minute` counts over.
FLOOD_WINDOW = timedelta(minutes=1)
#: The payload of the « Retour à l'assistant » button offered while staff have a conversation.
BACK_TO_ASSISTANT = "/back_to_assistant"

#: What a patient sent, as every channel can say it.
Kind = Literal["text", "choice", "voice", "location", "media", "contacts"]
#: What became of a message: a turn, or one of the gate's answers instead of one.
Verdict = Literal["emergency", "stale", "throttled", "back_to_assistant", "paused", "fixed", "turn"]


@dataclass(frozen=True)
class Incoming:
    """One patient message, channel-neutral."""

    patient_id: str
    kind: Kind
    #: What the patient wrote (a button's title for a choice); empty for a voice note, a photo…
    text: str
    #: What the dialogue should read (a choice's payload), or None: the gate answers instead.
    turn_text: str | None
    sent_at: datetime


@dataclass(frozen=True)
class Rules:
    """The practice's limits on the gate (practice.yml `limits`, the channel's replay window)."""

    #: Messages older than this when they arrive do not start a turn.
    max_message_age: timedelta = timedelta(hours=1)
    #: Per patient and minute; 0: no limit.
    messages_per_minute: int = 0


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    #: The red flag found (verdict "emergency").
    finding: safety.Finding | None = None
    #: Show the privacy notice first (a new patient, or a new version of the notice).
    notice: bool = False
    #: What the dialogue reads (verdict "turn").
    text: str | None = None
    #: Not in French: the 112 named in several languages too (verdicts emergency, turn, paused).
    foreign: bool = False


class Facts(Protocol):
    """What the gate may ask about a conversation; each answer costs a query, asked only when
    the rules above need it."""

    def messages_since(self, patient_id: str, since: datetime) -> int: ...

    def paused(self, patient_id: str) -> bool: ...

    def notice_due(self, patient_id: str) -> bool: ...


def decide(message: Incoming, now: datetime, rules: Rules, facts: Facts) -> Decision:
    """The gate's verdict on one message (the order is the module's docstring)."""
    return screen(message) or route(message, now, rules, facts)


def screen(message: Incoming) -> Decision | None:
    """Step 1, from the words alone (no query, no I/O): a red flag."""
    if message.kind != "text":
        return None
    finding = safety.detect(message.text)
    if finding is None:
        return None
    foreign = safety.is_foreign(message.text, min_words=3)  # a red flag is never a name
    return Decision("emergency", finding=finding, foreign=foreign)


def route(message: Incoming, now: datetime, rules: Rules, facts: Facts) -> Decision:
    """Steps 2 to 7, for a message that raised no red flag."""
    if now - message.sent_at > rules.max_message_age:
        return Decision("stale")
    limit = rules.messages_per_minute
    if limit and facts.messages_since(message.patient_id, now - FLOOD_WINDOW) > limit:
        return Decision("throttled")
    if message.turn_text == BACK_TO_ASSISTANT:
        return Decision("back_to_assistant")
    notice = message.turn_text is not None and facts.notice_due(message.patient_id)
    foreign = message.kind == "text" and safety.is_foreign(message.text)
    if facts.paused(message.patient_id):
        return Decision("paused", notice=notice, foreign=foreign)
    if message.turn_text is None:
        return Decision("fixed")
    return Decision("turn", notice=notice, text=message.turn_text, foreign=foreign)


class Channel(Protocol):
    """What a channel lends the gate's service to answer a patient outside a dialogue turn."""

    async def say(self, patient_id: str, text: str, kind: str = "text") -> None: ...

    async def send(self, patient_id: str, response: dict[str, Any]) -> None:
        """One assistant response in Rasa's shape (text, buttons)."""

    def messages_since(self, patient_id: str, since: datetime) -> int:
        """The patient's messages that reached this channel since then."""

    def sent_recently(self, patient_id: str, kind: str, since: datetime) -> bool:
        """Whether an answer of this kind went to the patient since then."""


class Gate(Protocol):
    """The conversation rules as a channel reaches them (`clinic.services.conversation`)."""

    async def admit(self, message: Incoming, channel: Channel) -> Decision:
        """Decide, and give every answer but a turn's: the channel runs the turn itself."""

    async def number_changed(self, patient_id: str) -> None:
        """The patient's number now belongs to someone else, maybe: staff take over."""
