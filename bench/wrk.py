"""Run wrk (one thread, pinned to the load core) with rotate.lua; parse its summary."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROTATE_LUA = Path(__file__).with_name("rotate.lua")
MARKER = "WRK_JSON "


class WrkError(RuntimeError):
    """wrk failed or printed no summary."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    bytes: int
    duration_s: float
    errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s

    @property
    def megabytes_per_s(self) -> float:
        # Decimal MB, counted from the bytes wrk read (headers included: <0.1 % here).
        return self.bytes / self.duration_s / 1e6

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk not found: install it (Debian: apt-get install wrk)")
    return found


def run_wrk(
    url: str,
    *,
    tokens_file: Path,
    requests_file: Path,
    connections: int,
    duration_s: int,
    cpu: int,
    timeout_s: int = 10,
) -> WrkResult:
    argv = [
        "taskset", "-c", str(cpu),
        wrk_path(), "-t1", f"-c{connections}", f"-d{duration_s}s", f"--timeout={timeout_s}s",
        "-s", str(ROTATE_LUA), url, "--", str(tokens_file), str(requests_file),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration_s + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish: {exc}") from None
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return _parse(json.loads(line[len(MARKER) :]))
    raise WrkError(f"wrk exited {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}")


def _parse(raw: dict[str, Any]) -> WrkResult:
    return WrkResult(
        requests=int(raw["requests"]),
        bytes=int(raw["bytes"]),
        duration_s=raw["duration_us"] / 1e6,
        errors={k: int(v) for k, v in raw["errors"].items()},
        latency_ms={k: v / 1000 for k, v in raw["latency_us"].items()},
    )
