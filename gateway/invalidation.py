"""Revocation by PostgreSQL LISTEN/NOTIFY: evict cached decisions on every worker.

Each process holds one dedicated connection (outside the pool). When it drops,
the process cannot know what it missed: it clears the cache, reconnects with
backoff, and reports itself not ready until it is listening again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import asyncpg

from gateway.authz.cached import CachedChecker
from gateway.metrics import Metrics

log = logging.getLogger("gateway.invalidation")

CHANNEL = "gateway_invalidate"
KEEPALIVE_S = 2.0
MAX_BACKOFF_S = 5.0


def apply_event(cache: CachedChecker, payload: str) -> str:
    """Evict what one notification can affect; returns its kind (for metrics)."""
    try:
        event = json.loads(payload)
        kind = event["kind"]
        if kind == "member":
            cache.evict_member(int(event["chat"]), int(event["user"]))
        elif kind == "paths":
            for path in event["paths"]:
                cache.evict_path(str(path))
        else:
            cache.clear()
    except (ValueError, KeyError, TypeError):
        # Unknown shape: the safe answer is to forget everything.
        log.warning("unreadable invalidation payload; clearing cache")
        cache.clear()
        return "unreadable"
    return str(kind)


class InvalidationListener:
    def __init__(self, dsn: str, cache: CachedChecker, metrics: Metrics, *,
                 connect_timeout_s: float) -> None:
        self._dsn = dsn
        self._cache = cache
        self._metrics = metrics
        self._connect_timeout_s = connect_timeout_s
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="invalidation-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen_once()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("invalidation listener down (%s: %s); retrying in %.1fs",
                            type(exc).__name__, exc, backoff)
            self._set_down()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout_s)
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            await conn.add_listener(CHANNEL, self._on_notify)
            # Whatever changed while we were not listening is unknown: start clean.
            self._cache.clear()
            self.connected = True
            self._metrics.listener_up.set(1)
            log.info("invalidation listener connected")
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_S)
                except TimeoutError:
                    # A silently dead TCP peer is only noticed by talking to it.
                    await conn.fetchval("SELECT 1", timeout=KEEPALIVE_S)
            raise ConnectionError("connection terminated")
        finally:
            await _close_quietly(conn)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        kind = apply_event(self._cache, payload)
        self._metrics.invalidations.labels(kind).inc()

    def _set_down(self) -> None:
        if self.connected:
            log.warning("invalidation listener lost; cache cleared, TTL is the fallback")
        self.connected = False
        self._metrics.listener_up.set(0)
        self._cache.clear()


async def _close_quietly(conn: Any) -> None:
    try:
        await asyncio.wait_for(conn.close(), 1.0)
    except Exception:
        conn.terminate()
