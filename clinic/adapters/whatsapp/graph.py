"""The one client for Meta's Graph API: sends messages and read receipts, classifies errors.

One aiohttp session per process with explicit timeouts; the caller decides what to retry from
`GraphError.retryable`, which follows Meta's error reference (docs/whatsapp.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from typing import Any

import aiohttp

from clinic.adapters import metrics

logger = logging.getLogger(__name__)

#: Worth another try later: throughput and pair rate limits, unknown and transient errors.
RETRYABLE_CODES = frozenset({130429, 131056, 131000, 131016, 4, 2, 80007, 131057})
#: An expired or revoked access token: nothing will work until an operator replaces it.
AUTH_CODES = frozenset({190})
#: Outside the 24-hour window: only a template can reach the patient.
WINDOW_CLOSED = 131047


class GraphError(Exception):
    """A message Meta did not accept. `code` is Meta's, or 0 for a network failure."""

    def __init__(
        self,
        code: int,
        title: str,
        *,
        http_status: int | None = None,
        retryable: bool = False,
        fbtrace_id: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(f"({code}) {title}")
        self.code = code
        self.title = title
        self.http_status = http_status
        self.retryable = retryable
        self.fbtrace_id = fbtrace_id
        #: The request may have reached Meta (a timeout, a dropped response): it may be sent.
        self.ambiguous = ambiguous

    @property
    def needs_operator(self) -> bool:
        return self.code in AUTH_CODES


def classify(http_status: int, payload: Any) -> GraphError:
    """Meta's error body (or its absence) as a GraphError saying whether to retry."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return GraphError(
            0, f"HTTP {http_status}", http_status=http_status, retryable=http_status >= 500
        )
    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    details = error.get("error_data", {})
    title = (details.get("details") if isinstance(details, dict) else None) or str(
        error.get("message") or ""
    )
    retryable = code in RETRYABLE_CODES or (code == 0 and http_status >= 500)
    return GraphError(
        code,
        title[:200],
        http_status=http_status,
        retryable=retryable,
        fbtrace_id=error.get("fbtrace_id"),
    )


class GraphClient:
    """`POST {api_url}/{phone_number_id}/messages`, the only Graph endpoint the assistant needs."""

    def __init__(
        self,
        api_url: str,
        phone_number_id: str,
        access_token: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
    ) -> None:
        self.url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self.number_url = f"{api_url.rstrip('/')}/{phone_number_id}"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running event loop (never at import or construction).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers=self._headers,
                connector=aiohttp.TCPConnector(limit=64),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            payload = await self._exchange(body)
        except GraphError as error:
            metrics.GRAPH_REQUESTS.labels("error").inc()
            metrics.GRAPH_ERRORS.labels(str(error.code)).inc()
            raise
        metrics.GRAPH_REQUESTS.labels("ok").inc()
        return payload

    async def _exchange(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self._client().post(self.url, json=body) as response:
                try:
                    payload = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    payload = None
                if response.status != 200 or not isinstance(payload, dict):
                    raise classify(response.status, payload)
                return payload
        except asyncio.TimeoutError as error:
            raise GraphError(0, "timeout", retryable=True, ambiguous=True) from error
        except aiohttp.ClientConnectorError as error:  # never connected: nothing was sent
            raise GraphError(0, type(error).__name__, retryable=True) from error
        except aiohttp.ClientError as error:
            raise GraphError(0, type(error).__name__, retryable=True, ambiguous=True) from error

    def credentials_valid(self, timeout: float = 3.0) -> bool:
        """Readiness: the token opens the practice's number (`GET /{phone_number_id}`). Plain
        blocking HTTP, for the ops server's thread; never called in a turn."""
        request = urllib.request.Request(self.number_url, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status == 200 and "id" in json.loads(response.read())
        except (OSError, ValueError):
            return False

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message; return its wamid. `to` is the WhatsApp id (digits, no « + »)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": f"+{to}"}
        body.update(message)
        payload = await self._post(body)
        try:
            return str(payload["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            raise GraphError(0, "no message id in the response", retryable=False) from error

    async def mark_read(self, message_id: str, typing: bool = True) -> None:
        """Blue ticks on the patient's message, and « en train d'écrire… » while Rasa works."""
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
        }
        if typing:
            body["typing_indicator"] = {"type": "text"}
        await self._post(body)
