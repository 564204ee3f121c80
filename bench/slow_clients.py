"""Many concurrent slow downloads of one large file: the memory workload's client.

Each client opens its own connection (small receive buffer, so the server
feels the slowness instead of the kernel absorbing it), reads the response
head, then trickles the body until a common deadline and closes. Prints one
JSON line with what happened; the harness samples the server's RSS meanwhile.

Run: python -m bench.slow_clients --port P --path /uploads/... --token T
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time
from collections import Counter
from dataclasses import dataclass

# A server that cannot take all clients at once keeps some waiting: give up after this.
HEAD_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Plan:
    port: int
    path: str
    token: str
    range_header: str  # empty: no Range header
    clients: int
    hold_s: float
    read_bytes: int
    interval_s: float
    rcvbuf_bytes: int
    connect_concurrency: int


class Hold:
    """The common hold: it starts once every client has its response head (or gave up)."""

    def __init__(self, clients: int, hold_s: float) -> None:
        self._pending = clients
        self._hold_s = hold_s
        self._started = time.monotonic()
        self.ramp_s = 0.0
        self.deadline: float | None = None

    def opened(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            now = time.monotonic()
            self.ramp_s = now - self._started
            self.deadline = now + self._hold_s

    def holding(self) -> bool:
        return self.deadline is None or time.monotonic() < self.deadline


async def run(plan: Plan) -> dict[str, object]:
    outcomes: Counter[str] = Counter()
    bytes_read = [0]
    gate = asyncio.Semaphore(plan.connect_concurrency)
    hold = Hold(plan.clients, plan.hold_s)
    request = (
        f"GET {plan.path} HTTP/1.1\r\nHost: 127.0.0.1:{plan.port}\r\n"
        f"Authorization: Bearer {plan.token}\r\n"
        + (f"Range: {plan.range_header}\r\n" if plan.range_header else "")
        + "\r\n"
    ).encode()

    async def client() -> None:
        try:
            outcomes[await _download(plan, request, gate, hold, bytes_read)] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            outcomes[type(exc).__name__] += 1

    await asyncio.gather(*(client() for _ in range(plan.clients)))
    return {
        "clients": plan.clients,
        "outcomes": dict(outcomes),
        "bytes_read": bytes_read[0],
        "ramp_s": round(hold.ramp_s, 2),
    }


async def _download(
    plan: Plan,
    request: bytes,
    gate: asyncio.Semaphore,
    hold: Hold,
    bytes_read: list[int],
) -> str:
    """One slow client; returns "held" when its stream stayed open through the hold."""
    try:
        async with gate:
            reader, writer, head = await asyncio.wait_for(
                _open(plan, request), timeout=HEAD_TIMEOUT_S
            )
    except TimeoutError:
        return "no response head in time"
    finally:
        hold.opened()
    try:
        if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 206")):
            return "status " + head.split(b"\r\n", 1)[0].decode(errors="replace")
        while hold.holding():
            chunk = await reader.read(plan.read_bytes)
            if not chunk:
                return "closed early"
            bytes_read[0] += len(chunk)
            await asyncio.sleep(plan.interval_s)
        return "held"
    finally:
        writer.close()


async def _open(
    plan: Plan, request: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Before connect(), so the advertised window (and its scaling) stays small.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, plan.rcvbuf_bytes)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", plan.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=plan.read_bytes)
    except BaseException:
        sock.close()
        raise
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
    except BaseException:
        writer.close()
        raise
    return reader, writer, head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--range", default="", help="Range header value (default: none)")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=6.0, help="seconds each stream stays open")
    parser.add_argument("--read-bytes", type=int, default=16384)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between reads")
    parser.add_argument("--rcvbuf", type=int, default=65536)
    parser.add_argument("--connect-concurrency", type=int, default=100)
    args = parser.parse_args()
    plan = Plan(
        port=args.port,
        path=args.path,
        token=args.token,
        range_header=args.range,
        clients=args.clients,
        hold_s=args.hold,
        read_bytes=args.read_bytes,
        interval_s=args.interval,
        rcvbuf_bytes=args.rcvbuf,
        connect_concurrency=args.connect_concurrency,
    )
    print(json.dumps(asyncio.run(run(plan))), flush=True)


if __name__ == "__main__":
    main()
