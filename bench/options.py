"""Command line -> one frozen Options value, read once and passed down."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

WORKLOAD_NAMES = ("warm", "cold", "photos", "video", "seek", "slow", "slow-range")
T = TypeVar("T")
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True, slots=True)
class Options:
    rounds: int
    duration_s: int  # per measurement; wrk takes whole seconds
    warmup_s: int
    workloads: tuple[str, ...]
    servers: tuple[str, ...]  # empty: all
    slow_clients: int
    slow_hold_s: float
    variants: tuple[tuple[str, dict[str, str]], ...]
    results_dir: Path
    quick: bool
    profile_dir: Path | None  # py-spy profiles of the gateways, in a pass after the rounds


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark the gateway side by side with nginx and bare Python servers.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1 round, 2 s measurements, short slow-download hold",
    )
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 1)")
    parser.add_argument("--duration", type=int, help="seconds per measurement (default 5; quick 2)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up before each (default 1)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated workloads, of: {','.join(WORKLOAD_NAMES)}"
    )
    parser.add_argument(
        "--servers", default="", help="comma-separated server names (default: all; see README)"
    )
    parser.add_argument("--slow-clients", type=int, default=1000)
    parser.add_argument(
        "--slow-hold", type=float, help="seconds the slow downloads stay open (default 10; quick 3)"
    )
    parser.add_argument(
        "--gateway-variant",
        action="append",
        default=[],
        metavar="LABEL:K=V,...",
        help="also run the gateway with these extra environment variables",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after the rounds, profile each gateway once per workload with py-spy into DIR",
    )
    args = parser.parse_args(argv)

    workloads = _names(args.only) or WORKLOAD_NAMES
    unknown = set(workloads) - set(WORKLOAD_NAMES)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    quick = bool(args.quick)
    options = Options(
        rounds=_given(args.rounds, 1 if quick else 3),
        duration_s=_given(args.duration, 2 if quick else 5),
        warmup_s=_given(args.warmup, 1),
        workloads=workloads,
        servers=_names(args.servers),
        slow_clients=args.slow_clients,
        slow_hold_s=_given(args.slow_hold, 3.0 if quick else 10.0),
        variants=tuple(_variant(parser, v) for v in args.gateway_variant),
        results_dir=args.results_dir,
        quick=quick,
        profile_dir=args.profile,
    )
    if min(options.rounds, options.duration_s, options.warmup_s, options.slow_clients) < 1:
        parser.error("--rounds, --duration, --warmup and --slow-clients must be at least 1")
    return options


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


def _names(csv: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in csv.split(",") if n.strip())


def _variant(parser: argparse.ArgumentParser, text: str) -> tuple[str, dict[str, str]]:
    """`metrics-off:GATEWAY_METRICS_ENABLED=false,...` -> ("metrics-off", {...})."""
    label, _, assignments = text.partition(":")
    env: dict[str, str] = {}
    for item in _names(assignments):
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--gateway-variant {text!r}: expected LABEL:KEY=VALUE[,KEY=VALUE]")
        env[key] = value
    if not label or not env:
        parser.error(f"--gateway-variant {text!r}: expected LABEL:KEY=VALUE[,KEY=VALUE]")
    return label, env
