# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When the API client may send its next attempt: server-named holds and a budget per period.

Aiven refuses requests over a per-user limit with 429 "... Rate limit N exceeded - try
again in Ks"; the limit is window-shaped (N requests, then nothing until the window
ends, tens of seconds later) and its window is not published. The pacer learns from
what the client itself sees and never trusts the text further than one period:

- Before any 429 naming a limit nothing is paced: a client under the limit never waits.
- A 429 holds every attempt of every thread until the wait it names has passed (the
  caller caps it) and starts a new *period* there. The first 429 naming ``N`` sets the
  period's *budget* to ``N`` attempts (1 to ``BUDGET_MAX``).
- Each period opens with one attempt alone; the rest of the budget goes once it is
  answered, so a hold that ended a little early costs one refusal, not one per thread.
- Once the budget is spent, one attempt at a time goes (a *probe*). Accepted: the limit
  had room, the budget doubles (a bogus "Rate limit 1" is outgrown within a few round
  trips). Refused: the budget was the limit; its wait starts the next period.
- A refusal before the budget is spent means a tighter limit (a token bucket, another
  consumer of the same user): the budget shrinks to what the period accepted.
- After two periods in a row end with a refused probe and an unchanged budget, the
  limit is known: when the budget is spent the pacer pauses until the period's learned
  length has passed (at most ``wait_max``) instead of probing, for 1, then 2, 4 and at
  most ``PAUSE_MAX`` periods between probes. Any accepted probe or a change of the
  budget ends that, so refusals that are not the limit's cannot slow a run for good.
