"""What each system test measured: one JSON line per test, and a summary of the session.

The lines go to build/system-report.jsonl (appended, so flakiness runs keep their
history); build/system-report.md and the terminal summary show the current session.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ansible_collections.dbpools.aiven.plugins.module_utils._api import SERVER_WAIT_MAX
from tests.support.ansible import PlaybookRun
from tests.support.collection import REPO_ROOT

REPORT_DIR = os.path.join(REPO_ROOT, "build")
REPORT_JSONL = os.path.join(REPORT_DIR, "system-report.jsonl")
REPORT_MD = os.path.join(REPORT_DIR, "system-report.md")
SESSION = time.strftime("%Y-%m-%dT%H:%M:%S") + f"-{os.getpid()}"

# Replies after which the client makes another attempt (see plugins/module_utils/_api.py).
RETRIED_STATUSES = frozenset([408, 429, 500, 501, 502, 503, 504, "dropped"])
WRITE_METHODS = frozenset(["POST", "PUT", "PATCH", "DELETE"])
# No test may see a longer gap between two requests: the client's longest single wait (documented), plus
# what lies between two requests anyway (a reply, a playbook starting, a state poll of at most 10 s).
GAP_BOUND = SERVER_WAIT_MAX + 10.0


@dataclass
class Measurement:
    test: str
    started: float = field(default_factory=time.monotonic)
    requests: Counter = field(default_factory=Counter)            # "METHOD STATUS" -> count
    faults_injected: Counter = field(default_factory=Counter)     # fault rule -> times it fired
    fault_rate_configured: Optional[float] = None
    fault_rate_measured: Optional[float] = None
    gave_up: int = 0          # requests that ran out of retries (the test knows how many)
    longest_gap: float = 0.0  # the most seconds between two requests of one emulator
    runs: List[Dict[str, Any]] = field(default_factory=list)
    notes: Dict[str, Any] = field(default_factory=dict)
    outcome: str = "unknown"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_log(self, log: Dict[str, Any], verification_gets: int = 0) -> None:
        """Count an emulator request log; the test's own reads of the result are left out."""
        counts = Counter(f"{entry['method']} {entry['status']}" for entry in log["log"])
        counts["GET 200"] -= verification_gets
        with self._lock:
            self.requests.update(+counts)
            self.longest_gap = max(self.longest_gap, float(log.get("longest_gap", 0.0)))

    def add_faults(self, rules: List[Dict[str, Any]]) -> None:
        with self._lock:
            for rule in rules:
                if rule["applied"]:
                    self.faults_injected[rule_label(rule)] += rule["applied"]

    def add_run(self, label: str, run: PlaybookRun) -> None:
        try:
            changed: Optional[int] = run.recap()["changed"]
        except AssertionError:
            changed = None
        with self._lock:
            self.runs.append({"label": label, "rc": run.rc, "changed": changed, "seconds": round(run.seconds, 2)})

    def line(self) -> Dict[str, Any]:
        by_method: Counter = Counter()
        by_status: Counter = Counter()
        retried = 0
        for key, count in self.requests.items():
            method, status = key.split(" ", 1)
            by_method[method] += count
            by_status[status] += count
            if status == "dropped" or (status.isdigit() and int(status) in RETRIED_STATUSES):
                retried += count
        return {
            "session": SESSION,
            "test": self.test,
            "outcome": self.outcome,
            "seconds": round(time.monotonic() - self.started, 2),
            "fault_rate_configured": self.fault_rate_configured,
            "fault_rate_measured": None if self.fault_rate_measured is None else round(self.fault_rate_measured, 4),
            "requests_total": sum(self.requests.values()),
            "requests_by_method": dict(sorted(by_method.items())),
            "requests_by_status": dict(sorted(by_status.items())),
            "requests": dict(sorted(self.requests.items())),
            "faults_injected": dict(self.faults_injected),
            # Every retryable reply was followed by another attempt, except for the requests that gave up.
            "retries_observed": retried - self.gave_up,
            "longest_gap_seconds": self.longest_gap,
            "runs": self.runs,
            "notes": self.notes,
        }

    def append(self) -> None:
        os.makedirs(REPORT_DIR, exist_ok=True)
        with open(REPORT_JSONL, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(self.line(), sort_keys=False) + "\n")


def rule_label(rule: Dict[str, Any]) -> str:
    """A fault rule in a few words: "503 POST /connection_pool$", "429 Retry-After 1 *"."""
    what = f"drop {rule['drop']}" if rule.get("drop") else str(rule.get("status"))
    if rule.get("retry_after") is not None:
        what += f" Retry-After {rule['retry_after']}"
    return f"{what} {rule.get('method') or '*'} {rule.get('path') or '*'}"


def session_lines() -> List[Dict[str, Any]]:
    if not os.path.exists(REPORT_JSONL):
        return []
    with open(REPORT_JSONL, encoding="utf-8") as handle:
        lines = [json.loads(text) for text in handle if text.strip()]
    return [line for line in lines if line.get("session") == SESSION]


def summary_rows(lines: List[Dict[str, Any]]) -> List[str]:
    """A Markdown table: one row per test."""
    rows = ["| test | outcome | s | requests | by method | faults (rate set / measured) | injected | retries |",
            "|---|---|---|---|---|---|---|---|"]
    for line in lines:
        methods = " ".join(f"{method} {count}" for method, count in line["requests_by_method"].items())
        rate = ""
        if line["fault_rate_configured"] is not None:
            rate = f"{line['fault_rate_configured']:.0%} / {line['fault_rate_measured']:.1%}"
        injected = sum(line["faults_injected"].values())
        rows.append(f"| {line['test']} | {line['outcome']} | {line['seconds']:.1f} | {line['requests_total']} | {methods} "
                    f"| {rate} | {injected} | {line['retries_observed']} |")
    return rows


def write_summary() -> List[str]:
    """build/system-report.md for this session; returns its table rows."""
    lines = session_lines()
    rows = summary_rows(lines)
    total = sum(line["seconds"] for line in lines)
    os.makedirs(REPORT_DIR, exist_ok=True)
    with open(REPORT_MD, "w", encoding="utf-8") as handle:
        handle.write(f"# System tests, session {SESSION}\n\n")
        handle.write("\n".join(rows) + "\n\n")
        handle.write(f"{len(lines)} tests, {total:.1f} s in the tests. Details per test: {os.path.relpath(REPORT_JSONL, REPO_ROOT)}.\n")
    return rows
