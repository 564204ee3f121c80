"""The token cookie and CORS, header by header, in process (httpx ASGI transport).

What a browser does with these headers is shown in test_chromium.py; here every
rule of SPEC.md is pinned on its own, including the ones a browser never tests.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from jose import jwt

from gateway.app import create_app
from gateway.config import Config
from support import FILES, SECRET, prepare_world, token

pytestmark = pytest.mark.anyio

LISTED = "https://chat.example"
OTHER_LISTED = "http://127.0.0.1:5173"
PHOTO = "/uploads/a/photo.jpg"
REQUEST_HEADERS = ("Authorization", "Range", "If-Match", "If-None-Match", "If-Modified-Since",
                   "If-Unmodified-Since", "If-Range")
EXPOSED = ("Content-Range", "Content-Disposition", "ETag", "Accept-Ranges")


def _world(tmp_path: Path, extra: str) -> Config:
    return prepare_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}", extra)


@pytest.fixture
def browser_world(tmp_path: Path) -> Config:
    return _world(tmp_path, f'cookie = "gw"\n\n[cors]\norigins = ["{LISTED}", "{OTHER_LISTED}"]')


@pytest.fixture
def plain_world(tmp_path: Path) -> Config:
    return _world(tmp_path, "")


async def _client(config: Config) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config)
    await app.startup()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://gw") as c:
            yield c
    finally:
        await app.shutdown()


@pytest.fixture
async def client(browser_world: Config) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(browser_world):
        yield c


@pytest.fixture
async def plain_client(plain_world: Config) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(plain_world):
        yield c


def cookie(value: str, name: str = "gw") -> dict[str, str]:
    return {"Cookie": f"theme=dark; {name}={value}; lang=en"}


def cors_headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


def listed(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(",")}


# --- the cookie ---------------------------------------------------------------------------


@pytest.mark.parametrize("fetch_site", [None, "same-origin", "same-site", "none"])
async def test_cookie_carries_the_token_when_no_header(
        client: httpx.AsyncClient, browser_world: Config, fetch_site: str | None) -> None:
    headers = cookie(token(browser_world, "1"))
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    r = await client.get(PHOTO, headers=headers)
    assert r.status_code == 200
    assert r.content == FILES["a/photo.jpg"]


async def test_cookie_is_still_an_authorization_not_a_pass(
        client: httpx.AsyncClient, browser_world: Config) -> None:
    r = await client.get(PHOTO, headers=cookie(token(browser_world, "2")))
    assert r.status_code == 403  # valid token, not a member
    r = await client.get(PHOTO, headers=cookie(token(browser_world, "3")))
    assert r.status_code == 403  # left the chat


async def test_cross_site_request_ignores_the_cookie(
        client: httpx.AsyncClient, browser_world: Config) -> None:
    r = await client.get(PHOTO, headers={**cookie(token(browser_world, "1")),
                                         "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"  # as if no token was sent
    assert FILES["a/photo.jpg"] not in r.content
    # Same answer for members and strangers: nothing to probe with <img onerror>.
    stranger = await client.get(PHOTO, headers={**cookie(token(browser_world, "2")),
                                                "Sec-Fetch-Site": "cross-site"})
    assert (stranger.status_code, stranger.content) == (r.status_code, r.content)


async def test_cross_site_request_may_use_the_header(
        client: httpx.AsyncClient, browser_world: Config) -> None:
    r = await client.get(PHOTO, headers={"Authorization": f"Bearer {token(browser_world)}",
                                         "Sec-Fetch-Site": "cross-site", "Origin": LISTED})
    assert r.status_code == 200


@pytest.mark.parametrize(("authorization", "status"), [
    ("Bearer not a token", 401),
    ("Basic dXNlcjpwYXNz", 401),
    ("Bearer", 401),
    ("", 401),
])
async def test_bad_header_beside_good_cookie_is_401(
        client: httpx.AsyncClient, browser_world: Config, authorization: str,
        status: int) -> None:
    r = await client.get(PHOTO, headers={"Authorization": authorization,
                                         **cookie(token(browser_world, "1"))})
    assert r.status_code == status
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_invalid_jwt_in_header_is_not_rescued_by_cookie(
        client: httpx.AsyncClient, browser_world: Config) -> None:
    expired = jwt.encode({"sub": "1", "exp": int(time.time()) - 3600}, SECRET, "HS256")
    r = await client.get(PHOTO, headers={"Authorization": f"Bearer {expired}",
                                         **cookie(token(browser_world, "1"))})
    assert r.status_code == 401


async def test_header_wins_over_cookie(client: httpx.AsyncClient, browser_world: Config) -> None:
    member, stranger = token(browser_world, "1"), token(browser_world, "2")
    r = await client.get(PHOTO, headers={"Authorization": f"Bearer {stranger}",
                                         **cookie(member)})
    assert r.status_code == 403
    r = await client.get(PHOTO, headers={"Authorization": f"Bearer {member}",
                                         **cookie(stranger)})
    assert r.status_code == 200


@pytest.mark.parametrize(("cookie_header", "challenge"), [
    ("gw=", 'Bearer error="invalid_token"'),
    ("gw=not.a.jwt", 'Bearer error="invalid_token"'),
    ("gw=a%20b", 'Bearer error="invalid_token"'),
    ("other=x", "Bearer"),
    ("GW=x", "Bearer"),  # cookie names are case-sensitive (RFC 6265 §5.4)
])
async def test_bad_or_absent_cookie_is_401(client: httpx.AsyncClient, cookie_header: str,
                                           challenge: str) -> None:
    r = await client.get(PHOTO, headers={"Cookie": cookie_header})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == challenge


async def test_expired_cookie_is_401(client: httpx.AsyncClient) -> None:
    expired = jwt.encode({"sub": "1", "exp": int(time.time()) - 3600}, SECRET, "HS256")
    r = await client.get(PHOTO, headers=cookie(expired))
    assert r.status_code == 401


async def test_cookie_ignored_unless_configured(plain_client: httpx.AsyncClient,
                                                plain_world: Config) -> None:
    r = await plain_client.get(PHOTO, headers=cookie(token(plain_world, "1")))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


# --- CORS ---------------------------------------------------------------------------------


def preflight(origin: str, *headers: str) -> dict[str, str]:
    sent = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    if headers:
        sent["Access-Control-Request-Headers"] = ", ".join(h.lower() for h in headers)
    return sent


@pytest.mark.parametrize("origin", [LISTED, OTHER_LISTED])
async def test_preflight_for_listed_origin(client: httpx.AsyncClient, origin: str) -> None:
    # No credentials on a preflight (Fetch §4.8): it must pass without a token.
    r = await client.options(PHOTO, headers=preflight(origin, *REQUEST_HEADERS))
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == origin
    assert r.headers["access-control-allow-credentials"] == "true"
    assert listed(r.headers["access-control-allow-headers"]) >= {
        h.lower() for h in REQUEST_HEADERS}
    assert listed(r.headers["access-control-allow-methods"]) >= {"get", "head"}
    assert "origin" in listed(r.headers["vary"])
    assert int(r.headers["access-control-max-age"]) > 0


async def test_preflight_reveals_nothing_about_the_path(client: httpx.AsyncClient) -> None:
    for path in (PHOTO, "/uploads/orphan/file.jpg", "/uploads/no/such.jpg"):
        r = await client.options(path, headers=preflight(LISTED, "Authorization"))
        assert r.status_code == 204, path


@pytest.mark.parametrize("origin", [
    "https://evil.example",
    "https://chat.example.evil.example",
    "https://chat.example:443",  # not the exact serialization
    "HTTPS://CHAT.EXAMPLE",
    "https://chat.example/",
    "http://chat.example",
    "null",
])
async def test_preflight_for_unlisted_origin_is_refused(client: httpx.AsyncClient,
                                                        origin: str) -> None:
    r = await client.options(PHOTO, headers=preflight(origin, "Authorization"))
    assert not 200 <= r.status_code < 300
    assert cors_headers(r) == {}


async def test_options_without_preflight_headers_is_405(client: httpx.AsyncClient) -> None:
    r = await client.options(PHOTO, headers={"Origin": LISTED})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(("method", "extra", "status"), [
    ("GET", {}, 200),
    ("HEAD", {}, 200),
    ("GET", {"Range": "bytes=0-9"}, 206),
])
async def test_listed_origin_gets_exact_origin_and_exposed_headers(
        client: httpx.AsyncClient, browser_world: Config, method: str,
        extra: dict[str, str], status: int) -> None:
    r = await client.request(method, PHOTO, headers={
        "Origin": LISTED, "Authorization": f"Bearer {token(browser_world)}", **extra})
    assert r.status_code == status
    assert r.headers["access-control-allow-origin"] == LISTED
    assert r.headers["access-control-allow-credentials"] == "true"
    assert listed(r.headers["access-control-expose-headers"]) >= {h.lower() for h in EXPOSED}
    assert "origin" in listed(r.headers["vary"])


async def test_listed_origin_can_read_refusals_and_not_modified(
        client: httpx.AsyncClient, browser_world: Config) -> None:
    ok = await client.get(PHOTO, headers={"Authorization": f"Bearer {token(browser_world)}"})
    cases = [
        ({}, 401),
        ({"Authorization": f"Bearer {token(browser_world, '2')}"}, 403),
        ({"Authorization": f"Bearer {token(browser_world)}", "If-None-Match": ok.headers["etag"]},
         304),
    ]
    for headers, status in cases:
        r = await client.get(PHOTO, headers={"Origin": LISTED, **headers})
        assert r.status_code == status
        assert r.headers["access-control-allow-origin"] == LISTED, status
        assert "origin" in listed(r.headers["vary"]), status


async def test_unlisted_origin_gets_no_cors_headers(client: httpx.AsyncClient,
                                                    browser_world: Config) -> None:
    r = await client.get(PHOTO, headers={"Origin": "https://evil.example",
                                         "Authorization": f"Bearer {token(browser_world)}"})
    assert r.status_code == 200  # the browser, not the gateway, withholds it from the page
    assert cors_headers(r) == {}
    assert "origin" in listed(r.headers["vary"])  # a cache must not reuse it for LISTED


async def test_never_a_wildcard(client: httpx.AsyncClient, browser_world: Config) -> None:
    for origin in (LISTED, "*", "https://evil.example", "null"):
        for method in ("GET", "OPTIONS"):
            headers = {"Origin": origin, "Authorization": f"Bearer {token(browser_world)}"}
            if method == "OPTIONS":
                headers = preflight(origin, "Authorization")
            r = await client.request(method, PHOTO, headers=headers)
            assert r.headers.get("access-control-allow-origin") in (None, LISTED)
            assert "*" not in r.headers.get("access-control-allow-headers", "")
            assert "*" not in r.headers.get("access-control-expose-headers", "")


async def test_without_cors_configured_no_cors_headers_at_all(
        plain_client: httpx.AsyncClient, plain_world: Config) -> None:
    bearer = {"Authorization": f"Bearer {token(plain_world)}"}
    responses = [
        await plain_client.get(PHOTO, headers={"Origin": LISTED, **bearer}),
        await plain_client.get(PHOTO, headers={"Origin": LISTED}),
        await plain_client.options(PHOTO, headers=preflight(LISTED, "Authorization")),
    ]
    assert [r.status_code for r in responses] == [200, 401, 405]
    for r in responses:
        assert cors_headers(r) == {}
        assert "origin" not in listed(r.headers.get("vary", ""))
