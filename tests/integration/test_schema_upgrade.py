"""A database made by an earlier version gets the columns added since, on both backends, with
its rows kept (the only kind of migration the project does: docs/decisions.md)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from clinic.adapters.storage import Database
from clinic.domain.practice import Practice


def test_columns_added_since_are_added_to_an_older_database(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.transaction() as connection:
            connection.execute(
                text(
                    "CREATE TABLE whatsapp_inbound (message_id VARCHAR(160) PRIMARY KEY, "
                    "patient_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, "
                    "sent_at TIMESTAMP NOT NULL, received_at TIMESTAMP NOT NULL, "
                    "outcome VARCHAR(12) NOT NULL)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO whatsapp_inbound VALUES ('wamid.old', 'wa-x', 'text', "
                    "'2026-11-01 10:00:00', '2026-11-01 10:00:01', 'turn')"
                )
            )
        database.create_schema()
        database.create_schema()  # twice: nothing more to add
        with database.transaction() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("whatsapp_inbound")}
            row = connection.execute(
                text("SELECT outcome, attempts, body FROM whatsapp_inbound")
            ).one()
        assert {"body", "lease_until", "attempts"} <= columns
        assert tuple(row) == ("turn", 1, None)
    finally:
        database.dispose()


def test_processes_starting_together_on_a_new_database_all_succeed(database_url: str) -> None:
    """Rasa's channel, the action server and the worker create the schema at the same moment."""
    from concurrent.futures import ThreadPoolExecutor

    def start() -> None:
        database = Database(database_url)
        try:
            database.create_schema()
        finally:
            database.dispose()

    with ThreadPoolExecutor(max_workers=6) as pool:
        for future in [pool.submit(start) for _ in range(6)]:
            future.result()  # raises if any of them failed


def test_processes_starting_at_once_on_a_new_sqlite_file_all_start(tmp_path: Path) -> None:
    """`make run` starts five processes on a new database file at once; switching the file to
    WAL refuses all but one for a moment (« database is locked »): each must still start."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'new.db'}"
    code = (
        "import sys; from clinic.adapters.storage import Database; "
        "d = Database(sys.argv[1]); d.create_schema(); d.dispose()"
    )
    for _ in range(5):  # a race: a few rounds on fresh files
        url = f"sqlite:///{tmp_path / f'new-{_}.db'}"
        starts = [
            subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
            for _ in range(8)
        ]
        failures = [p.communicate(timeout=120)[1] for p in starts if p.wait(timeout=120) != 0]
        assert not failures, failures[0]


def test_message_ids_an_earlier_version_stored_become_their_digest(
    database_url: str, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Meta's ids (`wamid.…`, which encode numbers) stored raw before decision 42: building the
    WhatsApp channel (the channel's and the worker's start) replaces each by its digest, once;
    lookups then find them (a redelivery is still a duplicate, a status lands on its row)."""
    from clinic.adapters.settings import Settings
    from clinic.adapters.storage.tables import (
        reminders,
        staff_alerts,
        whatsapp_inbound,
        whatsapp_outbound,
    )
    from clinic.adapters.whatsapp import message_keys
    from clinic.app.wiring import build_services
    from clinic.domain.appointments import Appointment

    monkeypatch.setattr(message_keys, "BATCH", 2)  # several batches per table
    settings = Settings(
        database_url=database_url,
        whatsapp_verify_token="verify",
        whatsapp_app_secret="secret",
        whatsapp_access_token="token",
        whatsapp_phone_number_id="1065",
        whatsapp_api_url="http://127.0.0.1:9/v21.0",
    )
    services = build_services(settings, practice)
    key = services.keyring.message_key
    now = datetime.now(timezone.utc)
    inbound = [f"wamid.IN{n}" for n in range(5)]
    try:
        with services.database.transaction() as connection:  # what an older version wrote
            for message_id in [*inbound, key(inbound[0])]:  # a redelivery already digested
                connection.execute(
                    whatsapp_inbound.insert().values(
                        message_id=message_id, patient_id="wa-x", kind="text", sent_at=now,
                        received_at=now, outcome="turn", attempts=1,
                    )
                )  # fmt: skip
            for wamid in ("wamid.OUT1", "wamid.OUT2", None):
                connection.execute(
                    whatsapp_outbound.insert().values(
                        patient_id="wa-x", kind="text", status="accepted", attempts=1,
                        wamid=wamid, created_at=now, updated_at=now,
                    )
                )  # fmt: skip
        appointment = services.appointments.add(
            Appointment(
                "d" * 32,
                "wa-x",
                "Marie",
                "dr-martin",
                "ordonnance",
                now,
                now + timedelta(minutes=15),
            ),
            now,
        )
        with services.database.transaction() as connection:
            connection.execute(
                reminders.insert().values(
                    appointment_id=appointment.id, kind="24h", due_at=now, status="sent",
                    attempts=1, wamid="wamid.REM1", created_at=now, updated_at=now,
                )
            )  # fmt: skip
            for channel, external_id in (("whatsapp", "wamid.ALERT1"), ("email", "<a-1@x>")):
                connection.execute(
                    staff_alerts.insert().values(
                        patient_id="wa-x", episode=1, round=1, reason="handoff",
                        channel=channel, recipient=channel, status="sent", attempts=1,
                        next_attempt_at=now, external_id=external_id, created_at=now,
                        updated_at=now,
                    )
                )  # fmt: skip

        assert services.whatsapp is not None  # the channel's (and the worker's) start

        def column(table: Any, name: str) -> list[Any]:
            with services.database.transaction() as connection:
                return sorted(
                    connection.execute(select(table.c[name])).scalars(), key=lambda v: v or ""
                )

        assert column(whatsapp_inbound, "message_id") == sorted(key(m) for m in inbound)
        assert column(whatsapp_outbound, "wamid") == [
            None,
            *sorted((key("wamid.OUT1"), key("wamid.OUT2"))),
        ]
        assert column(reminders, "wamid") == [key("wamid.REM1")]
        assert column(staff_alerts, "external_id") == sorted(["<a-1@x>", key("wamid.ALERT1")])
        assert message_keys.digest_stored_ids(services.database, key) == 0  # done once
        # and the lookups find them: a redelivery is a duplicate, a status moves its row
        assert not services.inbound.claim_inbound("wamid.IN3", "wa-x", "text", now, now)
        assert services.outbox.record_status("wamid.OUT2", "delivered", (), now)
    finally:
        services.database.dispose()
