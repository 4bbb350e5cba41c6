"""Every status the core stores, in one place: the code, the CLI's choices and the tests use
these names, so a typo is a type error instead of a row no query ever finds again."""

from __future__ import annotations

from typing import Literal, get_args

#: An appointment's life: `pending` (held, the outside calendar could not verify it), `booked`,
#: `confirmed` (the patient answered the reminder), `cancelled`.
AppointmentStatus = Literal["pending", "booked", "confirmed", "cancelled"]
APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = get_args(AppointmentStatus)
#: The statuses that hold time in the agenda.
ACTIVE: tuple[AppointmentStatus, ...] = ("pending", "booked", "confirmed")

#: Where the appointment stands in the outside calendar: `local` (built-in calendar, nothing to
#: mirror), `pending` (to write or remove at the next sync), `synced`.
CalendarState = Literal["local", "pending", "synced"]

#: A reminder row: `sending` is claimed by one worker under a lease.
ReminderStatus = Literal["pending", "sending", "sent", "failed", "cancelled", "skipped"]
REMINDER_STATUSES: tuple[ReminderStatus, ...] = get_args(ReminderStatus)

#: An outbox row: ours (`queued`, `sending`), then Meta's, which only move forward.
OutboxStatus = Literal[
    "queued", "sending", "accepted", "sent", "delivered", "read", "played", "failed"
]
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)
#: Rows that still have to reach Meta.
UNFINISHED: tuple[OutboxStatus, ...] = ("queued", "sending")

#: What became of one inbound WhatsApp message.
#: `paused`: stored for staff, no dialogue turn (the conversation is with a human).
InboundOutcome = Literal[
    "received",
    "turn",
    "answered",
    "stale",
    "ignored",
    "failed",
    "throttled",
    "paused",
    "emergency",
]

#: Why a conversation went to a human: an `emergency`, a `handoff` asked for, a `fallback` (the
#: patient accepted the human offered after two misunderstandings), a `data_request` (GDPR), a
#: `number_changed` (WhatsApp says the patient moved to a new number; the old one gets nothing).
HandoffReason = Literal["emergency", "handoff", "fallback", "data_request", "number_changed"]
HANDOFF_REASONS: tuple[HandoffReason, ...] = get_args(HandoffReason)

#: Why staff are alerted: a handoff, or `erasure` (a patient erased their data by message;
#: their upcoming appointments were cancelled, the time is free).
AlertReason = Literal[
    "emergency", "handoff", "fallback", "data_request", "number_changed", "erasure"
]

#: `paused`: staff have the conversation and the assistant runs no turn; `active`: it does.
ConversationStatus = Literal["active", "paused"]
CONVERSATION_STATUSES: tuple[ConversationStatus, ...] = get_args(ConversationStatus)

#: Who wrote a transcript line (`event`: a pause, a resume, staff opening it).
Author = Literal["patient", "assistant", "staff", "event"]

#: A staff alert row: `sending` is claimed by one worker under a lease.
AlertStatus = Literal["pending", "sending", "sent", "failed"]
#: How a staff alert travels.
AlertChannel = Literal["whatsapp", "email"]

#: Who did something to an appointment (audit trail).
ActorKind = Literal["patient", "staff", "system"]
ACTOR_KINDS: tuple[ActorKind, ...] = get_args(ActorKind)

#: What happened to an appointment (audit trail).
AuditAction = Literal["booked", "pending", "moved", "confirmed", "cancelled", "arrived", "no_show"]

#: What staff marked on the day: the patient came, or did not (the pilot's no-show figure).
Attendance = Literal["arrived", "no_show"]
ATTENDANCES: tuple[Attendance, ...] = get_args(Attendance)

#: A console account: `manager` also manages the accounts.
StaffRole = Literal["staff", "manager"]
STAFF_ROLES: tuple[StaffRole, ...] = get_args(StaffRole)
