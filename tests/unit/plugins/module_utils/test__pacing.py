# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rate pacer (module_utils/_pacing.py): its rules one by one, then whole runs against limiter models on a simulated clock.

Times are plain numbers; nothing sleeps. The runs use ``pacing_sim``: 8 worker threads, every
request answered 50 ms after it was sent, server-named waits capped at 60 s as the client does.
"""

from __future__ import annotations

import math

import pytest

from aiven_emulator.rate_limit import RateLimiter, WindowLimiter
from ansible_collections.dbpools.aiven.plugins.module_utils._pacing import BUDGET_MAX, PAUSE_MAX, PROBE, RatePacer
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pacing_sim import (
    Simulation,
    limited_by,
    randomly_refusing,
)

WORKERS = 8
LATENCY = 0.05
CAP = 60.0


def goes(pacer: RatePacer, now: float) -> bool:
    return pacer.ask(now).go


def limited(limit: int, at: float = 10.0, hold: float = 28.0) -> RatePacer:
    """A pacer that got its first 429 naming ``limit`` at ``at``, holding until ``at + hold``."""
    pacer = RatePacer(wait_max=CAP)
    turn = pacer.ask(at)
    pacer.refused(turn, at, limit, at + hold)
    return pacer


# -- the rules ---------------------------------------------------------------------------


def test_nothing_is_paced_before_a_429_naming_a_limit():
    pacer = RatePacer()
    assert all(goes(pacer, 1.0) for _dummy in range(500))
    turn = pacer.ask(2.0)
    pacer.refused(turn, 2.0, None, 2.5)  # a proxy's 429: a hold, no budget
    assert not goes(pacer, 2.4)
    assert all(goes(pacer, 2.5) for _dummy in range(500))


def test_a_429_holds_every_attempt_until_its_wait_then_opens_with_one_attempt_alone():
    pacer = limited(120)
    assert not goes(pacer, 37.9)
    assert pacer.ask(20.0).at == 38.0
    opening = pacer.ask(38.0)
    assert opening.go
    # The others wait for its answer (about one round trip), then the budget goes at once.
    waiting = pacer.ask(38.0)
    assert not waiting.go and 38.0 < waiting.at <= 39.0
    pacer.accepted(opening, 38.05)
    assert all(goes(pacer, 38.05) for _dummy in range(119))


def test_a_spent_budget_lets_one_probe_out_and_an_accepted_probe_doubles_it():
    pacer = limited(4)
    for _dummy in range(4):
        turn = pacer.ask(38.0)
        pacer.accepted(turn, 38.0)
    probe = pacer.ask(38.0)
    assert probe.go and probe.kind == PROBE
    assert not goes(pacer, 38.0)
    pacer.accepted(probe, 38.05)
    # Budget 8: 3 more beyond the 5 sent, then a probe again.
    assert [goes(pacer, 38.05) for _dummy in range(3)] == [True, True, True]
    assert pacer.ask(38.05).kind == PROBE


def test_a_refusal_within_the_budget_shrinks_it_to_what_the_period_accepted():
    pacer = limited(100)
    opening = pacer.ask(38.0)
    pacer.accepted(opening, 38.0)
    turns = [pacer.ask(38.0) for _dummy in range(5)]
    for turn in turns[:2]:
        pacer.accepted(turn, 38.05)
    pacer.refused(turns[2], 38.05, 100, 39.05)
    for turn in turns[3:]:  # sent before that refusal: only held
        pacer.refused(turn, 38.05, 100, 39.05)
    opening = pacer.ask(39.05)
    pacer.accepted(opening, 39.1)
    assert [goes(pacer, 39.1) for _dummy in range(2)] == [True, True]
    assert pacer.ask(39.1).kind == PROBE  # 3 accepted (the opening too): budget 3, the 4th is a probe


@pytest.mark.parametrize("limit", [0, 1, 10**9, 10**30])
def test_absurd_limits_give_a_budget_between_1_and_the_maximum(limit):
    pacer = limited(limit)
    opening = pacer.ask(38.0)
    pacer.accepted(opening, 38.0)
    went = 1
    while went < 5000 and goes(pacer, 38.0):
        went += 1
    # The budget, then one probe.
    assert went == min(max(limit, 1) + 1, 5000)
    assert BUDGET_MAX < 10**9


def test_once_the_limit_is_known_the_pacer_pauses_instead_of_probing_and_probes_less_often():
    # A window of 10 per 60 s: every probe is refused and names the rest of the window (59 s).
    pacer = limited(10, at=0.0, hold=60.0)
    probes: list[float] = []
    now = 60.0
    for _step in range(10000):
        turn = pacer.ask(now)
        if not turn.go:
            now = turn.at  # a pause to the period's learned end
        elif turn.kind == PROBE:
            probes.append(now)
            pacer.refused(turn, now, 10, now + 59.0)
        else:
            pacer.accepted(turn, now)
        if len(probes) == 8:
            break
    periods_between = [round((later - earlier) / 59.0) for earlier, later in zip(probes, probes[1:])]
    # Two probes in a row are refused, then 1, 2, 4, 8 (PAUSE_MAX) periods are skipped between probes.
    assert periods_between == [1, 2, 3, 5, 9, 9, 9]
    assert PAUSE_MAX == 8


def test_an_attempt_without_a_verdict_frees_the_turn_of_the_one_alone():
    pacer = limited(5)
    opening = pacer.ask(38.0)
    assert not goes(pacer, 38.0)
    pacer.failed(opening)  # a 5xx or no reply: the others must not wait for it for ever
    assert goes(pacer, 38.0)


def test_forced_attempts_go_through_any_hold():
    pacer = limited(5)
    assert not goes(pacer, 20.0)
    assert pacer.ask(20.0, force=True).go


# -- whole runs on a simulated clock -----------------------------------------------------


def least_time(requests: int, limit: int, window: float) -> float:
    """What a window of ``limit`` per ``window`` s imposes: full windows, then the last burst's own round trips."""
    windows = math.ceil(requests / limit) - 1
    last = requests - windows * limit
    return windows * window + math.ceil(last / WORKERS) * LATENCY


