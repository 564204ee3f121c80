"""Report: ratios are paired by round; targets and the variant column."""

from __future__ import annotations

from pathlib import Path

from bench.dataset import Media
from bench.measure import Sample
from bench.report import build_rows, format_table
from bench.servers import GATEWAY, LEAN, NGINX_STATIC, SERVERS, variant
from bench.workloads import all_workloads

WARM = all_workloads(Media(root=Path("/")), slow_clients=10)[0]


def samples(*values: float | None) -> list[Sample | None]:
    return [None if v is None else Sample(v) for v in values]


def test_ratios_are_paired_by_round_and_skip_failed_rounds() -> None:
    results = {
        ("warm", GATEWAY): samples(90, 50, 100),
        ("warm", LEAN): samples(100, None, 200),
    }
    rows = build_rows([WARM], SERVERS, results)
    gateway = next(r for r in rows if r.server.name == GATEWAY)
    assert gateway.ratios[LEAN] == [0.9, 0.5]
    assert gateway.target_met() is False  # median 0.7 < 0.9


def test_target_met_and_table_columns() -> None:
    results = {
        ("warm", GATEWAY): samples(95, 96, 97),
        ("warm", LEAN): samples(100, 100, 100),
        ("warm", NGINX_STATIC): samples(1000, 1000, 1000),
    }
    rows = build_rows([WARM], SERVERS, results)
    assert next(r for r in rows if r.server.name == GATEWAY).target_met() is True
    table = format_table(rows, {"bare-uvicorn": "did not start"})
    assert ">=0.9x lean ok" in table
    assert "vs gateway" not in table
    assert "not measured: bare-uvicorn: did not start" in table


def test_variant_gets_a_ratio_to_the_gateway() -> None:
    metrics_off = variant("metrics off", {"GATEWAY_X": "1"})
    results = {("warm", GATEWAY): samples(100), ("warm", metrics_off.name): samples(104)}
    rows = build_rows([WARM], [*SERVERS, metrics_off], results)
    assert next(r for r in rows if r.server is metrics_off).ratios[GATEWAY] == [1.04]
    assert "vs gateway" in format_table(rows, {})
