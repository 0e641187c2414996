"""The benchmark's table of measurements and its JSON file (the targets are in targets.py)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple

from .scenarios import METHODS, Measurement
from .targets import limit_figures, unthrottled_pace, vs_baseline


def _limit_notes(results: Dict[str, Measurement]) -> List[str]:
    """One line per rate-limited run: its limit, requests, refusals, seconds and the least time the limit imposes."""
    notes = []
    pace, _how = unthrottled_pace(results)
    for name, m in results.items():
        figures = limit_figures(m, pace)
        if figures is None or m.rate_limit is None:
            continue
        limit = m.rate_limit
        rule = "off" if limit.requests <= 0 else f"{limit.requests} requests per {limit.window:g} s per user, {limit.shape} shape"
        against = "the limit did not have to bite" if figures["vs_bound"] is None else f"measured {figures['vs_bound']:.2f}x that"
        notes.append(f"{name}: {m.workload.pools} pools on {m.workload.services} services, rate limit {rule}; "
                     f"{figures['requests']} requests, {figures['refused']} refused ({figures['refused_share']:.1%}), "
                     f"{m.seconds:.2f} s; least time the limit imposes: {figures['bound_formula']}; {against}")
    return notes


def table(results: Dict[str, Measurement]) -> str:
    header = ("scenario", "runs", "median s", "x baseline", "cpu s", "cpu x") + METHODS + ("total", "429", "peak MB", "")
    base = results.get("baseline")
    base_cpu = base.cpu_seconds if base is not None and not base.error else 0.0
    ratios = vs_baseline(results)
    rows: List[Tuple[str, ...]] = [header]
    for name, m in results.items():
        counts = [str(m.requests.get(method, "-")) for method in METHODS + ("total",)]
        ratio = "-" if ratios[name] is None else f"{ratios[name]:.2f}"
        cpu_ratio = f"{m.cpu_seconds / base_cpu:.2f}" if base_cpu > 0 else "-"
        rows.append((name, str(len(m.runs) or 1), f"{m.seconds:.2f}", ratio, f"{m.cpu_seconds:.2f}", cpu_ratio, *counts,
                     str(m.refused), f"{m.peak_rss_kb / 1024:.0f}", f"FAILED: {m.error}" if m.error else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:])]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines + _limit_notes(results))


def write_json(path: str, results: Dict[str, Measurement], found: List[Dict[str, Any]], meta: Dict[str, Any],
               logdir: Optional[str] = None) -> None:
    ratios = vs_baseline(results)
    pace, _how = unthrottled_pace(results)
    data: Dict[str, Any] = {}
    for name, m in results.items():
        data[name] = dict(m.as_json(), vs_baseline=ratios[name])
        figures = limit_figures(m, pace)
        if figures is not None:
            data[name]["limit_bound"] = figures
    data["targets"] = found
    data["meta"] = dict(meta, logs=logdir) if logdir else meta
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
