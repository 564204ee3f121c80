"""CORS for listed origins only: the exact origin echoed, with credentials, never `*`."""

from __future__ import annotations

Headers = list[tuple[bytes, bytes]]

EXPOSED = b"Content-Range, Content-Disposition, ETag, Accept-Ranges, Content-Length"
ALLOWED_REQUEST_HEADERS = (
    b"Authorization, Range, If-Match, If-None-Match, If-Modified-Since, "
    b"If-Unmodified-Since, If-Range"
)


class Cors:
    """Precomputed header lists per allowed origin; nothing at all when unconfigured."""

    def __init__(self, origins: tuple[str, ...], *, max_age_s: int) -> None:
        self.enabled = bool(origins)
        self._simple: dict[str, Headers] = {}
        self._preflight: dict[str, Headers] = {}
        for origin in origins:
            base = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin"),
            ]
            self._simple[origin] = [*base, (b"access-control-expose-headers", EXPOSED)]
            self._preflight[origin] = [
                *base,
                (b"access-control-allow-methods", b"GET, HEAD"),
                (b"access-control-allow-headers", ALLOWED_REQUEST_HEADERS),
                (b"access-control-max-age", str(max_age_s).encode()),
            ]
        # Responses differ by Origin whenever CORS is on, even for unlisted origins.
        self._vary_only: Headers = [(b"vary", b"Origin")] if self.enabled else []

    def headers_for(self, origin: str | None) -> Headers:
        if origin is None:
            return self._vary_only
        return self._simple.get(origin, self._vary_only)

    def preflight_headers(self, origin: str) -> Headers | None:
        """Headers for an allowed preflight, or None when the origin is not listed."""
        return self._preflight.get(origin)
