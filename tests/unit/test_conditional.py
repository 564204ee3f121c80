"""gateway/files/conditional.py and validators.py: RFC 9110 §8.8 and §13 as tables."""

from __future__ import annotations

import pytest

from gateway.files.conditional import Conditions, Outcome, evaluate, if_range_allows
from gateway.files.validators import http_date, make_etag, parse_etags, parse_http_date

# The file under test: modified at 1994-11-06 08:49:37 UTC.
MTIME = 784111777
ETAG = '"abc-10"'
OTHER = '"def-20"'
AT = "Sun, 06 Nov 1994 08:49:37 GMT"  # == MTIME
BEFORE = "Sun, 06 Nov 1994 08:49:36 GMT"  # MTIME - 1
AFTER = "Sun, 06 Nov 1994 08:49:38 GMT"  # MTIME + 1

OK, NOT_MODIFIED, FAILED = Outcome.PROCEED, Outcome.NOT_MODIFIED, Outcome.PRECONDITION_FAILED

# --- evaluate: §13.2.2 steps 1-4 --------------------------------------------------------

EVALUATE = [
    (Conditions(), OK, "no-conditions"),
    # Step 1: If-Match, strong comparison.
    (Conditions(if_match=ETAG), OK, "if-match-same"),
    (Conditions(if_match=OTHER), FAILED, "if-match-other"),
    (Conditions(if_match="*"), OK, "if-match-star"),
    (Conditions(if_match=f"{OTHER}, {ETAG}"), OK, "if-match-in-list"),
    (Conditions(if_match=f"W/{ETAG}"), FAILED, "if-match-weak-never-matches"),
    (Conditions(if_match="garbage"), FAILED, "if-match-garbage-matches-nothing"),
    (Conditions(if_match=""), FAILED, "if-match-empty-matches-nothing"),
    # Step 2: If-Unmodified-Since, only without If-Match.
    (Conditions(if_unmodified_since=AT), OK, "ius-equal"),
    (Conditions(if_unmodified_since=AFTER), OK, "ius-later"),
    (Conditions(if_unmodified_since=BEFORE), FAILED, "ius-earlier"),
    (Conditions(if_unmodified_since="garbage"), OK, "ius-invalid-date-ignored"),
    (Conditions(if_match=ETAG, if_unmodified_since=BEFORE), OK, "if-match-overrides-ius"),
    (Conditions(if_match=OTHER, if_unmodified_since=AFTER), FAILED, "if-match-fails-despite-ius"),
    # Step 3: If-None-Match, weak comparison.
    (Conditions(if_none_match=ETAG), NOT_MODIFIED, "inm-same"),
    (Conditions(if_none_match=f"W/{ETAG}"), NOT_MODIFIED, "inm-weak-compares-equal"),
    (Conditions(if_none_match=OTHER), OK, "inm-other"),
    (Conditions(if_none_match=f'{OTHER}, W/"x", {ETAG}'), NOT_MODIFIED, "inm-in-list"),
    (Conditions(if_none_match="*"), NOT_MODIFIED, "inm-star"),
    (Conditions(if_none_match="garbage"), OK, "inm-garbage-matches-nothing"),
    (Conditions(if_none_match='"abc-10'), OK, "inm-unterminated"),
    # Step 4: If-Modified-Since, only without If-None-Match.
    (Conditions(if_modified_since=AT), NOT_MODIFIED, "ims-equal"),
    (Conditions(if_modified_since=AFTER), NOT_MODIFIED, "ims-later"),
    (Conditions(if_modified_since=BEFORE), OK, "ims-earlier"),
    (Conditions(if_modified_since="garbage"), OK, "ims-invalid-date-ignored"),
    (Conditions(if_none_match=OTHER, if_modified_since=AFTER), OK, "inm-overrides-ims"),
    (Conditions(if_none_match=ETAG, if_modified_since=BEFORE), NOT_MODIFIED, "inm-wins-over-ims"),
    # Order: a failed step 1/2 is 412 even when step 3/4 would give 304.
    (Conditions(if_match=OTHER, if_none_match=ETAG), FAILED, "412-before-304-etags"),
    (
        Conditions(if_unmodified_since=BEFORE, if_modified_since=AFTER),
        FAILED,
        "412-before-304-dates",
    ),
    (Conditions(if_match=ETAG, if_none_match=ETAG), NOT_MODIFIED, "both-match-gives-304"),
    (Conditions(if_match=ETAG, if_none_match=OTHER), OK, "match-and-none-match-pass"),
    # If-Range is not a precondition here (handled by if_range_allows).
    (Conditions(if_range=OTHER), OK, "if-range-ignored-by-evaluate"),
]


@pytest.mark.parametrize(
    ("conditions", "expected"), [e[:2] for e in EVALUATE], ids=[e[2] for e in EVALUATE]
)
def test_evaluate(conditions: Conditions, expected: Outcome) -> None:
    assert evaluate(conditions, ETAG, MTIME) is expected


def test_outcome_values_are_statuses() -> None:
    assert [o.value for o in Outcome] == [200, 304, 412]


# --- if_range_allows: §13.1.5 -----------------------------------------------------------

