# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When the API client may send its next attempt: server-named waits and rate-limit pacing.

Aiven refuses requests over a per-token limit with 429 "... Rate limit N exceeded -
try again in Ks" and does not publish the window. The pacer learns a refill rate
from what the client itself saw, assuming a token bucket of ``N`` requests:

- Before any such 429 nothing is paced: a client that stays under the limit never waits.
- Two lower bounds of the refill rate, each true for any bucket that holds at most
  ``N``: every request accepted since the client's first one came from the full
  bucket or its refill, so ``rate >= (accepted - N) / elapsed``; and at a 429 the
  bucket was empty, so ``rate >= (accepted since then - 1) / elapsed since then``
  (counting only requests sent after that 429 was answered). The larger is the estimate.
- The first 429 naming a limit starts pacing at ``SHARE`` of the estimate, or of
  ``N`` per ``FALLBACK_WINDOW`` s when the client has not yet seen enough to estimate.
  A first estimate made within a burst is well below the truth, so the rate then
  grows (doubling every ``PROBE_DOUBLING`` s) until a 429 of a paced attempt: by then
  the second bound spans seconds and is close to the real rate; pacing settles at
  ``SHARE`` of it. Any later 429 of an attempt paced at the settled rate halves it
  (another consumer of the same token, or a limit that is not a bucket) and probes
  again from there, so refusals that are not the limit's cannot slow a run for good.
- A 429 of an attempt sent before the rate last changed says nothing about the new
  rate, and a 429 without a limit in its text (a proxy's) changes no rate: both are
  only waited out.

Every attempt of every thread takes the next free slot; slots are spaced by the rate.
Times are readings of the client's clock, passed in, so tests need no real waiting.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

# The part of the estimated rate the client uses: estimates and clocks are not exact.
SHARE = 0.9
# The window assumed for "Rate limit N" when nothing better is known yet.
FALLBACK_WINDOW = 60.0
# How fast an unconfirmed rate grows, and how far.
PROBE_DOUBLING = 1.0
_PROBE_GROWTH_MAX = 1024.0


class Turn(NamedTuple):
    """When an attempt may start, and the pacing it was given (for judging its 429)."""

    start: float
    generation: int


class RatePacer:
    """Thread-safe; one per client, shared by all its requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # No attempt starts before this reading (a wait the server named).
        self._not_before = 0.0
        self._first_sent: float | None = None
        self._accepted = 0
        # The last 429 naming a limit: when its attempt was sent and answered, and what came after.
        self._refusal_sent: float | None = None
        self._refusal_answered = 0.0
        self._accepted_since_refusal = 0
        # Requests per second while pacing; None: not pacing.
        self._rate: float | None = None
        # While set, the rate grows from this reading on (unconfirmed).
        self._probe_from: float | None = None
        self._generation = 0
        self._next_slot = 0.0

    def _rate_at(self, moment: float) -> float | None:
        """Requests per second the pacer allows at ``moment``; None when not pacing."""
        if self._rate is None or self._probe_from is None:
            return self._rate
        growth = 2.0 ** (max(moment - self._probe_from, 0.0) / PROBE_DOUBLING)
        return self._rate * min(growth, _PROBE_GROWTH_MAX)

    def hold_until(self, moment: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, moment)

    def reserve(self, now: float) -> Turn:
        """The start of the caller's next attempt: after any hold, and in the next free slot when pacing."""
        with self._lock:
            if self._first_sent is None:
                self._first_sent = now
            start = max(now, self._not_before)
            rate = self._rate_at(max(start, self._next_slot))
            if rate is None:
                return Turn(start, self._generation)
            start = max(start, self._next_slot)
            self._next_slot = start + 1.0 / rate
            return Turn(start, self._generation)

    def still_free(self, turn: Turn) -> bool:
        """False when a hold began, while the caller waited for its turn, that covers the turn's start."""
        with self._lock:
            return self._not_before <= turn.start

    def accepted(self, sent: float) -> None:
        """An attempt sent at ``sent`` got past the limit (any reply but a refusal)."""
        with self._lock:
            self._accepted += 1
            if self._refusal_sent is not None and sent >= self._refusal_answered:
                self._accepted_since_refusal += 1

    def _estimate(self, now: float, limit: int) -> float | None:
        """The refill rate the replies so far prove (requests per second), None when they prove none."""
        bounds = []
        if self._first_sent is not None and now > self._first_sent and self._accepted > limit:
            bounds.append((self._accepted - limit) / (now - self._first_sent))
        if self._refusal_sent is not None and now > self._refusal_sent and self._accepted_since_refusal > 1:
            bounds.append((self._accepted_since_refusal - 1) / (now - self._refusal_sent))
        return max(bounds) if bounds else None

    def refused(self, turn: Turn, sent: float, now: float, limit: int | None) -> None:
        """An attempt (given ``turn``, sent at ``sent``) was answered 429 at ``now``; ``limit`` from its text."""
        if limit is None or limit <= 0:
            return
        with self._lock:
            estimate = self._estimate(now, limit)
            if self._rate is None:
                base = estimate if estimate is not None else limit / FALLBACK_WINDOW
                self._change(SHARE * base, now, probing=True)
            elif turn.generation == self._generation:
                current = self._rate_at(now) or self._rate
                if self._probe_from is not None and estimate is not None:
                    # A refusal never speeds the client up.
                    self._change(SHARE * min(estimate, current), now, probing=False)
                else:
                    # Halved, then probing again: refusals that are not the bucket's (injected
                    # faults, another consumer now gone) must not slow the client for good.
                    self._change(current / 2.0, now, probing=True)
            self._refusal_sent = sent
            self._refusal_answered = now
            self._accepted_since_refusal = 0

    def _change(self, rate: float, now: float, probing: bool) -> None:
        self._rate = rate
        # The growth counts from when attempts may go again, not through the server's wait (held before this).
        self._probe_from = max(self._not_before, now) if probing else None
        self._generation += 1
