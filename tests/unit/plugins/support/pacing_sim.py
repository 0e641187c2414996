# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A discrete-event simulation of the client's worker threads under a rate limiter, on a simulated clock.

Each worker runs the client's attempt loop (``AivenClient.request`` with ``_wait_for_turn``):
ask the pacer, sleep until it says, send; a 429 holds the pacer until the wait it names
(capped) and is retried after that wait. The server decides when the request arrives, half
the latency after it was sent, and its answer comes back after the full latency.
Nothing sleeps for real: a run of minutes of simulated time takes milliseconds.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from ansible_collections.dbpools.aiven.plugins.module_utils._pacing import RatePacer, Turn

# What the server answers to one request at a moment: None (accepted) or (limit named, wait named in seconds).
Verdict = Optional[Tuple[Optional[int], float]]
Server = Callable[[float], Verdict]


@dataclass
class Outcome:
    """What a simulated run did."""

    elapsed: float = 0.0
    sent: int = 0
    refused: int = 0
    longest_sleep: float = 0.0
    longest_turn_wait: float = 0.0
    sleeps: List[float] = field(default_factory=list)

    @property
    def refused_share(self) -> float:
        return self.refused / self.sent if self.sent else 0.0


def limited_by(limiter, limit: int, window: float) -> Server:
    """A server refusing as ``limiter`` (the emulator's ``WindowLimiter`` or ``RateLimiter``) with Aiven's text."""

    def answer(_now: float) -> Verdict:
        wait = limiter.take("user", limit, window)
        return None if not wait else (limit, float(wait))

    return answer


def randomly_refusing(share: float, limit: int | None, wait: float, seed: int = 20) -> Server:
    """A server with no limit that refuses ``share`` of its requests at random, naming ``limit`` and ``wait``."""
    draw = random.Random(seed)

    def answer(_now: float) -> Verdict:
        return (limit, wait) if draw.random() < share else None

    return answer


class Simulation:
    """``workers`` threads sharing one pacer make ``requests`` requests, each answered after ``latency`` s."""

    def __init__(self, server: Server, requests: int, workers: int = 8, latency: float = 0.05,
                 wait_max: float = 60.0, turn_wait_max: float = 120.0) -> None:
        self.server = server
        self.remaining = requests
        self.workers = workers
        self.latency = latency
        self.wait_max = wait_max
        self.turn_wait_max = turn_wait_max
        self.pacer = RatePacer(wait_max=wait_max)
        self.now = 0.0
        self.outcome = Outcome()
        self._events: list = []
        self._order = 0

    def _at(self, moment: float, action: Callable[[], None]) -> None:
        self._order += 1
        heapq.heappush(self._events, (moment, self._order, action))

    def _sleep_then(self, seconds: float, action: Callable[[], None]) -> None:
        self.outcome.sleeps.append(seconds)
        self.outcome.longest_sleep = max(self.outcome.longest_sleep, seconds)
        self._at(self.now + seconds, action)

    def run(self, clock_for: Optional[Callable[[Callable[[], float]], None]] = None) -> Outcome:
        """Run to the end; ``clock_for`` is given the simulated clock (to hand it to a limiter)."""
        if clock_for is not None:
            clock_for(lambda: self.now)
        for _worker in range(self.workers):
            self._at(0.0, self._next_request)
        while self._events:
            self.now, _order, action = heapq.heappop(self._events)
            action()
        return self.outcome

    def _next_request(self) -> None:
        if self.remaining <= 0:
            return
        self.remaining -= 1
        self._ask(self.now)

    def _ask(self, waiting_since: float) -> None:
        waited = self.now - waiting_since
        self.outcome.longest_turn_wait = max(self.outcome.longest_turn_wait, waited)
        turn = self.pacer.ask(self.now, force=waited >= self.turn_wait_max - 1e-9)
        if not turn.go:
            self._sleep_then(max(min(turn.at - self.now, self.turn_wait_max - waited), 0.0), lambda: self._ask(waiting_since))
            return
        self.outcome.sent += 1
        self._at(self.now + self.latency / 2, lambda: self._arrive(turn))

    def _arrive(self, turn: Turn) -> None:
        verdict = self.server(self.now)
        self._at(self.now + self.latency / 2, lambda: self._answered(turn, verdict))

    def _answered(self, turn: Turn, verdict: Verdict) -> None:
        self.outcome.elapsed = max(self.outcome.elapsed, self.now)
        if verdict is None:
            self.pacer.accepted(turn, self.now)
            self._next_request()
            return
        self.outcome.refused += 1
        limit, named = verdict
        wait = min(max(named, 0.0), self.wait_max)
        self.pacer.refused(turn, self.now, limit, self.now + wait)
        self._sleep_then(wait, lambda: self._ask(self.now))
