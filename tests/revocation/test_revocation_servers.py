"""Revocation across two real `gateway serve` processes sharing one PostgreSQL database.

Both caches hold decisions for 30 s (allows and denials), so a decision that
flips within BOUND_S can only have been flipped by a notification. The
database is changed by plain SQL from a separate connection, as the chat
service would; `session_replication_role = replica` changes it unannounced
(the triggers do not fire), which makes the database contradict the caches.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from revocation_support import TERMINATE_LISTENERS, admin_dsn
from sqlalchemy.engine import make_url

from gateway.config import Config
from gateway.invalidation import APPLICATION_NAME
from support import RunningServer, prepare_world, run_server, token

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

# Generous for a loaded 2-core CI machine; still far below the 30 s TTL. The
# benchmark (bench/revocation.py) measures the real latency.
BOUND_S = 3.0
PHOTO, THUMB = "a/photo.jpg", "a/photo_thumb.jpg"
LOOKUPS = re.compile(r'^gateway_decision_cache_lookups_total\{result="(hit|miss)"\} (\S+)$',
                     re.MULTILINE)


class Gateways:
    """Two servers, one client, one database connection: what each test drives."""

    def __init__(self, servers: list[RunningServer], config: Config,
                 client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
        self.servers = servers
        self.config = config
        self.client = client
        self.db = db

    async def get(self, server: RunningServer, user: int, path: str) -> int:
        auth = {"Authorization": f"Bearer {token(self.config, str(user))}"}
        response = await self.client.get(f"{server.url}/uploads/{path}", headers=auth)
        return response.status_code

    async def statuses(self, user: int, path: str) -> list[int]:
        return [await self.get(s, user, path) for s in self.servers]

    async def until(self, user: int, path: str, status: int, bound_s: float = BOUND_S
                    ) -> None:
        """Poll every server until it answers `status` for (user, path)."""
        for server in self.servers:
            deadline = time.monotonic() + bound_s
            while (last := await self.get(server, user, path)) != status:
                assert time.monotonic() < deadline, (
                    f"{server.url}: user {user} {path} still {last}, wanted {status}")
                await asyncio.sleep(0.02)

    async def lookups(self) -> list[dict[str, float]]:
        """Decision cache hits and misses, per server."""
        counts = []
        for server in self.servers:
            text = (await self.client.get(f"{server.url}/metrics")).text
            counts.append({kind: float(value) for kind, value in LOOKUPS.findall(text)})
        return counts

    async def cached(self, user: int, path: str, status: int) -> None:
        """Assert every server answers `status` from its cache (a hit, no query)."""
        before = await self.lookups()
        assert await self.statuses(user, path) == [status] * len(self.servers)
        after = await self.lookups()
        for b, a in zip(before, after, strict=True):
            assert (a["hit"] - b["hit"], a["miss"] - b["miss"]) == (1, 0)

    async def unannounced(self, sql: str) -> None:
        """Change the database without notifying anyone (triggers do not fire)."""
        async with self.db.transaction():
            await self.db.execute("SET LOCAL session_replication_role = replica")
            await self.db.execute(sql)

    async def ready(self, status: int, bound_s: float) -> None:
        for server in self.servers:
            deadline = time.monotonic() + bound_s
            while (await self.client.get(f"{server.url}/readyz")).status_code != status:
                assert time.monotonic() < deadline, f"{server.url}: /readyz never {status}"
                await asyncio.sleep(0.02)


@pytest.fixture
def servers(pg_world: Config) -> Iterator[list[RunningServer]]:
    """Two `gateway serve` processes, same config, each listening on its own connection."""
    config_path = Path(pg_world.storage.root).parent / "gateway.toml"
    with contextlib.ExitStack() as stack:
        # Ready means listening: /readyz includes the invalidation listener.
        running = [stack.enter_context(run_server(config_path, ready_path="/readyz"))
                   for _ in range(2)]
        yield running
    for server in running:
        assert "Traceback" not in server.log()


@contextlib.asynccontextmanager
async def gateways_for(servers: list[RunningServer], config: Config, dsn: str
                       ) -> AsyncIterator[Gateways]:
    db = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            yield Gateways(servers, config, client, db)
    finally:
        await db.close()


def drive(servers: list[RunningServer], config: Config, dsn: str,
          scenario: Callable[[Gateways], Awaitable[None]]) -> None:
    async def main() -> None:
        async with gateways_for(servers, config, dsn) as gw:
            await scenario(gw)

    asyncio.run(main())


def test_removed_member_is_refused_by_every_server(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    async def scenario(gw: Gateways) -> None:
        for user, path in [(1, PHOTO), (1, THUMB), (4, PHOTO)]:
            await gw.until(user, path, 200)
            await gw.cached(user, path, 200)
        await gw.db.execute("UPDATE chat_members SET left_at = now()"
                            " WHERE chat_id = 10 AND user_id = 1")
        await gw.until(1, PHOTO, 403)
        await gw.until(1, THUMB, 403)
        await gw.cached(4, PHOTO, 200)  # another member of that chat: untouched

    drive(servers, pg_world, pg_dsn, scenario)


def test_added_member_is_allowed_by_every_server(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    async def scenario(gw: Gateways) -> None:
        for user in (2, 3):  # never a member; left
            await gw.until(user, PHOTO, 403)
            await gw.cached(user, PHOTO, 403)
        await gw.db.execute("INSERT INTO chat_members (chat_id, user_id) VALUES (10, 2)")
        await gw.until(2, PHOTO, 200)
        await gw.db.execute("UPDATE chat_members SET left_at = NULL WHERE user_id = 3")
        await gw.until(3, PHOTO, 200)

    drive(servers, pg_world, pg_dsn, scenario)


def test_soft_deleted_message_is_refused_and_restored(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    keys = [(user, path) for user in (1, 4) for path in (PHOTO, THUMB)]

    async def scenario(gw: Gateways) -> None:
        for user, path in keys:
            await gw.until(user, path, 200)
        await gw.db.execute("UPDATE messages SET deleted_at = now() WHERE id = 100")
        for user, path in keys:
            await gw.until(user, path, 403)
        await gw.cached(1, PHOTO, 403)
        await gw.db.execute("UPDATE messages SET deleted_at = NULL WHERE id = 100")
        for user, path in keys:
            await gw.until(user, path, 200)

    drive(servers, pg_world, pg_dsn, scenario)


def test_changed_message_path_moves_access(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    (Path(pg_world.storage.root) / "b" / "new_thumb.jpg").write_bytes(b"new thumb")

    async def scenario(gw: Gateways) -> None:
        await gw.until(2, "b/video_thumb.jpg", 200)
        await gw.until(2, "b/new_thumb.jpg", 403)  # no message owns it (yet): cached
        await gw.cached(2, "b/new_thumb.jpg", 403)
        await gw.db.execute("UPDATE messages SET attachment_thumb_path = 'b/new_thumb.jpg'"
                            " WHERE id = 200")
        await gw.until(2, "b/video_thumb.jpg", 403)
        await gw.until(2, "b/new_thumb.jpg", 200)

    drive(servers, pg_world, pg_dsn, scenario)


def test_rolled_back_transaction_changes_nothing(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    async def scenario(gw: Gateways) -> None:
        await gw.until(1, PHOTO, 200)
        await gw.until(5, PHOTO, 403)
        # The database now refuses user 1; only the caches still allow.
        await gw.unannounced("UPDATE chat_members SET left_at = now() WHERE user_id = 1")
        await gw.cached(1, PHOTO, 200)
        txn = gw.db.transaction()
        await txn.start()
        await gw.db.execute("UPDATE chat_members SET left_at = NULL WHERE user_id = 1")
        await gw.db.execute("UPDATE messages SET deleted_at = now() WHERE id = 100")
        await gw.cached(1, PHOTO, 200)
        await txn.rollback()
        # A marker committed after the rollback: once every server has seen it,
        # any notification of the rolled-back writes would have arrived too.
        await gw.db.execute("INSERT INTO chat_members (chat_id, user_id) VALUES (10, 5)")
        await gw.until(5, PHOTO, 200)
        await gw.cached(1, PHOTO, 200)

    drive(servers, pg_world, pg_dsn, scenario)


def test_unrelated_decisions_stay_cached(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    paths = ["a/photo.jpg", "a/photo_thumb.jpg", "a/deleted.jpg", "a/page.html",
             "b/video.mp4", "b/video_thumb.jpg", "orphan/file.jpg"]
    keys = [(user, path) for user in range(1, 7) for path in paths]

    async def sweep(gw: Gateways) -> list[dict[str, float]]:
        before = await gw.lookups()
        for user, path in keys:
            await gw.statuses(user, path)
        after = await gw.lookups()
        return [{k: a[k] - b[k] for k in a} for a, b in zip(after, before, strict=True)]

    async def scenario(gw: Gateways) -> None:
        await sweep(gw)
        assert await sweep(gw) == [{"hit": len(keys), "miss": 0}] * 2
        # A busy chat: user 5 joins and leaves chat 20 again and again.
        for _ in range(3):
            await gw.db.execute("INSERT INTO chat_members (chat_id, user_id)"
                                " VALUES (20, 5)")
            await gw.until(5, "b/video.mp4", 200)
            await gw.db.execute("DELETE FROM chat_members WHERE chat_id = 20"
                                " AND user_id = 5")
            await gw.until(5, "b/video.mp4", 403)
        # Only user 5's decisions on chat 20's paths were dropped (the video's
        # was re-read while polling, its thumbnail's was not).
        assert await sweep(gw) == [{"hit": len(keys) - 1, "miss": 1}] * 2
        await gw.db.execute("UPDATE messages SET deleted_at = now() WHERE id = 103")
        await gw.until(1, "a/page.html", 403)
        assert await sweep(gw) == [{"hit": len(keys) - 5, "miss": 5}] * 2

    drive(servers, pg_world, pg_dsn, scenario)


def test_lost_listener_clears_cache_and_reconnects(
    servers: list[RunningServer], pg_world: Config, pg_dsn: str
) -> None:
    database = make_url(pg_world.database.url).database
    allow = f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS '

    async def scenario(gw: Gateways) -> None:
        admin = await asyncpg.connect(admin_dsn())
        try:
            for user in (1, 4):
                await gw.until(user, PHOTO, 200)
            await gw.unannounced("UPDATE chat_members SET left_at = now() WHERE user_id = 4")
            await gw.cached(4, PHOTO, 200)
            # Drop both listening connections, and keep them from coming back for now
            # (the servers' pooled connections stay open).
            await admin.execute(allow + "false")
            assert await gw.db.fetchval(TERMINATE_LISTENERS, APPLICATION_NAME) == 2
            await gw.ready(503, bound_s=BOUND_S)
            # The cache was cleared when the connection dropped...
            assert await gw.statuses(4, PHOTO) == [403, 403]
            # ...and what is cached while nobody listens does not outlive the reconnect.
            assert await gw.statuses(1, PHOTO) == [200, 200]
            await gw.unannounced("UPDATE chat_members SET left_at = now() WHERE user_id = 1")
            await admin.execute(allow + "true")
            await gw.ready(200, bound_s=15)  # backoff is at most 5 s
            assert await gw.statuses(1, PHOTO) == [403, 403]
        finally:
            await admin.execute(allow + "true")
            await admin.close()

    drive(servers, pg_world, pg_dsn, scenario)
    for server in servers:
        log = server.log()
        assert "invalidation listener lost; cache cleared" in log
        assert "invalidation listener down" in log
        assert log.count("invalidation listener connected") == 2


def test_sqlite_has_no_listener_and_relies_on_the_ttl(tmp_path: Path) -> None:
    db_path = tmp_path / "gateway.db"
    config = prepare_world(tmp_path, f"sqlite+aiosqlite:///{db_path}",
                           "\n[cache]\nttl_s = 1\ndeny_ttl_s = 1\n")
    auth = {"Authorization": f"Bearer {token(config)}"}
    with run_server(tmp_path / "gateway.toml", ready_path="/readyz") as srv:
        assert httpx.get(f"{srv.url}/uploads/{PHOTO}", headers=auth).status_code == 200
        with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
            conn.execute("UPDATE chat_members SET left_at = CURRENT_TIMESTAMP"
                         " WHERE user_id = 1")
        deadline = time.monotonic() + 10
        while httpx.get(f"{srv.url}/uploads/{PHOTO}", headers=auth).status_code != 403:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        metrics = httpx.get(f"{srv.url}/metrics").text
        assert "gateway_invalidation_listener_up 0.0" in metrics
    assert "invalidation listener" not in srv.log()