- A 429 without a limit in its text (a proxy's) and a refusal of an attempt from an
  earlier period only hold; they change no budget.

Times are readings of the client's clock, passed in, so tests need no real waiting.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

# Largest budget per period: beyond any real limit, small enough to stay a plain number.
BUDGET_MAX = 1 << 20
# Most periods the pacer lets pass between two probes once the limit is known.
PAUSE_MAX = 8
# Probes refused in a row before the limit counts as known (settled): then it probes less often.
_REFUSED_PROBES_TO_SETTLE = 2
# How often a thread waiting for an attempt alone asks again: about one round trip, within these bounds.
POLL_MIN = 0.01
POLL_MAX = 1.0
_ROUND_TRIP_START = 0.1
# A clock reading this close to the end of a wait is past it (a sleep of the difference may land a hair short).
_SLACK = 1e-6

# What an attempt was to the pacer.
FREE = "free"  # not paced
OPENING = "opening"  # the first of a period, alone
BUDGET = "budget"  # within the period's budget
PROBE = "probe"  # beyond the budget, alone
FORCED = "forced"  # waited its longest; goes whatever the pacer knows


class Turn(NamedTuple):
    """The pacer's answer: go now (``go``), or ask again at ``at``; what the attempt is, and its period."""

    go: bool
    at: float
    kind: str = FREE
    period: int = 0


class RatePacer:
    """Thread-safe; one per client, shared by all its requests. ``wait_max`` caps a pause (seconds)."""

    def __init__(self, wait_max: float = 60.0) -> None:
        self._lock = threading.Lock()
        self._wait_max = max(float(wait_max), 0.0)
        # No attempt starts before this reading (a wait the server named).
        self._hold_end = 0.0
        # Attempts per period; None: not pacing.
        self._budget: int | None = None
        self._period = 0
        self._period_start = 0.0
        self._sent = 0
        self._accepted = 0
        # When the attempt that must be alone was sent; None: none is out.
        self._alone_since: float | None = None
        self._round_trip = _ROUND_TRIP_START
        # Seconds from a period's start to the end of the wait its refused probe named.
        self._length: float | None = None
        # Probes refused in a row; accepted probes of the current period.
        self._refused_probes = 0
        self._probes_accepted = 0
        self._pause = 0
        self._periods_to_skip = 0
        self._pause_end: float | None = None

    def hold_until(self, moment: float) -> None:
        """No attempt before ``moment`` (a server-named wait)."""
        with self._lock:
            self._hold_end = max(self._hold_end, moment)

    def ask(self, now: float, force: bool = False) -> Turn:
        """Whether an attempt may go at ``now`` (counted if so), else when to ask again; ``force``: go anyway."""
        with self._lock:
            if force:
                self._sent += 1
                return Turn(True, now, FORCED, self._period)
            if now < self._hold_end - _SLACK:
                return Turn(False, self._hold_end)
            if self._budget is None:
                return Turn(True, now, FREE, self._period)
            if self._alone_since is not None:
                return Turn(False, self._poll_at(now))
            if self._sent == 0:
                return self._go_alone(now, OPENING)
            if self._sent < self._budget:
                self._sent += 1
                return Turn(True, now, BUDGET, self._period)
            if self._periods_to_skip > 0 and self._length is not None:
                if self._pause_end is None:
                    self._pause_end = min(self._period_start + self._length, now + self._wait_max)
                if now < self._pause_end - _SLACK:
                    return Turn(False, self._pause_end)
                self._periods_to_skip -= 1
                self._new_period(now)
                return self._go_alone(now, OPENING)
            return self._go_alone(now, PROBE)

    def accepted(self, turn: Turn, now: float) -> None:
        """The attempt given ``turn`` got past the limit (any reply but a 429), answered at ``now``."""
        with self._lock:
            self._round_trip = min(max(0.8 * self._round_trip + 0.2 * (now - turn.at), POLL_MIN), POLL_MAX)
            if turn.period != self._period or turn.kind == FORCED:
                return
            self._accepted += 1
            if turn.kind in (OPENING, PROBE):
                self._alone_since = None
            if turn.kind == PROBE and self._budget is not None:
                self._room_found()

    def failed(self, turn: Turn) -> None:
        """The attempt given ``turn`` got no verdict (no reply, a 5xx): another may go in its place."""
        with self._lock:
            if turn.period == self._period and turn.kind in (OPENING, PROBE):
                self._alone_since = None

    def refused(self, turn: Turn, now: float, limit: int | None, hold_end: float | None) -> None:
        """The attempt given ``turn`` was answered 429 at ``now``; ``limit`` and ``hold_end`` from the reply."""
        with self._lock:
            if hold_end is not None:
                self._hold_end = max(self._hold_end, hold_end)
            if turn.period != self._period or turn.kind == FORCED:
                return  # sent before the pacer knew what this period knows
            if limit is None:
                if turn.kind in (OPENING, PROBE):
                    self._alone_since = None
                return
            if self._budget is None:
                self._budget = min(max(limit, 1), BUDGET_MAX)
            elif turn.kind == PROBE:
                self._length = max(self._hold_end, now) - self._period_start
                self._refused_probes += 1
                if self._settled:
                    self._pause = min(max(self._pause * 2, 1), PAUSE_MAX)
                    self._periods_to_skip = self._pause
            elif turn.kind == BUDGET:
                self._budget = max(self._accepted, 1)
            # An opening refused only says the hold ended early: the budget stands.
            self._new_period(max(self._hold_end, now))

    @property
    def _settled(self) -> bool:
        return self._refused_probes >= _REFUSED_PROBES_TO_SETTLE

    def _room_found(self) -> None:
        """A probe beyond the budget was accepted: grow, at once unless the budget is settled."""
        self._probes_accepted += 1
        if self._settled and self._probes_accepted < 2 * (self._budget or 1):
            # A few spare requests (a bucket's leftover after a pause) are no reason to leave a known limit.
            return
        self._budget = min((self._budget or 1) * 2, BUDGET_MAX)
        self._refused_probes = self._pause = self._periods_to_skip = 0

    def _new_period(self, start: float) -> None:
        self._period += 1
        self._period_start = start
        self._sent = self._accepted = self._probes_accepted = 0
        self._alone_since = None
        self._pause_end = None

    def _go_alone(self, now: float, kind: str) -> Turn:
        self._sent += 1
        self._alone_since = now
        return Turn(True, now, kind, self._period)

    def _poll_at(self, now: float) -> float:
        expected = (self._alone_since or now) + self._round_trip
        return min(max(expected, now + POLL_MIN), now + POLL_MAX)
