"""The same booking-then-erasure over WhatsApp, on the stack running on PostgreSQL (Rasa's
tracker store included): `pg_dump` of the whole database shows neither the name, the number nor
the message, before (sealed) or after the erasure (gone), while the audit trail remains."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devtools.model import model_path
from devtools.stack import free_port
from tests.smtp import smtp_server
from tests.stack import simulator_token, start_stack
from tests.test_e2e_stack import Stack, book_then_erase

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def pg_stack(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not model_path(ROOT).exists():
        pytest.fail("no trained model for the current data: run `make model` first")
    engine = create_engine(postgres_url)
    with engine.begin() as connection:  # a clean database for this stack
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    ports = {name: free_port() for name in ("rasa", "actions", "duckling", "simulator")}
    with smtp_server() as (smtp_url, mailbox):
        env = {
            **os.environ,
            "DATABASE_URL": postgres_url,
            "DUCKLING_URL": f"http://127.0.0.1:{ports['duckling']}",
            "RASA_AUTH_TOKEN": "e2e-token",
            "SMTP_URL": smtp_url,
        }
        process, _ = start_stack(
            env,
            *("--rasa-port", str(ports["rasa"]), "--actions-port", str(ports["actions"])),
            *("--simulator-port", str(ports["simulator"])),
        )
        simulator = f"http://127.0.0.1:{ports['simulator']}"
        simulator_token(simulator)
        yield Stack(
            rasa=f"http://127.0.0.1:{ports['rasa']}",
            actions=f"http://127.0.0.1:{ports['actions']}",
            duckling=f"http://127.0.0.1:{ports['duckling']}",
            simulator=simulator,
            token="e2e-token",
            database=Path("/nonexistent"),  # PostgreSQL: see env
            process=process,
            log_offsets={},
            env=env,
            mailbox=mailbox,
        )
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def test_erasure_by_message_on_postgresql_leaves_nothing_in_pg_dump(pg_stack: Stack) -> None:
    url = make_url(pg_stack.env["DATABASE_URL"])

    def dump() -> str:
        return subprocess.run(
            ["pg_dump", "--no-owner", "-h", str(url.host), "-p", str(url.port or 5432), "-U",
             str(url.username), str(url.database)],
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout  # fmt: skip

    engine = create_engine(pg_stack.env["DATABASE_URL"])

    def erased() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT COUNT(*) FROM erasures")).scalar())

    try:
        after = book_then_erase(pg_stack, "33644433399", dump, erased)
        with engine.connect() as connection:
            token = connection.execute(
                text("SELECT patient_id FROM appointments WHERE patient_id LIKE 'erased-%'")
            ).scalar_one()
            trail = (
                connection.execute(
                    text("SELECT action FROM audit_log WHERE actor_id = :t"), {"t": token}
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert {"booked", "cancelled"} <= set(trail) and token in after
