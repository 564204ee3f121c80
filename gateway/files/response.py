"""ASGI sends for a file: whole, one range, or several as multipart/byteranges.

Memory per stream is bounded by one chunk. Small bodies are read on the event
loop (a page-cache read is cheaper than a thread hop); larger ones are read in
a worker thread via aiofiles, or handed to the server with the zero-copy
`http.response.pathsend` extension when it offers it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiofiles.os

from gateway.files.ranges import ByteRange
from gateway.storage import OpenFile

log = logging.getLogger("gateway.files")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


# A send that waits this long means the server's buffers are full: the client, not
# the server, sets the pace, so larger chunks cannot speed it up. A server buffers up
# to its limit plus the chunk that crossed it (uvicorn's 64 KiB high-water mark,
# granian's write buffer), so from then on smaller chunks hold less memory.
SLOW_SEND_S = 0.05
SLOW_CLIENT_CHUNK_BYTES = 16384


class ShortRead(Exception):
    """The file shrank while being sent: the response cannot be completed."""


class FileSender:
    """Sends the body of an already-authorized, already-opened file."""

    def __init__(self, *, chunk_bytes: int, inline_max_bytes: int) -> None:
        self.chunk_bytes = chunk_bytes
        self.inline_max_bytes = inline_max_bytes

    @staticmethod
    def plan_parts(ranges: list[ByteRange], size: int, content_type: str,
                   headers: Headers) -> tuple[list[bytes], bytes]:
        """Add the 206 headers; return the multipart part headers and closing delimiter.

        One range is sent bare with Content-Range; several as multipart/byteranges
        with CRLF framing and no top-level Content-Range (§14.6).
        """
        if len(ranges) == 1:
            first, last = ranges[0]
            headers += [(b"content-type", content_type.encode()),
                        (b"content-range", b"bytes %d-%d/%d" % (first, last, size)),
                        (b"content-length", b"%d" % (last - first + 1))]
            return [], b""
        boundary = secrets.token_hex(12).encode()
        heads = [
            b"\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n"
            % (boundary, content_type.encode(), first, last, size)
            for first, last in ranges
        ]
        tail = b"\r\n--%s--\r\n" % boundary
        length = sum(map(len, heads)) + len(tail) + sum(b - a + 1 for a, b in ranges)
        headers += [(b"content-type", b"multipart/byteranges; boundary=" + boundary),
                    (b"content-length", b"%d" % length)]
        return heads, tail

    async def whole(self, scope: Scope, receive: Receive, send: Send, f: OpenFile,
                    status: int, headers: Headers) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if f.size <= self.inline_max_bytes:
            await send({"type": "http.response.body", "body": _pread_exact(f, 0, f.size)})
        elif "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": f.path})
        else:
            await self._stream(receive, send, f, [(0, f.size - 1)], [], b"")

    async def ranges(self, receive: Receive, send: Send, f: OpenFile, headers: Headers,
                     ranges: list[ByteRange], heads: list[bytes], tail: bytes) -> None:
        await send({"type": "http.response.start", "status": 206, "headers": headers})
        total = sum(last - first + 1 for first, last in ranges)
        if total <= self.inline_max_bytes:
            parts = []
            for i, (first, last) in enumerate(ranges):
                if heads:
                    parts.append(heads[i])
                parts.append(_pread_exact(f, first, last - first + 1))
            await send({"type": "http.response.body", "body": b"".join(parts) + tail})
        else:
            await self._stream(receive, send, f, ranges, heads, tail)

    async def _stream(self, receive: Receive, send: Send, f: OpenFile,
                      ranges: list[ByteRange], heads: list[bytes], tail: bytes) -> None:
        gone = asyncio.Event()
        watcher = asyncio.ensure_future(_watch_disconnect(receive, gone))
        clock = asyncio.get_running_loop().time
        chunk_bytes = self.chunk_bytes
        try:
            for i, (first, last) in enumerate(ranges):
                if heads:
                    await send({"type": "http.response.body", "body": heads[i],
                                "more_body": True})
                offset, end = first, last + 1
                while offset < end:
                    if gone.is_set():
                        return  # client left: stop reading at once
                    length = min(chunk_bytes, end - offset)
                    chunk = _read_cached(f.fd, length, offset)
                    if chunk is None:
                        chunk = await _read_off_loop(f.fd, length, offset)
                    else:
                        await asyncio.sleep(0)  # let the disconnect watcher and others run
                    if not chunk:
                        raise ShortRead(f.path)
                    offset += len(chunk)
                    sent_at = clock()
                    await send({"type": "http.response.body", "body": chunk,
                                "more_body": True})
                    if clock() - sent_at > SLOW_SEND_S:
                        chunk_bytes = min(chunk_bytes, SLOW_CLIENT_CHUNK_BYTES)
            await send({"type": "http.response.body", "body": tail, "more_body": False})
        finally:
            watcher.cancel()


# A read that may wait for the disk runs in a worker thread (aiofiles' executor).
_read_off_loop = aiofiles.os.wrap(os.pread)
_RWF_NOWAIT = getattr(os, "RWF_NOWAIT", None)


def _read_cached(fd: int, length: int, offset: int) -> bytes | None:
    """Read on the event loop when the page cache holds the chunk, else None.

    preadv2(RWF_NOWAIT) probes the chunk's first and last byte without blocking
    (EAGAIN when a page would need the disk); sequential readahead makes the
    pages between them cached too in practice. A probe reads into a one-byte
    scratch buffer, then pread() fills a fresh bytes object directly: a
    RWF_NOWAIT read into a bytearray costs a full extra copy. None sends the
    caller to a worker thread. This is what spares a hot video its thread hops.
    """
    if _RWF_NOWAIT is None:
        return None
    probe = bytearray(1)
    try:
        if not (os.preadv(fd, [probe], offset, _RWF_NOWAIT)
                and os.preadv(fd, [probe], offset + length - 1, _RWF_NOWAIT)):
            return None  # at EOF: let the blocking read decide
    except OSError:  # EAGAIN: not cached; EOPNOTSUPP: filesystem without it
        return None
    return os.pread(fd, length, offset)


def _pread_exact(f: OpenFile, offset: int, length: int) -> bytes:
    data = os.pread(f.fd, length, offset)
    while len(data) < length:
        more = os.pread(f.fd, length - len(data), offset + len(data))
        if not more:
            raise ShortRead(f.path)
        data += more
    return data


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return
