"""A scratch PostgreSQL database for one bench run: created, filled by COPY, dropped.

The schema comes from `gateway migrate` (the real migrations, triggers included);
bench/schema.sql is only a fallback so the baselines run without the gateway.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.world import World

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")


@dataclass(frozen=True, slots=True)
class Database:
    name: str
    dsn: str  # for asyncpg / psql

    @property
    def sqlalchemy_url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


def admin_dsn() -> str:
    return os.environ.get("BENCH_PG_DSN", DEFAULT_ADMIN_DSN)


@contextmanager
def scratch_database(admin: str) -> Iterator[Database]:
    """CREATE DATABASE gateway_bench_<pid>; DROP it on exit, whatever happened."""
    name = f"gateway_bench_{os.getpid()}"
    parts = urlsplit(admin)
    database = Database(name=name, dsn=urlunsplit(parts._replace(path=f"/{name}")))
    asyncio.run(_admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield database
    finally:
        # FORCE: servers we killed may leave connections behind for a moment.
        asyncio.run(_admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin_execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def apply_fallback_schema(database: Database) -> None:
    # Start from an empty schema: a failed migration may have left tables behind.
    reset = "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
    asyncio.run(_admin_execute(database.dsn, reset + SCHEMA_SQL.read_text()))


def server_version(dsn: str) -> str:
    async def query() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(query())


def populate(database: Database, world: World) -> None:
    """Bulk-load the world with COPY (a few seconds for ~160k rows), then ANALYZE."""
    asyncio.run(_populate(database.dsn, world))


async def _populate(dsn: str, world: World) -> None:
    now = dt.datetime.now(dt.UTC)
    joined = now - dt.timedelta(days=30)
    left = now - dt.timedelta(days=1)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "users", records=[(u,) for u in range(1, world.user_count + 1)], columns=["id"]
            )
            await conn.copy_records_to_table(
                "chats", records=[(c,) for c in range(1, world.chat_count + 1)], columns=["id"]
            )
            await conn.copy_records_to_table(
                "chat_members",
                records=[
                    (m.chat_id, m.user_id, joined, left if m.left else None)
                    for m in world.memberships
                ],
                columns=["chat_id", "user_id", "joined_at", "left_at"],
            )
            await conn.copy_records_to_table(
                "messages",
                records=[
                    (
                        m.id,
                        m.chat_id,
                        m.sender_id,
                        m.attachment_path,
                        m.thumb_path,
                        joined,
                        left if m.deleted else None,
                    )
                    for m in world.messages
                ],
                columns=[
                    "id",
                    "chat_id",
                    "sender_id",
                    "attachment_path",
                    "attachment_thumb_path",
                    "created_at",
                    "deleted_at",
                ],
            )
        # Fresh statistics so both contenders get the same (good) plans.
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
