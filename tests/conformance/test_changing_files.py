"""Files that change or vanish under the gateway (issue 3, item 6).

A file deleted after authorization is a 404, never a 500. A file truncated
while it is being sent must not end in a response whose length differs from
its Content-Length unless the connection is closed: the client then sees an
incomplete message, never a "complete" one with wrong bytes. A file replaced
by rename while it is being sent keeps sending the file that was opened.
Nothing here depends on timing: the files are far larger than any socket
buffer, so the change always lands while the response is still being read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conformance_world import Servers

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
SIZE = 32 * MiB  # sparse: cheap on disk, larger than every buffer on the way


@pytest.fixture
def gateway(servers: Servers) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.gateway, timeout=30,
                      headers=servers.member_headers()) as client:
        yield client


def sparse_file(path: Path) -> bytes:
    """A SIZE-byte file: 4 MiB of random bytes, then a hole; returns the random head."""
    head = os.urandom(4 * MiB)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(SIZE)
    return head


def is_prefix_of_original(received: bytes, head: bytes) -> bool:
    """`received` equals the start of (head + zeros up to SIZE)."""
    if received[:len(head)] != head[:len(received)]:
        return False
    tail = received[len(head):]
    return tail.count(0) == len(tail)


def read_while(client: httpx.Client, path: str, headers: dict[str, str],
               change: Callable[[], object]) -> tuple[httpx.Response, bytes, Exception | None]:
    """Stream a response; once 1 MiB has arrived, call `change()`; read to the end."""
    received = bytearray()
    error: Exception | None = None
    changed = False
    with client.stream("GET", f"/uploads/{path}", headers=headers) as r:
        try:
            for chunk in r.iter_raw(64 * 1024):
                received += chunk
                if not changed and len(received) >= MiB:
                    changed = True
                    change()
        except httpx.TransportError as exc:  # RemoteProtocolError, ReadError
            error = exc
    assert changed, "the response ended before the file could be changed"
    return r, bytes(received), error


def test_deleted_after_authorization_is_404(servers: Servers, gateway: httpx.Client) -> None:
    path = servers.media / "c/vanish.bin"
    path.write_bytes(b"soon gone" * 1000)
    assert gateway.get("/uploads/c/vanish.bin").status_code == 200  # allowed, and cached
    path.unlink()
    for method, headers in [("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-9"}),
                            ("GET", {"If-None-Match": "*"}), ("GET", {"If-Match": "*"})]:
        r = gateway.request(method, "/uploads/c/vanish.bin", headers=headers)
        assert r.status_code == 404, (method, headers)
        assert "etag" not in r.headers


def test_authorized_but_never_on_disk_is_404(gateway: httpx.Client) -> None:
    for method in ("GET", "HEAD"):
        r = gateway.request(method, "/uploads/c/missing-on-disk.bin",
                            headers={"Range": "bytes=0-", "If-None-Match": "*"})
        assert r.status_code == 404


@pytest.mark.parametrize(("name", "headers"), [
    ("truncate.bin", {"Range": "bytes=0-"}),            # streamed in chunks by the gateway
    ("truncate.bin", {"Range": "bytes=0-9,20-"}),       # streamed multipart
    ("truncate-whole.bin", {}),                         # whole file: zero-copy pathsend
], ids=["range-streamed", "multipart-streamed", "whole-file"])
def test_truncated_while_sending_closes_the_connection(
        servers: Servers, gateway: httpx.Client, name: str, headers: dict[str, str]) -> None:
    path = servers.media / "c" / name
    head = sparse_file(path)
    r, received, error = read_while(gateway, f"c/{name}", headers,
                                    lambda: os.truncate(path, 2 * MiB))
    assert r.status_code in (200, 206)
    declared = int(r.headers["content-length"])
    # Never a complete response: the server had to stop short and close.
    assert isinstance(error, httpx.RemoteProtocolError), error
    assert len(received) < declared
    if "multipart" not in r.headers.get("content-type", ""):
        assert is_prefix_of_original(received, head)
    # The gateway itself is fine: the next request on a new connection is answered.
    assert gateway.get("/uploads/c/small.bin").status_code == 200


@pytest.mark.parametrize(("name", "headers"), [
    ("replace.bin", {"Range": "bytes=0-"}),
    ("replace-whole.bin", {}),
], ids=["range-streamed", "whole-file"])
def test_replaced_while_sending_sends_the_opened_file(
        servers: Servers, gateway: httpx.Client, name: str, headers: dict[str, str]) -> None:
    path = servers.media / "c" / name
    head = sparse_file(path)
    before = gateway.head(f"/uploads/c/{name}").headers["etag"]
    newer = path.with_suffix(".next")
    newer.write_bytes(b"the new version")

    r, received, error = read_while(gateway, f"c/{name}", headers,
                                    lambda: os.replace(newer, path))
    assert error is None
    assert r.headers["etag"] == before
    assert len(received) == int(r.headers["content-length"]) == SIZE
    assert is_prefix_of_original(received, head)
    after = gateway.get(f"/uploads/c/{name}")
    assert after.content == b"the new version"
    assert after.headers["etag"] != before
