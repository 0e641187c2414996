"""The benchmark's table, its targets (PASS / MISS, never a failure) and its JSON file."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

from .scenarios import METHODS, Measurement

WRITES = ("POST", "PUT", "DELETE")


def table(results: Dict[str, Measurement]) -> str:
    header = ("scenario", "seconds") + METHODS + ("total", "")
    rows = [header]
    for name, m in results.items():
        counts = [str(m.requests.get(method, "-")) for method in METHODS + ("total",)]
        rows.append((name, f"{m.seconds:.2f}", *counts, f"FAILED: {m.error}" if m.error else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:])]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _usable(results: Dict[str, Measurement], *names: str) -> bool:
    return all(name in results and not results[name].error for name in names)


def _ratio(results: Dict[str, Measurement], numerator: str, denominator: str, limit: float) -> Dict[str, Any]:
    target = {"name": f"{numerator} / {denominator} seconds", "target": f"<= {limit:.2f}"}
    if not _usable(results, numerator, denominator) or results[denominator].seconds <= 0:
        return dict(target, value=None, verdict="n/a")
    value = results[numerator].seconds / results[denominator].seconds
    return dict(target, value=round(value, 4), verdict="PASS" if value <= limit else "MISS")


def _writes(m: Measurement) -> int:
    return sum(m.requests.get(method, 0) for method in WRITES)


def targets(results: Dict[str, Measurement], services: int) -> List[Dict[str, Any]]:
    found = [
        _ratio(results, "role_converged", "loop_converged", 0.08),
        _ratio(results, "role_cold", "loop_cold", 0.10),
        _ratio(results, "role_cold", "avn_cold", 0.10),
    ]
    target = {"name": "role_converged requests", "target": f"== {services} (one GET per service), no writes"}
    if _usable(results, "role_converged"):
        m = results["role_converged"]
        ok = m.requests.get("total") == services and m.requests.get("GET") == services and _writes(m) == 0
        found.append(dict(target, value=f"{m.requests.get('total')} ({_writes(m)} writes)", verdict="PASS" if ok else "MISS"))
    else:
        found.append(dict(target, value=None, verdict="n/a"))
    target = {"name": "role_check writes", "target": "== 0"}
    if _usable(results, "role_check"):
        writes = _writes(results["role_check"])
        found.append(dict(target, value=writes, verdict="PASS" if writes == 0 else "MISS"))
    else:
        found.append(dict(target, value=None, verdict="n/a"))
    return found


def targets_text(found: List[Dict[str, Any]]) -> str:
    rows = [("target", "value", "wanted", "")]
    for item in found:
        value = item["value"]
        shown = "not run" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        rows.append((item["name"], shown, item["target"], item["verdict"]))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3] for row in rows).rstrip()


def write_json(path: str, results: Dict[str, Measurement], found: List[Dict[str, Any]], meta: Dict[str, Any],
               logdir: Optional[str] = None) -> None:
    data: Dict[str, Any] = {name: m.as_json() for name, m in results.items()}
    data["targets"] = found
    data["meta"] = dict(meta, logs=logdir) if logdir else meta
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
