"""The results as one PNG: a panel per workload, a bar per server (median, min-max whiskers)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from bench.report import Row


def draw(path: Path, rows: Sequence[Row], title: str) -> bool:
    """Returns False (and draws nothing) when matplotlib is not installed: it is optional."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on bench machines
        import matplotlib.pyplot as plt
    except ImportError:
        return False

    workloads = list(dict.fromkeys(r.workload.name for r in rows))
    columns = 2
    lines = math.ceil(len(workloads) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(14, 3.2 * lines), squeeze=False)
    for ax, name in zip(axes.flat, workloads, strict=False):
        panel = [r for r in rows if r.workload.name == name and r.values]
        labels = [r.server.label for r in panel]
        medians = [statistics.median(r.values) for r in panel]
        low = [m - min(r.values) for m, r in zip(medians, panel, strict=True)]
        high = [max(r.values) - m for m, r in zip(medians, panel, strict=True)]
        colors = ["tab:red" if r.server.name.startswith("gateway") else "tab:blue" for r in panel]
        ax.barh(labels, medians, xerr=[low, high], color=colors, capsize=3)
        ax.invert_yaxis()
        workload = panel[0].workload if panel else None
        better = (
            ""
            if workload is None
            else ("higher is better" if workload.higher_is_better else "lower is better")
        )
        unit = "" if workload is None else workload.unit
        ax.set_title(f"{workload.title if workload else name} [{unit}, {better}]", fontsize=9)
        ax.tick_params(labelsize=8)
        for y, value in enumerate(medians):
            ax.annotate(f" {value:,.0f}", (value, y), va="center", fontsize=7)
    for ax in list(axes.flat)[len(workloads) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
