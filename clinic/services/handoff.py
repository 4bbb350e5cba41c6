"""Handing a conversation to a human and back: the rules, over `clinic.adapters.storage.conversations`.

A conversation goes to staff on an emergency, a request for a human (also after two
misunderstandings), a data request, or a change of number. Then it is *paused*: the assistant
runs no dialogue turn, acknowledges once, always answers a red flag with 15 / 112 (the channel
sees to that), and staff are alerted through `clinic.services.alerts`. Staff read, reply (inside the
24-hour window; a template outside it) and resume; a non-urgent pause also ends when the patient
taps « Revenir à l'assistant », or by itself after a quiet day. Emergencies wait for staff.

Used by the Rasa actions (pause), the WhatsApp channel (acknowledge, back to the assistant), the
staff CLI and console (inbox, open, reply, resume) and the worker (re-alerts, auto-resume).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from clinic.adapters import metrics
from clinic.adapters.storage.conversations import (
    Conversation,
    Conversations,
    Line,
    Transcript,
    reference,
    resolve,
)
from clinic.adapters.storage.patients import PatientRepository
from clinic.domain import french
from clinic.domain.clock import Clock
from clinic.domain.gate import BACK_TO_ASSISTANT
from clinic.domain.notify import Messenger, TemplateMessage
from clinic.domain.practice import Practice
from clinic.domain.safety.categories import Category
from clinic.domain.statuses import ConversationStatus, HandoffReason
from clinic.services.alerts import AlertRepository, alert_label

logger = logging.getLogger(__name__)

#: « Revenir à l'assistant »: its payload is read by the gate, never by the NLU.
BACK_BUTTON = {"title": "Retour à l'assistant", "payload": BACK_TO_ASSISTANT}
ACKNOWLEDGED = "Un membre de l'équipe a été prévenu et vous répond dès que possible."
RESUMED = "Je reprends la conversation. Que puis-je faire pour vous ?"
AUTO_RESUMED = (
    "L'équipe n'a pas pu vous répondre ici : je reprends la conversation. "
    "Que puis-je faire pour vous ?{phone}"
)
STILL_WITH_STAFF = (
    "Votre conversation est entre les mains de l'équipe du cabinet, qui vous répond dès que "
    "possible. En cas d'urgence, appelez le 15 ou le 112."
)
#: Patients seen this recently count as « active » conversations in the inbox.
ACTIVE_SPAN = timedelta(days=7)

ReplyOutcome = Literal["queued", "window_closed", "unreachable", "not_found"]


@dataclass(frozen=True)
class InboxRow:
    """One line of the staff inbox (`clinic conversations list`): contract fields."""

    id: str
    status: ConversationStatus
    reason: HandoffReason | None
    since: datetime | None
    patient_name: str | None
    last_message_at: datetime | None
    reference: str
    #: Staff opened it since it was handed over (the console's unread count is the others).
    opened: bool = True
    #: An emergency's red-flag category code (clinic.domain.safety), shown beside « URGENCE ».
    danger: str | None = None

    def as_json(self, tz: Any) -> dict[str, Any]:
        def local(moment: datetime | None) -> str | None:
            return moment.astimezone(tz).isoformat() if moment else None

        return {
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "since": local(self.since),
            "patient_name": self.patient_name,
            "last_message_at": local(self.last_message_at),
            "reference": self.reference,
        }


class Handoff:
    def __init__(
        self,
        conversations: Conversations,
        transcript: Transcript,
        alerts: AlertRepository,
        patients: PatientRepository,
        practice: Practice,
        clock: Clock,
        messenger: Messenger,
    ) -> None:
        self.conversations = conversations
        self.transcript = transcript
        self.alerts = alerts
        self.patients = patients
        self.practice = practice
        self.clock = clock
        self.messenger = messenger

    # --- the patient's side ------------------------------------------------------------------

    def paused(self, patient_id: str) -> Conversation | None:
        conversation = self.conversations.get(patient_id)
        return conversation if conversation and conversation.paused else None

    def pause(self, patient_id: str, reason: HandoffReason, danger: Category | None = None) -> bool:
        """Hand the conversation to staff and alert them; False if it already was (no second
        alert), except an emergency in a conversation paused for something else: that alerts.
        `danger`: the red-flag category, which staff read in the alert and the transcript."""
        now = self.clock.now()
        code = danger.value if danger is not None else None
        conversation = self.conversations.pause(patient_id, reason, now, code)
        if conversation is None:
            return False
        label = alert_label(reason, code)
        self.transcript.add(patient_id, "event", f"Transmise à l'équipe : {label}", now)
        metrics.HANDOFFS.labels(reason).inc()
        self._alert(conversation, conversation.alert_round + 1, now)
        logger.warning("conversation handed to staff", extra={"reason": reason})
        return True

    def acknowledgement(self, conversation: Conversation) -> dict[str, Any] | None:
        """The one answer of a paused period (None once given): staff are told, when they
        will answer if the practice is closed, and the way back for a non-urgent request."""
        if not self.conversations.acknowledge(conversation.patient_id, conversation.episode):
            return None
        now = self.clock.now()
        text = ACKNOWLEDGED
        if not self.practice.is_open(now):
            text += " Le cabinet est fermé en ce moment"
            reopening = self.practice.next_opening(now)
            if reopening:
                today = now.astimezone(self.practice.tz).date()
                text += f" ; il rouvre {french.day_and_hour(reopening, today)}"
            text += "."
        text += f" Vous pouvez aussi appeler le cabinet au {self.practice.phone}."
        if conversation.reason == "emergency":
            return {"text": text + " En cas d'urgence, appelez le 15 ou le 112."}
        return {"text": text, "buttons": [BACK_BUTTON]}

    def back_to_assistant(self, patient_id: str) -> bool:
        """The patient's « Revenir à l'assistant »: honoured unless it is an emergency."""
        conversation = self.paused(patient_id)
        if conversation is None or conversation.reason == "emergency":
            return False
        now = self.clock.now()
        if not self.conversations.resume(patient_id, now, conversation.episode):
            return False
        self.transcript.add(patient_id, "event", "Le patient est revenu à l'assistant", now)
        return True

    # --- staff -----------------------------------------------------------------------------------

    def find(self, ref: str) -> Conversation | None:
        """A conversation by id or by its reference (a unique prefix of at least 6 characters)."""
        exact = self.conversations.get(ref)
        if exact is not None:
            return exact
        found = resolve(ref, (c.patient_id for c in self.conversations.listing()))
        return self.conversations.get(found) if found else None

    def inbox(
        self, status: ConversationStatus | None = "paused", limit: int | None = None
    ) -> list[InboxRow]:
        """Conversations by status (None: all). « active » also lists the patients seen this
        week who were never handed over. Paused ones come emergencies first, then the longest
        waiting; the others, the most recent first. One query per kind of data, whatever the
        number of rows (the console polls this)."""
        listed = self.conversations.listing("paused" if status == "paused" else None)
        known = {c.patient_id: c for c in listed}
        ids = [pid for pid, c in known.items() if status in (None, c.status)]
        if status in (None, "active"):
            recent = self.transcript.recent_patients(self.clock.now() - ACTIVE_SPAN)
            ids += [pid for pid in recent if pid not in known]
        last = self.transcript.last_patient_message(ids)
        epoch = datetime.min.replace(tzinfo=timezone.utc)

        def waiting_first(pid: str) -> tuple[int, datetime]:
            conversation = known[pid]
            return (0 if conversation.reason == "emergency" else 1, conversation.since)

        if status == "paused":
            ids.sort(key=waiting_first)
        else:
            ids.sort(key=lambda pid: last.get(pid) or epoch, reverse=True)
        ids = ids[:limit] if limit is not None else ids
        names = self.patients.names(ids)
        rows = []
        for patient_id in ids:
            conversation = known.get(patient_id)
            rows.append(
                InboxRow(
                    id=patient_id,
                    status=conversation.status if conversation else "active",
                    reason=conversation.reason if conversation and conversation.paused else None,
                    since=conversation.since if conversation else None,
                    patient_name=names.get(patient_id),
                    last_message_at=last.get(patient_id),
                    reference=reference(patient_id),
                    opened=conversation is None or conversation.opened_at is not None,
                    danger=conversation.danger if conversation and conversation.paused else None,
                )
            )
        return rows

    def open(self, patient_id: str, staff: str) -> list[Line]:
        """The transcript, newest last; opening it is what stops an emergency's re-alerts."""
        now = self.clock.now()
        conversation = self.conversations.get(patient_id)
        if conversation is not None and conversation.paused and conversation.opened_at is None:
            self.transcript.add(patient_id, "event", "Ouverte par l'équipe", now, staff)
        if conversation is not None:
            self.conversations.staff_activity(patient_id, now, opened=True)
        return self.transcript.lines(patient_id)

    def reply(self, patient_id: str, text: str, staff: str) -> ReplyOutcome:
        """Free text to the patient through the outbox, inside the 24-hour window only."""
        if not self.messenger.reachable(patient_id):
            return "unreachable"
        if not self.messenger.window_open(patient_id):
            return "window_closed"
        now = self.clock.now()
        self.messenger.queue_text(patient_id, "staff", text)
        self.transcript.add(patient_id, "staff", text, now, staff)
        self.conversations.staff_activity(patient_id, now, opened=True)
        return "queued"

    def close(self, patient_id: str, staff: str) -> bool:
        """Staff are done (they phoned the patient, say) and hand back without a message: the
        conversation leaves the inbox and the patient's next message runs a normal turn."""
        now = self.clock.now()
        if not self.conversations.resume(patient_id, now):
            return False
        self.transcript.add(patient_id, "event", "Close par l'équipe, sans message", now, staff)
        return True

    def reengage(self, patient_id: str, staff: str) -> bool:
        """The approved « reprise de contact » template, for a patient whose window closed."""
        if not self.messenger.reachable(patient_id):
            return False
        now = self.clock.now()
        name = (self.patients.name(patient_id) or "").split()
        template = TemplateMessage(
            self.practice.handoff.reengage_template,
            self.practice.reminders.language,
            (name[0] if name else "Madame, Monsieur",),
        )
        self.messenger.queue(patient_id, "reengage", template)
        self.transcript.add(patient_id, "staff", f"[modèle « {template.name} » envoyé]", now, staff)
        self.conversations.staff_activity(patient_id, now, opened=True)
        return True

    def resume(self, patient_id: str, staff: str) -> bool:
        """Staff hand back: the patient is told, the next message runs a normal turn."""
        now = self.clock.now()
        if not self.conversations.resume(patient_id, now):
            return False
        self.transcript.add(patient_id, "event", "Rendue à l'assistant", now, staff)
        self._tell(patient_id, RESUMED)
        return True

    # --- the worker --------------------------------------------------------------------------

    def sweep(self) -> tuple[int, int]:
        """Re-alert unopened emergencies (opening hours only) and resume quiet pauses.
        Returns (re-alerts queued, conversations resumed)."""
        now = self.clock.now()
        rules = self.practice.handoff
        realerts = 0
        if self.practice.is_open(now):
            for conversation in self.conversations.unopened_emergencies(now - rules.realert_after):
                realerts += self._alert(conversation, conversation.alert_round + 1, now)
        resumed = 0
        for conversation in self.conversations.idle(now - rules.auto_resume_after):
            if self.conversations.resume(conversation.patient_id, now, conversation.episode):
                resumed += 1
                self.transcript.add(
                    conversation.patient_id, "event", "Reprise automatique (sans activité)", now
                )
                phone = f" Vous pouvez aussi appeler le cabinet au {self.practice.phone}."
                self._tell(conversation.patient_id, AUTO_RESUMED.format(phone=phone))
        return realerts, resumed

    # --- inside ------------------------------------------------------------------------------

    def _alert(self, conversation: Conversation, round_: int, now: datetime) -> int:
        if not self.conversations.start_round(
            conversation.patient_id, conversation.episode, round_, now
        ):
            return 0  # another replica or worker queued this round
        if not self.practice.staff_alerts:
            logger.error("a conversation needs staff but practice.yml lists no staff_alerts")
            return 0
        return self.alerts.queue(
            conversation.patient_id,
            conversation.episode,
            conversation.reason,
            round_,
            self.practice.staff_alerts,
            now,
            conversation.danger,
        )

    def _tell(self, patient_id: str, text: str) -> None:
        """A message of ours to the patient, when the window lets free text through."""
        if self.messenger.reachable(patient_id) and self.messenger.window_open(patient_id):
            self.messenger.queue_text(patient_id, "handoff", text)
            self.transcript.add(patient_id, "assistant", text, self.clock.now())
