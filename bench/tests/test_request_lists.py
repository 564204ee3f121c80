"""Request lists: cold pairs never repeat and are always allowed; seeks stay in the file."""

from __future__ import annotations

from pathlib import Path

from bench.request_lists import (
    SEEK_RANGE_BYTES,
    ColdPairs,
    Request,
    video_seeks,
    write_request_file,
)
from bench.world import build_world

WORLD = build_world(users=300, chats=30, messages=3000)


def allowed(request: Request) -> bool:
    member_of = {m.chat_id for m in WORLD.current_memberships() if m.user_id == request.user}
    return any(
        request.path == "/uploads/" + m.thumb_path
        for chat in member_of
        for m in WORLD.visible_by_chat[chat]
    )


def test_cold_pairs_are_unique_and_allowed() -> None:
    pairs = ColdPairs(WORLD)
    taken = pairs.take(5000) + pairs.take(5000)
    assert len({(r.user, r.path) for r in taken}) == len(taken)
    assert all(allowed(r) for r in taken[::97])


def test_cold_pairs_refuse_to_repeat() -> None:
    pairs = ColdPairs(WORLD)
    pairs.take(pairs.remaining)
    try:
        pairs.take(1)
    except RuntimeError:
        return
    raise AssertionError("an exhausted ColdPairs handed out a pair")


def test_bench_user_sees_their_chat_and_stranger_does_not() -> None:
    thumbs = {m.thumb_path for m in WORLD.bench_messages()}
    assert len(thumbs) == 100
    stranger_chats = {m.chat_id for m in WORLD.memberships if m.user_id == WORLD.stranger}
    assert WORLD.bench_chat not in stranger_chats


def test_video_seeks_are_one_mebibyte_inside_the_file() -> None:
    size = 64 * 1024 * 1024
    for request in video_seeks(WORLD, size, count=200):
        assert request.byte_range is not None
        first, last = request.byte_range
        assert last - first + 1 == SEEK_RANGE_BYTES
        assert first >= 0 and last < size


def test_request_file_format(tmp_path: Path) -> None:
    path = tmp_path / "r.tsv"
    requests = [Request("/uploads/a.jpg", 7), Request("/uploads/b.mp4", None, (0, 9))]
    assert write_request_file(path, requests, {7: 3}) == 2
    assert path.read_text() == "3\t/uploads/a.jpg\t\n\t/uploads/b.mp4\tbytes=0-9\n"
