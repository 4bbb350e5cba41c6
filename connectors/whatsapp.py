"""The WhatsApp Cloud API channel for Rasa, thin over `clinic.adapters.whatsapp`.

Mounted at /webhooks/whatsapp/webhook by credentials.yml:

    connectors.whatsapp.WhatsAppInput:
      verify_token: ${WHATSAPP_VERIFY_TOKEN}
      ...

GET answers Meta's verification handshake. POST checks the signature on the raw bytes (401
missing, 403 wrong), parses the JSON (400 if it is not), answers 200 at once and handles the
batch in a background task: Meta retries anything but a quick 200 for days.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import UserUttered
from redis.exceptions import ConnectionError as RedisConnectionError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic.adapters.logs import current_trace
from clinic.adapters.metrics import WEBHOOK_REQUESTS, OpsServer
from clinic.adapters.settings import Settings, SettingsError
from clinic.adapters.whatsapp import inbound
from clinic.adapters.whatsapp.service import TurnDeferred, WhatsAppService
from clinic.app.process import process_services
from clinic.app.wiring import Services, whatsapp_config
from clinic.domain.ics import FILENAME
from clinic.domain.notice import notice_page
from clinic.domain.safety import classifier as red_flag_model
from clinic.domain.safety import language
from connectors.prompts import as_answer
from connectors.tracker_store import ConversationStoreDown

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
#: Seconds between two looks for half-handled messages (clinic.adapters.whatsapp.inbound_log).
RECOVERY_EVERY = 15.0


class WhatsAppOutput(OutputChannel):
    """Everything the assistant says to a patient, whatever method Rasa calls, goes through
    `send_response`: one place turns it into WhatsApp messages, in order."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, service: WhatsAppService) -> None:
        self.service = service

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.service.send(recipient_id, dict(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": quick_replies})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"attachment": attachment})

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"custom": json_message})


class WhatsAppInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WhatsAppInput:
        """Reads credentials.yml's values (Rasa expands their ${ENV}) over the environment."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(settings=with_credentials(Settings.from_env(), credentials or {}))

    def __init__(self, settings: Settings | None = None, services: Services | None = None) -> None:
        """Refuses to start insecurely (no app secret, no verify token), before any I/O."""
        self.settings = services.settings if services else settings or Settings.from_env()
        whatsapp_config(self.settings)
        self._services = services
        self._tasks: set[asyncio.Task[Any]] = set()
        self._recovery: asyncio.Future[None] | None = None
        self._ops: OpsServer | None = None
        #: Rasa's app, once started: its agent's tracker holds the last prompt (short answers).
        self._app: Any = None
        #: One dialogue turn through Rasa; set when Rasa mounts the channel (`blueprint`).
        self.run_turn: Callable[[str, str, str], Awaitable[None]] | None = None

    @property
    def services(self) -> Services:
        """Built on first use (server start), never at import or when credentials are read."""
        if self._services is None:
            self._services = process_services(self.settings)
        return self._services

    @property
    def service(self) -> WhatsAppService:
        return self.services.whatsapp

    def get_output_channel(self) -> OutputChannel:
        """How reminders and `trigger_intent` reach a patient outside their own turn."""
        return WhatsAppOutput(self.service)

    async def _recover_forever(
        self,
        run_turn: Callable[[str, str, str], Awaitable[None]],
        turn_ran: Callable[[str, str], Awaitable[bool]],
    ) -> None:
        """Every few seconds, take up messages a dead process left half-handled (any replica
        may: each message is claimed by one)."""
        while True:
            await asyncio.sleep(RECOVERY_EVERY)
            try:
                await self.service.recover(run_turn, turn_ran)
            except Exception:  # the database down: try again at the next round
                logger.exception("could not look for half-handled messages")

    def _serve_ops(self, app: Any) -> OpsServer | None:
        """/metrics and /health/ready of the Rasa process (METRICS_PORT, loopback): ready when
        the model is loaded and the database, Duckling, the action server and Meta's
        credentials answer."""
        checks = self.services.readiness_checks(
            duckling=True,
            action_server=os.environ.get("ACTION_SERVER_URL", "").removesuffix("/webhook") or None,
            graph=True,
        )

        def model_loaded() -> bool:
            agent = getattr(app.ctx, "agent", None)
            return bool(agent is not None and agent.is_ready())

        checks["model"] = model_loaded
        return self.services.serve_ops(checks)

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The channel's routes under /webhooks/whatsapp/ and its start and stop listeners."""
        webhook = Blueprint("whatsapp_webhook", __name__)
        self.run_turn = self._turn_runner(on_new_message)  # what recovery runs too (and tests)
        webhook.listener("after_server_start")(self._start)
        webhook.listener("before_server_stop")(self._stop)
        webhook.add_route(handler(self._health), "/", methods=["GET"])
        webhook.add_route(handler(self._calendar_file), "/ics/<token>", methods=["GET"])
        webhook.add_route(handler(self._privacy_notice), "/confidentialite", methods=["GET"])
        webhook.add_route(handler(self._export), "/export/<token>", methods=["GET"])
        webhook.add_route(handler(self._verify), "/webhook", methods=["GET"])
        webhook.add_route(handler(self._receive), "/webhook", methods=["POST"])
        return webhook

    def _turn_runner(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Callable[[str, str, str], Awaitable[None]]:
        """One dialogue turn through Rasa; a store of the dialogue unreachable defers it."""
        output: WhatsAppOutput | None = None

        async def run_turn(patient_id: str, text: str, message_id: str) -> None:
            nonlocal output
            output = output or WhatsAppOutput(self.service)
            try:
                agent = getattr(getattr(self._app, "ctx", None), "agent", None)
                tracker_store = getattr(agent, "tracker_store", None)
                if tracker_store is not None:
                    text = await as_answer(tracker_store, patient_id, text)
                await on_new_message(
                    UserMessage(
                        text,
                        output,
                        patient_id,
                        input_channel=CHANNEL,
                        message_id=message_id,
                        # the action server logs under the same trace id
                        metadata={"message_id": message_id, "trace_id": current_trace()},
                    )
                )
            except ConversationStoreDown as down:
                raise TurnDeferred(str(down)) from None
            except (LockError, RedisConnectionError) as error:  # RedisLockStore: Redis restarting
                raise TurnDeferred(type(error).__name__) from None

        return run_turn

    async def _start(self, app: Any, loop: Any) -> None:
        try:
            _ = self.service
        except SettingsError as error:  # e.g. another PATIENT_ID_KEY: refuse to serve
            logger.critical("the WhatsApp channel cannot start: %s", error)
            app.stop()
            return
        red_flag_model.warm_up()  # trained before the first patient writes
        language.warm_up()  # the foreign line's models (about a second)
        self._app = app

        async def turn_ran_here(patient_id: str, message_id: str) -> bool:
            agent = getattr(app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return False
            return await turn_ran(agent.tracker_store, patient_id, message_id)

        assert self.run_turn is not None
        self._recovery = asyncio.ensure_future(self._recover_forever(self.run_turn, turn_ran_here))
        self._ops = self._serve_ops(app)

    async def _stop(self, app: Any, loop: Any) -> None:
        if self._recovery is not None:
            self._recovery.cancel()
        if self._ops is not None:
            self._ops.stop()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        if self._services is not None:
            await self._services.close()

    async def _health(self, _: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    async def _calendar_file(self, request: Request, token: str) -> HTTPResponse:
        """The confirmation's calendar file, behind a signed link that expires."""
        services = self.services
        body = await asyncio.to_thread(services.calendar_files.file, token, services.clock.now())
        if body is None:
            return response.html(LINK_GONE, status=404)
        return response.raw(
            body,
            content_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{FILENAME}"'},
        )

    async def _privacy_notice(self, _: Request) -> HTTPResponse:
        """The full privacy notice the short one links to (public: it names nobody)."""
        return response.html(notice_page(self.services.practice))

    async def _export(self, request: Request, token: str) -> HTTPResponse:
        """A patient's data (« mes données »), behind a signed link that expires."""
        found = await asyncio.to_thread(self.services.privacy.export_file, token)
        if found is None:
            return response.html(LINK_GONE, status=404)
        body, content_type = found
        filename = "mes-donnees." + token.rpartition(".")[2]
        return response.raw(
            body,
            content_type=content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    async def _verify(self, request: Request) -> HTTPResponse:
        """Meta's verification handshake when the webhook is registered."""
        args = {key: request.args.get(key) or "" for key in request.args}
        challenge = inbound.handshake(args, self.service.config.verify_token)
        if challenge is None:
            logger.warning("WhatsApp verification refused: wrong mode or token")
            return response.text("Forbidden", status=403)
        return response.text(challenge, status=200)

    async def _receive(self, request: Request) -> HTTPResponse:
        """A delivery from Meta: checked, its messages claimed, then handled in the background;
        the database down answers 503 so that Meta delivers again."""
        payload = self._read(request)
        if isinstance(payload, HTTPResponse):
            return payload
        messages, statuses = inbound.parse(payload, self.service.config.phone_number_id)
        fresh, recorded = await self.service.accept(messages)
        if fresh or statuses:
            assert self.run_turn is not None
            self._spawn(self.service.process(fresh, statuses, self.run_turn, claimed=True))
        if not recorded:  # the database is down: Meta's redelivery keeps the message
            WEBHOOK_REQUESTS.labels("unavailable").inc()
            return response.text("temporarily unavailable", status=503)
        WEBHOOK_REQUESTS.labels("accepted").inc()
        return response.text("ok", status=200)

    def _read(self, request: Request) -> dict[str, Any] | HTTPResponse:
        """The delivery's JSON object, or the 4xx that refuses it (signature, JSON)."""
        body = request.body or b""
        try:
            inbound.check_signature(
                body, request.headers.get(inbound.SIGNATURE_HEADER), self.service.config.app_secret
            )
        except inbound.SignatureMissing:
            WEBHOOK_REQUESTS.labels("missing_signature").inc()
            return response.text("missing signature", status=401)
        except inbound.SignatureInvalid:
            WEBHOOK_REQUESTS.labels("bad_signature").inc()
            logger.warning("WhatsApp webhook with a wrong signature refused")
            return response.text("invalid signature", status=403)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            WEBHOOK_REQUESTS.labels("malformed").inc()
            return response.text("body is not JSON", status=400)
        if not isinstance(payload, dict):
            WEBHOOK_REQUESTS.labels("malformed").inc()
            return response.text("body is not a JSON object", status=400)
        return payload


def handler(method: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Any]:
    """A route handler Sanic can own: it names routes after functions and marks them with
    attributes, which a bound method cannot carry."""

    async def route(request: Request, **params: Any) -> HTTPResponse:
        return await method(request, **params)

    route.__name__ = method.__name__.lstrip("_")
    return route


async def turn_ran(tracker_store: TrackerStore, patient_id: str, message_id: str) -> bool:
    """Rasa saved a turn for this message: the tracker holds its user event (Rasa saves the
    tracker once the turn's answers have been handed to the channel)."""
    tracker = await tracker_store.retrieve(patient_id)
    return tracker is not None and any(
        isinstance(event, UserUttered) and event.message_id == message_id
        for event in tracker.events
    )


LINK_GONE = """<!doctype html><html lang="fr"><meta charset="utf-8">
<title>Lien expiré</title><body style="font-family:system-ui;margin:3em">
<h1>Ce lien n'est plus valide</h1><p>Demandez à l'assistant du cabinet de vous renvoyer
votre rendez-vous sur WhatsApp.</p></body></html>"""


def with_credentials(settings: Settings, credentials: Mapping[str, Any]) -> Settings:
    """`settings` with the WhatsApp values of credentials.yml, which win over the environment."""

    def value(key: str, default: str | None) -> str | None:
        return str(credentials[key]) if credentials.get(key) else default

    return replace(
        settings,
        whatsapp_verify_token=value("verify_token", settings.whatsapp_verify_token),
        whatsapp_app_secret=value("app_secret", settings.whatsapp_app_secret),
        whatsapp_access_token=value("access_token", settings.whatsapp_access_token),
        whatsapp_phone_number_id=value("phone_number_id", settings.whatsapp_phone_number_id),
        whatsapp_api_url=(value("api_url", None) or settings.whatsapp_api_url).rstrip("/"),
    )
