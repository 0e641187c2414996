"""Aiven's rate limit as the emulator applies it: a fixed window per key (production's shape) or a token bucket.

Both answer ``take(key, limit, window)`` with 0 (the request may go, counted) or the whole
seconds to wait, which the 429 text names ("try again in Ns").
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Dict

# Float refills land a hair under whole numbers (20 * 0.05 == 0.9999...); this much is a full token.
_SLACK = 1e-9


def too_many_requests_text(limit: int, wait: int) -> str:
    """Aiven's 429 message (terraform-provider-aiven#575), the wait only in the text."""
    return (
        "The user has sent too many requests in a given amount of time: "
        f"Rate limit {limit} exceeded - try again in {wait}s"
    )


@dataclass
class _Bucket:
    level: float  # requests the token may still make now
    updated: float  # clock reading of the last refill


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds for each key, refilled continuously.

    Used from the event loop only, so it needs no lock. The settings come with every
    call, so a change of the options applies to the next request.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: Dict[str, _Bucket] = {}

    def reset(self) -> None:
        """Every token back to a full allowance."""
        self._buckets.clear()

    def take(self, key: str, limit: int, window: float) -> int:
        """0 if ``key`` may make a request now (counted), else the whole seconds it must wait.

        A refused request takes nothing from the bucket.
        """
        if limit <= 0:
            return 0
        now = self.clock()
        bucket = self._buckets.setdefault(key, _Bucket(float(limit), now))
        per_second = limit / window
        bucket.level = min(float(limit), bucket.level + (now - bucket.updated) * per_second)
        bucket.updated = now
        if bucket.level >= 1.0 - _SLACK:
            bucket.level = max(0.0, bucket.level - 1.0)
            return 0
        return max(1, math.ceil((1.0 - bucket.level) / per_second - _SLACK))


@dataclass
class _Window:
    opened: float  # clock reading of the first request the window counts
    used: int      # requests counted in it


class WindowLimiter:
    """At most ``limit`` requests per key in a window of ``window`` seconds opened by the key's first request.

    The shape of production's limit (a counter that expires ``window`` s after the request
    that created it): a burst of ``limit`` passes at once, the next request waits until the
    window ends, which may be tens of seconds. Same interface as :class:`RateLimiter`.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._windows: Dict[str, _Window] = {}

    def reset(self) -> None:
        self._windows.clear()

    def take(self, key: str, limit: int, window: float) -> int:
        """0 if ``key`` may make a request now (counted), else the whole seconds until its window ends.

        A refused request counts nothing and does not move the window.
        """
        if limit <= 0:
            return 0
        now = self.clock()
        current = self._windows.get(key)
        if current is None or now >= current.opened + window:
            current = self._windows[key] = _Window(now, 0)
        if current.used < limit:
            current.used += 1
            return 0
        return max(1, math.ceil(current.opened + window - now - _SLACK))


class ShapedLimiter:
    """The limiter of each ``rate_limit_shape`` ("window", "bucket"); ``take`` names the shape to apply."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._shapes = {"window": WindowLimiter(clock), "bucket": RateLimiter(clock)}

    def reset(self) -> None:
        """Every user back to a full allowance, in every shape."""
        for limiter in self._shapes.values():
            limiter.reset()

    def take(self, shape: str, key: str, limit: int, window: float) -> int:
        return self._shapes[shape].take(key, limit, window)
