"""The workloads of issue 5: what each one requests and what it measures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench import request_lists as rl
from bench.dataset import Media
from bench.world import World

Builder = Callable[[World, Media], list[rl.Request]]


@dataclass(frozen=True, slots=True)
class Workload:
    name: str  # used by --only and in the JSON
    title: str
    unit: str  # "req/s", "MB/s" (throughput, higher is better) or "MiB" (memory, lower)
    connections: int  # wrk connections (or slow clients, for the memory workload)
    expected_status: int
    expected_body_bytes: int
    build: Builder | None  # None: requests come from ColdPairs, fresh for every run
    authorized_only: bool = False  # meaningless without authorization (cold)

    @property
    def is_memory(self) -> bool:
        return self.unit == "MiB"

    @property
    def higher_is_better(self) -> bool:
        return not self.is_memory


def all_workloads(media: Media, *, slow_clients: int) -> tuple[Workload, ...]:
    return (
        Workload("warm", "warm thumbnails (4 KiB, cached decision)", "req/s", 64,
                 200, media.thumb_bytes, lambda w, m: rl.thumbnails_of_bench_chat(w)),
        Workload("cold", "cold thumbnails (new user/path pair each)", "req/s", 64,
                 200, media.thumb_bytes, None, authorized_only=True),
        Workload("photos", "photos (200 KiB)", "req/s", 32,
                 200, media.photo_bytes, lambda w, m: rl.photos_of_bench_chat(w)),
        Workload("video", "full video (64 MiB)", "MB/s", 4,
                 200, media.video_bytes, lambda w, m: rl.full_video(w)),
        Workload("seek", "video seeking (1 MiB ranges)", "MB/s", 16,
                 206, rl.SEEK_RANGE_BYTES, lambda w, m: rl.video_seeks(w, m.video_bytes)),
        Workload("slow", f"{slow_clients} slow video downloads: peak RSS", "MiB", slow_clients,
                 200, media.video_bytes, lambda w, m: rl.full_video(w)),
        # What a <video> element sends: a Range from 0, so the body is streamed, not pathsent.
        Workload("slow-range", f"{slow_clients} slow video plays (Range from 0): peak RSS", "MiB",
                 slow_clients, 206, media.video_bytes,
                 lambda w, m: rl.whole_video_as_range(w, m.video_bytes)),
    )  # fmt: skip
