"""The limiters behind the rate_limit option (window and token bucket), on a fake clock: no sleeps."""

from __future__ import annotations

from aiven_emulator.rate_limit import RateLimiter, ShapedLimiter, WindowLimiter, too_many_requests_text


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple:
    clock = FakeClock()
    return RateLimiter(clock=clock), clock


def test_limit_zero_lets_everything_through():
    limiter, _clock = make()
    assert {limiter.take("t", 0, 60.0) for _attempt in range(10_000)} == {0}


def test_limit_requests_pass_then_the_wait_is_a_full_refill_of_one():
    limiter, _clock = make()
    assert [limiter.take("t", 3, 60.0) for _attempt in range(3)] == [0, 0, 0]
    # One request comes back every 60 / 3 = 20 seconds.
    assert limiter.take("t", 3, 60.0) == 20


def test_the_wait_counts_down_and_rounds_up():
    limiter, clock = make()
    for _attempt in range(3):
        limiter.take("t", 3, 60.0)
    clock.now += 5.5
    assert limiter.take("t", 3, 60.0) == 15  # 14.5 s left
    clock.now += 14.0
    assert limiter.take("t", 3, 60.0) == 1  # 0.5 s left: rounded up, never 0


def test_the_wait_is_at_least_one_second_for_fast_refills():
    limiter, _clock = make()
    for _attempt in range(120):
        assert limiter.take("t", 120, 60.0) == 0
    assert limiter.take("t", 120, 60.0) == 1  # 0.5 s left


def test_refused_requests_take_nothing_and_the_bucket_refills():
    limiter, clock = make()
    for _attempt in range(3):
        limiter.take("t", 3, 60.0)
    for _attempt in range(50):
        assert limiter.take("t", 3, 60.0) > 0
    clock.now += 20.0
    assert limiter.take("t", 3, 60.0) == 0
    assert limiter.take("t", 3, 60.0) == 20


def test_an_idle_bucket_holds_no_more_than_the_limit():
    limiter, clock = make()
    limiter.take("t", 3, 60.0)
    clock.now += 3600.0
    assert [limiter.take("t", 3, 60.0) for _attempt in range(4)] == [0, 0, 0, 20]


def test_each_token_has_its_own_bucket():
    limiter, _clock = make()
    for _attempt in range(2):
        limiter.take("first", 2, 10.0)
    assert limiter.take("first", 2, 10.0) == 5
    assert [limiter.take("second", 2, 10.0) for _attempt in range(3)] == [0, 0, 5]


def test_new_settings_apply_to_the_next_request():
    limiter, _clock = make()
    for _attempt in range(2):
        limiter.take("t", 2, 60.0)
    assert limiter.take("t", 2, 60.0) == 30
    assert limiter.take("t", 5, 60.0) == 12  # refills at 5 per minute now
    assert limiter.take("t", 5, 10.0) == 2
    assert limiter.take("t", 0, 10.0) == 0  # switched off


def test_an_idle_bucket_shrinks_to_a_lower_limit():
    limiter, clock = make()
    limiter.take("t", 10, 60.0)
    clock.now += 60.0
    assert [limiter.take("t", 2, 60.0) for _attempt in range(3)] == [0, 0, 30]


def test_reset_gives_every_token_a_full_allowance():
    limiter, _clock = make()
    for key in ("a", "b"):
        for _attempt in range(2):
            limiter.take(key, 2, 60.0)
    limiter.reset()
    assert [limiter.take(key, 2, 60.0) for key in ("a", "a", "b", "b", "a")] == [0, 0, 0, 0, 30]


def test_the_text_is_aivens():
    assert too_many_requests_text(120, 28) == (
        "The user has sent too many requests in a given amount of time: Rate limit 120 exceeded - try again in 28s"
    )


# -- the window shape (production's) --------------------------------------------------------


def make_window() -> tuple:
    clock = FakeClock()
    return WindowLimiter(clock=clock), clock


def test_window_a_burst_of_limit_passes_then_the_wait_is_the_rest_of_the_window():
    limiter, clock = make_window()
    assert [limiter.take("u", 120, 60.0) for _attempt in range(120)] == [0] * 120
    clock.now += 32.0
    assert limiter.take("u", 120, 60.0) == 28  # production's "try again in 28s"


def test_window_refused_requests_count_nothing_and_the_next_window_is_full():
    limiter, clock = make_window()
    for _attempt in range(3):
        limiter.take("u", 3, 10.0)
    assert [limiter.take("u", 3, 10.0) for _attempt in range(20)] == [10] * 20
    clock.now += 9.5
    assert limiter.take("u", 3, 10.0) == 1  # half a second left: rounded up, never 0
    clock.now += 0.5
    assert [limiter.take("u", 3, 10.0) for _attempt in range(4)] == [0, 0, 0, 10]


def test_window_opens_at_the_first_request_not_on_a_grid():
    limiter, clock = make_window()
    clock.now += 7.0
    limiter.take("u", 1, 60.0)
    clock.now += 59.0
    assert limiter.take("u", 1, 60.0) == 1
    clock.now += 1.0
    assert limiter.take("u", 1, 60.0) == 0


def test_window_each_key_has_its_own_and_zero_is_off():
    limiter, _clock = make_window()
    assert [limiter.take("a", 1, 60.0), limiter.take("a", 1, 60.0), limiter.take("b", 1, 60.0)] == [0, 60, 0]
    assert {limiter.take("a", 0, 60.0) for _attempt in range(1000)} == {0}
    limiter.reset()
    assert limiter.take("a", 1, 60.0) == 0


def test_shaped_limiter_keeps_each_shape_apart_and_resets_both():
    clock = FakeClock()
    limiter = ShapedLimiter(clock=clock)
    for _attempt in range(3):
        assert limiter.take("window", "u", 3, 60.0) == 0
    assert limiter.take("window", "u", 3, 60.0) == 60
    assert limiter.take("bucket", "u", 3, 60.0) == 0  # the bucket has its own count
    limiter.reset()
    assert limiter.take("window", "u", 3, 60.0) == 0
