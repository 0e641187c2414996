"""Test controls: the request counter, fault rules and injected latency."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import bad_request
from .rate_limit import ShapedLimiter

DROP_MODES = ("before", "after")


def longest_gap(log: List[Dict[str, Any]]) -> float:
    """The most seconds between two requests in a row (0 for fewer than two): no client wait was longer."""
    times = [entry["at"] for entry in log]
    return round(max((later - earlier for earlier, later in zip(times, times[1:])), default=0.0), 3)


@dataclass
class RequestLog:
    """Counts Aiven API requests (never control routes)."""

    entries: List[Dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, path: str, status: Any, rate_limited: bool = False) -> None:
        # "at": the emulator's monotonic clock, for the gaps between requests (the longest is a client's longest wait).
        entry: Dict[str, Any] = {"method": method, "path": path, "status": status, "at": time.monotonic()}
        if rate_limited:
            # Tells the limiter's 429s from injected ones, which carry no such key.
            entry["rate_limited"] = True
        with self.lock:
            self.entries.append(entry)

    def snapshot(self) -> Dict[str, Any]:
        with self.lock:
            log = list(self.entries)
        return {
            "total": len(log),
            "by_method": dict(Counter(e["method"] for e in log)),
            "rate_limited": sum(1 for e in log if e.get("rate_limited")),
            "longest_gap": longest_gap(log),
            "log": log,
        }

    def reset(self) -> None:
        with self.lock:
            self.entries.clear()


@dataclass
class FaultRule:
    method: Optional[str]
    path: "re.Pattern[str]"
    status: Optional[int]
    retry_after: Optional[int]
    times: Optional[int]  # None: for ever
    rate: float
    drop: Optional[str]
    message: Optional[str]
    # The request is served (the write commits), then answered ``status``: Aiven's "5xx, but it
    # actually creates the database" (terraform-provider-aiven internal/schemautil/database.go).
    after_commit: bool = False
    applied: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.applied >= self.times:
            return False
        if self.method and self.method != method:
            return False
        return bool(self.path.search(path))

    def to_dict(self) -> Dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "status": self.status,
            "retry_after": self.retry_after,
            "times": self.times,
            "rate": self.rate,
            "drop": self.drop,
            "message": self.message,
            "after_commit": self.after_commit,
            "applied": self.applied,
        }


def _optional_int(raw: Dict[str, Any], key: str, where: str, low: int, high: int) -> Optional[int]:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"{where}.{key}: an integer from {low} to {high}")
    return value


def parse_rule(raw: Any, where: str) -> FaultRule:
    if not isinstance(raw, dict):
        raise bad_request(f"{where}: a fault rule must be an object")
    method = raw.get("method")
    if method is not None and not isinstance(method, str):
        raise bad_request(f"{where}.method: a string such as POST")
    try:
        path = re.compile(str(raw.get("path", "")))
    except re.error as exc:
        raise bad_request(f"{where}.path: not a regular expression ({exc})") from None
    rate = raw.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise bad_request(f"{where}.rate: a number from 0 to 1")
    drop = raw.get("drop")
    if drop is not None and drop not in DROP_MODES:
        raise bad_request(f"{where}.drop: 'before' or 'after'")
    status = _optional_int(raw, "status", where, 400, 599)
    if status is None and drop is None:
        raise bad_request(f"{where}: a rule needs a status or a drop")
    after_commit = raw.get("after_commit", False)
    if not isinstance(after_commit, bool) or (after_commit and (status is None or drop is not None)):
        raise bad_request(f"{where}.after_commit: true or false; true needs a status and no drop")
    return FaultRule(
        method=method.upper() if method else None,
        path=path,
        status=status,
        retry_after=_optional_int(raw, "retry_after", where, 0, 3600),
        times=_optional_int(raw, "times", where, 0, 10**9),
        rate=float(rate),
        drop=drop,
        message=raw.get("message"),
        after_commit=after_commit,
    )


@dataclass
class Faults:
    rules: List[FaultRule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def add(self, raw_rules: Any) -> None:
        if not isinstance(raw_rules, list):
            raise bad_request("'rules' must be a list of fault rules")
        parsed = [parse_rule(raw, f"rules[{index}]") for index, raw in enumerate(raw_rules)]
        with self.lock:
            self.rules.extend(parsed)

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def pick(self, method: str, path: str) -> Optional[FaultRule]:
        """The first matching rule that fires for this request, counted as applied."""
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path) and self.rng.random() < rule.rate:
                    rule.applied += 1
                    return rule
        return None

    def to_list(self) -> List[Dict[str, Any]]:
        with self.lock:
            return [rule.to_dict() for rule in self.rules]


@dataclass
class Controls:
    requests: RequestLog = field(default_factory=RequestLog)
    faults: Faults = field(default_factory=Faults)
    latency_ms: int = 0
    # Allowances of the rate_limit option, per user.
    rate_limiter: ShapedLimiter = field(default_factory=ShapedLimiter)
