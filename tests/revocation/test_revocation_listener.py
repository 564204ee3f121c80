"""InvalidationListener in-process against the real PostgreSQL: evicts, survives drops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg
import pytest
from revocation_support import TERMINATE_LISTENERS, admin_dsn
from sqlalchemy.engine import make_url

from gateway.app import Gateway
from gateway.config import Config
from gateway.invalidation import APPLICATION_NAME

pytestmark = pytest.mark.postgres

async def until(condition: Callable[[], bool], bound_s: float = 10.0) -> None:
    async with asyncio.timeout(bound_s):
        while not condition():
            await asyncio.sleep(0.01)


def test_listener_evicts_then_recovers_from_a_dropped_connection(
    pg_world: Config, pg_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.invalidation")
    database = make_url(pg_world.database.url).database

    async def scenario() -> None:
        gateway = Gateway(pg_world)
        cache = gateway.cache
        writer = await asyncpg.connect(pg_dsn)
        admin = await asyncpg.connect(admin_dsn())
        await gateway.startup()
        try:
            assert gateway.listener is not None
            listener = gateway.listener
            await until(lambda: listener.connected)
            assert (await cache.check(1, "a/photo.jpg")).allowed
            await writer.execute("UPDATE chat_members SET left_at = now() WHERE user_id = 1")
            await until(lambda: len(cache) == 0)
            assert not (await cache.check(1, "a/photo.jpg")).allowed

            # The connection drops while the database refuses new ones: down, cache
            # empty, retrying with backoff until it is allowed back.
            assert (await cache.check(4, "a/photo.jpg")).allowed
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            assert await writer.fetchval(TERMINATE_LISTENERS, APPLICATION_NAME) == 1
            await until(lambda: not listener.connected)
            assert len(cache) == 0
            await asyncio.sleep(0.5)
            assert not listener.connected
            assert "retrying" in caplog.text
            assert (await cache.check(4, "a/photo.jpg")).allowed  # cached meanwhile
            await writer.execute("UPDATE chat_members SET left_at = now() WHERE user_id = 4")
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await until(lambda: listener.connected)
            # What changed while nobody listened is unknown: everything was dropped.
            assert len(cache) == 0
            assert not (await cache.check(4, "a/photo.jpg")).allowed
            assert "invalidation listener lost" in caplog.text
            assert caplog.text.count("invalidation listener connected") == 2
            assert b"gateway_invalidation_listener_up 1.0" in gateway.metrics.render()
        finally:
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await gateway.shutdown()
            await admin.close()
            await writer.close()

    asyncio.run(scenario())


def test_listener_counts_events_by_kind(pg_world: Config, pg_dsn: str) -> None:
    async def scenario() -> None:
        gateway = Gateway(pg_world)
        writer = await asyncpg.connect(pg_dsn)
        await gateway.startup()
        try:
            assert gateway.listener is not None
            listener = gateway.listener
            await until(lambda: listener.connected)
            await writer.execute("INSERT INTO chat_members (chat_id, user_id) VALUES (20, 5)")
            await writer.execute("UPDATE messages SET deleted_at = now() WHERE id = 200")
            await writer.execute("SELECT pg_notify('gateway_invalidate', 'garbage')")
            registry = gateway.metrics.registry

            def seen(kind: str) -> float | None:
                return registry.get_sample_value("gateway_invalidations_total", {"kind": kind})

            await until(lambda: seen("unreadable") == 1)
            assert (seen("member"), seen("paths")) == (1, 1)
        finally:
            await gateway.shutdown()
            await writer.close()

    asyncio.run(scenario())
