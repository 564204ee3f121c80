"""Command line parsing."""

from __future__ import annotations

import pytest

from bench.options import WORKLOAD_NAMES, parse_args


def test_defaults_and_quick() -> None:
    full = parse_args([])
    assert (full.rounds, full.duration_s, full.workloads) == (3, 5, WORKLOAD_NAMES)
    quick = parse_args(["--quick", "--only", "warm,cold"])
    assert (quick.rounds, quick.duration_s, quick.workloads) == (1, 2, ("warm", "cold"))


def test_gateway_variant() -> None:
    options = parse_args(["--gateway-variant", "no metrics:GATEWAY_A=1,GATEWAY_B=x=y"])
    assert options.variants == (("no metrics", {"GATEWAY_A": "1", "GATEWAY_B": "x=y"}),)


@pytest.mark.parametrize(
    "argv", [["--only", "warm,bogus"], ["--gateway-variant", "label-only"], ["--rounds", "0"]]
)
def test_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
