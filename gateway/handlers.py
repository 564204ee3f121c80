"""The /uploads/ request flow, readable top to bottom in `UploadHandler.serve`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from gateway.auth.bearer import token_from_headers
from gateway.auth.jwt import Principal, TokenVerifier
from gateway.authz.cached import CachedChecker
from gateway.authz.decision import CheckUnavailable
from gateway.cors import Cors
from gateway.errors import (
    BadRequest,
    Forbidden,
    HTTPError,
    MethodNotAllowed,
    PreconditionFailed,
    ServiceUnavailable,
)
from gateway.files.conditional import Outcome, evaluate, if_range_allows
from gateway.files.ranges import plan_ranges
from gateway.files.representation import Representations
from gateway.files.response import FileSender, Headers, Receive, Scope, Send, ShortRead
from gateway.http_headers import RequestHeaders
from gateway.metrics import Metrics
from gateway.storage import OpenFile, Storage, check_relative_path

log = logging.getLogger("gateway.access")

PREFIX = "/uploads/"
NOSNIFF = (b"x-content-type-options", b"nosniff")
ERROR_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"cache-control", b"no-store"),
    NOSNIFF,
]


class UploadHandler:
    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        checker: CachedChecker,
        storage: Storage,
        sender: FileSender,
        cors: Cors,
        metrics: Metrics,
        cookie_name: str,
        ttl_s: float,
        retry_after_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.verifier = verifier
        self.checker = checker
        self.storage = storage
        self.sender = sender
        self.cors = cors
        self.metrics = metrics
        self.cookie_name = cookie_name
        self.ttl_s = ttl_s
        self.retry_after_s = retry_after_s
        self.clock = clock
        self.representations = Representations()
        self._cache_control: dict[int, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        req = RequestHeaders.from_scope(scope)
        cors = self.cors.headers_for(req.origin)
        try:
            status = await self.serve(scope, receive, send, req, cors)
        except CheckUnavailable as exc:
            status = await self.refuse(scope, send, cors, ServiceUnavailable(
                f"database_{exc}", retry_after_s=self.retry_after_s))
        except HTTPError as exc:
            status = await self.refuse(scope, send, cors, exc)
        except ShortRead:
            # Headers are out: the only honest ending is an incomplete response.
            log.warning("file changed while sending path=%r", scope["path"])
            status = 0
        self.metrics.count_response(status)

    async def serve(
        self, scope: Scope, receive: Receive, send: Send, req: RequestHeaders, cors: Headers
    ) -> int:
        method = scope["method"]
        if method == "OPTIONS" and req.origin and req.acr_method:
            return await self.preflight(send, req.origin)
        if method not in ("GET", "HEAD"):
            raise MethodNotAllowed("method_not_allowed")
        if req.oversized:
            raise BadRequest("header_too_large")
        relative = check_relative_path(scope["path"][len(PREFIX):])
        token = token_from_headers(
            req.authorization, req.cookie, req.sec_fetch_site, self.cookie_name
        )
        principal = self.verifier.verify(token)
        max_age_s = min(self.ttl_s, principal.expires_at - self.clock())
        decision = self.checker.lookup(principal.user_id, relative) or await self.checker.check(
            principal.user_id, relative, max_age_s)
        if not decision.allowed:
            raise Forbidden(decision.reason)
        with self.storage.open(relative) as f:
            return await self.respond(scope, receive, send, req, f, principal, cors, max_age_s)

    async def respond(
        self, scope: Scope, receive: Receive, send: Send, req: RequestHeaders,
        f: OpenFile, principal: Principal, cors: Headers, max_age_s: float,
    ) -> int:
        """Preconditions and ranges, only ever after authorization (§13.2.2 order)."""
        rep = self.representations.of(f)
        # §15.4.5: a 304 repeats ETag, Cache-Control and Vary, not representation metadata.
        headers = [(b"etag", rep.etag_bytes), (b"cache-control", self.cache_control(max_age_s)),
                   *cors, NOSNIFF]
        if req.has_preconditions():
            outcome = evaluate(req.conditions(), rep.etag, rep.mtime_s)
            if outcome is Outcome.NOT_MODIFIED:
                await _send_empty(send, 304, headers)
                return 304
            if outcome is Outcome.PRECONDITION_FAILED:
                raise PreconditionFailed("precondition_failed")
        head = scope["method"] == "HEAD"
        ranges = None
        if req.range is not None and if_range_allows(req.if_range, rep.etag, rep.mtime_s):
            ranges = plan_ranges(req.range, f.size)
        if ranges is None:
            headers += rep.whole_headers
            if head:
                await _send_empty(send, 200, headers)
            else:
                await self.sender.whole(scope, receive, send, f, 200, headers)
            return 200
        headers += rep.headers
        heads, tail = self.sender.plan_parts(ranges, f.size, rep.content_type, headers)
        if head:
            await _send_empty(send, 206, headers)
        else:
            await self.sender.ranges(receive, send, f, headers, ranges, heads, tail)
        return 206

    async def preflight(self, send: Send, origin: str) -> int:
        headers = self.cors.preflight_headers(origin)
        if headers is None:
            raise MethodNotAllowed("cors_origin_not_allowed")
        await _send_empty(send, 204, headers)
        return 204

    async def refuse(self, scope: Scope, send: Send, cors: Headers, exc: HTTPError) -> int:
        log.info("refused status=%d reason=%s method=%s path=%r", exc.status, exc.reason,
                 scope["method"], scope["path"])
        self.metrics.denials.labels(exc.reason or exc.__class__.__name__).inc()
        body = b"" if scope["method"] == "HEAD" else exc.body
        headers = [*ERROR_HEADERS, *exc.headers(), *cors,
                   (b"content-length", b"%d" % len(exc.body))]
        await send({"type": "http.response.start", "status": exc.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return exc.status

    def cache_control(self, max_age_s: float) -> bytes:
        """`private` always; max-age never beyond the decision TTL or the token's life."""
        seconds = max(0, int(max_age_s))
        value = self._cache_control.get(seconds)
        if value is None:
            value = self._cache_control[seconds] = b"private, max-age=%d" % seconds
        return value


async def _send_empty(send: Send, status: int, headers: Headers) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
