"""Request lists that the wrk Lua script rotates over, and the files that carry them.

File format (read by rotate.lua): one request per line,
`<token line number or empty>\t<url path>\t<Range header value or empty>`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.world import Membership, World

UPLOADS = "/uploads/"
SEEK_RANGE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    path: str  # URL path, starting with /uploads/
    user: int | None  # whose token is sent; None sends no Authorization header
    byte_range: tuple[int, int] | None = None  # inclusive first and last byte

    @property
    def range_header(self) -> str:
        return "" if self.byte_range is None else "bytes={}-{}".format(*self.byte_range)


def write_request_file(path: Path, requests: Iterable[Request], token_line: dict[int, int]) -> int:
    count = 0
    with open(path, "w") as fh:
        for request in requests:
            token = "" if request.user is None else str(token_line[request.user])
            fh.write(f"{token}\t{request.path}\t{request.range_header}\n")
            count += 1
    return count


def thumbnails_of_bench_chat(world: World) -> list[Request]:
    """One user scrolling one chat: the same ~100 thumbnails over and over."""
    return [Request(UPLOADS + m.thumb_path, world.bench_user) for m in world.bench_messages()]


def photos_of_bench_chat(world: World) -> list[Request]:
    return [Request(UPLOADS + m.attachment_path, world.bench_user) for m in world.bench_messages()]


def full_video(world: World) -> list[Request]:
    return [Request(UPLOADS + world.video_path, world.bench_user)]


def whole_video_as_range(world: World, video_bytes: int) -> list[Request]:
    return [Request(UPLOADS + world.video_path, world.bench_user, (0, video_bytes - 1))]


def video_seeks(
    world: World, video_bytes: int, *, count: int = 1000, seed: int = 5
) -> list[Request]:
    """1 MiB ranges at random offsets, as a player seeking through the video would ask."""
    rng = random.Random(seed)
    last_start = video_bytes - SEEK_RANGE_BYTES
    starts = (rng.randrange(0, last_start + 1) for _ in range(count))
    return [
        Request(UPLOADS + world.video_path, world.bench_user, (s, s + SEEK_RANGE_BYTES - 1))
        for s in starts
    ]


class ColdPairs:
    """An endless-enough supply of (user, thumbnail) pairs, none handed out twice.

    Pair k takes membership k mod M (memberships in shuffled order) and, from
    that chat, message (k div M + salt) mod L: unique while k < M * L (~4.9M).
    """

    def __init__(self, world: World, *, seed: int = 5) -> None:
        memberships = list(world.current_memberships())
        random.Random(seed).shuffle(memberships)
        self._memberships: Sequence[Membership] = memberships
        self._chats = world.visible_by_chat
        self._capacity = len(memberships) * min(len(ms) for ms in self._chats.values() if ms)
        self._next = 0

    @property
    def remaining(self) -> int:
        return self._capacity - self._next

    def take(self, count: int) -> list[Request]:
        if count > self.remaining:
            raise RuntimeError(f"cold pairs exhausted: {count} wanted, {self.remaining} left")
        start, self._next = self._next, self._next + count
        return [self._pair(k) for k in range(start, start + count)]

    def _pair(self, k: int) -> Request:
        m_index = k % len(self._memberships)
        membership = self._memberships[m_index]
        messages = self._chats[membership.chat_id]
        message = messages[(k // len(self._memberships) + m_index) % len(messages)]
        return Request(UPLOADS + message.thumb_path, membership.user_id)
