"""The gateway's exception tree: the only place statuses and error headers are chosen.

HTTPError
 ├─ BadRequest            400  malformed request path
 ├─ Unauthorized          401  missing or invalid token (carries the RFC 6750 error)
 ├─ Forbidden             403  valid token, no access (carries the reason id)
 ├─ NotFound              404  no such file inside the storage root
 ├─ MethodNotAllowed      405
 ├─ PreconditionFailed    412
 ├─ RangeNotSatisfiable   416  (carries the file size for Content-Range)
 └─ ServiceUnavailable    503  database down or too slow (carries Retry-After)
"""

from __future__ import annotations


class HTTPError(Exception):
    status = 500
    body = b"internal error\n"

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.__class__.__name__)
        self.reason = reason

    def headers(self) -> list[tuple[bytes, bytes]]:
        return []


class BadRequest(HTTPError):
    status = 400
    body = b"bad request\n"


class Unauthorized(HTTPError):
    status = 401
    body = b"unauthorized\n"

    def __init__(self, reason: str, *, token_sent: bool) -> None:
        super().__init__(reason)
        self.token_sent = token_sent

    def headers(self) -> list[tuple[bytes, bytes]]:
        # RFC 6750 §3.1: error="invalid_token" only when a token was presented.
        value = b'Bearer error="invalid_token"' if self.token_sent else b"Bearer"
        return [(b"www-authenticate", value)]


class Forbidden(HTTPError):
    status = 403
    body = b"forbidden\n"


class NotFound(HTTPError):
    status = 404
    body = b"not found\n"


class MethodNotAllowed(HTTPError):
    status = 405
    body = b"method not allowed\n"

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"allow", b"GET, HEAD")]


class PreconditionFailed(HTTPError):
    status = 412
    body = b"precondition failed\n"


class RangeNotSatisfiable(HTTPError):
    status = 416
    body = b"range not satisfiable\n"

    def __init__(self, size: int) -> None:
        super().__init__("range_not_satisfiable")
        self.size = size

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"content-range", b"bytes */%d" % self.size)]


class ServiceUnavailable(HTTPError):
    status = 503
    body = b"service unavailable\n"

    def __init__(self, reason: str, *, retry_after_s: int = 2) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"retry-after", str(self.retry_after_s).encode())]
