"""Per-file-version response metadata, computed once rather than per request.

Keyed on (real path, mtime_ns, size) from the `fstat` of the opened file, so a
changed file gets fresh validators the moment it changes, and an unchanged one
costs a dict lookup instead of date formatting and type guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.files.types import ContentTypes
from gateway.files.validators import http_date, make_etag
from gateway.storage import OpenFile

Headers = list[tuple[bytes, bytes]]

MAX_ENTRIES = 8192
ATTACHMENT: Headers = [
    (b"content-disposition", b"attachment"),
    (b"content-security-policy", b"default-src 'none'; sandbox"),
]


@dataclass(frozen=True, slots=True)
class Representation:
    etag: str
    etag_bytes: bytes
    mtime_s: int
    content_type: str
    # Last-Modified, Accept-Ranges and, for active types, the attachment headers.
    headers: Headers
    # The same plus Content-Type and Content-Length, for a whole-file 200.
    whole_headers: Headers


class Representations:
    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self._types = ContentTypes()
        self._max_entries = max_entries
        self._cache: dict[tuple[str, int, int], Representation] = {}

    def of(self, f: OpenFile) -> Representation:
        key = (f.path, f.mtime_ns, f.size)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            found = self._cache[key] = self._build(f)
        return found

    def _build(self, f: OpenFile) -> Representation:
        etag = make_etag(f.mtime_ns, f.size)
        mtime_s = f.mtime_ns // 1_000_000_000
        content_type, attachment = self._types.lookup(f.path)
        headers = [(b"last-modified", http_date(mtime_s).encode()), (b"accept-ranges", b"bytes")]
        if attachment:
            headers += ATTACHMENT
        whole = [*headers, (b"content-type", content_type.encode()),
                 (b"content-length", b"%d" % f.size)]
        return Representation(etag, etag.encode(), mtime_s, content_type, headers, whole)
