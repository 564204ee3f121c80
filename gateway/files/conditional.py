"""Preconditions (RFC 9110 §13), evaluated in §13.2.2 order; pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from gateway.files.validators import parse_etags, parse_http_date


class Outcome(Enum):
    PROCEED = 200
    NOT_MODIFIED = 304
    PRECONDITION_FAILED = 412


@dataclass(frozen=True, slots=True)
class Conditions:
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None
    if_range: str | None = None


def _matches(header: str, etag: str, *, weak: bool) -> bool:
    tags = parse_etags(header)
    if tags is None:
        return True  # `*`: any current representation
    if weak:  # §8.8.3.2 weak comparison: opaque tags equal, W/ ignored
        return any(tag == etag for _, tag in tags)
    return any(not is_weak and tag == etag for is_weak, tag in tags)


def evaluate(c: Conditions, etag: str, mtime_s: int) -> Outcome:
    """§13.2.2 steps 1-4 for GET/HEAD on a representation that exists."""
    if c.if_match is not None:
        if not _matches(c.if_match, etag, weak=False):
            return Outcome.PRECONDITION_FAILED
    elif c.if_unmodified_since is not None:
        date = parse_http_date(c.if_unmodified_since)
        if date is not None and mtime_s > date:
            return Outcome.PRECONDITION_FAILED
    if c.if_none_match is not None:
        if _matches(c.if_none_match, etag, weak=True):
            return Outcome.NOT_MODIFIED
    elif c.if_modified_since is not None:
        date = parse_http_date(c.if_modified_since)
        if date is not None and mtime_s <= date:
            return Outcome.NOT_MODIFIED
    return Outcome.PROCEED


def if_range_allows(if_range: str | None, etag: str, mtime_s: int) -> bool:
    """§13.1.5: honour Range only if the validator still matches (strongly)."""
    if if_range is None:
        return True
    value = if_range.strip(" \t")
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False  # a weak tag never validates a range
    date = parse_http_date(value)
    return date is not None and date == mtime_s
