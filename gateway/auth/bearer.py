"""Where the token comes from: the Authorization header, or optionally a cookie."""

from __future__ import annotations

from gateway.errors import Unauthorized

# RFC 6750 §2.1 b64token, which covers every JWS compact serialization.
_B64TOKEN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")
MAX_TOKEN_BYTES = 8192


def parse_bearer(authorization: str) -> str:
    """The token from an `Authorization` value; the scheme is case-insensitive."""
    scheme, _, token = authorization.strip(" \t").partition(" ")
    token = token.strip(" \t")
    if scheme.lower() != "bearer":
        raise Unauthorized("not_bearer_scheme", token_sent=True)
    if not token or len(token) > MAX_TOKEN_BYTES or not _B64TOKEN.issuperset(token):
        raise Unauthorized("malformed_bearer_token", token_sent=True)
    return token


def cookie_value(cookie_header: str, name: str) -> str | None:
    """The first cookie called `name` in a `Cookie` header, or None."""
    for pair in cookie_header.split(";"):
        key, sep, value = pair.strip(" \t").partition("=")
        if sep and key == name:
            return value.strip('"')
    return None


def token_from_headers(
    authorization: str | None,
    cookie_header: str | None,
    sec_fetch_site: str | None,
    cookie_name: str,
) -> str:
    """Pick the credential for this request, or raise Unauthorized.

    The cookie is read only without an Authorization header (a bad header is
    never rescued by a good cookie) and never on a request the browser marks
    cross-site, so another site cannot probe membership with `<img onerror>`.
    """
    if authorization is not None:
        return parse_bearer(authorization)
    if cookie_name and cookie_header and sec_fetch_site != "cross-site":
        token = cookie_value(cookie_header, cookie_name)
        if token is not None:
            if not token or len(token) > MAX_TOKEN_BYTES or not _B64TOKEN.issuperset(token):
                raise Unauthorized("malformed_cookie_token", token_sent=True)
            return token
    raise Unauthorized("no_token", token_sent=False)
