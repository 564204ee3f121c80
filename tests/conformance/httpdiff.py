"""What two servers' answers are compared on, pulled out of real responses.

An `Answer` keeps status, Content-Range, Content-Length, Accept-Ranges and the
body as parts: `(Content-Range, length, digest)` for each multipart/byteranges
part (boundaries ignored), or one `(None, length, digest)` for a plain body.
Digests keep a failing assertion readable when the body is a megabyte.

Normalised on purpose, the same for both servers:
- error bodies (412, 416, ...) are each server's own page: only status and
  Content-Range count;
- a multipart Content-Length depends on the boundary the server picked: it is
  checked against the bytes received instead of compared;
- Accept-Ranges counts on 200 only: nginx leaves it off a 206, the gateway
  keeps it; RFC 9110 §14.3 lets any response carry it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime

import httpx

Part = tuple[str | None, int, str]
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Answer:
    status: int
    content_range: str | None = None
    content_length: int | None = None
    accept_ranges: str | None = None
    parts: tuple[Part, ...] = ()


def parse_multipart(content_type: str, body: bytes) -> tuple[Part, ...]:
    """multipart/byteranges (RFC 9110 §14.6, RFC 2046 §5.1.1) -> parts, strictly framed."""
    found = _BOUNDARY.search(content_type)
    assert found, f"no boundary in {content_type!r}"
    delimiter = b"\r\n--" + found.group(1).encode()
    chunks = (b"\r\n" + body).split(delimiter)
    assert len(chunks) >= 3, "a multipart body needs two parts or more and a close"
    assert chunks[-1].startswith(b"--"), "missing close delimiter"
    parts: list[Part] = []
    for chunk in chunks[1:-1]:
        head, sep, data = chunk.partition(b"\r\n\r\n")
        assert sep, "part without a blank line after its headers"
        fields = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in
                                   head.decode("latin-1").split("\r\n")[1:])
        )
        parts.append((fields.get("content-range"), len(data), digest(data)))
    return tuple(parts)


def answer_of(r: httpx.Response) -> Answer:
    method = r.request.method
    declared = r.headers.get("content-length")
    length = int(declared) if declared is not None else None
    if r.status_code not in (200, 206):
        assert r.status_code != 304 or not r.content, "a 304 has no content"
        content_length = length if r.status_code == 304 else None
        return Answer(r.status_code, r.headers.get("content-range"), content_length)
    if method == "HEAD":
        assert not r.content, "HEAD answered with content"
    else:
        assert length == len(r.content), "Content-Length does not frame the body"
    accept_ranges = r.headers.get("accept-ranges") if r.status_code == 200 else None
    content_type = r.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/byteranges"):
        parts = () if method == "HEAD" else parse_multipart(content_type, r.content)
        return Answer(r.status_code, r.headers.get("content-range"), None, accept_ranges, parts)
    parts = () if method == "HEAD" else ((None, len(r.content), digest(r.content)),)
    return Answer(r.status_code, r.headers.get("content-range"), length, accept_ranges, parts)


@dataclass(frozen=True)
class Expect:
    """The answer RFC 9110 asks for, where it is not nginx's; last=None means size - 1."""

    status: int
    ranges: tuple[tuple[int, int | None], ...] = field(default=())

    def answer(self, data: bytes, method: str) -> Answer:
        size = len(data)
        head = method == "HEAD"
        if self.status == 200:
            parts = () if head else ((None, size, digest(data)),)
            return Answer(200, None, size, "bytes", parts)
        if self.status == 416:
            return Answer(416, f"bytes */{size}")
        if self.status != 206:
            return Answer(self.status)
        spans = [(first, size - 1 if last is None else last) for first, last in self.ranges]
        pieces = [(f"bytes {a}-{b}/{size}", b - a + 1, digest(data[a:b + 1])) for a, b in spans]
        if len(pieces) == 1:
            content_range, length, hashed = pieces[0]
            body = () if head else ((None, length, hashed),)
            return Answer(206, content_range, length, None, body)
        return Answer(206, None, None, None, () if head else tuple(pieces))


@dataclass(frozen=True)
class Validators:
    """One server's validators for one file, and the header values built from them."""

    etag: str
    last_modified: str

    @classmethod
    def of(cls, r: httpx.Response) -> Validators:
        assert r.status_code == 200, r.status_code
        return cls(r.headers["etag"], r.headers["last-modified"])

    def substitutions(self) -> dict[str, str]:
        when = parsedate_to_datetime(self.last_modified)
        seconds = int(when.timestamp())
        return {
            "{etag}": self.etag,
            "{weak}": "W/" + self.etag,
            "{lm}": self.last_modified,
            "{past}": formatdate(seconds - 100, usegmt=True),
            "{future}": formatdate(seconds + 100, usegmt=True),
            # The two obsolete HTTP-date forms a recipient MUST accept (§5.6.7).
            "{lm850}": when.strftime("%A, %d-%b-%y %H:%M:%S GMT"),
            "{lmasctime}": when.strftime("%a %b %e %H:%M:%S %Y"),
        }

    def fill(self, value: str) -> str:
        for placeholder, text in self.substitutions().items():
            value = value.replace(placeholder, text)
        return value


def without_boundary(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Headers minus Date, with a multipart boundary (random per response) blanked."""
    return sorted(
        (name, _BOUNDARY.sub("boundary=*", value) if name == "content-type" else value)
        for name, value in headers.multi_items() if name != "date"
    )
