"""The web-client side of the browser tests: the world, its origins and its media files."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import sqlite3
import struct
import threading
import wave
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.config import Config
from support import RunningServer, token

COOKIE = "gw"
# Chat 10 (users 1 and 4 are members): a real image and a seekable media file.
PICTURE = "web/pic.png"
CLIP = "web/clip.wav"
CLIP_SECONDS = 90


@dataclass
class Web:
    """The gateway and the pages that use it, each on its own loopback port."""

    gateway: RunningServer
    config: Config
    db_path: Path
    client: str  # listed in CORS, same site as the gateway (127.0.0.1)
    client_cross_site: str  # listed in CORS, but `localhost` is another site
    stranger: str  # same site, not listed
    files: dict[str, bytes]

    def url(self, path: str) -> str:
        return f"{self.gateway.url}/uploads/{path}"

    def token(self, user: str) -> str:
        return token(self.config, user)

    def sql(self, statement: str, *params: Any) -> None:
        """A write by the chat service."""
        with contextlib.closing(sqlite3.connect(self.db_path)) as conn, conn:
            conn.execute(statement, params)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[int]:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def png(width: int, height: int) -> bytes:
    """A real RGB PNG, so the browser decodes it (naturalWidth > 0)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def wav(seconds: int, rate: int = 48_000) -> bytes:
    """Stereo 16-bit PCM: ~190 KB per second, large enough that seeking needs a new range.

    No encoder is available to make a real video; Chromium plays WAV in a
    `<video>` element with the same media stack and the same range requests.
    """
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(seconds * rate * 4))
    return out.getvalue()