def run_against(limiter, limit: int, window: float, requests: int):
    sim = Simulation(limited_by(limiter, limit, window), requests, workers=WORKERS, latency=LATENCY, wait_max=CAP)
    return sim.run(lambda clock: setattr(limiter, "clock", clock))


@pytest.mark.parametrize("requests", [520, 1000])
def test_production_window_is_near_optimal(requests):
    # Production: 120 per 60 s, window-shaped. Refusals: the 8 attempts on the way when the first window
    # fills, then a probe per window until the limit is known. An unpaced client would be refused by every
    # thread in every window and a rate pacer held at 30 s re-sent inside each window.
    outcome = run_against(WindowLimiter(), 120, 60.0, requests)
    assert outcome.sent - outcome.refused == requests
    assert outcome.refused_share < 0.02
    assert outcome.elapsed <= 1.1 * least_time(requests, 120, 60.0)
    assert outcome.longest_sleep <= CAP + 1e-6


def test_the_emulators_old_window_of_100_per_10_s_is_near_optimal_too():
    # Short windows: each window's own round trips weigh more, the ratio still stays under 1.1.
    outcome = run_against(WindowLimiter(), 100, 10.0, 520)
    assert outcome.refused_share < 0.03
    assert outcome.elapsed <= 1.1 * least_time(520, 100, 10.0)


@pytest.mark.parametrize(("limit", "window"), [(120, 60.0), (100, 10.0)])
def test_a_token_bucket_is_not_hammered(limit, window):
    # A bucket refills continuously (2/s here) but names whole-second waits: each period then passes about
    # what refilled during the 1 s hold, and a probe beyond it is refused by design. Once two probes in a row
    # are refused the pacer probes every 1, 2, 4 and at most 8 periods, so well under a fifth of the requests
    # are refused (a thread per refused burst when the bucket's leftover makes a probe pass and the budget
    # grows again), and the run takes close to the least the refill rate imposes: (R - limit) / rate.
    requests = 520
    outcome = run_against(RateLimiter(), limit, window, requests)
    assert outcome.sent - outcome.refused == requests
    assert outcome.refused_share < 0.2
    least = (requests - limit) / (limit / window)
    assert outcome.elapsed <= 1.15 * least
    assert outcome.longest_sleep <= CAP + 1e-6


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("limit", [1, 0, 10**9, None])
def test_random_refusals_naming_a_limit_cost_at_most_their_capped_wait(seed, limit):
    # The stall: "Rate limit 1 exceeded - try again in 74s" on ~5% of requests although nothing limits.
    # Each refusal may hold the client for the capped 60 s, no more, and the pace is back to full speed after:
    # the run takes at most the unlimited run plus 60 s per refusal plus a few round trips of recovery each.
    requests = 520
    sim = Simulation(randomly_refusing(0.05, limit, 74.0, seed), requests, workers=WORKERS, latency=LATENCY, wait_max=CAP)
    outcome = sim.run()
    unlimited = math.ceil(requests / WORKERS) * LATENCY
    assert outcome.refused > 10
    assert outcome.sent - outcome.refused == requests
    assert outcome.elapsed <= unlimited + outcome.refused * (CAP + 10 * LATENCY)
    assert outcome.longest_sleep <= CAP + 1e-6


def test_after_bogus_refusals_stop_the_pace_is_back_to_full_speed():
    # Two bogus refusals early, then none: the rest must go at the unlimited pace (8 per round trip), not at
    # one request per 74 s (the old pacer: 200 requests in about 4 hours).
    refusals = iter([(1, 74.0)] * 2)

    def server(now: float):
        return next(refusals, None) if now < 0.2 else None

    outcome = Simulation(server, 2000, workers=WORKERS, latency=LATENCY, wait_max=CAP).run()
    unlimited = math.ceil(2000 / WORKERS) * LATENCY
    assert outcome.elapsed <= CAP + unlimited * 1.1 + 1.0
