"""Byte ranges (RFC 9110 §14): pure parsing and planning, no I/O."""

from __future__ import annotations

from gateway.errors import RangeNotSatisfiable

# Bounds the work one request can cause: more parts than this is served whole.
MAX_RANGES = 16
# Stands for any integer longer than 19 digits: beyond every file, so a first-pos
# that large is unsatisfiable and a last-pos or suffix that large covers the file.
SATURATED = 10**19

ByteRange = tuple[int, int]  # (first, last), both inclusive


def parse_int(text: str) -> int | None:
    """Strict header integer: ASCII digits only (no sign, space, `_` or Unicode digits).

    §14.1.1 puts no bound on 1*DIGIT, so a longer number saturates instead of
    failing (and never costs a big-integer conversion).
    """
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0")
    return SATURATED if len(digits) > 19 else int(digits or "0")


def parse_range_set(header: str) -> list[tuple[int | None, int | None]] | None:
    """`bytes=a-b, -n, c-` -> [(a, b), (None, n), (c, None)], or None if invalid.

    §14.2: a server MAY ignore Range; unknown units and syntax errors are ignored
    (the full representation is sent), not answered with 400 or 416.
    """
    unit, sep, ranges = header.partition("=")
    if not sep or unit.lower() != "bytes":  # §14.1: no whitespace around "="
        return None
    specs: list[tuple[int | None, int | None]] = []
    for raw in ranges.split(","):
        spec = raw.strip(" \t")
        if not spec:
            continue  # §5.6.1: empty list elements are tolerated
        first_text, dash, last_text = spec.partition("-")
        if not dash:
            return None
        first = parse_int(first_text) if first_text else None
        last = parse_int(last_text) if last_text else None
        if (first_text and first is None) or (last_text and last is None):
            return None
        if first is None and last is None:
            return None
        if first is not None and last is not None and last < first:
            return None  # §14.1.1: invalid int-range makes the whole set invalid
        specs.append((first, last))
        if len(specs) > 4 * MAX_RANGES:
            return None
    return specs or None


def plan_ranges(header: str | None, size: int) -> list[ByteRange] | None:
    """Ranges to send, coalesced, in request order; None means the whole file (200).

    Raises RangeNotSatisfiable (416) only when the set is valid and no range
    overlaps the file (§14.1.1). Overlapping or adjacent ranges are coalesced
    (§15.3.7.2 allows it) so a body is never larger than the file plus framing.
    """
    if header is None or size == 0:
        return None  # §14.2: a server MAY ignore Range when the representation is empty
    specs = parse_range_set(header)
    if specs is None:
        return None
    satisfiable: list[ByteRange] = []
    for first, last in specs:
        if first is None:
            assert last is not None
            if last > 0:  # a zero-length suffix is unsatisfiable
                satisfiable.append((max(0, size - last), size - 1))
        elif first < size:
            satisfiable.append((first, size - 1 if last is None else min(last, size - 1)))
    if not satisfiable:
        raise RangeNotSatisfiable(size)
    merged = coalesce(satisfiable)
    if len(merged) > MAX_RANGES:
        return None
    return in_request_order(merged, satisfiable)


def coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    """Merge overlapping and adjacent ranges, in ascending order."""
    merged: list[ByteRange] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def in_request_order(merged: list[ByteRange], requested: list[ByteRange]) -> list[ByteRange]:
    """§15.3.7.2: parts SHOULD follow the order of the range-specs that asked for them.

    Each merged part takes the place of the earliest requested range inside it.
    """
    def earliest(part: ByteRange) -> int:
        return min(i for i, (first, last) in enumerate(requested)
                   if part[0] <= first and last <= part[1])
    return sorted(merged, key=earliest)
