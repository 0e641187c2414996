"""How long the client waits between attempts, and how likely a request runs out of them.

The numbers come from the client itself (AivenClient's defaults); the schedule is
urllib3 2.x's, as configured in plugins/module_utils/_api.py: no wait before the first
retry, then backoff_factor * 2**(n-1) seconds plus up to min(backoff_factor, 1) s of
jitter, capped at backoff_max; a Retry-After header or a 429's "try again in N s"
replaces that wait (capped at server_wait_max, 60 s).
"""

from __future__ import annotations

import inspect
from typing import Tuple

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenClient

_DEFAULTS = {name: param.default for name, param in inspect.signature(AivenClient.__init__).parameters.items()}
DEFAULT_RETRIES: int = _DEFAULTS["max_retries"]
BACKOFF_FACTOR: float = _DEFAULTS["backoff_factor"]
BACKOFF_MAX: float = _DEFAULTS["backoff_max"]
JITTER = min(BACKOFF_FACTOR, 1.0)
RETRY_AFTER_CAP: float = _DEFAULTS["server_wait_max"]


def backoff_bounds(retries: int) -> Tuple[float, float]:
    """Least and most seconds a request waits in total before giving up (no Retry-After)."""
    low = high = 0.0
    for attempt in range(2, retries + 1):  # the first retry goes at once
        base = BACKOFF_FACTOR * 2 ** (attempt - 1)
        low += min(BACKOFF_MAX, base)
        high += min(BACKOFF_MAX, base + JITTER)
    return low, high


def exhaust_chance(fault_rate: float, retries: int, requests: int) -> float:
    """Chance that at least one of ``requests`` independent requests gets a fault on every attempt."""
    per_request = fault_rate ** (retries + 1)
    return 1.0 - (1.0 - per_request) ** requests
