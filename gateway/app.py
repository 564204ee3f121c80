"""The ASGI application: /uploads/ goes straight to its handler, the rest to Starlette.

`create_app(config)` builds it; the lifespan owns every resource (database
pool, listener), so nothing lives in module globals. Tests may inject a checker or
a verifier.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gateway.auth.jwt import TokenVerifier
from gateway.authz.cached import CachedChecker
from gateway.authz.decision import AccessChecker, CheckUnavailable, Decision
from gateway.authz.pg import AsyncpgAccessChecker
from gateway.authz.sql import SqlAccessChecker
from gateway.config import Config, DatabaseConfig, load_config
from gateway.cors import Cors
from gateway.db.engine import listen_dsn, make_engine
from gateway.files.response import FileSender, Receive, Scope, Send
from gateway.handlers import PREFIX, UploadHandler
from gateway.invalidation import InvalidationListener
from gateway.metrics import CONTENT_TYPE, Metrics
from gateway.storage import Storage

log = logging.getLogger("gateway")


class Gateway:
    def __init__(
        self,
        config: Config,
        *,
        checker: AccessChecker | None = None,
        verifier: TokenVerifier | None = None,
    ) -> None:
        self.config = config
        self.metrics = Metrics()
        self.database: DatabaseChecker | None = None
        self.listener: InvalidationListener | None = None
        self._injected_checker = checker is not None
        self.cache = CachedChecker(
            checker or _NotStarted(),
            ttl_s=config.cache.ttl_s,
            deny_ttl_s=config.cache.deny_ttl_s,
            max_entries=config.cache.max_entries,
        )
        self.metrics.watch_cache(lambda: (self.cache.hits, self.cache.misses))
        self.uploads = UploadHandler(
            verifier=verifier or TokenVerifier(config.auth),
            checker=self.cache,
            storage=Storage(config.storage.root),
            sender=FileSender(
                chunk_bytes=config.storage.chunk_bytes,
                inline_max_bytes=config.storage.inline_max_bytes,
            ),
            cors=Cors(config.cors.origins, max_age_s=config.cors.max_age_s),
            metrics=self.metrics,
            cookie_name=config.auth.cookie,
            ttl_s=config.cache.ttl_s,
            retry_after_s=config.database.retry_after_s,
        )
        self.ops = Starlette(
            routes=[
                Route("/healthz", self.healthz, methods=["GET", "HEAD"]),
                Route("/readyz", self.readyz, methods=["GET", "HEAD"]),
                Route("/metrics", self.metrics_endpoint, methods=["GET"]),
            ],
            lifespan=self.lifespan,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.uploads(scope, receive, send)
        else:
            await self.ops(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    async def startup(self) -> None:
        if not self._injected_checker:
            self.database = await open_database_checker(self.config.database)
            self.cache.inner = self.database
            dsn = listen_dsn(self.config.database.url)
            if dsn is not None:
                self.listener = InvalidationListener(
                    dsn, self.cache, self.metrics,
                    connect_timeout_s=self.config.database.connect_timeout_s,
                )
                self.listener.start()
                if not await self.listener.wait_connected(self.config.database.connect_timeout_s):
                    log.warning("starting without the invalidation listener; /readyz is 503")

    async def shutdown(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        if self.database is not None:
            await self.database.close()

    async def healthz(self, _request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(self, _request: Request) -> Response:
        """Ready when the database answers and, on PostgreSQL, revocation is live."""
        problems = []
        if self.database is not None:
            try:
                await self.database.ping()
            except Exception as exc:
                problems.append(f"database: {type(exc).__name__}")
        if self.listener is not None and not self.listener.connected:
            problems.append("invalidation listener: reconnecting")
        if problems:
            log.warning("not ready: %s", "; ".join(problems))
            headers = {"Retry-After": str(self.config.database.retry_after_s)}
            return PlainTextResponse("\n".join(problems) + "\n", 503, headers=headers)
        return PlainTextResponse("ready\n")

    async def metrics_endpoint(self, _request: Request) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)


class DatabaseChecker(AccessChecker, Protocol):
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


async def open_database_checker(config: DatabaseConfig) -> DatabaseChecker:
    """asyncpg directly on PostgreSQL (the measured fast path), SQLAlchemy elsewhere."""
    if listen_dsn(config.url) is not None:
        checker = AsyncpgAccessChecker(config)
        await checker.start()
        return checker
    return SqlAccessChecker(make_engine(config), timeout_s=config.statement_timeout_s)


class _NotStarted:
    """Stands in until the lifespan has built the engine: fail closed."""

    async def check(self, user_id: int, path: str) -> Decision:
        raise CheckUnavailable("not_started")


def create_app(
    config: Config,
    *,
    checker: AccessChecker | None = None,
    verifier: TokenVerifier | None = None,
) -> Gateway:
    return Gateway(config, checker=checker, verifier=verifier)


def app_from_environment() -> Gateway:
    """Factory for ASGI servers: configuration from GATEWAY_CONFIG and GATEWAY_* variables."""
    return create_app(load_config())
