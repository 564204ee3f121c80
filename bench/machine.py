"""What the numbers were measured on: machine, versions, command (for the README's Results)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import subprocess
from importlib import metadata
from typing import Any

from bench.servers import REPO


def describe(argv: list[str], cores: tuple[int, int], postgres_version: str) -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "bench/run.py", *argv]),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "server_core": cores[0],
        "load_core": cores[1],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_commit": _run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "versions": {
            "nginx": _run(["nginx", "-v"]).removeprefix("nginx version: "),
            "wrk": _run(["wrk", "-v"]).split(" [")[0],
            "postgresql": postgres_version,
            **{pkg: _package(pkg) for pkg in ("granian", "uvicorn", "starlette", "media-gateway")},
        },
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _run(argv: list[str]) -> str:
    """First line of a tool's version output (nginx prints it on stderr)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unavailable"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text and done.returncode in (0, 1) else "unavailable"
