"""py-spy profiles of a server under load, and where their time goes.

`bench/run.py --profile DIR` records one profile per (workload, gateway) in an
extra, unreported measurement after the rounds, sampled from the load core while
wrk runs. Summarize one with

    .venv/bin/python -m bench.profile DIR/warm-gateway.txt [--top 20]

which prints the share of samples spent in each function (self: the function
itself is running; total, for the gateway's own functions: it is anywhere on the
stack). Shares are of the samples with Python frames that were not waiting
(epoll, a lock); py-spy cannot see inside granian's Rust threads, whose samples
are only counted.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Process
from bench.servers import REPO

RATE_HZ = 250
# Leaf functions that mean "waiting for work", not "working".
_IDLE = re.compile(r"(^|\.)(select|poll|wait|_run_once|run_forever)$")
# The worker's main thread inside granian's serve call: the event loop and
# granian's callbacks running natively between Python frames.
_LOOP_ENTRY = "MPServer._spawn_asgi_lifespan_worker"
# Shown relative to the repository, site-packages or the standard library.
_PREFIX = re.compile(rf"^({re.escape(str(REPO))}/|.*/site-packages/|.*/lib/python3\.\d+/)")
LOOP = "(event loop and granian callbacks, native)"


@contextlib.contextmanager
def recording(root_pid: int, out: Path, *, duration_s: int, cpu: int, log: Path) -> Iterator[None]:
    """py-spy samples the process tree of `root_pid` for `duration_s` (without pausing it)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("--profile needs py-spy: pip install -e '.[bench]'")
    argv = [py_spy, "record", "--nonblocking", "--subprocesses", "--rate", str(RATE_HZ),
            "--duration", str(duration_s), "--format", "raw", "--output", str(out),
            "--pid", str(root_pid)]  # fmt: skip
    process = Process("py-spy", argv, cpu=cpu, log=log)
    try:
        yield
        deadline = time.monotonic() + 15  # it stops by itself and writes the file
        while process.running() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.stop()


@dataclass(frozen=True, slots=True)
class Summary:
    python_samples: int
    native_samples: int
    idle_samples: int
    self_share: list[tuple[str, float]]
    total_share: list[tuple[str, float]]  # the gateway's own functions only


def summarize(text: str, *, top: int = 20) -> Summary:
    """From py-spy's raw (collapsed) format: `frame;frame;...;leaf count` per line."""
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    busy = idle = native = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # --subprocesses prefixes each stack with `process PID:"argv"` frames.
        frames = [_function(f) for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames:
            native += count
            continue
        if frames[-1].startswith(_LOOP_ENTRY):
            frames.append(LOOP)
        # Below the worker's entry point is only start-up (cli, serve, granian's spawn).
        entry = next((i for i, f in enumerate(frames) if f.startswith(_LOOP_ENTRY)), -1)
        frames = frames[entry + 1:]
        if _IDLE.search(frames[-1].split(" (")[0]):
            idle += count
            continue
        busy += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            if "(gateway/" in name:
                total_counts[name] += count
    share = 100.0 / max(busy, 1)
    return Summary(
        busy,
        native,
        idle,
        [(name, n * share) for name, n in self_counts.most_common(top)],
        [(name, n * share) for name, n in total_counts.most_common(top)],
    )


def _function(frame: str) -> str:
    """`serve (gateway/handlers.py:93)` -> `serve (gateway/handlers.py)`: lines merged."""
    name, _, where = frame.partition(" (")
    path = _PREFIX.sub("", where.rstrip(")").rsplit(":", 1)[0])
    return f"{name} ({path})" if path else name


def main() -> None:
    parser = argparse.ArgumentParser(description="Where a py-spy raw profile spends its time.")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    for path in args.files:
        s = summarize(path.read_text(errors="replace"), top=args.top)
        print(f"## {path.name}: {s.python_samples} Python samples "
              f"({s.idle_samples} waiting, {s.native_samples} in Rust threads left out)")
        for title, rows in (("self", s.self_share), ("total", s.total_share)):
            print(f"\n{title:>6} %  function")
            for name, pct in rows:
                print(f"{pct:8.1f}  {name}")
        print()


if __name__ == "__main__":
    main()
