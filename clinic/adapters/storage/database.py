"""One SQLAlchemy engine per process, created on demand (never at import)."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, make_url

from clinic.adapters.storage.tables import metadata

logger = logging.getLogger(__name__)

#: The advisory lock id that serialises schema changes on PostgreSQL (any constant will do).
SCHEMA_LOCK = 7_242_201

#: How long a writer waits for SQLite's single write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """The engine plus the few things every caller needs: schema creation and transactions."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if not self.is_sqlite:
            engine_options.setdefault("pool_pre_ping", True)
            engine_options.setdefault("pool_size", 10)
            engine_options.setdefault("max_overflow", 20)
        self.engine: Engine = create_engine(url, future=True, **engine_options)
        if self.is_sqlite:
            _serialise_sqlite_writers(self.engine)

    def create_schema(self) -> None:
        """Create missing tables, and add columns a newer version added to existing ones.

        Idempotent, and safe when several processes start at once on a new database: on
        PostgreSQL an advisory lock serialises them (DDL is transactional there; without it,
        two processes both see a table missing and one fails creating it); SQLite's writers
        are serialised already (BEGIN IMMEDIATE). There are no other migrations: a changed
        column type is the operator's (docs/decisions.md)."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            metadata.create_all(connection, checkfirst=True)
            inspector = inspect(connection)
            for table in metadata.sorted_tables:
                existing = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in existing:
                        self._add_column(connection, table.name, column)

    @staticmethod
    def _add_column(connection: Connection, table: str, column: Any) -> None:
        kind = column.type.compile(dialect=connection.dialect)
        ddl = f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}"
        if column.server_default is not None:
            ddl += f" DEFAULT {column.server_default.arg}"
        elif not column.nullable:
            raise RuntimeError(f"{table}.{column.name}: a new NOT NULL column needs a default")
        connection.exec_driver_sql(ddl)
        logger.warning("database upgraded: column %s.%s added", table, column.name)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any exception."""
        with self.engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def _enable_wal(cursor: Any, attempts: int = 100) -> None:
    """Switch a new database file to WAL. The switch takes an exclusive lock and does not wait
    on the busy timeout: when `make run` starts five processes on a new file at once, all but
    one are refused « database is locked » for a moment. Retried, not fatal."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Make SQLite transactions take the write lock at BEGIN (BEGIN IMMEDIATE).

    pysqlite otherwise starts transactions lazily, and two deferred transactions that both read
    then write fail at once with "database is locked" instead of waiting: under 50 concurrent
    bookings that is most of them. With WAL, readers outside transactions are never blocked.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
