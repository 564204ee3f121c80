"""bench.profile.summarize: shares of busy Python samples from py-spy's raw format."""

from __future__ import annotations

import pytest

from bench.profile import LOOP, summarize
from bench.servers import REPO

SUP = 'process 10:"gateway serve"'
WORKER = f'{SUP};process 11:"gateway serve"'
ENTRY = "MPServer._spawn_asgi_lifespan_worker (/x/site-packages/granian/server/mp.py:249)"
RAW = "\n".join([
    f"{WORKER};future_watcher (/x/site-packages/granian/_futures.py:19);"
    f"UploadHandler.serve ({REPO}/gateway/handlers.py:93);"
    f"Storage.open ({REPO}/gateway/storage.py:110) 6",
    f"{WORKER};future_watcher (/x/site-packages/granian/_futures.py:19);"
    f"UploadHandler.serve ({REPO}/gateway/handlers.py:95) 2",
    f"{WORKER};{ENTRY} 2",
    f"{WORKER} 30",  # a Rust thread: no Python frame
    f"{SUP};AbstractServer._serve_loop (granian/server/common.py:544);"
    "Condition.wait (/usr/lib/python3.11/threading.py:327) 50",
    "not a stack line",
])


def test_shares_are_of_busy_python_samples() -> None:
    s = summarize(RAW)
    assert (s.python_samples, s.native_samples, s.idle_samples) == (10, 30, 50)
    assert dict(s.self_share) == pytest.approx({
        "Storage.open (gateway/storage.py)": 60.0,
        "UploadHandler.serve (gateway/handlers.py)": 20.0,
        LOOP: 20.0,
    })


def test_total_counts_each_gateway_function_once_per_stack() -> None:
    total = dict(summarize(RAW).total_share)
    assert total == pytest.approx({
        "UploadHandler.serve (gateway/handlers.py)": 80.0,
        "Storage.open (gateway/storage.py)": 60.0,
    })
