"""A database made by an earlier version gets the columns added since, on both backends, with
its rows kept (the only kind of migration the project does: docs/decisions.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from clinic.adapters.storage import Database


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
