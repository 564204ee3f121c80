"""gateway/files/response.py: chunk sizes against fast and slow clients, disconnects.

The ASGI `send` here is an in-memory peer that records each body message and can
be made to wait, like a server whose buffers are full.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gateway.files.response import SLOW_CLIENT_CHUNK_BYTES, SLOW_SEND_S, FileSender, Message
from gateway.storage import Storage

CHUNK = 65536
SIZE = 40 * CHUNK


class Peer:
    """Records what the app sends; the first `slow_sends` body sends take SLOW_SEND_S+."""

    def __init__(self, *, slow_sends: int = 0, disconnect_after: int | None = None) -> None:
        self.bodies: list[bytes] = []
        self.slow_sends = slow_sends
        self.disconnect_after = disconnect_after
        self.disconnected = asyncio.Event()

    async def send(self, message: Message) -> None:
        if message["type"] != "http.response.body":
            return
        self.bodies.append(message["body"])
        if self.disconnect_after is not None and len(self.bodies) >= self.disconnect_after:
            self.disconnected.set()
        if self.slow_sends > 0:
            self.slow_sends -= 1
            await asyncio.sleep(SLOW_SEND_S * 1.5)

    async def receive(self) -> dict[str, Any]:
        await self.disconnected.wait()
        return {"type": "http.disconnect"}


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    (tmp_path / "video.mp4").write_bytes(bytes(range(256)) * (SIZE // 256))
    return Storage(str(tmp_path))


def stream(storage: Storage, peer: Peer, first: int = 0, last: int = SIZE - 1) -> bytes:
    sender = FileSender(chunk_bytes=CHUNK, inline_max_bytes=4096)

    async def run() -> None:
        with storage.open("video.mp4") as f:
            await sender.ranges(peer.receive, peer.send, f, [], [(first, last)], [], b"")

    asyncio.run(run())
    return b"".join(peer.bodies)


def test_fast_client_gets_full_chunks(storage: Storage) -> None:
    peer = Peer()
    body = stream(storage, peer)
    assert body == Path(storage.root, "video.mp4").read_bytes()
    sizes = [len(b) for b in peer.bodies if b]
    assert sizes == [CHUNK] * (SIZE // CHUNK)


def test_slow_client_gets_small_chunks_once_a_send_waits(storage: Storage) -> None:
    peer = Peer(slow_sends=1)
    body = stream(storage, peer, 5, SIZE - 1)
    assert body == Path(storage.root, "video.mp4").read_bytes()[5:]
    sizes = [len(b) for b in peer.bodies if b]
    assert sizes[0] == CHUNK  # the send that waited
    assert set(sizes[1:-1]) == {SLOW_CLIENT_CHUNK_BYTES}


def test_disconnect_stops_reading(storage: Storage) -> None:
    peer = Peer(disconnect_after=3)
    stream(storage, peer)
    assert 3 <= len(peer.bodies) <= 4  # at most the chunk already read goes out
