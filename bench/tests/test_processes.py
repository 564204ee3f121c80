"""Process groups are reaped whole; RSS is read for the whole tree."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.processes import Process, rss_mib, tree_pids


def test_stop_kills_the_whole_group(tmp_path: Path) -> None:
    # A parent that forks a child which ignores SIGTERM: only SIGKILL on the group ends it.
    script = "trap '' TERM; sleep 60 & echo $! > child.pid; wait"
    process = Process("sh", ["sh", "-c", script], cpu=0, log=tmp_path / "log", cwd=tmp_path)
    deadline = time.monotonic() + 5
    while not (tmp_path / "child.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((tmp_path / "child.pid").read_text())
    assert child in tree_pids([process.pid])
    assert rss_mib(tree_pids([process.pid])) > 0
    process.stop(grace_s=0.5)
    time.sleep(0.1)
    assert not os.path.exists(f"/proc/{child}") or _is_zombie(child)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
