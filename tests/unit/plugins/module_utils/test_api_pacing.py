# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rate pacer on its own: estimates, slots, probing, halving. Times are plain numbers; nothing sleeps.

The pacer's only output is when each attempt may start, so a rate is seen as the spacing
of two turns taken one after the other.
"""

from __future__ import annotations

import threading

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._pacing import (
    FALLBACK_WINDOW,
    PROBE_DOUBLING,
    SHARE,
    RatePacer,
    Turn,
)


def warmed(accepted: int, over: float, start: float = 0.0) -> RatePacer:
    """A pacer that saw ``accepted`` requests pass, spread over ``over`` seconds from ``start``."""
    pacer = RatePacer()
    for index in range(accepted):
        sent = start + over * index / max(accepted - 1, 1)
        pacer.reserve(sent)
        pacer.accepted(sent)
    return pacer


def refuse(pacer: RatePacer, at: float, limit: int | None = 100) -> None:
    """A 429 of an attempt that takes its turn at ``at`` and is answered at once."""
    turn = pacer.reserve(at)
    pacer.refused(turn, turn.start, turn.start, limit)


def turn_gap(pacer: RatePacer, at: float) -> tuple[float, float]:
    """The start of a turn taken at ``at``, and how much later the next turn taken at ``at`` starts (0: not paced)."""
    first = pacer.reserve(at).start
    return first, pacer.reserve(at).start - first


def paced_rate(pacer: RatePacer, at: float) -> float:
    """Attempts per second the pacer allows at ``at``, a moment with no turn taken yet."""
    first, gap = turn_gap(pacer, at)
    assert first == at and gap > 0, (first, gap)
    return 1.0 / gap


def settled(rate_wanted: float) -> RatePacer:
    """A pacer whose probing has ended at ``rate_wanted`` (requests per second)."""
    pacer = warmed(accepted=100 + 1, over=1.0)
    refuse(pacer, 1.0)  # starts probing at SHARE * 1
    # The probe's refusal: exactly enough accepted since the last refusal for the wanted estimate over 10 s.
    wanted_estimate = rate_wanted / SHARE
    accepted = round(wanted_estimate * 10) + 1
    for index in range(accepted):
        pacer.accepted(1.0 + 10 * (index + 1) / (accepted + 1))
    turn = pacer.reserve(11.0)
    pacer.refused(turn, 11.0, 11.0, 100)
    return pacer


# -- no pacing before a 429 ------------------------------------------------------------


def test_no_pacing_before_any_refusal():
    pacer = warmed(accepted=500, over=0.5)
    assert [pacer.reserve(7.0).start for _dummy in range(50)] == [7.0] * 50


def test_a_refusal_without_a_limit_in_its_text_starts_no_pacing():
    pacer = warmed(accepted=200, over=2.0)
    refuse(pacer, 2.0, limit=None)
    assert turn_gap(pacer, 2.0) == (2.0, 0.0)


# -- the first estimate ------------------------------------------------------------------


def test_first_estimate_is_what_passed_beyond_the_limit_per_second():
    # 150 passed in 5 s under "Rate limit 100": the bucket refilled at least 50 in 5 s.
    pacer = warmed(accepted=150, over=5.0)
    refuse(pacer, 5.0)
    assert paced_rate(pacer, 5.0) == pytest.approx(SHARE * 10.0)


def test_first_estimate_falls_back_to_the_limit_per_minute():
    # A burst that never got past the limit proves no refill rate.
    pacer = warmed(accepted=100, over=0.2)
    refuse(pacer, 0.2)
    assert paced_rate(pacer, 0.2) == pytest.approx(SHARE * 100 / FALLBACK_WINDOW)


def test_estimate_from_the_last_refusal_counts_only_requests_sent_after_it_was_answered():
    pacer = warmed(accepted=100, over=0.1)
    refuse(pacer, 1.0)  # paced from here on, at the fallback rate, growing while unconfirmed
    pacer.accepted(0.9)  # sent before that refusal was answered: in flight, proves nothing
    for index in range(41):
        pacer.accepted(1.0 + index * 0.1)
    # 41 passed since the bucket was empty at 1.0, one of them possibly its last token: 40 in 4 s.
    # By 5.0 the probe has grown past that, so the refusal settles the rate on the estimate.
    refuse(pacer, 5.0)
    assert paced_rate(pacer, 6.0) == pytest.approx(SHARE * 10.0)


# -- slots ---------------------------------------------------------------------------------


def test_paced_slots_are_spaced_by_the_rate_across_threads():
    pacer = settled(rate_wanted=4.0)
    starts: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(8)

    def take_turns() -> None:
        ready.wait()
        for _dummy in range(25):
            start = pacer.reserve(20.0).start
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=take_turns) for _dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 200
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:])]
    assert all(gap == pytest.approx(gaps[0]) for gap in gaps)
    assert 1 / gaps[0] == pytest.approx(4.0, rel=0.05)
    assert starts[0] == 20.0


def test_a_hold_delays_the_next_slot_and_voids_turns_taken_before_it():
    pacer = settled(rate_wanted=4.0)
    turn = pacer.reserve(20.0)
    pacer.hold_until(30.0)
    assert not pacer.still_free(turn)
    later = pacer.reserve(20.0)
    assert later.start == 30.0
    assert pacer.still_free(later)


def test_a_hold_without_pacing_delays_every_attempt_to_its_end():
    pacer = RatePacer()
    pacer.hold_until(12.5)
    assert pacer.reserve(10.0).start == 12.5
    assert pacer.reserve(13.0).start == 13.0


# -- probing, settling, halving ----------------------------------------------------------


def test_an_unconfirmed_rate_doubles_every_probe_period():
    pacer = warmed(accepted=110, over=1.0)
    refuse(pacer, 1.0)
    first = paced_rate(pacer, 1.0)
    assert paced_rate(pacer, 1.0 + PROBE_DOUBLING) == pytest.approx(2 * first)
    assert paced_rate(pacer, 1.0 + 3 * PROBE_DOUBLING) == pytest.approx(8 * first)


def test_the_probe_settles_at_a_share_of_the_rate_seen_since_the_first_refusal():
    pacer = settled(rate_wanted=4.0)
    rate = paced_rate(pacer, 12.0)
    assert rate == pytest.approx(4.0, rel=0.05)
    # Settled: the rate no longer grows.
    assert paced_rate(pacer, 100.0) == pytest.approx(rate)


def test_a_refusal_while_settled_halves_the_rate_then_probes_again():
    pacer = settled(rate_wanted=4.0)
    before = paced_rate(pacer, 20.0)
    refuse(pacer, 21.0)
    # Halved at 21.0, and growing again from there: the next free slot comes a little later.
    first, gap = turn_gap(pacer, 21.0)
    assert 1 / gap == pytest.approx(before / 2 * 2 ** ((first - 21.0) / PROBE_DOUBLING))
    # Refusals that are not the limit's (injected faults, another consumer) must not slow it for good.
    assert paced_rate(pacer, 23.0) == pytest.approx(before * 2)
    assert paced_rate(pacer, 25.0) == pytest.approx(before * 8)


def test_random_refusals_do_not_starve_the_client():
    pacer = settled(rate_wanted=4.0)
    before = paced_rate(pacer, 20.0)
    moment = 20.0
    for _round in range(30):
        refuse(pacer, moment)  # one refusal in every dozen requests, as injected faults give
        for _request in range(11):
            moment += 0.25
            pacer.accepted(pacer.reserve(moment).start)
    # Halving alone would leave before / 2**30 here.
    _first, gap = turn_gap(pacer, moment)
    assert 1 / gap >= before / 2


def halved_with_turns_in_flight() -> tuple[RatePacer, list[Turn]]:
    """A settled pacer halved by a refusal while three turns taken before it were on the way."""
    pacer = settled(rate_wanted=4.0)
    stale = [pacer.reserve(20.0) for _dummy in range(3)]
    refuse(pacer, 20.0)
    return pacer, stale


def test_refusals_of_attempts_sent_at_an_older_rate_change_nothing():
    untouched, _stale = halved_with_turns_in_flight()
    pacer, stale = halved_with_turns_in_flight()
    for turn in stale:
        pacer.refused(turn, turn.start, 21.0, 100)
    assert paced_rate(pacer, 25.0) == pytest.approx(paced_rate(untouched, 25.0))


def test_refusals_of_the_first_burst_start_pacing_once():
    pacer = warmed(accepted=150, over=5.0)
    in_flight = [pacer.reserve(5.0) for _dummy in range(8)]
    for turn in in_flight:
        pacer.refused(turn, turn.start, 5.0, 100)
    # The first refusal set the rate; the seven others were sent before it and say nothing new.
    assert paced_rate(pacer, 5.0) == pytest.approx(SHARE * 10.0)
