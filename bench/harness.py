"""The bench run: prepare, start every server, interleave the measurements, report.

Interleaving: in each round, every workload is measured on every server before
the next workload (server order rotated each round), so the numbers compared
in one ratio are taken seconds apart, not minutes.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

from bench import chart, machine, probe, profile, report, servers
from bench.measure import LoadFiles, Sample, peak_memory, throughput
from bench.options import Options
from bench.prepare import Prepared, fixed_requests, prepare
from bench.request_lists import Request
from bench.servers import RunningServer, ServerSpec
from bench.startup import start_all
from bench.workloads import Workload, all_workloads
from bench.wrk import WrkError

# Upper bound on any server's cold rate, to size the warm-up's unique pairs.
COLD_MAX_RPS = 40_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(options: Options, argv: Sequence[str]) -> int:
    cores = _cores()
    _prepare_process(load_cpu=cores[1])
    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        log(f"warning: load average {load_at_start:.2f} before starting: expect noisy numbers")
    with ExitStack() as stack:
        log(f"preparing (server core {cores[0]}, load core {cores[1]})")
        prepared = prepare(stack, cpu=cores[0], log=log)
        workloads = [
            w
            for w in all_workloads(prepared.media, slow_clients=options.slow_clients)
            if w.name in options.workloads
        ]
        specs = _selected_servers(options)
        failures: dict[str, str] = {}
        if prepared.gateway_problem:
            log(f"schema from {prepared.schema_source}: {prepared.gateway_problem}")
        running = start_all(stack, prepared, specs, failures, log)
        bench = Bench(prepared, running, options, load_cpu=cores[1], failures=failures)
        rows = report.build_rows(workloads, specs, bench.run(workloads, specs))
        meta = _meta(options, argv, cores, prepared, workloads)
        # Other work on the machine is the main source of noise: keep it on record.
        meta["load_average_1min"] = {"start": load_at_start, "end": os.getloadavg()[0]}
        _write_outputs(options, rows, meta, failures)
    return 0


def _meta(
    options: Options,
    argv: Sequence[str],
    cores: tuple[int, int],
    prepared: Prepared,
    workloads: Sequence[Workload],
) -> dict[str, Any]:
    meta = machine.describe(list(argv), cores, prepared.postgres_version)
    meta["schema"] = prepared.schema_source
    meta["options"] = {
        "rounds": options.rounds,
        "duration_s": options.duration_s,
        "warmup_s": options.warmup_s,
        "slow_clients": options.slow_clients,
        "slow_hold_s": options.slow_hold_s,
        "quick": options.quick,
    }
    meta["workloads"] = {
        w.name: {"title": w.title, "unit": w.unit, "connections": w.connections} for w in workloads
    }
    return meta


def _write_outputs(
    options: Options, rows: list[report.Row], meta: dict[str, Any], failures: dict[str, str]
) -> None:
    print(report.format_table(rows, failures), flush=True)
    json_path = options.results_dir / "latest.json"
    report.write_json(json_path, rows, meta, failures)
    png_path = options.results_dir / "latest.png"
    title = f"{meta['cpu']} · {meta['date']} · {options.rounds} round(s) x {options.duration_s} s"
    drawn = chart.draw(png_path, rows, title)
    log(f"wrote {json_path}" + (f" and {png_path}" if drawn else " (no matplotlib: no PNG)"))


class Bench:
    def __init__(
        self,
        prepared: Prepared,
        running: dict[str, RunningServer],
        options: Options,
        *,
        load_cpu: int,
        failures: dict[str, str],
    ) -> None:
        self.prepared = prepared
        self.running = running
        self.options = options
        self.load_cpu = load_cpu
        self.failures = failures
        self._fixed: dict[str, LoadFiles] = {}
        self._probed: set[tuple[str, str]] = set()

    def run(self, workloads: Sequence[Workload], specs: Sequence[ServerSpec]) -> report.Results:
        results: report.Results = {}
        for round_no in range(self.options.rounds):
            # Rotate the order so no server always runs first (or right after another).
            shift = round_no % max(len(specs), 1)
            order = list(specs[shift:]) + list(specs[:shift])
            for workload in workloads:
                for spec in order:
                    if workload.authorized_only and not spec.authorizes:
                        continue
                    sample = self._one(workload, spec, round_no)
                    results.setdefault((workload.name, spec.name), []).append(sample)
        if self.options.profile_dir is not None:
            self._profile_pass(workloads, specs, self.options.profile_dir)
        return results

    def _profile_pass(
        self, workloads: Sequence[Workload], specs: Sequence[ServerSpec], directory: Path
    ) -> None:
        """One more, unreported measurement per gateway and workload, under py-spy.

        Apart from the rounds, so the sampler (on the load core) never skews a result.
        """
        directory.mkdir(parents=True, exist_ok=True)
        for workload in workloads:
            for spec in specs:
                server = self.running.get(spec.name)
                if workload.is_memory or server is None or not spec.name.startswith("gateway"):
                    continue
                out = directory / f"{workload.name}-{spec.name}.txt"
                self._measure(workload, server, profile_to=out)
                log(f"profile: {out}")

    def _one(self, workload: Workload, spec: ServerSpec, round_no: int) -> Sample | None:
        server = self.running.get(spec.name)
        if server is None:
            return None
        prefix = f"[{round_no + 1}/{self.options.rounds}] {workload.name:6} {spec.label}"
        sample: Sample | None = None
        try:
            sample = self._measure(workload, server)
        except (WrkError, probe.ProbeError, OSError) as exc:
            self.failures[f"{spec.name}/{workload.name}"] = str(exc)
            log(f"{prefix}: FAILED: {exc}")
        else:
            notes = f"  ({'; '.join(sample.notes)})" if sample.notes else ""
            log(f"{prefix}: {sample.value:,.1f} {workload.unit}{notes}")
        if not server.alive():
            self.failures[spec.name] = f"died during {workload.name}: {server.tails()}"
            log(f"{spec.name} died; not measured further: {server.tails()}")
            server.stop()
            del self.running[spec.name]
        return sample

    def _measure(
        self, workload: Workload, server: RunningServer, *, profile_to: Path | None = None
    ) -> Sample:
        p, cpu = self.prepared, self.load_cpu
        if workload.is_memory:
            [request] = fixed_requests(p, workload)[:1]
            self._probe_once(workload, server, request)
            token = p.tokens[p.world.bench_user]
            log_path = p.ctx.workdir / "slow-clients.log"
            return peak_memory(
                server,
                workload,
                request=request,
                token=token,
                hold_s=self.options.slow_hold_s,
                cpu=cpu,
                log=log_path,
            )
        if workload.build is None:  # cold: every run gets pairs never sent before
            self._probe_once(workload, server, p.cold_pairs.take(1)[0])
            warmup = self._cold_files(self.options.warmup_s * COLD_MAX_RPS)
            rate = throughput(server, workload, warmup, duration_s=self.options.warmup_s, cpu=cpu)
            files = self._cold_files(
                max(10_000, math.ceil(3 * rate.value * self.options.duration_s))
            )
        else:
            files = self._fixed_files(workload)
            self._probe_once(workload, server, fixed_requests(p, workload)[0])
            throughput(server, workload, files, duration_s=self.options.warmup_s, cpu=cpu)
        sampler = contextlib.nullcontext() if profile_to is None else profile.recording(
            server.root_pid, profile_to, duration_s=self.options.duration_s, cpu=cpu,
            log=p.ctx.workdir / "py-spy.log")
        with sampler:
            return throughput(server, workload, files, duration_s=self.options.duration_s, cpu=cpu)

    def _probe_once(self, workload: Workload, server: RunningServer, request: Request) -> None:
        key = (workload.name, server.spec.name)
        if key not in self._probed:
            token = self.prepared.token(request.user)
            probe.expect(
                server.port, request, token, workload.expected_status, workload.expected_body_bytes
            )
            self._probed.add(key)

    def _fixed_files(self, workload: Workload) -> LoadFiles:
        if workload.name not in self._fixed:
            path, count = self.prepared.request_file(
                workload.name, fixed_requests(self.prepared, workload)
            )
            self._fixed[workload.name] = LoadFiles(
                self.prepared.tokens_file, path, count, unique=False
            )
        return self._fixed[workload.name]

    def _cold_files(self, count: int) -> LoadFiles:
        count = min(count, self.prepared.cold_pairs.remaining)
        path, written = self.prepared.request_file("cold", self.prepared.cold_pairs.take(count))
        return LoadFiles(self.prepared.tokens_file, path, written, unique=True)


def _selected_servers(options: Options) -> list[ServerSpec]:
    specs = list(servers.SERVERS) + [servers.variant(label, env) for label, env in options.variants]
    if options.servers:
        known = {s.name for s in specs}
        unknown = set(options.servers) - known
        if unknown:
            names = ", ".join(sorted(known))
            raise SystemExit(f"unknown server(s): {', '.join(sorted(unknown))}; known: {names}")
        specs = [s for s in specs if s.name in options.servers]
    return specs


def _cores() -> tuple[int, int]:
    """(server core, load core): the first two CPUs this process may use."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        log("warning: one CPU only: server and load generator share it")
        return allowed[0], allowed[0]
    return allowed[0], allowed[1]


def _prepare_process(*, load_cpu: int) -> None:
    # The harness itself (probes, RSS sampling) must never steal the server's core.
    os.sched_setaffinity(0, {load_cpu})
    # 1000 slow downloads need more than the usual 1024 descriptors; children inherit this.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds the ExitStack: servers stopped, database dropped

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
