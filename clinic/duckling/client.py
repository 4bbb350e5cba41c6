"""HTTP client for any Duckling server (the embedded one or the `rasa/duckling` image)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)


class DucklingUnavailable(RuntimeError):
    """Duckling did not answer in time or answered with an error."""


class DucklingClient:
    """`parse(text, reftime)` -> Duckling's time entities; the same wire format Rasa uses."""

    def __init__(
        self, url: str, locale: str = "fr_FR", tz: str = "Europe/Paris", timeout: float = 2.0
    ) -> None:
        self.url = url.rstrip("/") + "/parse"
        self.locale = locale
        self.tz = tz
        self.timeout = timeout

    def parse(self, text: str, reftime: datetime) -> list[dict[str, Any]]:
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
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as error:  # URLError, timeouts, bad JSON
            logger.warning("duckling unavailable: %s", type(error).__name__)
            raise DucklingUnavailable(str(error)) from error
