"""Minimal auth service for nginx `auth_request`: the architecture the gateway replaces.

nginx sends it the original URI and the Authorization header; it verifies the
JWT (python-jose, HS256), runs the access query with asyncpg against the same
database and answers 204 (allow), 401 (no/bad token) or 403 (no access).
nginx's proxy_cache holds the answers for 30 s, so only misses reach here.

Run: granian --interface asgi --factory bench.auth_service:create_app
with BENCH_AUTH_DSN and BENCH_AUTH_SECRET set.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

import asyncpg
from jose import JWTError, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PREFIX = "/uploads/"
# The SPEC's access rule as one indexed query (the partial path indexes).
ACCESS_SQL = """
SELECT EXISTS (
    SELECT 1
    FROM messages m
    JOIN chat_members cm ON cm.chat_id = m.chat_id
    WHERE (m.attachment_path = $1 OR m.attachment_thumb_path = $1)
      AND m.deleted_at IS NULL
      AND cm.user_id = $2
      AND cm.left_at IS NULL
)
"""
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def create_app() -> Starlette:
    dsn = os.environ["BENCH_AUTH_DSN"]
    secret = os.environ["BENCH_AUTH_SECRET"]
    pool_size = int(os.environ.get("BENCH_AUTH_POOL_SIZE", "10"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        try:
            yield {"pool": pool}
        finally:
            await pool.close()

    async def decide(request: Request) -> Response:
        user_id = _user_id(request.headers.get("authorization", ""), secret)
        if user_id is None:
            return Response(status_code=401, headers=UNAUTHORIZED)
        path = _storage_path(request.headers.get("x-original-uri", ""))
        if path is None:
            return Response(status_code=403)
        pool: asyncpg.Pool = request.state.pool
        allowed = await pool.fetchval(ACCESS_SQL, path, user_id)
        return Response(status_code=204 if allowed else 403)

    return Starlette(routes=[Route("/auth", decide)], lifespan=lifespan)


def _user_id(authorization: str, secret: str) -> int | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=["HS256"])
    except JWTError:
        return None
    sub = claims.get("sub")
    # ASCII digits only: int() alone would accept " 1", "+1" and "1_0".
    if not isinstance(sub, str) or not sub.isascii() or not sub.isdigit():
        return None
    return int(sub)


def _storage_path(original_uri: str) -> str | None:
    """`/uploads/a/b.jpg?x` -> `a/b.jpg`; None for anything outside /uploads/ or escaping it."""
    path = unquote(original_uri.split("?", 1)[0])
    if not path.startswith(PREFIX):
        return None
    relative = path[len(PREFIX) :]
    segments = relative.split("/")
    if any(s in ("", ".", "..") for s in segments) or "\\" in relative or "\0" in relative:
        return None
    return relative
