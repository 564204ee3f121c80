"""The authorization matrix, in process (httpx ASGI transport), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from jose import jwt

from gateway.app import Gateway, create_app
from gateway.config import Config
from support import FILES, SECRET, token

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(world: Config) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(world)
    await app.startup()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
            yield c
    finally:
        await app.shutdown()


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def unsigned(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


ALLOWED = [
    ("member reads attachment", "1", "a/photo.jpg"),
    ("member reads thumbnail", "1", "a/photo_thumb.jpg"),
    ("other member, other chat", "2", "b/video.mp4"),
]
DENIED = [
    ("non-member", "2", "a/photo.jpg", 403),
    ("member who left", "3", "a/photo.jpg", 403),
    ("deleted message", "1", "a/deleted.jpg", 403),
    ("path no message owns", "1", "orphan/file.jpg", 403),
    ("member, file missing on disk", "1", "a/missing.jpg", 404),
]


@pytest.mark.parametrize(("case", "sub", "path"), ALLOWED, ids=[c[0] for c in ALLOWED])
async def test_allowed(client: httpx.AsyncClient, world: Config, case: str, sub: str,
                       path: str) -> None:
    r = await client.get(f"/uploads/{path}", headers=bearer(token(world, sub)))
    assert r.status_code == 200, r.text
    assert r.content == FILES[path]
    assert r.headers["cache-control"] == "private, max-age=30"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("case", "sub", "path", "status"), DENIED, ids=[c[0] for c in DENIED])
async def test_denied(client: httpx.AsyncClient, world: Config, case: str, sub: str,
                      path: str, status: int) -> None:
    r = await client.get(f"/uploads/{path}", headers=bearer(token(world, sub)))
    assert r.status_code == status
    assert FILES.get(path, b"\x00" * 8) not in r.content
    assert r.headers["cache-control"] == "no-store"


def _bad_tokens(world: Config) -> list[tuple[str, dict[str, str]]]:
    now = int(time.time())
    good = {"sub": "1", "exp": now + 600}
    return [
        ("malformed header", {"Authorization": "Bearer not a token"}),
        ("basic scheme", {"Authorization": "Basic dXNlcjpwYXNz"}),
        ("expired", bearer(jwt.encode({"sub": "1", "exp": now - 3600}, SECRET, "HS256"))),
        ("wrong signature", bearer(jwt.encode(good, "another-secret-of-enough-length", "HS256"))),
        ("wrong algorithm", bearer(jwt.encode(good, SECRET, "HS512"))),
        ("alg none", bearer(unsigned(good))),
        ("no exp", bearer(jwt.encode({"sub": "1"}, SECRET, "HS256"))),
        ("sub not decimal", bearer(jwt.encode({"sub": "+1", "exp": now + 600}, SECRET, "HS256"))),
    ]


async def test_no_token_is_401_with_plain_challenge(client: httpx.AsyncClient) -> None:
    r = await client.get("/uploads/a/photo.jpg")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


async def test_bad_tokens_are_401_invalid_token(client: httpx.AsyncClient, world: Config) -> None:
    for case, headers in _bad_tokens(world):
        r = await client.get("/uploads/a/photo.jpg", headers=headers)
        assert r.status_code == 401, case
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"', case
        assert FILES["a/photo.jpg"] not in r.content


async def test_query_string_plays_no_part(client: httpx.AsyncClient, world: Config) -> None:
    r = await client.get("/uploads/a/photo.jpg?v=123&token=x", headers=bearer(token(world)))
    assert r.status_code == 200
    r = await client.get(f"/uploads/a/photo.jpg?access_token={token(world)}")
    assert r.status_code == 401


@pytest.mark.parametrize(("path", "status"), [
    ("/uploads/a/../a/photo.jpg", 400),
    ("/uploads/a/./photo.jpg", 400),
    ("/uploads/a//photo.jpg", 400),
    ("/uploads/a\\photo.jpg", 400),
    ("/uploads/a/photo.jpg\x00", 400),
    ("/uploads/", 404),
])
async def test_hostile_paths_refused_before_auth(client: httpx.AsyncClient, world: Config,
                                                 path: str, status: int) -> None:
    # httpx normalises dot segments, so send the raw path through the ASGI scope.
    app: Gateway = client._transport.app  # type: ignore[attr-defined]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [
        (b"authorization", f"Bearer {token(world)}".encode())]}
    await app(scope, receive, send)
    assert sent[0]["status"] == status


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_other_methods_405(client: httpx.AsyncClient, world: Config, method: str) -> None:
    r = await client.request(method, "/uploads/a/photo.jpg", headers=bearer(token(world)))
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"


async def test_head_matches_get(client: httpx.AsyncClient, world: Config) -> None:
    get = await client.get("/uploads/a/photo.jpg", headers=bearer(token(world)))
    head = await client.head("/uploads/a/photo.jpg", headers=bearer(token(world)))
    assert head.status_code == 200 and head.content == b""
    for name in ("content-length", "etag", "last-modified", "content-type", "accept-ranges"):
        assert head.headers[name] == get.headers[name]


async def test_active_content_is_an_attachment(client: httpx.AsyncClient, world: Config) -> None:
    r = await client.get("/uploads/a/page.html", headers=bearer(token(world)))
    assert r.status_code == 200
    assert r.headers["content-disposition"] == "attachment"
    assert "sandbox" in r.headers["content-security-policy"]


async def test_not_modified_only_after_authorization(client: httpx.AsyncClient,
                                                     world: Config) -> None:
    r = await client.get("/uploads/a/photo.jpg", headers=bearer(token(world)))
    etag = r.headers["etag"]
    r = await client.get("/uploads/a/photo.jpg",
                         headers={**bearer(token(world)), "If-None-Match": etag})
    assert r.status_code == 304
    r = await client.get("/uploads/a/photo.jpg",
                         headers={**bearer(token(world, "2")), "If-None-Match": etag})
    assert r.status_code == 403


async def test_ranges(client: httpx.AsyncClient, world: Config) -> None:
    data = FILES["b/video.mp4"]
    r = await client.get("/uploads/b/video.mp4",
                         headers={**bearer(token(world, "2")), "Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert r.content == data[100:200]
    r = await client.get("/uploads/b/video.mp4",
                         headers={**bearer(token(world, "2")), "Range": "bytes=-10"})
    assert r.content == data[-10:]
    r = await client.get("/uploads/b/video.mp4",
                         headers={**bearer(token(world, "2")), "Range": f"bytes={len(data)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(data)}"


async def test_ops_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "gateway_responses_total" in metrics.text
