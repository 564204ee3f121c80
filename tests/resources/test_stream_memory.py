"""Streaming a 4 GiB file to a slow reader: the server's memory stays small and flat.

A server without backpressure would read the file as fast as the page cache
serves zeros (GiB per second) and queue it in memory; here the worker may run
only a few MiB ahead of what the client has taken, and stops when it stalls.
"""

from __future__ import annotations

import time

import pytest
from process_stats import MiB, open_fds, read_bytes, request, rss_bytes, wait_for
from resource_world import BIG, BIG_BYTES, Served

pytestmark = pytest.mark.e2e

READ_BYTES = 16 * MiB
RSS_GROWTH_MAX = 50 * MiB
RSS_DRIFT_MAX = 8 * MiB  # between the first and second half of the stream
READ_AHEAD_MAX = 32 * MiB  # server-side reads beyond what the client has received


# "whole" goes out by pathsend under granian and in chunks under uvicorn;
# `bytes=0-` is a 206 streamed in chunks by the gateway itself on both.
@pytest.mark.parametrize("mode", ["whole", "open-range"])
def test_slow_reader_keeps_memory_small_and_flat(served: Served, mode: str) -> None:
    headers = dict(served.headers)
    if mode == "open-range":
        headers["Range"] = "bytes=0-"
    _warm_up(served, headers)
    baseline_rss, baseline_read = rss_bytes(served.worker), read_bytes(served.worker)

    response = request(served.port, f"/uploads/{BIG}", headers)
    assert response.status == (206 if mode == "open-range" else 200)
    assert int(response.headers["content-length"]) == BIG_BYTES
    received, samples = 0, []
    stall_growth: int | None = None
    next_sample = time.monotonic()
    while received < READ_BYTES:
        chunk = response.recv(64 * 1024)
        assert chunk and not chunk.strip(b"\0"), "the sparse file reads as zeros"
        received += len(chunk)
        time.sleep(0.008)  # a slow reader: a few MiB/s against a server that could do GiB/s
        if time.monotonic() >= next_sample:
            samples.append(rss_bytes(served.worker))
            ahead = read_bytes(served.worker) - baseline_read - received
            assert ahead < READ_AHEAD_MAX, f"server read {ahead / MiB:.0f} MiB ahead"
            next_sample = time.monotonic() + 0.1
        if stall_growth is None and received >= READ_BYTES // 2:
            stall_growth = _stall(served)
    response.abort()

    assert stall_growth is not None
    assert stall_growth < 8 * MiB, f"server read {stall_growth / MiB:.1f} MiB during a stall"
    growth = max(samples) - baseline_rss
    assert growth < RSS_GROWTH_MAX, f"RSS grew {growth / MiB:.1f} MiB"
    half = len(samples) // 2
    drift = max(samples[half:]) - max(samples[:half])
    assert drift < RSS_DRIFT_MAX, f"RSS still growing: +{drift / MiB:.1f} MiB in the second half"


def _warm_up(served: Served, headers: dict[str, str]) -> None:
    """One short stream first, so lazy imports and thread pools are in the baseline."""
    response = request(served.port, f"/uploads/{BIG}", headers)
    response.recv(1024 * 1024)
    response.abort()
    wait_for(lambda: served.big_path not in open_fds(served.worker), 10)


def _stall(served: Served) -> int:
    """Stop reading for a second: how much did the server read meanwhile?"""
    time.sleep(0.3)  # let the socket buffers fill
    before = read_bytes(served.worker)
    time.sleep(1.0)
    return read_bytes(served.worker) - before
