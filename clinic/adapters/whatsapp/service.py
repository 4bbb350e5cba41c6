"""The WhatsApp channel: one webhook delivery, from Meta's JSON to dialogue turns and replies.

The connector acknowledges Meta at once and hands the parsed batch to `process` in the
background. What is WhatsApp's own stays here: each message claimed once (Meta delivers again),
leased while it is handled (a dead process loses nothing), its read receipt, statuses, and the
wire format. What happens to a message before or instead of a turn (a red flag, a flood, a
pause with staff, the privacy notice…) is the conversation gate's (`clinic.domain.gate`), reached
through its interface only; a turn runs within its budget, with « un instant » past it. What
the patient and the assistant say is kept in the transcript staff read.

About 450 lines on purpose: one message's path (claim, lease, gate, turn within its budget,
deferral, recovery after a crash) shares the per-patient locks and the lease; cut across files
it would be harder to follow. What reads a message is in `reading.py`, statuses in `statuses.py`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from clinic.adapters import metrics
from clinic.adapters.logs import traced
from clinic.adapters.sealing import Sealer
from clinic.adapters.storage.conversations import Transcript
from clinic.adapters.whatsapp import inbound as kinds
from clinic.adapters.whatsapp import messages
from clinic.adapters.whatsapp.compose import compose
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.delivery import Delivery, KeyedLocks
from clinic.adapters.whatsapp.graph import GraphClient
from clinic.adapters.whatsapp.identity import Keyring
from clinic.adapters.whatsapp.inbound import Inbound, Status
from clinic.adapters.whatsapp.inbound_log import InboundLog
from clinic.adapters.whatsapp.outbox import Outbox
from clinic.adapters.whatsapp.reading import (
    KINDS,
    MAX_STORED_TEXT,
    OUTCOMES,
    WhatsAppConfig,
    as_written,
    keep,
    neutralise,
    revive,
)
from clinic.adapters.whatsapp.statuses import Statuses, StatusListener
from clinic.domain import texts
from clinic.domain.clock import Clock
from clinic.domain.gate import Gate, Incoming
from clinic.domain.statuses import Author, InboundOutcome

logger = logging.getLogger(__name__)

#: Meta's system message when a patient moves to a new number.
NUMBER_CHANGED = "user_changed_number"
#: Inbound message ids are kept this long: Meta redelivers for up to 7 days.
DEDUP_RETENTION = timedelta(days=8)
#: A message whose handling died is taken up again this many times, then the patient is told.
MAX_ATTEMPTS = 3
#: `run_turn(patient_id, text, message_id)`: hand one message to the dialogue engine.
TurnRunner = Callable[[str, str, str], Awaitable[None]]
#: `turn_ran(patient_id, message_id)`: whether the dialogue engine kept a turn for the message.
TurnCheck = Callable[[str, str], Awaitable[bool]]


class TurnDeferred(Exception):  # noqa: N818 (an outcome, not an error)
    """The turn cannot run now (its conversation cannot be read or saved): the message stays
    claimed, without an outcome, and any process takes it up again once its lease ends."""


class WhatsAppService:
    """The channel's work for one process; its parts come from the composition root
    (`clinic.app.wiring`), which shares the same tables and Graph client with the messenger."""

    def __init__(
        self,
        config: WhatsAppConfig,
        *,
        contacts: Contacts,
        inbound: InboundLog,
        outbox: Outbox,
        keyring: Keyring,
        graph: GraphClient,
        delivery: Delivery,
        gate: Gate,
        transcript: Transcript,
        clock: Clock,
        status_listeners: Sequence[StatusListener] = (),
        practice_phone: str | None = None,
        turn_budget: float = 4.0,
        turns_in_flight: int = 4,
        sealer: Sealer | None = None,
        inbound_lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.config = config
        #: Given when the assistant cannot answer.
        self.practice_phone = practice_phone
        self.clock = clock
        self.contacts = contacts
        self.inbound = inbound
        self.outbox = outbox
        self.keyring = keyring
        self.graph = graph
        self.delivery = delivery
        self.gate = gate
        self.transcript = transcript
        self.statuses = Statuses(outbox, clock, status_listeners)
        #: Seconds a patient waits, from the message's arrival, before a holding answer.
        self.turn_budget = turn_budget
        #: Keeps each message (sealed) until it is handled, so a dead process loses nothing.
        self.sealer = sealer
        #: How long a message being handled is held before another process takes it up.
        self.inbound_lease = inbound_lease
        #: Messages handled at once by this process; the others wait their place, taken on
        #: arrival (a FIFO semaphore), so a burst is answered first come, first served.
        self._turns = asyncio.Semaphore(turns_in_flight)
        self._receipts: set[asyncio.Task[None]] = set()
        #: Deliveries of one patient's messages run one after the other, in arrival order.
        self._patients = KeyedLocks()

    async def close(self) -> None:
        await self.graph.close()

    def patient_id(self, whatsapp_id: str) -> str:
        return self.keyring.patient_id(whatsapp_id)

    async def send(self, patient_id: str, response: dict[str, Any]) -> None:
        """Send one assistant response (Rasa's dict) to the patient."""
        bodies = compose(self.keyring, patient_id, response)
        if bodies:
            # Delivery first: it keeps the patient's order, which an await before it would not.
            await self.delivery.deliver(patient_id, bodies)
            buttons = response.get("buttons") or response.get("quick_replies") or []
            titles = [str(b.get("title", "")) for b in buttons if isinstance(b, dict)]
            text = str(response.get("text") or "[fichier]")
            await self._record(patient_id, "assistant", text, titles)

    async def say(self, patient_id: str, text: str, kind: str = "text") -> None:
        await self.delivery.deliver(patient_id, messages.text(text), kind=kind)
        await self._record(patient_id, "assistant", text)

    def messages_since(self, patient_id: str, since: datetime) -> int:
        return self.inbound.count_since(patient_id, since)

    def sent_recently(self, patient_id: str, kind: str, since: datetime) -> bool:
        return self.outbox.sent_recently(patient_id, kind, since)

    async def _record(
        self, patient_id: str, author: Author, text: str, buttons: Sequence[str] = ()
    ) -> None:
        """Into the transcript staff read; a failure there must not cost the patient an answer."""
        try:
            await asyncio.to_thread(
                self.transcript.add,
                patient_id,
                author,
                text[:MAX_STORED_TEXT],
                self.clock.now(),
                None,
                buttons,
            )
        except Exception:
            logger.exception("could not record a message in the transcript")

    async def accept(self, batch: list[Inbound]) -> tuple[list[Inbound], bool]:
        """Claim each message before Meta gets its answer: the first delivery of each is kept
        (sealed, leased to this process), later ones are dropped. Returns the new messages and
        whether every message could be recorded; when the database cannot, the webhook answers
        503 and Meta delivers again later, so nothing is lost (decision 30)."""
        fresh: list[Inbound] = []
        for message in batch:
            if not message.sender:
                continue
            try:
                first = await self._claim(message, self.patient_id(message.sender))
            except Exception:
                logger.exception(
                    "could not record a WhatsApp message",
                    extra={"trace_id": self.trace(message)},
                )
                return fresh, False
            metrics.INBOUND_MESSAGES.labels(
                message.kind, "accepted" if first else "duplicate"
            ).inc()
            if first:
                fresh.append(message)
            else:
                logger.info("duplicate delivery ignored", extra={"trace_id": self.trace(message)})
        return fresh, True

    def trace(self, message: Inbound | str) -> str:
        """The trace id of an inbound message (its Meta id, which encodes the number, never
        reaches a log)."""
        message_id = message if isinstance(message, str) else message.message_id
        return self.keyring.trace_id(message_id)

    async def process(
        self,
        batch: list[Inbound],
        statuses: list[Status],
        run_turn: TurnRunner,
        claimed: bool = False,
    ) -> None:
        """Handle a parsed webhook: statuses first, then each patient's messages in order
        (different patients concurrently). `claimed`: `accept` recorded them already. Never
        raises: this runs after Meta got its answer."""
        for status in statuses:
            try:
                await self.statuses.record(status)
            except Exception:
                logger.exception("could not record a WhatsApp status")
        by_sender: defaultdict[str, list[Inbound]] = defaultdict(list)
        for message in batch:
            if message.sender:
                by_sender[message.sender].append(message)
        await asyncio.gather(
            *(
                self._serve(sorted(items, key=lambda m: m.sent_at), run_turn, claimed)
                for items in by_sender.values()
            )
        )

    async def _serve(self, items: list[Inbound], run_turn: TurnRunner, claimed: bool) -> None:
        async with self._patients(items[0].sender):
            for message in items:
                try:
                    await self._one(message, run_turn, claimed)
                except Exception:
                    logger.exception("a WhatsApp message could not be handled")

    async def _turn(
        self,
        patient_id: str,
        text: str,
        message_id: str,
        run_turn: TurnRunner,
        started: float,
        place: asyncio.Future[Any],
    ) -> None:
        """One dialogue turn, once its place in the queue comes; past the budget (counted from
        the message's arrival, the queue included) the patient hears « un instant », and the
        answer follows."""

        async def in_turn() -> None:
            await place
            await run_turn(patient_id, text, message_id)

        turn = asyncio.ensure_future(in_turn())
        try:
            left = max(0.0, self.turn_budget - (time.monotonic() - started))
            done, _ = await asyncio.wait({turn}, timeout=left)
            if not done:
                logger.warning("a turn is over its budget: holding answer sent")
                await self.say(patient_id, texts.holding(self.practice_phone), kind="holding")
                metrics.HOLDING_ANSWERS.inc()
            renewal = self.inbound_lease.total_seconds() / 3
            while not done:  # still running: keep the message ours
                done, _ = await asyncio.wait({turn}, timeout=renewal)
                if not done:
                    until = self.clock.now() + self.inbound_lease
                    await asyncio.to_thread(self.inbound.renew, message_id, until)
        except asyncio.CancelledError:
            turn.cancel()  # the process is stopping: the lease will let another take it up
            raise
        await turn

    async def _one(self, message: Inbound, run_turn: TurnRunner, claimed: bool = False) -> None:
        """Takes its place in the queue at once (arrival order), then handles the message, its
        trace id bound to every log line and outbox row of the turn."""
        started = time.monotonic()
        place = asyncio.ensure_future(self._turns.acquire())
        try:
            with traced(self.trace(message)):
                await self._handle(message, run_turn, started, place, claimed)
        finally:
            if place.done() and not place.cancelled():
                self._turns.release()
            else:
                place.cancel()

    async def _handle(
        self,
        message: Inbound,
        run_turn: TurnRunner,
        started: float,
        place: asyncio.Future[Any],
        claimed: bool = False,
    ) -> None:
        """One message: claimed once, then the gate's, then (if the gate says so) a turn."""
        patient_id = self.patient_id(message.sender)
        if not (claimed or await self._claim(message, patient_id)):
            logger.info("duplicate delivery ignored")
            return
        logger.info("message received", extra={"kind": message.kind})
        if not await self._from_the_patient(message, patient_id):
            await asyncio.to_thread(self.inbound.set_outcome, message.message_id, "ignored")
            return
        await self._record(patient_id, "patient", as_written(message))
        receipt = asyncio.create_task(self.delivery.mark_read(message.message_id))
        self._receipts.add(receipt)
        receipt.add_done_callback(self._receipts.discard)
        incoming = Incoming(
            patient_id,
            KINDS.get(message.kind, "media"),
            message.text or "",
            self._turn_text(message, patient_id),
            message.sent_at,
        )
        decision = await self.gate.admit(incoming, self)
        if decision.verdict == "turn":
            await self._dialogue(patient_id, decision.text or "", message, run_turn, started, place)
        else:
            outcome = OUTCOMES[decision.verdict]
            await asyncio.to_thread(self.inbound.set_outcome, message.message_id, outcome)

    async def _claim(self, message: Inbound, patient_id: str) -> bool:
        """Keep the message (sealed, leased to this process) unless it was delivered before."""
        return await asyncio.to_thread(
            self.inbound.claim_inbound,
            message.message_id,
            patient_id,
            message.kind,
            message.sent_at,
            self.clock.now(),
            keep(self.sealer, message),
            self.inbound_lease,
        )

    async def _from_the_patient(self, message: Inbound, patient_id: str) -> bool:
        """Whether the message is the patient's to answer: WhatsApp's system notices and
        reactions are not (a number change alerts staff); the contact's window opens."""
        now = self.clock.now()
        if message.kind == kinds.SYSTEM:
            if message.system_type == NUMBER_CHANGED:
                await asyncio.to_thread(self._number_changed, patient_id, now)
                await self.gate.number_changed(patient_id)
            return False
        await asyncio.to_thread(
            self.contacts.remember_contact,
            patient_id,
            message.wa_id,
            message.user_id,
            message.sent_at,
            now,
            message.profile_name,
        )
        return message.kind != kinds.REACTION

    async def _dialogue(
        self,
        patient_id: str,
        text: str,
        message: Inbound,
        run_turn: TurnRunner,
        started: float,
        place: asyncio.Future[Any],
    ) -> None:
        """The dialogue turn and its outcome: done, deferred (its store unreachable: retried),
        or failed (the patient gets the apology and the practice's number)."""
        outcome: InboundOutcome
        try:
            await self._turn(patient_id, text, message.message_id, run_turn, started, place)
            outcome = "turn"
            seconds = time.monotonic() - started
            metrics.TURN_SECONDS.observe(seconds)
            logger.info("turn done", extra={"seconds": round(seconds, 3)})
        except TurnDeferred:
            await self._defer(patient_id, message.message_id, started)
            return
        except Exception:
            logger.exception("the dialogue failed on a message")
            await self.say(patient_id, texts.error(self.practice_phone), kind="apology")
            outcome = "failed"
        await asyncio.to_thread(self.inbound.set_outcome, message.message_id, outcome)

    async def _defer(self, patient_id: str, message_id: str, started: float) -> None:
        """The turn could not run (its conversation or its lock unreachable): the patient hears
        « un instant » if not yet, and the message is taken up again soon, by any process (each
        try counts: after MAX_ATTEMPTS the patient gets the apology and the phone number)."""
        logger.warning("message deferred: a store of the dialogue is unreachable")
        metrics.MESSAGES_HANDLED.labels("deferred").inc()
        try:
            if time.monotonic() - started < self.turn_budget:  # no holding answer yet
                await self.say(patient_id, texts.holding(self.practice_phone), kind="holding")
                metrics.HOLDING_ANSWERS.inc()
            retry_at = self.clock.now() + self.inbound_lease / 4
            await asyncio.to_thread(self.inbound.renew, message_id, retry_at)
        except Exception:  # the database is down too: the lease as it was decides
            logger.exception("could not reschedule a deferred message")

    def _number_changed(self, patient_id: str, now: datetime) -> None:
        """« user_changed_number »: the old number may soon be someone else's. Nothing more goes
        to it (reminders included: they fail as « no number », visibly); the gate then alerts
        staff, so they can reach the patient, whose new number writes as a new conversation."""
        self.contacts.forget_number(patient_id, now)
        logger.info("a patient changed number: nothing more is sent to the old one; staff alerted")

    def _turn_text(self, message: Inbound, patient_id: str) -> str | None:
        """What Rasa should read, or None when the message gets a fixed reply instead."""
        if message.kind == kinds.TEXT:
            return neutralise(message.text or "")
        if message.kind == kinds.CHOICE:
            payload = self.keyring.open_choice(patient_id, message.choice_id or "")
            if payload is not None:
                return payload  # issued by us to this patient: an intent payload is fine
            logger.info("a choice id not issued to this patient was read as text")
            return neutralise(message.text or "")
        return None

    async def recover(self, run_turn: TurnRunner, turn_ran: TurnCheck | None = None) -> int:
        """Take up the messages a dead process left half-handled (their lease ended): each is
        handled now, in its patient's order; after MAX_ATTEMPTS the patient is told.

        `turn_ran(patient_id, message_id)` tells a turn that did run (the dialogue kept it)
        from one that did not: a process that died, or lost its database, between the turn
        and recording its outcome must not make the patient hear the answer twice."""
        stale = await asyncio.to_thread(
            self.inbound.claim_stale, self.clock.now(), self.inbound_lease
        )
        for key, body, attempt in stale:
            # The row holds a digest of Meta's id; the id itself is in the sealed body.
            message = revive(self.sealer, body)
            if message is None:
                await asyncio.to_thread(self.inbound.set_outcome_of, key, "failed")
                logger.error("a message could not be read back after %d tries", attempt)
                continue
            message_id = message.message_id
            if self.inbound.message_key(message_id) != key:  # the application key rotated since
                if not await asyncio.to_thread(self.inbound.rekey, key, message_id):
                    continue  # taken up under the new key already
            if attempt > MAX_ATTEMPTS:
                await asyncio.to_thread(self.inbound.set_outcome, message_id, "failed")
                logger.error(
                    "a message could not be handled after %d tries",
                    attempt,
                    extra={"trace_id": self.trace(message_id)},
                )
                patient_id = self.patient_id(message.sender)
                await self.say(patient_id, texts.error(self.practice_phone), kind="apology")
                continue
            if turn_ran is not None and await turn_ran(self.patient_id(message.sender), message_id):
                await asyncio.to_thread(self.inbound.set_outcome, message_id, "turn")
                logger.warning(
                    "a message had its turn before its process died",
                    extra={"trace_id": self.trace(message_id)},
                )
                continue
            logger.warning(
                "a message taken up again (try %d)",
                attempt,
                extra={"trace_id": self.trace(message_id)},
            )
            async with self._patients(message.sender):
                await self._one(message, run_turn, claimed=True)
        return len(stale)

    async def drain_outbox(self) -> int:
        return await self.delivery.drain()

    async def purge(self) -> int:
        return await asyncio.to_thread(
            self.inbound.purge_inbound, self.clock.now() - DEDUP_RETENTION
        )
