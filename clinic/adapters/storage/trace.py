"""`clinic trace WAMID`: the whole path of one patient message, from the database and the logs.

Every process logs under the message's trace id (`Keyring.trace_id`, derived from Meta's message
id with the application key: the id itself encodes the sender's number and never reaches a log):
the Rasa process (the channel, Rasa's own lines, the NLU's verdict), the action server (each
action, with the intent it ran on) and the outbox rows the turn queued. This module gathers them:
the inbound row (kind, when received, outcome, when handled; found by `Keyring.message_key`, the
digest that is all the table keeps of Meta's id), the log lines of every process's log file that
carry the id, and the outbox rows, in time order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clinic.adapters.storage import Database
from clinic.adapters.storage.tables import whatsapp_inbound, whatsapp_outbound

#: `2026-12-02 18:35:01,123 INFO    logger [trace 3f9a…] - message` (clinic.adapters.logs.TextFormatter)
TEXT_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<level>\w+)\s+(?P<logger>\S+) "
    r"\[trace (?P<trace>[0-9a-f]+)\] - (?P<message>.*)$"
)


@dataclass(frozen=True)
class LogLine:
    at: datetime
    process: str
    level: str
    logger: str
    message: str
    fields: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "process": self.process,
            "level": self.level,
            "logger": self.logger,
            "message": self.message,
            **({"fields": self.fields} if self.fields else {}),
        }


def parse_line(line: str, process: str, trace_id: str) -> LogLine | None:
    """A log line of this trace (JSON or text format), else None."""
    line = line.strip()
    if trace_id not in line:
        return None
    # a supervisor prefixes echoed lines with « [name] »; log files have none
    if line.startswith("{"):
        try:
            entry = json.loads(line)
        except ValueError:
            return None
        if entry.get("trace_id") != trace_id:
            return None
        known = {"ts", "level", "logger", "message", "trace_id"}
        return LogLine(
            datetime.fromisoformat(entry["ts"]),
            process,
            str(entry.get("level", "")),
            str(entry.get("logger", "")),
            str(entry.get("message", "")),
            {k: v for k, v in entry.items() if k not in known},
        )
    found = TEXT_LINE.match(line)
    if found is None or found["trace"] != trace_id:
        return None
    local = datetime.strptime(found["ts"], "%Y-%m-%d %H:%M:%S,%f").astimezone()
    return LogLine(
        local.astimezone(timezone.utc),
        process,
        found["level"],
        found["logger"],
        found["message"],
        {},
    )


def log_lines(sources: Iterable[tuple[str, Iterable[str]]], trace_id: str) -> list[LogLine]:
    """Lines of `trace_id` from (process name, lines) sources, oldest first."""
    found = [
        parsed
        for process, lines in sources
        for line in lines
        if (parsed := parse_line(line, process, trace_id)) is not None
    ]
    return sorted(found, key=lambda entry: entry.at)


def log_files(directory: Path) -> list[tuple[str, Iterable[str]]]:
    """Each `<process>.log` of a log directory (`var/log` for `make run`)."""
    return [
        (path.stem, path.open(encoding="utf-8", errors="replace"))
        for path in sorted(directory.glob("*.log"))
    ]


def stored(database: Database, message_key: str, trace_id: str) -> dict[str, Any]:
    """What the database keeps of the message (its row is found by `message_key`, the digest
    `Keyring.message_key` makes of Meta's id) and of the messages its turn queued."""
    with database.transaction() as connection:
        inbound = connection.execute(
            select(
                whatsapp_inbound.c.kind,
                whatsapp_inbound.c.received_at,
                whatsapp_inbound.c.outcome,
                whatsapp_inbound.c.handled_at,
                whatsapp_inbound.c.attempts,
            ).where(whatsapp_inbound.c.message_id == message_key)
        ).first()
        outbox = connection.execute(
            select(
                whatsapp_outbound.c.id,
                whatsapp_outbound.c.kind,
                whatsapp_outbound.c.status,
                whatsapp_outbound.c.created_at,
                whatsapp_outbound.c.updated_at,
                whatsapp_outbound.c.error_code,
            )
            .where(whatsapp_outbound.c.trace_id == trace_id)
            .order_by(whatsapp_outbound.c.id)
        ).all()
    return {
        "inbound": None
        if inbound is None
        else {
            "kind": inbound.kind,
            "received_at": inbound.received_at.isoformat(),
            "outcome": inbound.outcome,
            "handled_at": inbound.handled_at.isoformat() if inbound.handled_at else None,
            "attempts": inbound.attempts,
        },
        "outbox": [
            {
                "id": row.id,
                "kind": row.kind,
                "status": row.status,
                "queued_at": row.created_at.isoformat(),
                "updated_at": row.updated_at.isoformat(),
                "error_code": row.error_code,
            }
            for row in outbox
        ],
    }
