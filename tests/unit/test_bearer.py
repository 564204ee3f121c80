"""gateway/auth/bearer.py: where the token comes from, as tables."""

from __future__ import annotations

import pytest

from gateway.auth.bearer import MAX_TOKEN_BYTES, cookie_value, parse_bearer, token_from_headers
from gateway.errors import Unauthorized

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
OTHER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyIn0.b3RoZXI"

# --- parse_bearer -----------------------------------------------------------------------

ACCEPTED = [
    (f"Bearer {JWT}", JWT, "canonical"),
    (f"bearer {JWT}", JWT, "lower-case-scheme"),
    (f"BEARER {JWT}", JWT, "upper-case-scheme"),
    (f"bEaReR {JWT}", JWT, "mixed-case-scheme"),
    (f"Bearer   {JWT}", JWT, "several-spaces"),
    (f"  Bearer {JWT}  ", JWT, "surrounding-whitespace"),
    ("Bearer abc-._~+/=", "abc-._~+/=", "all-b64token-punctuation"),
    ("Bearer " + "a" * MAX_TOKEN_BYTES, "a" * MAX_TOKEN_BYTES, "at-size-limit"),
]


@pytest.mark.parametrize(
    ("header", "token"), [a[:2] for a in ACCEPTED], ids=[a[2] for a in ACCEPTED]
)
def test_parse_bearer_accepts(header: str, token: str) -> None:
    assert parse_bearer(header) == token


REFUSED = [
    ("", "not_bearer_scheme", "empty"),
    ("Bearer", "malformed_bearer_token", "scheme-only"),
    ("Bearer ", "malformed_bearer_token", "scheme-and-space"),
    (f"Basic {JWT}", "not_bearer_scheme", "basic-scheme"),
    (f"Bearerx {JWT}", "not_bearer_scheme", "scheme-prefix"),
    (f"Token {JWT}", "not_bearer_scheme", "other-scheme"),
    (JWT, "not_bearer_scheme", "no-scheme"),
    (f"Bearer\t{JWT}", "not_bearer_scheme", "tab-instead-of-space"),
    (f"Bearer {JWT} extra", "malformed_bearer_token", "two-tokens"),
    (f"Bearer {JWT},", "malformed_bearer_token", "trailing-comma"),
    (f'Bearer "{JWT}"', "malformed_bearer_token", "quoted"),
    ("Bearer a\x00b", "malformed_bearer_token", "nul"),
    ("Bearer a\nb", "malformed_bearer_token", "newline"),
    ("Bearer t\u00f6ken", "malformed_bearer_token", "non-ascii"),
    ("Bearer a;b", "malformed_bearer_token", "semicolon"),
    ("Bearer " + "a" * (MAX_TOKEN_BYTES + 1), "malformed_bearer_token", "over-size-limit"),
]


@pytest.mark.parametrize(
    ("header", "reason"), [r[:2] for r in REFUSED], ids=[r[2] for r in REFUSED]
)
def test_parse_bearer_refuses(header: str, reason: str) -> None:
    with pytest.raises(Unauthorized) as info:
        parse_bearer(header)
    assert info.value.reason == reason
    assert info.value.token_sent is True
    assert info.value.headers() == [(b"www-authenticate", b'Bearer error="invalid_token"')]


# --- cookie_value -----------------------------------------------------------------------

COOKIES = [
    ("tok=abc", "tok", "abc", "single"),
    ("a=1; tok=abc; b=2", "tok", "abc", "middle"),
    ("a=1;tok=abc", "tok", "abc", "no-space"),
    ('tok="abc"', "tok", "abc", "quoted"),
    ("tok=abc; tok=def", "tok", "abc", "first-wins"),
    ("tok=", "tok", "", "empty-value"),
    ("a=1; b=2", "tok", None, "absent"),
    ("tok", "tok", None, "no-equals"),
    ("xtok=abc; tokx=def", "tok", None, "similar-names"),
    ("TOK=abc", "tok", None, "name-is-case-sensitive"),
    ("", "tok", None, "empty-header"),
]


@pytest.mark.parametrize(
    ("header", "name", "expected"), [c[:3] for c in COOKIES], ids=[c[3] for c in COOKIES]
)
def test_cookie_value(header: str, name: str, expected: str | None) -> None:
    assert cookie_value(header, name) == expected


# --- token_from_headers -----------------------------------------------------------------

B = f"Bearer {JWT}"
C = f"session=x; gw={OTHER}"
# (authorization, cookie, sec-fetch-site, cookie name, token or (reason, token_sent), id)
PICK: list[tuple[str | None, str | None, str | None, str, str | tuple[str, bool], str]] = [
    (B, None, None, "", JWT, "header-only"),
    (B, C, None, "gw", JWT, "header-wins-over-cookie"),
    (B, C, "cross-site", "gw", JWT, "header-works-cross-site"),
    (None, C, None, "gw", OTHER, "cookie-without-fetch-metadata"),
    (None, C, "same-origin", "gw", OTHER, "cookie-same-origin"),
    (None, C, "same-site", "gw", OTHER, "cookie-same-site"),
    (None, C, "none", "gw", OTHER, "cookie-user-initiated"),
    (None, None, None, "", ("no_token", False), "nothing"),
    (None, None, None, "gw", ("no_token", False), "cookie-configured-none-sent"),
    (None, C, None, "", ("no_token", False), "cookie-not-configured"),
    (None, C, None, "other", ("no_token", False), "cookie-name-differs"),
    (None, C, "cross-site", "gw", ("no_token", False), "cookie-ignored-cross-site"),
    (None, "gw=", None, "gw", ("malformed_cookie_token", True), "empty-cookie"),
    (None, "gw=a b", None, "gw", ("malformed_cookie_token", True), "cookie-with-space"),
    (None, "gw=a%2Eb", None, "gw", ("malformed_cookie_token", True), "cookie-with-percent"),
    (
        None,
        "gw=" + "a" * (MAX_TOKEN_BYTES + 1),
        None,
        "gw",
        ("malformed_cookie_token", True),
        "cookie-over-size-limit",
    ),
    ("Basic x", C, None, "gw", ("not_bearer_scheme", True), "bad-scheme-beside-good-cookie"),
    ("Bearer", C, None, "gw", ("malformed_bearer_token", True), "empty-bearer-beside-cookie"),
    ("", C, None, "gw", ("not_bearer_scheme", True), "empty-header-beside-cookie"),
]


@pytest.mark.parametrize(
    ("authorization", "cookie", "site", "name", "expected"),
    [p[:5] for p in PICK],
    ids=[p[5] for p in PICK],
)
def test_token_from_headers(
    authorization: str | None,
    cookie: str | None,
    site: str | None,
    name: str,
    expected: str | tuple[str, bool],
) -> None:
    if isinstance(expected, str):
        assert token_from_headers(authorization, cookie, site, name) == expected
        return
    reason, token_sent = expected
    with pytest.raises(Unauthorized) as info:
        token_from_headers(authorization, cookie, site, name)
    assert info.value.reason == reason
    assert info.value.token_sent is token_sent


def test_no_token_challenge_has_no_error_attribute() -> None:
    # RFC 6750 §3.1: no error code when the request carried no credential.
    with pytest.raises(Unauthorized) as info:
        token_from_headers(None, None, None, "")
    assert info.value.status == 401
    assert info.value.headers() == [(b"www-authenticate", b"Bearer")]
