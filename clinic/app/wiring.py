"""The composition root: every process (Rasa's WhatsApp channel and tracker store, the action
server, the worker, the staff CLI, and what comes next) gets its objects from `build_services`,
and nowhere else. What a framework constructs itself (Rasa's channel and tracker store,
rasa-sdk's actions) takes the process's one `Services` from `clinic.app.process`.

What only some processes need (the Graph API client, the WhatsApp channel, the reminder
dispatcher) is built on first use, so the CLI runs without WhatsApp credentials and nothing
connects anywhere at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from clinic.adapters import metrics
from clinic.adapters.calendars import Calendar
from clinic.adapters.calendars.local import LocalCalendar
from clinic.adapters.duckling.client import DucklingClient
from clinic.adapters.keys import load_key
from clinic.adapters.mail import Mailer, smtp_config
from clinic.adapters.sealing import data_sealer
from clinic.adapters.settings import Settings, SettingsError
from clinic.adapters.storage import Database
from clinic.adapters.storage.appointments import AppointmentRepository
from clinic.adapters.storage.audit import AuditTrail
from clinic.adapters.storage.conversations import Conversations, Transcript
from clinic.adapters.storage.identity_views import IdentityViews
from clinic.adapters.storage.patients import PatientRepository
from clinic.adapters.storage.second_factor import SecondFactors
from clinic.adapters.storage.staff import StaffAccounts
from clinic.adapters.storage.waitlist import WaitlistRepository
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.delivery import Delivery, RetryPolicy
from clinic.adapters.whatsapp.graph import GraphClient
from clinic.adapters.whatsapp.identity import Keyring
from clinic.adapters.whatsapp.inbound_log import InboundLog
from clinic.adapters.whatsapp.message_keys import digest_stored_ids
from clinic.adapters.whatsapp.messenger import WhatsAppMessenger
from clinic.adapters.whatsapp.outbox import Outbox
from clinic.adapters.whatsapp.reading import WhatsAppConfig
from clinic.adapters.whatsapp.service import WhatsAppService
from clinic.adapters.whatsapp.statuses import StatusListener
from clinic.domain.clock import Clock, SystemClock
from clinic.domain.gate import Rules
from clinic.domain.ics import CalendarFiles
from clinic.domain.notify import Messenger, StaffChannel
from clinic.domain.practice import Practice, load_practice
from clinic.domain.scheduling.waitlist import describe_wish
from clinic.domain.statuses import AlertChannel
from clinic.services.alerts import AlertDispatcher, AlertRepository
from clinic.services.alerts import parse_callback as alert_callback
from clinic.services.booking import BookingService
from clinic.services.conversation import ConversationGate
from clinic.services.directory import Directory
from clinic.services.frontdesk import FrontDesk
from clinic.services.handoff import Handoff
from clinic.services.privacy import Consents, Privacy
from clinic.services.reminders import ReminderDispatcher, ReminderRepository
from clinic.services.reminders import parse_callback as reminder_callback
from clinic.services.waitlist import WaitlistService


@dataclass(frozen=True)
class Tuning:
    """Timings production leaves at their defaults and tests shorten (the logic is the same)."""

    retry: RetryPolicy = RetryPolicy()
    #: Seconds before a Graph API call counts as failed (and is retried).
    graph_timeout: float = 10.0
    #: Seconds before an SMTP exchange counts as failed (and is retried later).
    smtp_timeout: float = 10.0
    #: Seconds a WhatsApp patient waits for an answer before « un instant » (phase 10: ≤ 5 s).
    turn_budget: float = 4.0
    #: Dialogue turns one Rasa process runs at once; the rest queue, first come first served.
    turns_in_flight: int = 4
    #: A message being handled is held this long (renewed while its turn runs); a process
    #: that died leaves it, and another takes it up after.
    inbound_lease: timedelta = timedelta(minutes=2)


def whatsapp_config(
    settings: Settings, graph_timeout: float = Tuning.graph_timeout
) -> WhatsAppConfig:
    """The WhatsApp channel's settings, or a SettingsError naming what is missing."""
    missing = [
        name
        for name, value in (
            ("WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token),
            ("WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
            ("WHATSAPP_ACCESS_TOKEN", settings.whatsapp_access_token),
            ("WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
        )
        if not value
    ]
    if missing:
        raise SettingsError(
            f"WhatsApp is not configured: set {', '.join(missing)} (make run sets local values)"
        )
    return WhatsAppConfig(
        verify_token=settings.whatsapp_verify_token or "",
        app_secret=settings.whatsapp_app_secret or "",
        access_token=settings.whatsapp_access_token or "",
        phone_number_id=settings.whatsapp_phone_number_id or "",
        api_url=settings.whatsapp_api_url,
        max_message_age=timedelta(seconds=settings.whatsapp_max_message_age),
        graph_timeout=graph_timeout,
    )


def build_calendar(settings: Settings, practice: Practice) -> Calendar:
    """The outside calendar: Google's when configured, else the built-in one."""
    if settings.calendar_backend == "google":
        from clinic.adapters.calendars.google import GoogleCalendar

        if not (settings.google_calendar_id and settings.google_application_credentials):
            raise SettingsError(
                "CALENDAR_BACKEND=google needs GOOGLE_CALENDAR_ID and GOOGLE_APPLICATION_CREDENTIALS"
            )
        return GoogleCalendar(
            practice,
            calendar_id=settings.google_calendar_id,
            credentials_file=settings.google_application_credentials,
            api_root_url=settings.google_api_root_url,
        )
    return LocalCalendar()


class Services:
    """One process's objects, each built once and shared: one database engine, one key, one
    client per outside system (calendar, Duckling, Graph API)."""

    def __init__(
        self,
        settings: Settings,
        practice: Practice,
        database: Database,
        clock: Clock,
        tuning: Tuning,
    ) -> None:
        self.settings = settings
        self.practice = practice
        self.database = database
        self.clock = clock
        self.tuning = tuning
        #: The application key (PATIENT_ID_KEY, or the one kept in the database), read at
        #: start: a process given another key than the ids were made with refuses to start.
        if settings.production and not settings.patient_id_key:
            raise SettingsError(
                "PATIENT_ID_KEY is required in production: a key kept in the database would let "
                "a backup re-identify every patient"
            )
        self.key = load_key(database, settings.patient_id_key)
        #: Seals names, numbers and texts at rest, with a key from outside the database.
        self.sealer = data_sealer(settings)
        self.appointments = AppointmentRepository(
            database, self.sealer, buffer=practice.rules.buffer
        )
        self.calendar = build_calendar(settings, practice)
        self.consents = Consents(database)
        #: What the tables keep of Meta's message ids (which encode numbers): a keyed digest.
        message_key = self.keyring.message_key
        self.reminders = ReminderRepository(
            database, practice, self._reminders_allowed, message_key=message_key
        )
        self.audit = AuditTrail(database)
        self.patients = PatientRepository(database, self.sealer)
        self.waitlist_repository = WaitlistRepository(database, self.sealer)
        self.booking = BookingService(
            practice,
            self.appointments,
            self.calendar,
            clock,
            self.reminders,
            self.audit,
            self.patients,
            self.waitlist_repository,
        )
        self.duckling = DucklingClient(settings.duckling_url, tz=practice.timezone)
        self.contacts = Contacts(database, self.sealer)
        self.inbound = InboundLog(database, message_key)
        self.outbox = Outbox(database, self.sealer, message_key)
        self.conversations = Conversations(database)
        self.transcript = Transcript(database, self.sealer)
        self.alerts = AlertRepository(database, message_key=message_key)

    @cached_property
    def privacy(self) -> Privacy:
        """The patient's rights: notice, consent, erasure, export, retention."""
        return Privacy(
            self.database,
            appointments=self.appointments,
            patients=self.patients,
            transcript=self.transcript,
            number_of=self._number_of,
            cancel=self.booking.cancel,
            plan_reminders=self.reminders.schedule,
            alerts=self.alerts,
            consents=self.consents,
            practice=self.practice,
            clock=self.clock,
            sealer=self.sealer,
            key=self.key,
            profile_of=self._profile_of,
            wishes_of=self._wishes_of,
        )

    def _reminders_allowed(self, patient_id: str) -> bool:
        return self.consents.reminders_allowed(patient_id, self.practice.privacy.reminder_consent)

    def _number_of(self, patient_id: str) -> str | None:
        contact = self.contacts.contact(patient_id)
        return contact.wa_id if contact else None

    def _wishes_of(self, patient_id: str) -> list[str]:
        """The patient's waiting-list wishes in French, for their data export."""
        return [
            describe_wish(self.practice, w) for w in self.waitlist_repository.waiting(patient_id)
        ]

    def _profile_of(self, patient_id: str) -> str | None:
        contact = self.contacts.contact(patient_id)
        return contact.profile_name if contact else None

    def local_now(self) -> datetime:
        """Now, on the practice's wall clock: what « aujourd'hui » and « demain » are relative to."""
        return self.clock.now().astimezone(self.practice.tz)

    @cached_property
    def keyring(self) -> Keyring:
        return Keyring(self.key)

    @cached_property
    def calendar_files(self) -> CalendarFiles:
        return CalendarFiles(self.appointments, self.practice, self.key)

    @cached_property
    def whatsapp_config(self) -> WhatsAppConfig:
        return whatsapp_config(self.settings, self.tuning.graph_timeout)

    @cached_property
    def graph(self) -> GraphClient:
        """The one Graph API client of this process. Sending needs the access token and the
        number's id only: the worker is given neither the app secret nor the verify token."""
        settings, timeout = self.settings, self.tuning.graph_timeout
        missing = [
            name
            for name, value in (
                ("WHATSAPP_ACCESS_TOKEN", settings.whatsapp_access_token),
                ("WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"WhatsApp is not configured: set {', '.join(missing)} (make run sets local values)"
            )
        return GraphClient(
            settings.whatsapp_api_url,
            settings.whatsapp_phone_number_id or "",
            settings.whatsapp_access_token or "",
            timeout=timeout,
            connect_timeout=min(3.0, timeout),
        )

    @cached_property
    def whatsapp_messenger(self) -> WhatsAppMessenger:
        """WhatsApp as the domain sees it. Processes without WhatsApp credentials (the staff
        CLI, the console, the action server) can still queue messages for the worker."""
        graph = self.graph if self.settings.whatsapp_sends else None
        return WhatsAppMessenger(self.contacts, self.outbox, self.keyring, self.clock, graph)

    @cached_property
    def messenger(self) -> Messenger:
        """How the domain reaches a patient."""
        return self.whatsapp_messenger

    @cached_property
    def handoff(self) -> Handoff:
        """Conversations with staff: pause, alerts, replies, resume."""
        return Handoff(
            self.conversations,
            self.transcript,
            self.alerts,
            self.patients,
            self.practice,
            self.clock,
            self.messenger,
        )

    @cached_property
    def waitlist(self) -> WaitlistService:
        """Patients waiting for a freed slot: joined in conversation, offered by the worker."""
        return WaitlistService(
            self.practice,
            self.waitlist_repository,
            self.booking,
            self.patients,
            self.messenger,
            self.clock,
        )

    @cached_property
    def frontdesk(self) -> FrontDesk:
        """What staff do to appointments (CLI and console): audited, the patient told."""
        return FrontDesk(
            self.booking,
            self.appointments,
            self.audit,
            self.messenger,
            self.practice,
            self.clock,
            calendar_link=lambda appointment_id: self.calendar_files.link(
                appointment_id, self.settings.public_url, self.clock.now()
            ),
        )

    @cached_property
    def second_factors(self) -> SecondFactors:
        """Console accounts' TOTP and recovery codes (secrets sealed)."""
        return SecondFactors(self.database, self.sealer)

    @cached_property
    def identity_views(self) -> IdentityViews:
        return IdentityViews(self.database)

    @cached_property
    def directory(self) -> Directory:
        """Who a patient is, for signed-in staff (console): each display audited."""
        return Directory(
            self.patients,
            self.contacts,
            self.keyring,
            self.conversations,
            self.appointments,
            self.identity_views,
            self.clock,
        )

    @cached_property
    def staff(self) -> StaffAccounts:
        """Console accounts (Argon2 hashes, lockout)."""
        return StaffAccounts(self.database, self.clock)

    @cached_property
    def mailer(self) -> Mailer | None:
        """The SMTP client, when SMTP_URL is set."""
        url, sender = self.settings.smtp_url, self.settings.smtp_from
        if not url:
            return None
        return Mailer(smtp_config(url, sender, self.tuning.smtp_timeout))

    @cached_property
    def alert_dispatcher(self) -> AlertDispatcher:
        """The worker's staff alerts: WhatsApp when configured, e-mail when SMTP_URL is set."""
        channels: dict[AlertChannel, StaffChannel] = {}
        if self.settings.whatsapp_sends:
            channels["whatsapp"] = self.whatsapp_messenger
        if self.mailer is not None:
            channels["email"] = self.mailer
        return AlertDispatcher(self.alerts, channels, self.practice, self.clock)

    def conversation_gate(self, rules: Rules) -> ConversationGate:
        """The rules every channel applies before a dialogue turn (`clinic.domain.gate`)."""
        return ConversationGate(
            self.handoff, self.privacy, self.clock, rules, self.settings.public_url
        )

    @cached_property
    def delivery(self) -> Delivery:
        """Sends to patients in order, through the outbox (the channel's answers, the worker's
        drain). Its processes first replace any Meta message id an older version stored by its
        digest (decision 42)."""
        digest_stored_ids(self.database, self.keyring.message_key)
        return Delivery(self.outbox, self.contacts, self.graph, self.clock, self.tuning.retry)

    @cached_property
    def whatsapp(self) -> WhatsAppService:
        """The WhatsApp channel's work: webhook batches (which need every WhatsApp credential),
        sends, the outbox."""
        config = self.whatsapp_config  # first: names every missing variable at once
        delivery = self.delivery
        rules = Rules(config.max_message_age, self.practice.limits.messages_per_minute)
        return WhatsAppService(
            config,
            contacts=self.contacts,
            inbound=self.inbound,
            outbox=self.outbox,
            keyring=self.keyring,
            graph=self.graph,
            delivery=delivery,
            gate=self.conversation_gate(rules),
            transcript=self.transcript,
            clock=self.clock,
            status_listeners=(
                settle(reminder_callback, self.reminders.confirmed_by_meta),
                settle(alert_callback, self.alerts.confirmed_by_meta),
            ),
            practice_phone=self.practice.phone,
            turn_budget=self.tuning.turn_budget,
            turns_in_flight=self.tuning.turns_in_flight,
            sealer=self.sealer,
            inbound_lease=self.tuning.inbound_lease,
        )

    @cached_property
    def reminder_dispatcher(self) -> ReminderDispatcher:
        return ReminderDispatcher(
            self.reminders, self.appointments, self.practice, self.clock, self.messenger
        )

    def readiness_checks(
        self, duckling: bool = False, action_server: str | None = None, graph: bool = False
    ) -> dict[str, metrics.Check]:
        """What this process needs to serve, for its `/health/ready`: the database always;
        Duckling, the action server (its base URL), Meta's credentials when asked."""
        checks = {"database": metrics.database_answers(self.database)}
        if duckling:
            checks["duckling"] = metrics.http_answers(self.settings.duckling_url + "/")
        if action_server:
            checks["action_server"] = metrics.http_answers(action_server.rstrip("/") + "/health")
        if graph and self.settings.whatsapp_sends:
            checks["whatsapp_credentials"] = metrics.cached(self.graph.credentials_valid, 300)
        return checks

    def serve_ops(self, checks: dict[str, metrics.Check]) -> metrics.OpsServer | None:
        """This process's /metrics and /health/* on METRICS_PORT (loopback), when set."""
        return metrics.serve_ops(self.settings.metrics_port, checks, self.settings.metrics_host)

    async def close(self) -> None:
        """Close the network clients this process opened, then the database engine."""
        if "graph" in self.__dict__:
            await self.graph.close()
        self.database.dispose()


def build_services(
    settings: Settings,
    practice: Practice | None = None,
    clock: Clock | None = None,
    tuning: Tuning | None = None,
) -> Services:
    """Connect to the database (creating missing tables) and wire the core for one process.

    `practice` defaults to the file PRACTICE_CONFIG names; tests pass their own, and a clock.
    """
    database = Database(settings.database_url)
    database.create_schema()
    return Services(
        settings,
        practice or load_practice(settings.practice_config),
        database,
        clock or SystemClock(),
        tuning or Tuning(inbound_lease=timedelta(seconds=settings.whatsapp_inbound_lease)),
    )


def settle(
    parse: Callable[[str], int | None],
    confirm: Callable[[int, str, str, datetime, int | None], object],
) -> StatusListener:
    """A WhatsApp status listener for rows sent once (reminders, staff alerts): Meta's echo of
    the row's callback settles it."""

    def listener(callback: str, wamid: str, status: str, at: datetime, code: int | None) -> bool:
        row_id = parse(callback)
        if row_id is None:
            return False
        confirm(row_id, wamid, status, at, code)
        return True

    return listener
