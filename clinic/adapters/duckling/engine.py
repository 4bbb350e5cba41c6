"""Duckling, embedded: the real Haskell parser from the ``pyduckling-native-phihos`` wheel.

The engine validates what the binding silently accepts (an unknown locale, dimension or time
zone would otherwise fall back to English / UTC / "all dimensions" without a word) and repairs
the binding's one quirk: ``body`` comes back as UTF-8 decoded as Latin-1 ("demain Ã  14h").
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

DEFAULT_LOCALE = "fr_FR"
DEFAULT_TZ = "Europe/Paris"
ZONEINFO_DIR = Path("/usr/share/zoneinfo")

# Languages and dimensions of Duckling 0.2 (what the wheel compiles in).
LANGUAGES = frozenset(
    "AF AR BG BN CA CS DA DE EL EN ES ET FA FI FR GA HE HI HR HU ID IS IT JA KA KM KN KO LO "
    "ML MN MY NB NE NL PL PT RO RU SK SV SW TA TE TH TR UK VI ZH".split()
)
DIMENSIONS = frozenset(
    {
        "amount-of-money",
        "credit-card-number",
        "distance",
        "duration",
        "email",
        "number",
        "ordinal",
        "phone-number",
        "quantity",
        "temperature",
        "time",
        "url",
        "volume",
    }
)
_LOCALE = re.compile(r"^(?P<lang>[A-Za-z]{2})(?:[_-](?P<region>[A-Za-z]{2}))?$")


class DucklingRequestError(ValueError):
    """The request cannot be parsed as asked; the message says why, for a 400 answer."""


@dataclass(frozen=True)
class ParseRequest:
    """One validated parse request, in Duckling's own terms."""

    text: str
    locale: str = DEFAULT_LOCALE
    tz: str = DEFAULT_TZ
    dims: tuple[str, ...] = ()
    reftime_ms: int | None = None
    latent: bool = False


def normalise_locale(value: str) -> tuple[str, str | None]:
    """`fr_FR`, `fr-fr`, `FR` -> ("FR", "FR" | None); raise for anything Duckling lacks."""
    match = _LOCALE.match(value.strip())
    if not match:
        raise DucklingRequestError(f"unknown locale {value!r}: expected e.g. fr_FR")
    lang = match["lang"].upper()
    if lang not in LANGUAGES:
        raise DucklingRequestError(f"unknown locale {value!r}: Duckling has no language {lang}")
    region = match["region"].upper() if match["region"] else None
    return lang, region


def validate_dims(dims: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(dims) - DIMENSIONS)
    if unknown:
        raise DucklingRequestError(
            f"unknown dimension(s) {', '.join(unknown)}: expected some of {', '.join(sorted(DIMENSIONS))}"
        )
    return tuple(dims)


def validate_tz(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DucklingRequestError(
            f"unknown time zone {tz!r}: expected e.g. Europe/Paris"
        ) from None
    return tz


class DucklingEngine:
    """Thread-safe wrapper around the binding; build one per process (it starts Haskell's RTS)."""

    def __init__(self, zoneinfo_dir: Path = ZONEINFO_DIR) -> None:
        import duckling  # starts the Haskell runtime: only when an engine is wanted

        self._duckling = duckling
        self._tz_db = duckling.load_time_zones(str(zoneinfo_dir))
        self._locales: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def _locale(self, lang: str, region: str | None) -> Any:
        key = (lang, region)
        with self._lock:
            if key not in self._locales:
                d = self._duckling
                default = d.default_locale_lang(d.parse_lang(lang))
                self._locales[key] = (
                    d.parse_locale(f"{lang}_{region}", default) if region else default
                )
            return self._locales[key]

    def parse(self, request: ParseRequest) -> list[dict[str, Any]]:
        """Duckling's JSON entities for `request`, with `body` rebuilt from the input text."""
        d = self._duckling
        lang, region = normalise_locale(request.locale)
        validate_tz(request.tz)
        dims = validate_dims(request.dims)
        ref_seconds = (
            request.reftime_ms // 1000 if request.reftime_ms is not None else int(time.time())
        )
        context = d.Context(
            d.parse_ref_time(self._tz_db, request.tz, ref_seconds), self._locale(lang, region)
        )
        entities = d.parse(request.text, context, d.parse_dimensions(list(dims)), request.latent)
        for entity in entities:
            entity["body"] = request.text[entity["start"] : entity["end"]]
        return entities
