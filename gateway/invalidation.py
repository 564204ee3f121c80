"""Revocation by PostgreSQL LISTEN/NOTIFY: evict cached decisions on every worker.

Each process holds one dedicated connection (outside the pool). When it drops,
the process cannot know what it missed: it clears the cache, reconnects with
backoff, and reports itself not ready until it is listening again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import asyncpg

from gateway.authz.cached import CachedChecker
from gateway.metrics import Metrics

log = logging.getLogger("gateway.invalidation")

CHANNEL = "gateway_invalidate"
# Shown in pg_stat_activity, so operators (and tests) can find these connections.
APPLICATION_NAME = "media-gateway-listener"
KEEPALIVE_S = 2.0
MIN_BACKOFF_S = 0.1
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

    async def wait_connected(self, timeout_s: float) -> bool:
        """Give start-up a moment to listen, so a new worker is ready from its first request."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not self.connected and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        return self.connected

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        backoff_s = MIN_BACKOFF_S
        while True:
            try:
                await self._listen_once()
            except Exception as exc:
                if self.connected:
                    backoff_s = MIN_BACKOFF_S  # it was up: the first retry is quick
                log.warning("invalidation listener down (%s: %s); retrying in %.1fs",
                            type(exc).__name__, exc, backoff_s)
            self._set_down()
            # Jitter: every worker of every host reconnects after a database restart.
            await asyncio.sleep(backoff_s * random.uniform(0.5, 1.0))
            backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, timeout=self._connect_timeout_s,
            server_settings={"application_name": APPLICATION_NAME},
        )
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
            log.warning("invalidation listener lost; cache cleared until it is back")
        self.connected = False
        self._metrics.listener_up.set(0)
        # Also after every failed attempt: while nobody listens, nothing cached
        # outlives the next retry (at most MAX_BACKOFF_S), well within the TTL.
        self._cache.clear()


async def _close_quietly(conn: Any) -> None:
    try:
        await asyncio.wait_for(conn.close(), 1.0)
    except Exception:
        conn.terminate()
