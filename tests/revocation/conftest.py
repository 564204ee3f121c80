"""Revocation fixtures: a seeded PostgreSQL world with long TTLs, and its asyncpg DSN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from revocation_support import LONG_TTLS, asyncpg_dsn

from gateway.config import Config
from support import pg_database, prepare_world


@pytest.fixture
def pg_world(postgres_available: None, tmp_path: Path) -> Iterator[Config]:
    """The seeded test world on a fresh PostgreSQL database, cache TTLs of 30 s."""
    with pg_database() as url:
        yield prepare_world(tmp_path, url, LONG_TTLS)


@pytest.fixture
def pg_dsn(pg_world: Config) -> str:
    return asyncpg_dsn(pg_world.database.url)
