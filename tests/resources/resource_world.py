"""The resource tests' world: one 4 GiB sparse file, and the server process serving it."""

from __future__ import annotations

from dataclasses import dataclass

from support import RunningServer

BIG = "big/huge.bin"
BIG_BYTES = 4 << 30


@dataclass
class Served:
    server: RunningServer
    kind: str
    worker: int
    port: int
    headers: dict[str, str]  # an authorized user's
    big_path: str
    db_path: str