IF_RANGE = [
    (None, True, "absent"),
    (ETAG, True, "same-strong-etag"),
    (f" {ETAG} ", True, "same-etag-with-ows"),
    (OTHER, False, "other-etag"),
    (f"W/{ETAG}", False, "weak-etag-never"),
    (AT, True, "exact-date"),
    (AFTER, False, "later-date"),
    (BEFORE, False, "earlier-date"),
    ("Sunday, 06-Nov-94 08:49:37 GMT", True, "rfc850-date"),
    ("garbage", False, "garbage"),
    ("", False, "empty"),
    ('"abc-10', False, "unterminated-etag"),
]


@pytest.mark.parametrize(
    ("if_range", "expected"), [i[:2] for i in IF_RANGE], ids=[i[2] for i in IF_RANGE]
)
def test_if_range_allows(if_range: str | None, expected: bool) -> None:
    assert if_range_allows(if_range, ETAG, MTIME) is expected


# --- make_etag / http_date --------------------------------------------------------------

MAKE_ETAG = [
    (0, 0, '"0-0"', "zero"),
    (255, 16, '"ff-10"', "hex"),
    (1_700_000_000_123_456_789, 1_048_576, '"17979cfe3d85cd15-100000"', "realistic"),
]


@pytest.mark.parametrize(
    ("mtime_ns", "size", "expected"), [m[:3] for m in MAKE_ETAG], ids=[m[3] for m in MAKE_ETAG]
)
def test_make_etag(mtime_ns: int, size: int, expected: str) -> None:
    assert make_etag(mtime_ns, size) == expected


def test_make_etag_is_strong_and_distinguishes_inputs() -> None:
    tag = make_etag(1, 2)
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert len({make_etag(1, 2), make_etag(2, 1), make_etag(1, 3), make_etag(2, 2)}) == 4


HTTP_DATE = [
    (0, "Thu, 01 Jan 1970 00:00:00 GMT", "epoch"),
    (MTIME, AT, "rfc-example"),
    (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT", "recent"),
]


@pytest.mark.parametrize(
    ("epoch_s", "expected"), [h[:2] for h in HTTP_DATE], ids=[h[2] for h in HTTP_DATE]
)
def test_http_date_is_imf_fixdate(epoch_s: int, expected: str) -> None:
    assert http_date(epoch_s) == expected
    assert parse_http_date(expected) == epoch_s


# --- parse_http_date: §5.6.7 ------------------------------------------------------------

PARSE_DATE = [
    (AT, MTIME, "imf-fixdate"),
    ("Sunday, 06-Nov-94 08:49:37 GMT", MTIME, "rfc850"),
    ("Sun Nov  6 08:49:37 1994", MTIME, "asctime"),
    ("Thu, 01 Jan 1970 00:00:00 GMT", 0, "epoch"),
    ("Sun, 06 Nov 1994 08:49:37 +0100", MTIME - 3600, "numeric-offset"),
    ("", None, "empty"),
    ("garbage", None, "garbage"),
    ("1234", None, "bare-number"),
    ("06 Nov 1994", None, "date-only"),
    ("Sun, 06 Nov 99999 08:49:37 GMT", None, "five-digit-year"),
    ("Sun, 06 Nov 1994 08:49:37 GMT" + " " * 64, None, "overlong"),
    ("Sun, 06 Foo 1994 08:49:37 GMT", None, "bad-month"),
]


@pytest.mark.parametrize(
    ("value", "expected"), [p[:2] for p in PARSE_DATE], ids=[p[2] for p in PARSE_DATE]
)
def test_parse_http_date(value: str, expected: int | None) -> None:
    assert parse_http_date(value) == expected


# --- parse_etags: §8.8.3 / §13.1.1 ------------------------------------------------------

PARSE_ETAGS = [
    ("*", None, "star"),
    ("  *  ", None, "star-with-ows"),
    ('"a"', [(False, '"a"')], "one-strong"),
    ('W/"a"', [(True, '"a"')], "one-weak"),
    ('"a", W/"b", "c"', [(False, '"a"'), (True, '"b"'), (False, '"c"')], "list"),
    ('"a",W/"b"', [(False, '"a"'), (True, '"b"')], "list-without-space"),
    (' ,"a", ,', [(False, '"a"')], "empty-elements"),
    ('""', [(False, '""')], "empty-opaque-tag"),
    ('"a,b"', [(False, '"a,b"')], "comma-inside-tag"),
    ("", [], "empty"),
    ("garbage", [], "garbage"),
    ("abc, def", [], "unquoted-list"),
    ('garbage, "a"', [(False, '"a"')], "garbage-member-skipped"),
    ('w/"a"', [], "lowercase-w-is-not-weak"),
    ('W/ "a"', [], "space-after-w-slash"),
    ('"a', [], "unterminated"),
    ('"a", "b', [(False, '"a"')], "unterminated-second"),
    ('*, "a"', [(False, '"a"')], "star-inside-list-is-not-star"),
]


@pytest.mark.parametrize(
    ("value", "expected"), [p[:2] for p in PARSE_ETAGS], ids=[p[2] for p in PARSE_ETAGS]
)
def test_parse_etags(value: str, expected: list[tuple[bool, str]] | None) -> None:
    assert parse_etags(value) == expected
