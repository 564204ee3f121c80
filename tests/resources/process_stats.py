"""What a server process holds, read from /proc, and a raw HTTP client that reads slowly.

Linux only: RSS from /proc/<pid>/status, bytes read from /proc/<pid>/io, open
files from /proc/<pid>/fd.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import time
from dataclasses import dataclass

MiB = 1 << 20


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue  # exited while we looked
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def worker_pid(leader: int) -> int:
    """The one process serving requests: granian's worker child, or uvicorn itself."""
    kids = children(leader)
    if len(kids) > 1:
        raise RuntimeError(f"expected one worker under {leader}, found {kids}")
    return kids[0] if kids else leader


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def read_bytes(pid: int) -> int:
    """Bytes the process has read through read(2)-like calls (`rchar`)."""
    with open(f"/proc/{pid}/io") as fh:
        for line in fh:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError(f"no rchar for {pid}")


def open_fds(pid: int) -> list[str]:
    """Where each open descriptor points (files, sockets, pipes)."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed while we looked
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return targets


def wait_for(condition: object, timeout_s: float, interval_s: float = 0.02) -> float:
    """Poll a zero-argument callable until it is true; return the seconds it took."""
    assert callable(condition)
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"not true within {timeout_s} s")
        time.sleep(interval_s)
    return time.monotonic() - start


@dataclass
class Response:
    sock: socket.socket
    status: int
    headers: dict[str, str]
    body_start: bytes

    def recv(self, limit: int) -> bytes:
        if self.body_start:
            data, self.body_start = self.body_start[:limit], self.body_start[limit:]
            return data
        return self.sock.recv(limit)

    def abort(self) -> None:
        """Close with a TCP reset, as a killed client or a dropped network would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def request(port: int, path: str, headers: dict[str, str], *,
            receive_buffer: int = 64 * 1024, timeout_s: float = 30) -> Response:
    """Send a GET on a fresh connection and read up to the end of the response head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the response head: {raw!r}")
        raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return Response(sock, int(status_line.split()[1]), parsed, rest)
