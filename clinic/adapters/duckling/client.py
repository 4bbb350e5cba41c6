"""HTTP client for any Duckling server (the embedded one or the `rasa/duckling` image), with the
same parser in-process as its fallback.

Duckling down used to read as « je n'ai pas compris » after a long wait. Now the request has a
short timeout (1 s: a healthy Duckling answers on loopback in a few milliseconds) and, when it
fails, the very same Haskell parser runs in this process (`clinic.adapters.duckling.engine`, started on
first need): the patient's « demain à 10h » is still read, the same way.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from datetime import datetime
from typing import Any

from clinic.adapters import metrics

logger = logging.getLogger(__name__)

#: Parses remembered per process: in one turn the slot extraction and the form's validator
#: read the same message, and Duckling is asked once.
REMEMBERED = 64


class DucklingUnavailable(RuntimeError):
    """Duckling did not answer in time or answered with an error."""


class DucklingClient:
    """`parse(text, reftime)` -> Duckling's time entities; the same wire format Rasa uses."""

    def __init__(
        self,
        url: str,
        locale: str = "fr_FR",
        tz: str = "Europe/Paris",
        timeout: float = 1.0,
        fallback: bool = True,
    ) -> None:
        self.url = url.rstrip("/") + "/parse"
        self.locale = locale
        self.tz = tz
        self.timeout = timeout
        self.fallback = fallback
        self._engine: Any = None
        self._engine_lock = threading.Lock()
        self._parsed: OrderedDict[tuple[str, float], list[dict[str, Any]]] = OrderedDict()
        self._parsed_lock = threading.Lock()

    def parse(self, text: str, reftime: datetime) -> list[dict[str, Any]]:
        """Duckling's reading of `text` at `reftime`, to the minute (what a booking needs; and
        the calls of one turn, milliseconds apart, then share one parse)."""
        reftime = reftime.replace(second=0, microsecond=0)
        key = (text, reftime.timestamp())
        with self._parsed_lock:
            if key in self._parsed:
                self._parsed.move_to_end(key)
                return copy.deepcopy(self._parsed[key])
        parsed = self._request(text, reftime)
        with self._parsed_lock:
            self._parsed[key] = copy.deepcopy(parsed)
            while len(self._parsed) > REMEMBERED:
                self._parsed.popitem(last=False)
        return parsed

    def _request(self, text: str, reftime: datetime) -> list[dict[str, Any]]:
        body = urllib.parse.urlencode(
            {
                "text": text,
                "locale": self.locale,
                "tz": self.tz,
                "dims": json.dumps(["time"]),
                "reftime": str(int(reftime.timestamp() * 1000)),
            }
        ).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        stop = metrics.timed(metrics.DUCKLING_SECONDS)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                parsed: list[dict[str, Any]] = json.loads(response.read())
            stop()
            return parsed
        except (OSError, ValueError) as error:  # URLError, timeouts, bad JSON
            metrics.DUCKLING_ERRORS.inc()
            if not self.fallback:
                logger.warning("duckling unavailable: %s", type(error).__name__)
                raise DucklingUnavailable(str(error)) from error
            logger.warning("duckling unavailable (%s): parsed in-process", type(error).__name__)
            return self._embedded(text, reftime)

    def _embedded(self, text: str, reftime: datetime) -> list[dict[str, Any]]:
        from clinic.adapters.duckling.engine import DucklingEngine, ParseRequest

        with self._engine_lock:
            if self._engine is None:
                self._engine = DucklingEngine()
        request = ParseRequest(
            text, self.locale, self.tz, ("time",), int(reftime.timestamp() * 1000)
        )
        try:
            return list(self._engine.parse(request))
        except Exception as error:  # the binding failing too: say so, as before
            raise DucklingUnavailable(str(error)) from error
