"""Fixtures: databases (SQLite and the real PostgreSQL), a seeded world, configs.

PostgreSQL is required in CI (CI=true or GATEWAY_TEST_REQUIRE_PG=1): there an
unreachable server fails the run. Elsewhere its tests skip, loudly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import Config
from support import missing, pg_database, pg_unreachable_reason, prepare_world

PG_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("GATEWAY_TEST_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = pg_unreachable_reason()
    if reason is not None:
        missing(reason, tests="PostgreSQL tests (only SQLite ran)", required=PG_REQUIRED)


@pytest.fixture
def pg_url(postgres_available: None) -> Iterator[str]:
    with pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Config]:
    """A migrated, seeded database (both kinds) with its media folder and config."""
    if request.param == "sqlite":
        yield prepare_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}")
    else:
        request.getfixturevalue("postgres_available")
        with pg_database() as url:
            yield prepare_world(tmp_path, url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if any("PostgreSQL" in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(
            "WARNING: PostgreSQL was unreachable; its tests were SKIPPED", red=True, bold=True)


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Config:
    """The seeded world on SQLite only, for behaviour that does not depend on the database."""
    return prepare_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}")
