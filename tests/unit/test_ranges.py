"""gateway/files/ranges.py: RFC 9110 §14 byte ranges as tables."""

from __future__ import annotations

import pytest

from gateway.errors import RangeNotSatisfiable
from gateway.files.ranges import (
    MAX_RANGES,
    SATURATED,
    coalesce,
    in_request_order,
    parse_int,
    parse_range_set,
    plan_ranges,
)

# --- parse_int: strict header integers -------------------------------------------------

PARSE_INT = [
    ("0", 0, "zero"),
    ("7", 7, "digit"),
    ("007", 7, "leading-zeros"),
    ("1234567890", 1234567890, "ten-digits"),
    ("9" * 19, 9_999_999_999_999_999_999, "nineteen-digits"),
    # §14.1.1 bounds no digit count: longer numbers saturate beyond any file size.
    ("9" * 20, SATURATED, "twenty-digits-saturate"),
    ("1" * 4300, SATURATED, "huge-saturates"),
    ("", None, "empty"),
    ("+1", None, "plus-sign"),
    ("-1", None, "minus-sign"),
    (" 1", None, "leading-space"),
    ("1 ", None, "trailing-space"),
    ("\t1", None, "leading-tab"),
    ("1_0", None, "underscore"),
    ("1.0", None, "decimal-point"),
    ("1e3", None, "exponent"),
    ("0x10", None, "hex"),
    ("\u0661", None, "arabic-indic-digit"),
    ("\uff11", None, "fullwidth-digit"),
    ("\u00b2", None, "superscript-two"),
    ("1\u0661", None, "mixed-ascii-and-unicode"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [p[:2] for p in PARSE_INT], ids=[p[2] for p in PARSE_INT]
)
def test_parse_int(text: str, expected: int | None) -> None:
    assert parse_int(text) == expected


# --- parse_range_set: syntax only, no file size ----------------------------------------

N = None
PARSE_SET = [
    ("bytes=0-499", [(0, 499)], "single"),
    ("bytes=0-0", [(0, 0)], "one-byte"),
    ("bytes=500-", [(500, N)], "open-ended"),
    ("bytes=0-", [(0, N)], "open-ended-from-zero"),
    ("bytes=-500", [(N, 500)], "suffix"),
    ("bytes=-0", [(N, 0)], "zero-length-suffix-is-valid-syntax"),
    ("bytes=0-1,5-9,-3", [(0, 1), (5, 9), (N, 3)], "multiple-kept-in-order"),
    ("bytes=5-9,0-1", [(5, 9), (0, 1)], "unsorted-kept-in-order"),
    ("bytes=0-1, 5-9", [(0, 1), (5, 9)], "space-after-comma"),
    ("bytes=0-1 ,\t5-9", [(0, 1), (5, 9)], "ows-around-elements"),
    ("bytes=0-1,,5-9", [(0, 1), (5, 9)], "empty-element-tolerated"),
    ("bytes=,0-1,", [(0, 1)], "leading-and-trailing-empty-elements"),
    ("BYTES=0-1", [(0, 1)], "unit-case-insensitive"),
    ("Bytes=0-1", [(0, 1)], "unit-mixed-case"),
    ("bytes=007-010", [(7, 10)], "leading-zeros"),
    ("items=0-1", N, "unknown-unit"),
    ("none", N, "none-unit-without-equals"),
    ("bytes 0-1", N, "no-equals"),
    ("bytes0-1", N, "unit-glued"),
    ("=0-1", N, "empty-unit"),
    ("bytes=", N, "empty-set"),
    ("bytes=,", N, "only-commas"),
    ("bytes=   ", N, "only-whitespace"),
    ("bytes=-", N, "bare-dash"),
    ("bytes=5", N, "no-dash"),
    ("bytes=5-1", N, "last-before-first"),
    ("bytes=0-1,5-1", N, "one-invalid-spec-invalidates-set"),
    ("bytes=--1", N, "double-dash"),
    ("bytes=1-2-3", N, "two-dashes"),
    ("bytes=+1-2", N, "plus-on-first"),
    ("bytes=1-+2", N, "plus-on-last"),
    ("bytes=-+2", N, "plus-on-suffix"),
    ("bytes=1 -2", N, "space-inside-before-dash"),
    ("bytes=1- 2", N, "space-inside-after-dash"),
    ("bytes=1_0-20", N, "underscore-first"),
    ("bytes=0-1_0", N, "underscore-last"),
    ("bytes=1.5-2", N, "decimal"),
    ("bytes=\u0661-2", N, "arabic-indic-first"),
    ("bytes=0-\u0662", N, "arabic-indic-last"),
    ("bytes=-\u0663", N, "arabic-indic-suffix"),
    ("bytes=0-" + "9" * 20, [(0, SATURATED)], "huge-last"),
    ("bytes=" + "9" * 20 + "-", [(SATURATED, None)], "huge-first"),
    ("bytes=-" + "9" * 20, [(None, SATURATED)], "huge-suffix"),
    ("bytes =0-1", N, "space-before-equals"),
    ("bytes=0x10-0x20", N, "hex"),
    ("bytes=a-b", N, "letters"),
    ("bytes=0-1;q=1", N, "parameters"),
]


@pytest.mark.parametrize(
    ("header", "expected"), [p[:2] for p in PARSE_SET], ids=[p[2] for p in PARSE_SET]
)
def test_parse_range_set(header: str, expected: list[tuple[int | None, int | None]] | None) -> None:
    assert parse_range_set(header) == expected


def test_parse_range_set_bounds_the_number_of_specs() -> None:
    allowed = ",".join(f"{i}-{i}" for i in range(4 * MAX_RANGES))
    assert parse_range_set("bytes=" + allowed) is not None
    too_many = ",".join(f"{i}-{i}" for i in range(4 * MAX_RANGES + 1))
    assert parse_range_set("bytes=" + too_many) is None


# --- plan_ranges: against a file size --------------------------------------------------

PLAN = [
    # (header, size, expected, id)
    (None, 100, None, "no-range-header"),
    ("bytes=0-0", 100, [(0, 0)], "first-byte"),
    ("bytes=0-49", 100, [(0, 49)], "first-half"),
    ("bytes=50-99", 100, [(50, 99)], "second-half-exact-end"),
    ("bytes=99-99", 100, [(99, 99)], "last-byte"),
    ("bytes=0-", 100, [(0, 99)], "open-ended-whole"),
    ("bytes=90-", 100, [(90, 99)], "open-ended-tail"),
    ("bytes=99-", 100, [(99, 99)], "open-ended-last-byte"),
    ("bytes=-10", 100, [(90, 99)], "suffix"),
    ("bytes=-1", 100, [(99, 99)], "suffix-one"),
    ("bytes=-100", 100, [(0, 99)], "suffix-exact-size"),
    ("bytes=-1000", 100, [(0, 99)], "suffix-longer-than-file-clamped"),
    ("bytes=50-1000", 100, [(50, 99)], "end-beyond-size-clamped"),
    ("bytes=0-" + "9" * 19, 100, [(0, 99)], "end-19-digits-clamped"),
    ("bytes=0-1,10-19", 100, [(0, 1), (10, 19)], "two-disjoint"),
    ("bytes=10-19,0-1", 100, [(10, 19), (0, 1)], "two-disjoint-request-order"),
    ("bytes=0-9,5-14", 100, [(0, 14)], "overlapping-merged"),
    ("bytes=0-9,10-19", 100, [(0, 19)], "adjacent-merged"),
    ("bytes=0-9,11-19", 100, [(0, 9), (11, 19)], "one-byte-gap-kept-apart"),
    ("bytes=0-99,0-99,0-99", 100, [(0, 99)], "repeated-whole-file-once"),
    ("bytes=0-,-50", 100, [(0, 99)], "open-ended-and-suffix-overlap"),
    ("bytes=-10,0-4", 100, [(90, 99), (0, 4)], "suffix-and-head"),
    ("bytes=20-29,0-4,25-40", 100, [(20, 40), (0, 4)], "three-unsorted-two-merge"),
    ("bytes=0-4,200-300", 100, [(0, 4)], "unsatisfiable-part-dropped"),
    ("bytes=0-4,-0", 100, [(0, 4)], "zero-suffix-part-dropped"),
    ("bytes=0-1,,4-5", 100, [(0, 1), (4, 5)], "empty-element"),
    ("items=0-1", 100, None, "unknown-unit-ignored"),
    ("bytes=5-1", 100, None, "invalid-range-ignored"),
    ("bytes=0-1,garbage", 100, None, "garbage-element-ignores-set"),
    ("bytes=", 100, None, "empty-set-ignored"),
    ("bytes=x", 0, None, "malformed-on-empty-file-ignored"),
    ("bytes=\u0661-", 100, None, "unicode-digit-ignored"),
    ("bytes=1_0-20", 100, None, "underscore-ignored"),
    # §14.2: a server MAY ignore Range on an empty representation (nginx does): 200.
    ("bytes=0-", 0, None, "open-ended-on-empty-file"),
    ("bytes=0-0", 0, None, "first-byte-of-empty-file"),
    ("bytes=-0", 0, None, "zero-suffix-on-empty-file"),
]


@pytest.mark.parametrize(
    ("header", "size", "expected"), [p[:3] for p in PLAN], ids=[p[3] for p in PLAN]
)
def test_plan_ranges(header: str | None, size: int, expected: list[tuple[int, int]] | None) -> None:
    assert plan_ranges(header, size) == expected


UNSATISFIABLE = [
    ("bytes=100-", 100, "open-ended-at-size"),
    ("bytes=100-199", 100, "starts-at-size"),
    ("bytes=500-600", 100, "starts-beyond-size"),
    ("bytes=-0", 100, "zero-length-suffix"),
    ("bytes=-0,100-", 100, "all-parts-unsatisfiable"),
    ("bytes=" + "9" * 19 + "-", 100, "huge-but-parseable-first"),
    ("bytes=" + "1" * 20 + "-", 100, "huge-first-saturates-beyond-size"),
]


@pytest.mark.parametrize(
    ("header", "size"), [u[:2] for u in UNSATISFIABLE], ids=[u[2] for u in UNSATISFIABLE]
)
def test_plan_ranges_unsatisfiable_is_416_with_size(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as info:
        plan_ranges(header, size)
    assert info.value.size == size
    assert info.value.status == 416
    assert info.value.headers() == [(b"content-range", b"bytes */%d" % size)]


@pytest.mark.parametrize(
    "header", ["bytes=-5", "bytes=-1,0-", "bytes=-1,-2"], ids=["suffix", "suffix-and-open", "two"]
)
def test_plan_ranges_nonzero_suffix_on_empty_file_sends_whole_file(header: str) -> None:
    # §14.1.1: on a zero-length representation a suffix-range with a non-zero
    # length is satisfiable, so 416 is wrong; a 206 cannot describe zero bytes,
    # so the Range header is ignored and the (empty) file is sent with 200.
    assert plan_ranges(header, 0) is None


def test_plan_ranges_up_to_max_ranges_disjoint_parts() -> None:
    header = "bytes=" + ",".join(f"{2 * i}-{2 * i}" for i in range(MAX_RANGES))
    assert plan_ranges(header, 1000) == [(2 * i, 2 * i) for i in range(MAX_RANGES)]


def test_plan_ranges_more_than_max_ranges_disjoint_parts_sends_whole_file() -> None:
    header = "bytes=" + ",".join(f"{2 * i}-{2 * i}" for i in range(MAX_RANGES + 1))
    assert plan_ranges(header, 1000) is None


def test_plan_ranges_many_overlapping_parts_collapse_to_one() -> None:
    # Amplification guard: 64 copies of the whole file are one range, not 64 bodies.
    header = "bytes=" + ",".join(["0-"] * (4 * MAX_RANGES))
    assert plan_ranges(header, 1000) == [(0, 999)]


def test_plan_ranges_too_many_specs_ignored_even_if_they_would_merge() -> None:
    header = "bytes=" + ",".join(["0-"] * (4 * MAX_RANGES + 1))
    assert plan_ranges(header, 1000) is None


# --- coalesce ---------------------------------------------------------------------------

COALESCE = [
    ([], [], "empty"),
    ([(0, 0)], [(0, 0)], "single"),
    ([(5, 9), (0, 1)], [(0, 1), (5, 9)], "sorted"),
    ([(0, 4), (5, 9)], [(0, 9)], "adjacent"),
    ([(0, 4), (6, 9)], [(0, 4), (6, 9)], "gap-of-one"),
    ([(0, 9), (2, 3)], [(0, 9)], "contained"),
    ([(2, 3), (0, 9)], [(0, 9)], "container-after"),
    ([(0, 5), (3, 8), (7, 12)], [(0, 12)], "chain"),
    ([(0, 1), (0, 1)], [(0, 1)], "duplicate"),
    ([(10, 19), (0, 4), (5, 9), (30, 30)], [(0, 19), (30, 30)], "mixed"),
]


@pytest.mark.parametrize(
    ("ranges", "expected"), [c[:2] for c in COALESCE], ids=[c[2] for c in COALESCE]
)
def test_coalesce(ranges: list[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    assert coalesce(ranges) == expected


IN_REQUEST_ORDER = [
    ([(0, 9)], [(0, 9)], [(0, 9)], "single"),
    ([(0, 1), (10, 19)], [(10, 19), (0, 1)], [(10, 19), (0, 1)], "reversed"),
    ([(0, 4), (20, 40)], [(20, 29), (0, 4), (25, 40)], [(20, 40), (0, 4)], "merged-part-first"),
]


@pytest.mark.parametrize(
    ("merged", "requested", "expected"),
    [c[:3] for c in IN_REQUEST_ORDER],
    ids=[c[3] for c in IN_REQUEST_ORDER],
)
def test_in_request_order(
    merged: list[tuple[int, int]],
    requested: list[tuple[int, int]],
    expected: list[tuple[int, int]],
) -> None:
    """§15.3.7.2: parts SHOULD appear in the order they were requested."""
    assert in_request_order(merged, requested) == expected
