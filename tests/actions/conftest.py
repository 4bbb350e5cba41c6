"""The actions' services: built by the real composition root (SQLite, the real Duckling over
HTTP, a fixed clock) and handed to each action, so nothing is patched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic.adapters.settings import Settings
from clinic.app.wiring import Services, build_services
from clinic.domain.clock import FixedClock
from clinic.domain.practice import Practice
from tests.conftest import NOW


@pytest.fixture
def services(practice: Practice, duckling_url: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'clinic.db'}", duckling_url=duckling_url
    )
    built = build_services(settings, practice, clock=FixedClock(NOW))
    yield built
    built.database.dispose()
