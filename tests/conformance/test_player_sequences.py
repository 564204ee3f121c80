"""Request sequences browsers and players send, from their bug reports.

- Safari probes `bytes=0-1` before it plays, then asks for `bytes=0-`
  (a 200 to the probe, or a wrong Content-Range, and it refuses to play).
- Chrome resumes with a weak ETag in If-Range: it must get the full 200, never
  a 206 spliced onto bytes of another version (RFC 9110 §13.1.5).
- A video player seeks with successive 1 MB ranges at arbitrary offsets.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest
from conformance_world import Servers, all_files, fresh_connections

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def gateway(servers: Servers) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.gateway, timeout=30,
                      headers=servers.member_headers()) as client:
        yield client


@pytest.fixture(scope="module")
def files(servers: Servers) -> dict[str, bytes]:
    return all_files(servers.media)


@pytest.mark.parametrize("path", ["c/clip.mp4", "c/large.bin", "c/small.bin", "c/one.bin"])
def test_safari_probe_then_open_ended(gateway: httpx.Client, files: dict[str, bytes],
                                      path: str) -> None:
    data = files[path]
    size = len(data)
    probe = gateway.get(f"/uploads/{path}", headers={"Range": "bytes=0-1"})
    assert probe.status_code == 206
    assert probe.headers["content-range"] == f"bytes 0-{min(1, size - 1)}/{size}"
    assert probe.content == data[:2]
    rest = gateway.get(f"/uploads/{path}", headers={"Range": "bytes=0-"})
    assert rest.status_code == 206  # open-ended is a 206, not a 200
    assert rest.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert rest.headers["content-length"] == str(size)
    assert rest.content == data


def test_safari_probe_of_an_empty_file_gets_the_empty_file(gateway: httpx.Client) -> None:
    # RFC 9110 §14.2: Range MAY be ignored on an empty representation; 200 tells the length.
    probe = gateway.get("/uploads/c/empty.bin", headers={"Range": "bytes=0-1"})
    assert probe.status_code == 200
    assert probe.headers["content-length"] == "0"
    assert probe.content == b""


@pytest.mark.parametrize("path", ["c/clip.mp4", "c/small.bin"])
def test_chrome_weak_etag_in_if_range_gets_the_full_200(gateway: httpx.Client,
                                                        files: dict[str, bytes],
                                                        path: str) -> None:
    data = files[path]
    etag = gateway.head(f"/uploads/{path}").headers["etag"]
    assert not etag.startswith("W/")  # the gateway's own tag is strong
    weak = gateway.get(f"/uploads/{path}", headers={"Range": "bytes=500-", "If-Range": f"W/{etag}"})
    assert weak.status_code == 200
    assert "content-range" not in weak.headers
    assert weak.content == data
    strong = gateway.get(f"/uploads/{path}", headers={"Range": "bytes=500-", "If-Range": etag})
    assert strong.status_code == 206
    assert strong.content == data[500:]
    stale = gateway.get(f"/uploads/{path}",
                        headers={"Range": "bytes=500-", "If-Range": '"0-0"'})
    assert stale.status_code == 200
    assert stale.content == data


def test_player_seeks_with_1mb_ranges(servers: Servers, gateway: httpx.Client,
                                      files: dict[str, bytes]) -> None:
    data = files["c/clip.mp4"]
    size = len(data)
    seeded = random.Random(20260403)
    offsets = [0, size - 1, size - MiB // 2] + [seeded.randrange(size) for _ in range(20)]
    with fresh_connections(servers.nginx) as nginx:
        for offset in offsets:
            header = {"Range": f"bytes={offset}-{offset + MiB - 1}"}
            r = gateway.get("/uploads/c/clip.mp4", headers=header)
            last = min(offset + MiB, size) - 1
            assert r.status_code == 206, offset
            assert r.headers["content-range"] == f"bytes {offset}-{last}/{size}"
            assert r.content == data[offset:last + 1], offset
            theirs = nginx.get("/uploads/c/clip.mp4", headers=header)
            assert theirs.headers["content-range"] == r.headers["content-range"]
            assert theirs.content == r.content
