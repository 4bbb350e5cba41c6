"""Shared fixtures: real servers on free loopback ports, never a live outside service."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine

from clinic.adapters.duckling.engine import DucklingEngine
from clinic.adapters.duckling.server import DucklingHTTPServer
from clinic.adapters.sealing import Sealer, data_sealer
from clinic.adapters.settings import Settings
from clinic.adapters.storage import Database, metadata
from clinic.app.wiring import Services, build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice, load_practice
from clinic.domain.safety import classifier
from devtools.emulators.google_calendar import GoogleCalendarEmulator, write_service_account_key
from tests.stack import DevStack, running_dev_stack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def red_flag_model() -> None:
    """The red-flag model built before any test, as the WhatsApp channel builds it at start:
    a test never depends on whether the background training has finished."""
    assert classifier.model(wait=True) is not None


@pytest.fixture(scope="session")
def duckling_engine() -> DucklingEngine:
    return DucklingEngine()


@pytest.fixture(scope="session")
def parse(duckling_engine: DucklingEngine) -> Any:
    """`clinic.domain.timeexpr.Parse` over the embedded Duckling engine (the real one, in process)."""
    from clinic.adapters.duckling.engine import ParseRequest

    def _parse(text: str, reftime: datetime) -> list[dict[str, Any]]:
        request = ParseRequest(
            text=text, dims=("time",), reftime_ms=int(reftime.timestamp() * 1000)
        )
        return duckling_engine.parse(request)

    return _parse


@pytest.fixture(scope="session")
def duckling_url(duckling_engine: DucklingEngine) -> Iterator[str]:
    """The embedded Duckling HTTP server, in a thread, on a free port."""
    server = DucklingHTTPServer(("127.0.0.1", 0), duckling_engine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# -- practice, clock, databases, calendars -------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
#: Monday 30 November 2026, 08:00 in Paris: the tests' "now".
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@functools.cache
def sealer() -> Sealer:
    """The data key every process the tests start uses: the development key file
    (var/data_encryption_key, generated once), as `make run` does."""
    return data_sealer(Settings())


@pytest.fixture(scope="session")
def practice() -> Practice:
    return load_practice(ROOT / "tests" / "fixtures" / "practice.yml")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def services(database_url: str, practice: Practice, clock: FixedClock) -> Iterator[Services]:
    """The composition root on the test database (SQLite, or PostgreSQL when marked), with the
    fixed clock: the core as every process builds it."""
    built = build_services(Settings(database_url=database_url), practice, clock=clock)
    yield built
    built.database.dispose()


@pytest.fixture(scope="session")
def deidentifier() -> Any:
    """The export's de-identifier with spaCy's French model, loaded once per session (seconds)."""
    from clinic.services.deidentify import Deidentifier

    return Deidentifier.load()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL (CI starts it; no skip if it is down)."""
    name = f"clinic_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or the PostgreSQL test database with fresh tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    database = Database(url)
    metadata.drop_all(database.engine)
    with database.transaction() as connection:  # Rasa's tracker store table too
        connection.exec_driver_sql("DROP TABLE IF EXISTS events")
    database.dispose()
    yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def service_account_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A real RSA service-account key file (token_uri is rewritten per emulator)."""
    path = tmp_path_factory.mktemp("gcal") / "key.json"
    public_key = write_service_account_key(path, "http://127.0.0.1:1/token")
    return path, public_key


@pytest.fixture
def gcal(service_account_key: tuple[Path, Any], tmp_path: Path) -> Iterator[GCal]:
    """The Google Calendar emulator on a free port, with a key file pointing at it."""
    source, public_key = service_account_key
    server = GoogleCalendarEmulator(("127.0.0.1", 0), ["cabinet"], public_key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    key = json.loads(source.read_text())
    key["token_uri"] = server.url + "token"
    key_path = tmp_path / "service-account.json"
    key_path.write_text(json.dumps(key))
    yield GCal(server, key_path)
    server.shutdown()
    server.server_close()


@dataclass
class GCal:
    server: GoogleCalendarEmulator
    key_path: Path

    @property
    def url(self) -> str:
        return self.server.url

    def fault(self, path: str, status: int | None = None, delay: float = 0, times: int = 1) -> None:
        spec = {"path": path, "status": status, "delay": delay, "times": times}
        _post_json(self.url + "_emulator/faults", spec)

    def requests(self, path: str = "") -> list[tuple[str, str]]:
        with self.server.state.lock:
            return [r for r in self.server.state.requests if path in r[1]]

    def events(self, calendar_id: str = "cabinet") -> dict[str, dict[str, Any]]:
        with self.server.state.lock:
            return json.loads(json.dumps(self.server.state.calendars[calendar_id]))


def _post_json(url: str, body: Any) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def clinic_appointments(database_url: str) -> list[dict[str, Any]]:
    """`clinic appointments list --json` as staff run it, on `database_url`."""
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), "appointments", "list", "--json"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(listed.stdout)


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """The development stack the end-to-end files share: started once per session (a Rasa
    server takes about a minute to load its model), stopped at its end."""
    try:
        with running_dev_stack(tmp_path_factory.mktemp("dev-stack")) as stack:
            yield stack
    except RuntimeError as error:
        pytest.fail(str(error))
