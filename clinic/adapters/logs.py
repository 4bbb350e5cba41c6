"""One logging setup for every process: the core, the actions, the connector and the worker.

Patients' phone numbers and e-mail addresses must never reach a log line (GDPR, health data).
Masking therefore happens twice:

* a log-record factory masks the message of *every* record created in the process, whatever
  logger or handler it later meets (Rasa and the SDK add handlers of their own);
* the formatters mask the final line again, which also covers tracebacks and `extra` fields.

Human-readable text by default, JSON lines with ``LOG_FORMAT=json``.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, TextIO

PHONE_MASK = "<phone>"
EMAIL_MASK = "<email>"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Order matters: the most specific shapes first.
_PHONES = (
    # +33 6 12 34 56 78, +33612345678, +1 (415) 555-2671
    re.compile(r"(?<![\w+])\+(?:\d[\s.\-()]{0,2}){7,14}\d(?![\w])"),
    # 0033 6 12 34 56 78
    re.compile(r"(?<![\w.\-])00\d(?:[\s.\-]?\d){6,12}(?![\w])"),
    # French numbers written without the +: 33 6 12 34 56 78
    re.compile(r"(?<![\w.\-+])33[\s.\-]?[1-9](?:[\s.\-]?\d{2}){4}(?!\w)"),
    # French national numbers however grouped: 06 12 34 56 78, 06.12.34.56.78, 0612 345 678
    re.compile(r"(?<![\w.\-])0[1-9](?:[\s.\-]?\d){8}(?!\w)"),
    # Bare international ids as WhatsApp sends them (wa_id "33612345678"): 11 to 15 digits,
    # also after « wa_id: » or « / » and before a full stop; never the decimals of a number.
    re.compile(r"(?<![\w.\-])\d{11,15}(?!\w|\.\d)"),
)

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime"}


def mask(text: str) -> str:
    """Replace phone numbers and e-mail addresses in `text` by neutral placeholders."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    for pattern in _PHONES:
        text = pattern.sub(PHONE_MASK, text)
    return text


def contacts(text: str) -> list[tuple[int, int]]:
    """Where `mask` finds an e-mail address or a phone number in `text` (start, end)."""
    return [m.span() for pattern in (_EMAIL, *_PHONES) for m in pattern.finditer(text)]


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken %-format must not lose the record
        message = f"{record.msg} {record.args}"
    record.msg = mask(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        # Formatted now, so a handler with a formatter of its own (Sanic's) prints it masked.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask(record.exc_text)


class MaskingFilter(logging.Filter):
    """Masks a record in place; attach it to any handler that may see records from elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


_masking_installed = False

#: The trace id of the WhatsApp message being handled (clinic.adapters.whatsapp.identity.trace_id):
#: every log record made while it is bound carries it, Rasa's own records included.
TRACE_ID: ContextVar[str | None] = ContextVar("trace_id", default=None)


@contextmanager
def traced(trace_id: str | None) -> Iterator[None]:
    """Bind `trace_id` to what runs inside (this task and the tasks it starts)."""
    token = TRACE_ID.set(trace_id)
    try:
        yield
    finally:
        TRACE_ID.reset(token)


def current_trace() -> str | None:
    return TRACE_ID.get()


def install_masking() -> None:
    """Mask every log record created in this process from now on (idempotent)."""
    global _masking_installed
    if _masking_installed:
        return
    base_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        _mask_record(record)
        trace = TRACE_ID.get()
        if trace is not None:
            record.trace_id = trace
        return record

    logging.setLogRecordFactory(factory)
    _masking_installed = True


class MaskingStream(io.TextIOBase):
    """A text stream that masks each line before it reaches `target`.

    Installed on stderr by `connectors.launch`: what bypasses logging (a library's `print`, a
    warning printed by `warnings`, a traceback from a handler with its own formatter, Python's
    last-chance traceback) is masked too. Lines end at « \\n » or « \\r » (progress bars).
    """

    _LINE = re.compile(r"[^\r\n]*[\r\n]")
    #: A line this long without an end is written anyway (masked), not held forever.
    MAX_PENDING = 16_384

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        done = 0
        out = []
        for line in self._LINE.finditer(self._pending):
            out.append(mask(line.group()))
            done = line.end()
        self._pending = self._pending[done:]
        if len(self._pending) > self.MAX_PENDING:
            out.append(mask(self._pending))
            self._pending = ""
        if out:
            self._target.write("".join(out))
            self._target.flush()
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def close_pending(self) -> None:
        """Write an unfinished last line (at exit)."""
        if self._pending:
            self._target.write(mask(self._pending))
            self._pending = ""
        self._target.flush()

    def fileno(self) -> int:
        return self._target.fileno()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


def mask_stderr() -> None:
    """Route this process's stderr through MaskingStream (idempotent)."""
    if isinstance(sys.stderr, MaskingStream):
        return
    stream = MaskingStream(sys.stderr)
    sys.stderr = stream
    atexit.register(stream.close_pending)


class TextFormatter(logging.Formatter):
    """`2026-11-28 17:00:00 INFO clinic.x [trace 3f9a…] - message`, masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s - %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        trace = getattr(record, "trace_id", None)
        if trace:
            head, _, rest = line.partition(" - ")
            line = f"{head} [trace {trace}] - {rest}"
        return mask(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers; `extra={...}` fields are kept."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask(json.dumps(entry, ensure_ascii=False, default=str))


def make_handler(log_format: str = "text") -> logging.Handler:
    """A stderr handler with the project's formatter and masking filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(MaskingFilter())
    handler.set_name("clinic")
    return handler


def configure_logging(log_format: str = "text", level: str | int = "INFO") -> None:
    """Make the root logger write masked text or JSON lines to stderr, replacing other handlers."""
    install_masking()
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)
