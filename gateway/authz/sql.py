"""The access rule as one indexed query, the same on PostgreSQL and SQLite.

User U may read path P iff some message M has P in (M.attachment_path,
M.attachment_thumb_path), M.deleted_at IS NULL, and chat_members(M.chat_id, U)
exists with left_at IS NULL. The OR of two equalities lets both databases use
the two partial indexes (PostgreSQL: BitmapOr; SQLite: OR-by-union).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, literal_column, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import BindParameter, ColumnClause

from gateway.authz.decision import CheckUnavailable, Decision, Reason
from gateway.db.engine import ping
from gateway.db.models import ChatMember, Message

# Bounds the rows read for one path (the same file forwarded into many chats).
# Rows that grant access sort first, so the bound can never refuse a member.
MAX_OWNER_ROWS = 256

_path: BindParameter[str] = bindparam("path")
_live = Message.deleted_at.is_(None)
_joined = ChatMember.user_id.is_not(None)
_current = and_(_joined, ChatMember.left_at.is_(None))
_one: ColumnClause[int] = literal_column("1")
_zero: ColumnClause[int] = literal_column("0")

ACCESS_QUERY = (
    select(
        Message.chat_id,
        case((_live, _one), else_=_zero).label("live"),
        case((_joined, _one), else_=_zero).label("joined"),
        case((_current, _one), else_=_zero).label("current"),
    )
    .select_from(Message)
    .outerjoin(
        ChatMember,
        and_(ChatMember.chat_id == Message.chat_id, ChatMember.user_id == bindparam("user_id")),
    )
    .where(or_(Message.attachment_path == _path, Message.attachment_thumb_path == _path))
    .order_by(case((and_(_live, _current), _zero), else_=_one))
    .limit(literal_column(str(MAX_OWNER_ROWS)))
)


def decide(rows: Iterable[Sequence[Any]]) -> Decision:
    """Fold the owner rows (chat_id, live, joined, current) into one Decision."""
    rows = list(rows)
    live_chats = frozenset(int(r[0]) for r in rows if r[1])
    if any(r[1] and r[3] for r in rows):
        return Decision(True, Reason.MEMBER, live_chats)
    # At the bound, a denial may not know every chat that could grant it.
    complete = len(rows) < MAX_OWNER_ROWS
    if not rows:
        reason = Reason.NO_MESSAGE_OWNS_PATH
    elif not live_chats:
        reason = Reason.MESSAGE_DELETED
    elif any(r[1] and r[2] for r in rows):
        reason = Reason.LEFT_CHAT
    else:
        reason = Reason.NOT_MEMBER
    return Decision(False, reason, live_chats, complete=complete)


class SqlAccessChecker:
    """Runs ACCESS_QUERY; any database error or timeout is CheckUnavailable."""

    def __init__(self, engine: AsyncEngine, *, timeout_s: float) -> None:
        self._engine = engine
        self._timeout_s = timeout_s

    async def check(self, user_id: int, path: str) -> Decision:
        try:
            # The timeout covers waiting for a pooled connection as well as the query.
            async with asyncio.timeout(self._timeout_s), self._engine.connect() as conn:
                result = await conn.execute(ACCESS_QUERY, {"user_id": user_id, "path": path})
                return decide(result.all())
        except (TimeoutError, SQLAlchemyError, OSError) as exc:
            raise CheckUnavailable(type(exc).__name__) from exc

    async def ping(self) -> None:
        async with asyncio.timeout(self._timeout_s):
            await ping(self._engine)

    async def close(self) -> None:
        await self._engine.dispose()
