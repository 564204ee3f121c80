"""The 0002 triggers on the real PostgreSQL: what each write notifies, and when.

A raw asyncpg connection LISTENs as a gateway would; writes come from other
connections (asyncpg, psql), in their own transactions. "Nothing arrived" is
proven with a marker: notifications are delivered in commit order, so once a
marker committed afterwards has arrived, an earlier notification would have too.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from gateway.config import Config
from gateway.db.migrate import downgrade, upgrade
from gateway.invalidation import CHANNEL

pytestmark = pytest.mark.postgres

Event = dict[str, Any]


class Inbox:
    """Notifications received on CHANNEL by one listening connection."""

    def __init__(self, writer: asyncpg.Connection) -> None:
        self.writer = writer
        self.payloads: list[str] = []
        self._markers = 0
        self._arrived = asyncio.Condition()

    def on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.payloads.append(payload)
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    async def take(self) -> list[Event]:
        """Everything committed so far (up to a fresh marker), then forget it."""
        self._markers += 1
        marker = f"marker-{self._markers}"
        await self.writer.execute("SELECT pg_notify($1, $2)", CHANNEL, marker)
        async with asyncio.timeout(10), self._arrived:
            await self._arrived.wait_for(lambda: marker in self.payloads)
        events = [_normalise(json.loads(p)) for p in self.payloads if
                  not p.startswith("marker-")]
        self.payloads.clear()
        return events


def _normalise(event: Event) -> Event:
    if "paths" in event:
        event["paths"] = sorted(event["paths"])
    return event


def member(chat: int, user: int) -> Event:
    return {"kind": "member", "chat": chat, "user": user}


def paths(*names: str) -> Event:
    return {"kind": "paths", "paths": sorted(names)}


@asynccontextmanager
async def listening(dsn: str) -> AsyncIterator[Inbox]:
    listener = await asyncpg.connect(dsn)
    writer = await asyncpg.connect(dsn)
    inbox = Inbox(writer)
    try:
        await listener.add_listener(CHANNEL, inbox.on_notify)
        yield inbox
    finally:
        await writer.close()
        await listener.close()


def run(dsn: str, scenario: Callable[[Inbox], Awaitable[None]]) -> None:
    async def main() -> None:
        async with listening(dsn) as inbox:
            await scenario(inbox)

    asyncio.run(main())


def test_membership_writes_name_chat_and_user(pg_dsn: str) -> None:
    async def scenario(inbox: Inbox) -> None:
        w = inbox.writer
        await w.execute("INSERT INTO chat_members (chat_id, user_id) VALUES (20, 5)")
        assert await inbox.take() == [member(20, 5)]
        await w.execute("UPDATE chat_members SET left_at = now() WHERE chat_id = 10"
                        " AND user_id = 1")
        assert await inbox.take() == [member(10, 1)]
        # Re-joining is a change too; touching joined_at (or left_at of someone
        # who already left) is not.
        await w.execute("UPDATE chat_members SET left_at = NULL WHERE user_id = 1")
        assert await inbox.take() == [member(10, 1)]
        await w.execute("UPDATE chat_members SET joined_at = now()")
        await w.execute("UPDATE chat_members SET left_at = now() WHERE user_id = 3")
        assert await inbox.take() == []
        await w.execute("UPDATE chat_members SET user_id = 6 WHERE chat_id = 20"
                        " AND user_id = 5")
        assert await inbox.take() == [member(20, 5), member(20, 6)]
        await w.execute("DELETE FROM chat_members WHERE chat_id = 20 AND user_id = 6")
        assert await inbox.take() == [member(20, 6)]
        # One statement, many rows: one notification per membership.
        await w.execute("UPDATE chat_members SET left_at = now() WHERE chat_id = 10"
                        " AND left_at IS NULL")
        assert sorted(await inbox.take(), key=str) == [member(10, 1), member(10, 4)]

    run(pg_dsn, scenario)


def test_message_writes_name_the_paths(pg_dsn: str) -> None:
    async def scenario(inbox: Inbox) -> None:
        w = inbox.writer
        await w.execute("INSERT INTO messages (id, chat_id, sender_id, attachment_path)"
                        " VALUES (300, 10, 1, 'c/new.jpg'), (301, 10, 1, NULL)")
        assert await inbox.take() == [paths("c/new.jpg")]
        await w.execute("UPDATE messages SET deleted_at = now() WHERE id = 100")
        assert await inbox.take() == [paths("a/photo.jpg", "a/photo_thumb.jpg")]
        await w.execute("UPDATE messages SET attachment_thumb_path = 'b/v2.jpg'"
                        " WHERE id = 200")
        assert await inbox.take() == [paths("b/video.mp4", "b/video_thumb.jpg", "b/v2.jpg")]
        await w.execute("UPDATE messages SET chat_id = 20 WHERE id = 300")
        assert await inbox.take() == [paths("c/new.jpg")]
        # Columns the decision does not read, and messages without files, are silent.
        await w.execute("UPDATE messages SET created_at = now(), sender_id = 2")
        await w.execute("UPDATE messages SET deleted_at = now() WHERE id = 301")
        await w.execute("UPDATE messages SET deleted_at = now() WHERE id = 100")
        assert await inbox.take() == []
        await w.execute("DELETE FROM messages WHERE id = 102")
        assert await inbox.take() == [paths("a/missing.jpg")]

    run(pg_dsn, scenario)


def test_truncate_and_overlong_payloads_notify_everything(pg_dsn: str) -> None:
    async def scenario(inbox: Inbox) -> None:
        w = inbox.writer
        # Four 1024-character paths of two-byte characters exceed NOTIFY's 8000
        # bytes: the write must still succeed, and every cache be told.
        long_paths = [("é" * 1000) + str(n) for n in range(4)]
        await w.execute("UPDATE messages SET attachment_path = $1,"
                        " attachment_thumb_path = $2 WHERE id = 100", *long_paths[:2])
        [event] = await inbox.take()
        assert event["kind"] == "paths"
        await w.execute("UPDATE messages SET attachment_path = $1,"
                        " attachment_thumb_path = $2 WHERE id = 100", *long_paths[2:])
        assert await inbox.take() == [{"kind": "all"}]
        await w.execute("TRUNCATE chat_members")
        assert await inbox.take() == [{"kind": "all"}]
        await w.execute("TRUNCATE messages")
        assert await inbox.take() == [{"kind": "all"}]

    run(pg_dsn, scenario)


def test_delivered_on_commit_only_never_on_rollback(pg_dsn: str) -> None:
    async def scenario(inbox: Inbox) -> None:
        other = await asyncpg.connect(pg_dsn)
        try:
            txn = other.transaction()
            await txn.start()
            await other.execute("UPDATE chat_members SET left_at = now() WHERE user_id = 1")
            assert await inbox.take() == []  # open transaction: nothing yet
            await txn.commit()
            assert await inbox.take() == [member(10, 1)]

            txn = other.transaction()
            await txn.start()
            await other.execute("UPDATE chat_members SET left_at = NULL WHERE user_id = 1")
            await other.execute("UPDATE messages SET deleted_at = now() WHERE id = 200")
            await txn.rollback()
            assert await inbox.take() == []

            # A savepoint rolled back inside a committed transaction: only the rest.
            async with other.transaction():
                await other.execute("UPDATE chat_members SET left_at = now() WHERE"
                                    " user_id = 4")
                with pytest.raises(asyncpg.UniqueViolationError):
                    async with other.transaction():
                        await other.execute("UPDATE messages SET deleted_at = now()"
                                            " WHERE id = 200")
                        await other.execute("INSERT INTO chat_members (chat_id, user_id)"
                                            " VALUES (10, 4)")
            assert await inbox.take() == [member(10, 4)]
        finally:
            await other.close()

    run(pg_dsn, scenario)


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql not installed")
def test_writes_from_another_client_in_one_transaction(pg_dsn: str) -> None:
    script = ("BEGIN;\n"
              "INSERT INTO chat_members (chat_id, user_id) VALUES (20, 6);\n"
              "UPDATE messages SET deleted_at = now() WHERE id = 103;\n"
              "COMMIT;\n")

    async def scenario(inbox: Inbox) -> None:
        done = await asyncio.to_thread(
            subprocess.run, ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", pg_dsn],
            input=script, text=True, capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert await inbox.take() == [member(20, 6), paths("a/page.html")]

    run(pg_dsn, scenario)


def test_replication_role_replica_writes_are_silent(pg_dsn: str) -> None:
    """The escape hatch the end-to-end tests use to change the database unannounced."""

    async def scenario(inbox: Inbox) -> None:
        async with inbox.writer.transaction():
            await inbox.writer.execute("SET LOCAL session_replication_role = replica")
            await inbox.writer.execute("UPDATE chat_members SET left_at = now()")
        assert await inbox.take() == []

    run(pg_dsn, scenario)


def test_downgrade_removes_the_triggers_and_upgrade_restores_them(pg_world: Config,
                                                                 pg_dsn: str) -> None:
    downgrade(pg_world.database.url, "0001")

    async def leftovers() -> list[str]:
        conn = await asyncpg.connect(pg_dsn)
        try:
            rows = await conn.fetch("SELECT proname FROM pg_proc WHERE proname LIKE 'gateway%'"
                                    " UNION ALL SELECT tgname FROM pg_trigger"
                                    " WHERE tgname LIKE 'gateway%'")
            return [r[0] for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(leftovers()) == []

    async def silent(inbox: Inbox) -> None:
        await inbox.writer.execute("UPDATE chat_members SET left_at = now()")
        assert await inbox.take() == []

    run(pg_dsn, silent)
    upgrade(pg_world.database.url)

    async def notified(inbox: Inbox) -> None:
        await inbox.writer.execute("UPDATE chat_members SET left_at = NULL WHERE user_id = 1")
        assert await inbox.take() == [member(10, 1)]

    run(pg_dsn, notified)
