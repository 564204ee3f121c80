"""One measurement of one server under one workload: a Sample."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import Process
from bench.request_lists import Request
from bench.servers import REPO, RunningServer
from bench.workloads import Workload
from bench.wrk import WrkResult, run_wrk

# Above this share of failed requests a throughput number is not trusted.
MAX_ERROR_SHARE = 0.001


@dataclass(frozen=True, slots=True)
class Sample:
    value: float  # in the workload's unit
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def trusted(self) -> bool:
        return not self.notes


@dataclass(frozen=True, slots=True)
class LoadFiles:
    tokens: Path
    requests: Path
    count: int  # lines in the request file
    unique: bool  # the list must not be repeated (cold pairs)


def throughput(
    server: RunningServer, workload: Workload, files: LoadFiles, *, duration_s: int, cpu: int
) -> Sample:
    result = run_wrk(
        server.url,
        tokens_file=files.tokens,
        requests_file=files.requests,
        connections=workload.connections,
        duration_s=duration_s,
        cpu=cpu,
    )
    value = result.requests_per_s if workload.unit == "req/s" else result.megabytes_per_s
    return Sample(value, _wrk_notes(result, workload, files), _wrk_details(result))


def _wrk_notes(result: WrkResult, workload: Workload, files: LoadFiles) -> tuple[str, ...]:
    notes = []
    if result.requests == 0:
        notes.append("no request completed")
    elif result.error_count > MAX_ERROR_SHARE * result.requests:
        notes.append(f"{result.error_count} errors {result.errors}")
    # wrk's startup check consumes one request before the clock starts.
    if files.unique and result.requests + 1 > files.count:
        notes.append(f"list of {files.count} exhausted: pairs repeated")
    # wrk counts 4xx/5xx as errors but not a short body: each response must carry the file.
    if result.requests and result.bytes / result.requests < workload.expected_body_bytes:
        notes.append(f"{result.bytes // max(result.requests, 1)} bytes/response, too few")
    return tuple(notes)


def _wrk_details(result: WrkResult) -> dict[str, Any]:
    return {
        "requests": result.requests,
        "duration_s": round(result.duration_s, 3),
        "requests_per_s": round(result.requests_per_s, 1),
        "megabytes_per_s": round(result.megabytes_per_s, 1),
        "errors": result.errors,
        "latency_ms": {k: round(v, 3) for k, v in result.latency_ms.items()},
    }


def peak_memory(
    server: RunningServer,
    workload: Workload,
    *,
    request: Request,
    token: str,
    hold_s: float,
    cpu: int,
    log: Path,
) -> Sample:
    """Peak RSS of the server's process tree while `connections` slow downloads run."""
    idle_mib = server.rss_mib()
    peak_mib = idle_mib
    argv = [sys.executable, "-m", "bench.slow_clients", "--port", str(server.port),
            "--path", request.path, "--token", token, "--clients", str(workload.connections),
            "--hold", str(hold_s), "--range", request.range_header]  # fmt: skip
    log.unlink(missing_ok=True)
    clients = Process("slow-clients", argv, cpu=cpu, log=log, cwd=REPO)
    deadline = time.monotonic() + hold_s + 120
    try:
        while clients.running() and time.monotonic() < deadline:
            peak_mib = max(peak_mib, server.rss_mib())
            time.sleep(0.1)
    finally:
        clients.stop()
    summary = _last_json_line(log)
    outcomes: dict[str, int] = summary.get("outcomes", {})
    held = outcomes.get("held", 0)
    notes = () if held == workload.connections else (f"only {held} streams held: {outcomes}",)
    details = {
        "idle_mib": round(idle_mib, 1),
        "outcomes": outcomes,
        "bytes_read": summary.get("bytes_read", 0),
        # Seconds until every client had its response head: the hold starts then.
        "ramp_s": summary.get("ramp_s"),
    }
    return Sample(round(peak_mib, 1), notes, details)


def _last_json_line(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
    return {"outcomes": {"client crashed": 1}}
