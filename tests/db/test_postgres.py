"""The access query on the real PostgreSQL: index use, timeouts and failure modes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.app import DatabaseChecker, open_database_checker
from gateway.authz.decision import CheckUnavailable, Reason
from gateway.authz.sql import ACCESS_QUERY, SqlAccessChecker
from gateway.config import DatabaseConfig
from gateway.db.engine import make_engine
from gateway.db.migrate import upgrade

pytestmark = pytest.mark.postgres


async def _fill(url: str, messages: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO users SELECT g FROM generate_series(1, 1000) g"))
            await conn.execute(text("INSERT INTO chats SELECT g FROM generate_series(1, 100) g"))
            await conn.execute(text(
                "INSERT INTO chat_members (chat_id, user_id) "
                "SELECT (g % 100) + 1, g FROM generate_series(1, 1000) g"))
            await conn.execute(text(
                "INSERT INTO messages (id, chat_id, sender_id, attachment_path,"
                " attachment_thumb_path) SELECT g, (g % 100) + 1, (g % 1000) + 1,"
                " CASE WHEN g % 3 = 0 THEN NULL ELSE 'm/' || g || '.jpg' END,"
                " CASE WHEN g % 2 = 0 THEN 't/' || g || '.jpg' END"
                f" FROM generate_series(1, {messages}) g"))
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _explain(url: str, user_id: int, path: str) -> str:
    """EXPLAIN the query exactly as the gateway sends it: asyncpg, bound parameters."""
    compiled = ACCESS_QUERY.compile(dialect=asyncpg_dialect.dialect())
    params = {"user_id": user_id, "path": path}
    args = tuple(params[name] for name in compiled.positiontup or ())
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.exec_driver_sql("EXPLAIN " + compiled.string, args)).all()
    finally:
        await engine.dispose()
    return "\n".join(r[0] for r in rows)


def test_access_query_uses_both_partial_indexes(pg_url: str) -> None:
    upgrade(pg_url)
    asyncio.run(_fill(pg_url, 60_000))
    plan = asyncio.run(_explain(pg_url, 5, "m/12345.jpg"))
    assert "ix_messages_attachment_path" in plan, plan
    assert "ix_messages_attachment_thumb_path" in plan, plan
    assert "Seq Scan on messages" not in plan, plan


def test_generic_plan_also_uses_partial_indexes(pg_url: str) -> None:
    """asyncpg prepares statements; PostgreSQL may switch them to a generic plan."""
    upgrade(pg_url)
    asyncio.run(_fill(pg_url, 60_000))
    compiled = ACCESS_QUERY.compile(dialect=asyncpg_dialect.dialect())
    types = ", ".join("bigint" if n == "user_id" else "text" for n in compiled.positiontup or ())
    args = ", ".join("5" if n == "user_id" else "'t/2.jpg'" for n in compiled.positiontup or ())

    async def run() -> str:
        engine = create_async_engine(pg_url)
        try:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
                await conn.exec_driver_sql(f"PREPARE q ({types}) AS {compiled.string}")
                rows = (await conn.exec_driver_sql(f"EXPLAIN EXECUTE q ({args})")).all()
                return "\n".join(r[0] for r in rows)
        finally:
            await engine.dispose()

    plan = asyncio.run(run())
    assert "ix_messages_attachment_path" in plan, plan
    assert "ix_messages_attachment_thumb_path" in plan, plan


async def _open(kind: str, config: DatabaseConfig) -> DatabaseChecker:
    """Both ways the gateway can run the query: asyncpg directly, or SQLAlchemy."""
    if kind == "asyncpg":
        return await open_database_checker(config)
    return SqlAccessChecker(make_engine(config), timeout_s=config.statement_timeout_s)


CHECKERS = ["asyncpg", "sqlalchemy"]


@pytest.mark.parametrize("kind", CHECKERS)
def test_decisions_on_filled_database(pg_url: str, kind: str) -> None:
    upgrade(pg_url)
    asyncio.run(_fill(pg_url, 2_000))

    async def run() -> None:
        checker = await _open(kind, DatabaseConfig(url=pg_url))
        try:
            # message 1000 is in chat 1 ((1000 % 100) + 1); user 100 is in chat 1.
            allowed = await checker.check(100, "t/1000.jpg")
            assert allowed.allowed and allowed.reason is Reason.MEMBER
            assert allowed.chat_ids == frozenset({1})
            denied = await checker.check(101, "t/1000.jpg")
            assert denied.reason is Reason.NOT_MEMBER
            assert (await checker.check(100, "nope.jpg")).reason is Reason.NO_MESSAGE_OWNS_PATH
            await checker.ping()
        finally:
            await checker.close()

    asyncio.run(run())


@pytest.mark.parametrize("kind", CHECKERS)
def test_statement_timeout_is_check_unavailable(pg_url: str, kind: str) -> None:
    upgrade(pg_url)

    async def run() -> None:
        # One pooled connection: the one that timed out must serve the next checks.
        config = DatabaseConfig(url=pg_url, statement_timeout_s=0.5, pool_size=1)
        checker = await _open(kind, config)
        locker = create_async_engine(pg_url)
        try:
            async with locker.connect() as conn:
                # Hold an exclusive lock: the access query must give up, not hang.
                await conn.execute(text("BEGIN"))
                await conn.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
                loop = asyncio.get_running_loop()
                started = loop.time()
                with pytest.raises(CheckUnavailable):
                    await checker.check(1, "a.jpg")
                assert loop.time() - started < 2.0
                await conn.execute(text("ROLLBACK"))
            for _ in range(3):
                assert (await checker.check(1, "a.jpg")).reason is Reason.NO_MESSAGE_OWNS_PATH
        finally:
            await checker.close()
            await locker.dispose()

    asyncio.run(run())


@pytest.mark.parametrize("kind", CHECKERS)
def test_unreachable_database_is_check_unavailable(kind: str) -> None:
    async def run() -> None:
        # A port nothing listens on: connect fails fast and fails closed.
        url = "postgresql+asyncpg://postgres@127.0.0.1:1/none"
        checker = await _open(kind, DatabaseConfig(url=url, connect_timeout_s=1))
        try:
            with pytest.raises(CheckUnavailable):
                await checker.check(1, "a.jpg")
        finally:
            await checker.close()

    asyncio.run(run())
