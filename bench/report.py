"""Medians, spreads, paired ratios and the issue's targets; the table and the JSON.

Ratios are paired by round (server in round r / reference in round r, then the
median over rounds): interleaving makes a round's measurements neighbours in
time, so the pairing cancels most of the machine's drift.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import Sample
from bench.servers import GATEWAY, LEAN, NGINX_AUTH, NGINX_STATIC, ServerSpec
from bench.workloads import Workload

REFERENCES = ((NGINX_STATIC, "vs static"), (NGINX_AUTH, "vs auth"), (LEAN, "vs lean"))
# With --gateway-variant, variants are compared with the plain gateway too (the 5 % budget).
VARIANT_REFERENCE = (GATEWAY, "vs gateway")


@dataclass(frozen=True, slots=True)
class Target:
    workload: str
    reference: str | None  # ratio target against this server; None: absolute bound
    bound: float
    at_least: bool  # True: value/ratio >= bound; False: value < bound

    def describe(self) -> str:
        what = f"x {_short(self.reference)}" if self.reference else " MiB"
        return f"{'>=' if self.at_least else '<'}{self.bound:g}{what}"


# Issue 5's targets, all for the gateway.
TARGETS = (
    Target("warm", LEAN, 0.9, True),
    Target("cold", NGINX_AUTH, 1.5, True),
    Target("video", NGINX_STATIC, 1.0, True),
    Target("seek", NGINX_STATIC, 0.5, True),
    Target("slow", None, 150.0, False),
    Target("slow-range", None, 150.0, False),
)

# results[(workload, server)] holds one entry per round (None: that run failed).
Results = dict[tuple[str, str], list[Sample | None]]


@dataclass(frozen=True, slots=True)
class Row:
    workload: Workload
    server: ServerSpec
    samples: list[Sample | None]
    ratios: dict[str, list[float]]  # reference server -> per-round ratios
    target: Target | None

    @property
    def values(self) -> list[float]:
        return [s.value for s in self.samples if s is not None]

    @property
    def notes(self) -> list[str]:
        return sorted({n for s in self.samples if s is not None for n in s.notes})

    def target_met(self) -> bool | None:
        if self.target is None or not self.values:
            return None
        if self.target.reference is None:
            measured = statistics.median(self.values)
        elif self.ratios.get(self.target.reference):
            measured = statistics.median(self.ratios[self.target.reference])
        else:
            return None
        return (
            measured >= self.target.bound if self.target.at_least else measured < self.target.bound
        )


def build_rows(
    workloads: Sequence[Workload], servers: Sequence[ServerSpec], results: Results
) -> list[Row]:
    rows = []
    for workload in workloads:
        for server in servers:
            samples = results.get((workload.name, server.name))
            if samples is None:
                continue
            ratios = {
                ref: _paired(samples, results.get((workload.name, ref), []))
                for ref, _ in (*REFERENCES, VARIANT_REFERENCE)
            }
            target = next((t for t in TARGETS if t.workload == workload.name), None)
            rows.append(
                Row(workload, server, samples, ratios, target if server.name == GATEWAY else None)
            )
    return rows


def _paired(samples: Sequence[Sample | None], refs: Sequence[Sample | None]) -> list[float]:
    return [
        s.value / r.value
        for s, r in zip(samples, refs, strict=False)
        if s is not None and r is not None and r.value > 0
    ]


def format_table(rows: Sequence[Row], failures: dict[str, str]) -> str:
    references = _references(rows)
    header = ["workload", "server", "unit", "median", "min-max"]
    header += [label for _, label in references] + ["target", "notes"]
    lines = [header] + [_cells(row, references) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    numeric = set(range(3, 5 + len(references)))  # median, min-max and the ratios
    out = []
    for line in lines:
        parts = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=False))
        ]
        out.append("  ".join([*parts, line[-1]]).rstrip())
    out.insert(1, "-" * len(out[0]))
    for name, reason in failures.items():
        out.append(f"not measured: {name}: {reason}")
    return "\n".join(out)


def _cells(row: Row, references: Sequence[tuple[str, str]]) -> list[str]:
    unit, values = row.workload.unit, row.values
    median = _num(statistics.median(values), unit) if values else "n/a"
    spread = f"{_num(min(values), unit)}-{_num(max(values), unit)}" if values else "n/a"
    cells = [row.workload.name, row.server.label, unit, median, spread]
    cells += [_ratio(row.ratios.get(ref, [])) for ref, _ in references]
    met = row.target_met()
    target = "" if row.target is None else row.target.describe()
    target += "" if met is None else (" ok" if met else " MISSED")
    failed = sum(s is None for s in row.samples)
    notes = row.notes + ([f"{failed} run(s) failed"] if failed else [])
    return [*cells, target, "; ".join(notes)]


def _references(rows: Sequence[Row]) -> tuple[tuple[str, str], ...]:
    if any(r.server.name.startswith(f"{GATEWAY}-") for r in rows):
        return (*REFERENCES, VARIANT_REFERENCE)
    return REFERENCES


def _num(value: float, unit: str) -> str:
    if unit == "MiB":
        return f"{value:,.1f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _ratio(ratios: Sequence[float]) -> str:
    return f"{statistics.median(ratios):.2f}" if ratios else ""


def _short(server: str | None) -> str:
    return {NGINX_STATIC: "static", NGINX_AUTH: "auth", LEAN: "lean"}.get(
        server or "", server or ""
    )


def write_json(
    path: Path, rows: Sequence[Row], meta: dict[str, Any], failures: dict[str, str]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "failures": failures, "results": [_row_json(r) for r in rows]}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _row_json(row: Row) -> dict[str, Any]:
    values = row.values
    target = row.target
    return {
        "workload": row.workload.name,
        "workload_title": row.workload.title,
        "server": row.server.name,
        "server_label": row.server.label,
        "unit": row.workload.unit,
        "higher_is_better": row.workload.higher_is_better,
        **_stats(values, digits=1),
        "ratios": {ref: {**_stats(r, digits=3), "per_round": [round(x, 3) for x in r]}
                   for ref, r in row.ratios.items() if r},
        "target": None if target is None else {"rule": target.describe(), "met": row.target_met()},
        "rounds": [None if s is None else
                   {"value": round(s.value, 1), "notes": list(s.notes), **s.details}
                   for s in row.samples],
    }  # fmt: skip


def _stats(values: Sequence[float], *, digits: int) -> dict[str, float | None]:
    if not values:
        return {"median": None, "min": None, "max": None}
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }
