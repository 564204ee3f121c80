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


@dataclass(frozen=True, slots=True)
class Plan:
    port: int
    path: str
    token: str
    clients: int
    hold_s: float
    read_bytes: int
    interval_s: float
    rcvbuf_bytes: int
    connect_concurrency: int


async def run(plan: Plan) -> dict[str, object]:
    outcomes: Counter[str] = Counter()
    bytes_read = [0]
    gate = asyncio.Semaphore(plan.connect_concurrency)
    # Ramp-up (connect + response head) gets its own budget before the hold starts.
    deadline = time.monotonic() + plan.hold_s + plan.clients / plan.connect_concurrency * 0.05
    request = (
        f"GET {plan.path} HTTP/1.1\r\nHost: 127.0.0.1:{plan.port}\r\n"
        f"Authorization: Bearer {plan.token}\r\n\r\n"
    ).encode()

    async def client() -> None:
        try:
            outcomes[await _download(plan, request, gate, deadline, bytes_read)] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            outcomes[type(exc).__name__] += 1

    await asyncio.gather(*(client() for _ in range(plan.clients)))
    return {"clients": plan.clients, "outcomes": dict(outcomes), "bytes_read": bytes_read[0]}


async def _download(
    plan: Plan,
    request: bytes,
    gate: asyncio.Semaphore,
    deadline: float,
    bytes_read: list[int],
) -> str:
    """One slow client; returns "held" when its stream stayed open until the deadline."""
    async with gate:
        try:
            reader, writer, head = await asyncio.wait_for(
                _open(plan, request), timeout=max(1.0, deadline - time.monotonic())
            )
        except TimeoutError:
            return "no response head in time"
    try:
        if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            return "status " + head.split(b"\r\n", 1)[0].decode(errors="replace")
        while time.monotonic() < deadline:
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
