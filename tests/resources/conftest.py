"""A real server process (granian, the production server, and uvicorn) and a 4 GiB file.

The file is sparse (no disk used) and owned by a message in chat 10, so user 1
may read it; reading it costs the server nothing but what it holds in memory.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from process_stats import worker_pid
from resource_world import BIG, BIG_BYTES, Served

from gateway.config import Config
from support import prepare_world, run_server, token


@pytest.fixture(scope="module")
def big_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, Path]]:
    directory = tmp_path_factory.mktemp("resources")
    db_path = directory / "gateway.db"
    config = prepare_world(directory, f"sqlite+aiosqlite:///{db_path}")
    big = Path(config.storage.root) / BIG
    big.parent.mkdir(parents=True)
    with open(big, "wb") as fh:
        fh.truncate(BIG_BYTES)
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("INSERT INTO messages (id, chat_id, sender_id, attachment_path) "
                     "VALUES (900, 10, 1, ?)", (BIG,))
    try:
        yield config, directory / "gateway.toml"
    finally:
        big.unlink()


@pytest.fixture(scope="module", params=["granian", "uvicorn"])
def served(request: pytest.FixtureRequest,
           big_world: tuple[Config, Path]) -> Iterator[Served]:
    """granian offers zero-copy pathsend for whole files; uvicorn always streams chunks."""
    config, path = big_world
    with run_server(path, server=request.param) as srv:
        yield Served(srv, request.param, worker_pid(srv.process.pid),
                     int(srv.url.rsplit(":", 1)[1]),
                     {"Authorization": f"Bearer {token(config, '1')}"},
                     str(Path(config.storage.root, BIG).resolve()),
                     str((path.parent / "gateway.db").resolve()))
        assert "Traceback" not in srv.log(), srv.log()[-4000:]
