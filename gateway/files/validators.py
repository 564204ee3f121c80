"""Validators (RFC 9110 §8.8): ETag and Last-Modified, and HTTP-date parsing."""

from __future__ import annotations

from calendar import timegm
from email.utils import formatdate, parsedate_tz


def make_etag(mtime_ns: int, size: int) -> str:
    """Strong ETag from the opened file's fstat; same file, same tag on every host."""
    return f'"{mtime_ns:x}-{size:x}"'


def http_date(epoch_s: int) -> str:
    """IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (§5.6.7)."""
    return formatdate(epoch_s, usegmt=True)


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch for any of the three §5.6.7 formats, or None."""
    if not value or len(value) > 64:
        return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    try:
        offset = parsed[9] or 0
        return timegm((*parsed[:6], 0, 1, -1)) - offset
    except (OverflowError, ValueError, TypeError):
        return None


def parse_etags(value: str) -> list[tuple[bool, str]] | None:
    """An `If-Match`/`If-None-Match` list -> [(weak, opaque-tag)]; `*` -> None.

    Malformed members are skipped, so a garbled list matches nothing.
    """
    value = value.strip(" \t")
    if value == "*":
        return None
    tags: list[tuple[bool, str]] = []
    rest = value
    while rest:
        rest = rest.lstrip(" \t,")
        if not rest:
            break
        weak = rest.startswith("W/")
        if weak:
            rest = rest[2:]
        if not rest.startswith('"'):
            cut = rest.find(",")
            rest = "" if cut < 0 else rest[cut + 1 :]
            continue
        end = rest.find('"', 1)
        if end < 0:
            break
        tags.append((weak, rest[: end + 1]))
        rest = rest[end + 1 :]
    return tags
