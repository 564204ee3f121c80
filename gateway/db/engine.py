"""Engine construction with connect and statement timeouts: the database may hang."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.config import DatabaseConfig


def make_engine(config: DatabaseConfig) -> AsyncEngine:
    url = make_url(config.url)
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        connect_args = {
            "timeout": config.connect_timeout_s,
            "command_timeout": config.statement_timeout_s,
            "server_settings": {
                "statement_timeout": str(int(config.statement_timeout_s * 1000)),
                "application_name": "media-gateway",
            },
        }
        options = {
            "pool_size": config.pool_size,
            "max_overflow": config.pool_size,
            "pool_timeout": config.connect_timeout_s,
            "pool_recycle": 3600,
        }
    elif url.get_backend_name() == "sqlite":
        connect_args = {"timeout": config.statement_timeout_s}
    return create_async_engine(url, connect_args=connect_args, **options)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def listen_dsn(url: str) -> str | None:
    """A libpq DSN for the LISTEN connection, or None when the database cannot notify."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
