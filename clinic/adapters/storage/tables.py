"""The schema. Times are stored as naive UTC and come back timezone-aware.

The appointments table is the system of record. `slot_claims` is what makes a double booking
impossible at the database level on every backend: an active appointment owns one row per
5-minute cell it occupies (its duration plus the buffer), and the primary key
(practitioner, cell) lets only one appointment own a cell. Cancelling deletes the claims.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, naive UTC in the column (portable)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


appointments = Table(
    "appointments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("patient_name", Text, nullable=False),  # sealed (clinic.adapters.sealing)
    Column("practitioner_id", String(40), nullable=False),
    Column("reason_id", String(40), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    # pending (to be confirmed by staff), booked, confirmed (by the patient), cancelled
    Column("status", String(16), nullable=False),
    Column("sequence", Integer, nullable=False, default=0),
    # local (no outside calendar), pending (event to write), synced, failed (needs staff)
    Column("calendar_state", String(16), nullable=False, default="local"),
    Column("note", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # marked by staff on the day: arrived, no_show (None: not marked); the no-show KPI
    Column("attendance", String(16), nullable=True),
    Index("ix_appointments_patient", "patient_id"),
    Index("ix_appointments_start", "start_at"),
)

slot_claims = Table(
    "slot_claims",
    metadata,
    Column("practitioner_id", String(40), primary_key=True),
    Column("cell", Integer, primary_key=True, autoincrement=False),
    Column(
        "appointment_id",
        String(32),
        ForeignKey("appointments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

# Time staff keep free of bookings in the built-in calendar (a meeting, a day off).
# practitioner_id NULL blocks the whole practice.
blocks = Table(
    "calendar_blocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("practitioner_id", String(40), nullable=True),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("label", String(120), nullable=True),
    Index("ix_blocks_start", "start_at"),
)

# --- The waiting list (clinic.services.waitlist) -------------------------------------------------

# Patients waiting for a slot to free. What they wait for (reason, practitioner, days, hours,
# until when, the slots already seen) is one sealed document; in clear only ids and times.
waitlist = Table(
    "waitlist",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("wish", Text, nullable=False),  # sealed JSON (clinic.adapters.storage.waitlist)
    # waiting, ended
    Column("status", String(12), nullable=False),
    # booked, cancelled (by the patient), expired, replaced (a newer wish), erased
    Column("ended_reason", String(12), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index("ix_waitlist_patient", "patient_id"),
    Index("ix_waitlist_status", "status", "created_at"),
)

# A freed slot held for one waiting patient: at most one live hold per slot and per wish, which
# the partial unique indexes enforce against two workers on every backend.
waitlist_holds = Table(
    "waitlist_holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wish_id", String(32), ForeignKey("waitlist.id", ondelete="CASCADE"), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("practitioner_id", String(40), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    # held, accepted, declined, expired, stale (gone when accepted)
    Column("status", String(12), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("settled_at", UTCDateTime, nullable=True),
    # the appointment the acceptance booked or moved (the report's time to fill)
    Column("appointment_id", String(32), nullable=True),
    Index(
        "uq_waitlist_holds_slot",
        "practitioner_id",
        "start_at",
        unique=True,
        sqlite_where=text("status = 'held'"),
        postgresql_where=text("status = 'held'"),
    ),
    Index(
        "uq_waitlist_holds_wish",
        "wish_id",
        unique=True,
        sqlite_where=text("status = 'held'"),
        postgresql_where=text("status = 'held'"),
    ),
    Index("ix_waitlist_holds_patient", "patient_id"),
)

# Who a pseudonymous conversation id is, so a returning patient is greeted by name. One row per
# patient: deleting it (GDPR) forgets the name everywhere but in past appointments.
patients = Table(
    "patients",
    metadata,
    Column("patient_id", String(64), primary_key=True),
    Column("display_name", Text, nullable=False),  # sealed
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# --- Conversations with staff (clinic.services.handoff) -----------------------------------------------

# One row per patient whose conversation ever went to a human. `episode` counts the pauses, so
# the acknowledgement (« un membre de l'équipe a été prévenu ») goes once per paused period and
# the alerts of one pause are never queued twice. Ids, times and states only.
conversations = Table(
    "conversations",
    metadata,
    Column("patient_id", String(64), primary_key=True),
    Column("status", String(8), nullable=False),  # paused, active
    Column("reason", String(16), nullable=False),
    Column("since", UTCDateTime, nullable=False),  # paused (or resumed) at
    Column("episode", Integer, nullable=False),
    Column("acknowledged_episode", Integer, nullable=False, default=0),
    Column("alert_round", Integer, nullable=False, default=0),
    Column("alerted_at", UTCDateTime, nullable=True),
    Column("opened_at", UTCDateTime, nullable=True),  # first opened by staff in this episode
    Column("staff_activity_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    # an emergency's red-flag category (clinic.domain.safety.Category), never the patient's words
    Column("danger", String(24), nullable=True),
    Index("ix_conversations_status", "status", "since"),
)

# The transcript staff read: the patient's messages, the assistant's and staff's answers, and
# events (paused, resumed). Append-only; `body` is sealed (clinic.adapters.sealing); `actor_id` is the
# staff member who wrote or acted, which makes it the audit of staff replies.
conversation_log = Table(
    "conversation_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("author", String(10), nullable=False),  # patient, assistant, staff, event
    Column("actor_id", String(120), nullable=True),
    Column("body", Text, nullable=False),
    # the titles of the buttons sent with an assistant message, sealed JSON (None: no buttons)
    Column("buttons", Text, nullable=True),
    Index("ix_conversation_log_patient", "patient_id", "id"),
)

# Staff alerts: one row per pause (episode), round (1, then re-alerts), channel and recipient.
# The unique key makes queueing idempotent across replicas; rows are claimed like reminders.
staff_alerts = Table(
    "staff_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("channel", String(8), nullable=False),  # whatsapp, email
    Column("recipient", String(254), nullable=False),  # a staff number or address
    Column("status", String(8), nullable=False),  # pending, sending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("external_id", String(160), nullable=True),  # wamid, or the e-mail's Message-ID
    Column("note", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("danger", String(24), nullable=True),  # the red-flag category of an emergency
    UniqueConstraint(
        "patient_id", "episode", "round", "channel", "recipient", name="uq_staff_alerts_once"
    ),
    Index("ix_staff_alerts_due", "status", "next_attempt_at"),
)

# --- Privacy (clinic.services.privacy) ------------------------------------------------------------------

# What a patient was told and chose: the notice shown (`notice`, its version), and each answer
# to an optional processing (`reminders`: yes / no). Deleted with the patient.
consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # notice, reminders
    Column("value", String(16), nullable=False),  # shown, yes, no
    Column("version", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_consents_patient", "patient_id", "kind", "id"),
)

# The proof that an erasure happened, and nothing that could find the person again: a random
# token (the id their anonymised past appointments now carry), who asked, when, what was done.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(40), nullable=False, unique=True),
    Column("actor", String(16), nullable=False),  # patient, staff, retention
    Column("at", UTCDateTime, nullable=False),
    Column("cancelled", Integer, nullable=False),
    Column("anonymised", Integer, nullable=False),
)

# Erasures asked for by message: done by the worker once the turn that asked is saved (Rasa
# saves a turn's events after its actions ran), and once more a few minutes later.
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("patient_id", String(64), primary_key=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("passes", Integer, nullable=False, default=0),
)

# The patient's export links (« mes données », clinic.services.privacy.access) still unused: a
# keyed digest of each link issued (never the link, which opens the file), its patient and expiry.
# A download deletes its row (a link works once); an erasure deletes the patient's rows (every
# outstanding link answers like an expired one); expired rows go when the next link is issued.
export_links = Table(
    "export_links",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_export_links_patient", "patient_id"),
    Index("ix_export_links_expires", "expires_at"),
)

# --- WhatsApp (clinic.adapters.whatsapp) -------------------------------------------------------------

# The only place a phone number is kept: what sending needs. `last_inbound_at` is the start of
# the 24-hour customer-service window (only the patient's own messages open or refresh it).
whatsapp_contacts = Table(
    "whatsapp_contacts",
    metadata,
    Column("patient_id", String(64), primary_key=True),
    Column("wa_id", Text, nullable=True),  # sealed
    Column("user_id", Text, nullable=True),  # sealed: Meta's business-scoped user id (BSUID)
    Column("profile_name", Text, nullable=True),  # sealed: the WhatsApp profile name
    Column("last_inbound_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per inbound message id: the primary key is what makes a redelivered message a no-op,
# across concurrent deliveries, workers and restarts. Kept at least 7 days (Meta's redelivery span).
whatsapp_inbound = Table(
    "whatsapp_inbound",
    metadata,
    Column("message_id", String(160), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # received (being handled), turn, stale, answered (a fixed reply), ignored, failed, paused
    Column("outcome", String(12), nullable=False),
    # While `received`: the message itself (sealed) and a lease; a process that dies mid-turn
    # leaves both, and another takes the message up again once the lease ends.
    Column("body", Text, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=1, server_default="1"),
    # when the outcome was recorded (the end of the turn, for `clinic trace`)
    Column("handled_at", UTCDateTime, nullable=True),
    Index("ix_whatsapp_inbound_received", "received_at"),
    Index("ix_whatsapp_inbound_patient", "patient_id", "received_at"),
)

# Every outbound message, in order per patient. `body` (the Graph JSON without the number) is
# dropped once Meta accepted the message; statuses from Meta only ever move forward.
whatsapp_outbound = Table(
    "whatsapp_outbound",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=True),  # sealed
    # queued, sending, accepted, sent, delivered, read, failed
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("wamid", String(160), nullable=True, unique=True),
    Column("error_code", Integer, nullable=True),
    Column("error_title", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # the trace id of the inbound message whose turn queued it (None: a reminder, staff…)
    Column("trace_id", String(16), nullable=True),
    Index("ix_whatsapp_outbound_patient", "patient_id", "id"),
    Index("ix_whatsapp_outbound_due", "status", "next_attempt_at"),
)

# Keys the processes generate once and share through the database (pseudonymisation key).
secrets_table = Table(
    "app_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

# One row per appointment and reminder offset: the reminders' own outbox. Sent exactly once:
# claimed by one worker (conditional UPDATE), confirmed by Meta's answer or, after a timeout, by
# the status webhook that echoes `reminder:<id>` (biz_opaque_callback_data).
reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "appointment_id",
        String(32),
        ForeignKey("appointments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),  # the offset, e.g. "24h"
    Column("due_at", UTCDateTime, nullable=False),
    # pending, sending, sent, failed, cancelled, skipped
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("wamid", String(160), nullable=True),
    Column("note", String(200), nullable=True),  # why skipped / failed (no personal data)
    Column("sent_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("appointment_id", "kind", name="uq_reminders_appointment_kind"),
    Index("ix_reminders_due", "status", "due_at"),
)

# Every booking, change and cancellation, appended, never updated: who (patient, staff, system,
# by pseudonymous id), what, when, and the appointment before and after (ids, times, states only).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(16), nullable=False),  # patient, staff, system
    Column("actor_id", String(64), nullable=True),
    Column("action", String(24), nullable=False),
    Column("appointment_id", String(32), nullable=False),
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=True),  # JSON
    Index("ix_audit_appointment", "appointment_id", "id"),
)

# Console accounts. `password_hash` is Argon2id (argon2-cffi); a session cookie carries the
# account's `session_generation`, which sign-out and disable bump (ending every open session);
# `failed_logins` and `locked_until` are the lockout. Staff names and addresses are the practice's, not patients' data: stored in clear.
staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(64), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),  # staff, manager
    Column("password_hash", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("session_generation", Integer, nullable=False, default=0),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime, nullable=True),
)

# Each display of a patient's identity (name, number) to a signed-in staff member: who saw
# whom, when, and where in the console. Pseudonymous ids only; managers read it in the console.
identity_views = Table(
    "identity_views",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("staff", String(64), nullable=False),  # the account's e-mail
    Column("patient_id", String(64), nullable=False),
    Column("place", String(16), nullable=False),  # inbox, conversation, search, appointment, agenda
    Index("ix_identity_views_patient", "patient_id", "id"),
    Index("ix_identity_views_staff", "staff", "at"),
)

# A console account's second factor (TOTP, RFC 6238): the secret sealed, the last time step
# accepted (a code works once), and the single-use recovery codes as SHA-256 hashes.
staff_totp = Table(
    "staff_totp",
    metadata,
    Column("staff_id", Integer, primary_key=True, autoincrement=False),
    Column("secret", Text, nullable=False),  # sealed
    Column("enabled_at", UTCDateTime, nullable=True),  # None: enrolment begun, not confirmed
    Column("last_step", Integer, nullable=False, default=0),
    Column("recovery", Text, nullable=False, default="[]"),  # JSON list of SHA-256 hex digests
    Column("created_at", UTCDateTime, nullable=False),
)
