# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the client waits before a retry: backoff, rate limits, a service just created.

The client sleeps through ``fake_time``: the waits are recorded, none is spent.
"""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import (
    POOLS_PATH,
    SERVICE_PATH,
    aiven_error,
    make_client,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import DROP

# The production defaults: waits 0, 2, 4, 8, 15, 15 s (plus up to 1 s of jitter), server waits up to 60 s.
DEFAULTS = {"max_retries": 6, "backoff_factor": 1.0, "backoff_max": 15.0}
OK = (200, {}, {"service": {"state": "RUNNING"}})
UNAVAILABLE = (503, {}, aiven_error("An error occurred. Please try again later.", 503))
PRODUCTION_429 = ("The user has sent too many requests in a given amount of time: "
                  "Rate limit 120 exceeded - try again in 28s")


def rate_limited(text: str = PRODUCTION_429, headers: dict | None = None) -> tuple:
    return (429, headers or {}, aiven_error(text, 429))


def client_for(server, fake_time, **overrides):
    """A client with the production's waits, spent on ``fake_time``."""
    return make_client(server.url, fake_time, **{**DEFAULTS, **overrides})


# -- backoff -------------------------------------------------------------------


def test_backoff_schedule_is_0_2_4_8_15_15(server, fake_time):
    server.script("GET", SERVICE_PATH, *([UNAVAILABLE] * 6), OK)
    client_for(server, fake_time).get_service("proj", "pg1")
    assert server.count() == 7
    # The first retry goes at once (no sleep); each later wait has up to 1 s of jitter below the 15 s ceiling.
    low = [2, 4, 8, 15, 15]
    assert len(fake_time.sleeps) == 5
    for wait, least in zip(fake_time.sleeps, low):
        assert least <= wait <= min(least + 1, 15)


# -- 429 -----------------------------------------------------------------------


def test_429_without_retry_after_waits_what_the_text_says(server, fake_time):
    server.script("GET", SERVICE_PATH, rate_limited(), OK)
    assert client_for(server, fake_time).get_service("proj", "pg1") == {"state": "RUNNING"}
    assert server.count() == 2
    assert fake_time.sleeps == [28.0]


def test_429_waits_are_honoured_before_every_retry(server, fake_time):
    # Attempts spent inside the window would only be refused again.
    server.script("GET", SERVICE_PATH, rate_limited(), rate_limited(), rate_limited("Rate limit 120 exceeded - try again in 3s"), OK)
    client_for(server, fake_time).get_service("proj", "pg1")
    assert server.count() == 4
    assert fake_time.sleeps == [28.0, 28.0, 3.0]


def test_retry_after_header_wins_over_the_text(server, fake_time):
    server.script("GET", SERVICE_PATH, rate_limited(headers={"Retry-After": "5"}), OK)
    client_for(server, fake_time).get_service("proj", "pg1")
    assert fake_time.sleeps == [5.0]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (rate_limited("Rate limit 120 exceeded - try again in 59s"), 59.0),
        (rate_limited("Rate limit 120 exceeded - try again in 600s"), 60.0),
        (rate_limited("Rate limit 120 exceeded - try again in " + "9" * 400 + "s"), 60.0),
        (rate_limited(headers={"Retry-After": "3600"}), 60.0),
    ],
    ids=["text-under-the-cap", "text", "text-huge", "header"],
)
def test_server_named_wait_is_honoured_up_to_60_seconds(server, fake_time, reply, expected):
    # Production names tens of seconds ("try again in 28s"); a wait cut short is spent on a refused retry.
    server.script("GET", SERVICE_PATH, reply, OK)
    client_for(server, fake_time).get_service("proj", "pg1")
    assert fake_time.sleeps == [expected]


def http_date(offset: float, form: str) -> str:
    """The wall-clock time ``offset`` s from now in one of HTTP's three date forms (RFC 9110, 5.6.7)."""
    moment = time.time() + offset
    if form == "imf":
        return formatdate(moment, usegmt=True)
    parts = time.gmtime(moment)
    if form == "rfc850":
        return time.strftime("%A, %d-%b-%y %H:%M:%S GMT", parts)
    return time.strftime("%a %b ", parts) + f"{parts.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", parts)


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("5", 5.0, 5.0),
        ("2.5", 2.5, 2.5),
        ("0", 0.0, 0.0),
        (" 7 ", 7.0, 7.0),
        ("9" * 400, 60.0, 60.0),
        ((20, "imf"), 17.0, 20.0),
        ((20, "rfc850"), 17.0, 20.0),
        ((20, "asctime"), 17.0, 20.0),
        ((-3600, "imf"), 0.0, 0.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 60.0, 60.0),
        # Unusable: the text's 28 s applies instead.
        ("-5", 28.0, 28.0),
        ("NaN", 28.0, 28.0),
        ("inf", 28.0, 28.0),
        ("1e3", 28.0, 28.0),
        ("soon", 28.0, 28.0),
        ("Mon, 99 Foo 2026 99:99:99 GMT", 28.0, 28.0),
        ("", 28.0, 28.0),
    ],
    ids=["seconds", "fraction", "zero", "spaces", "huge", "imf-date", "rfc850-date", "asctime-date", "past-date",
         "far-future-date", "negative", "nan", "inf", "exponent", "word", "broken-date", "empty"],
)
def test_every_retry_after_form_gives_a_wait_between_0_and_the_cap(server, fake_time, header, low, high):
    if isinstance(header, tuple):
        header = http_date(*header)  # made now: a date made at collection would be stale by the time the test runs
    server.script("GET", SERVICE_PATH, rate_limited(headers={"Retry-After": header}), OK)
    client_for(server, fake_time).get_service("proj", "pg1")
    waited = sum(fake_time.sleeps)
    assert low <= waited <= high


def test_retry_after_of_a_503_is_capped_too(server, fake_time):
    server.script("GET", SERVICE_PATH, (503, {"Retry-After": "86400"}, aiven_error("An error occurred.", 503)), OK)
    client_for(server, fake_time).get_service("proj", "pg1")
    assert fake_time.sleeps == [60.0]


def test_a_request_refused_on_every_attempt_waits_at_most_retries_times_the_cap(server, fake_time):
    # The documented bound of one request: api_retries x 60 s of waiting (here 6 x 60 s), then it gives up.
    server.script("GET", SERVICE_PATH, *([rate_limited("Rate limit 1 exceeded - try again in 74s")] * 7))
    with pytest.raises(AivenApiError) as info:
        client_for(server, fake_time).get_service("proj", "pg1")
    assert info.value.attempts == 7
    assert fake_time.sleeps == [60.0] * 6


@pytest.mark.parametrize("limit", ["0", "1", "1000000000", "9" * 5000, "many"])
def test_absurd_limits_in_the_text_neither_fail_nor_stall(server, fake_time, limit):
    # int() refuses more than 4300 digits: the client must not turn a reply into a traceback, nor pace for good.
    text = f"The user has sent too many requests: Rate limit {limit} exceeded - try again in 3s"
    server.script("GET", SERVICE_PATH, rate_limited(text), *([OK] * 11))
    client = client_for(server, fake_time)
    client.get_service("proj", "pg1")
    for _dummy in range(10):
        client.get_service("proj", "pg1")
    assert fake_time.sleeps == [3.0]


def test_429_window_holds_the_clients_other_requests(server, fake_time):
    # No retries left for the first request; the next one must not be spent inside the window either.
    server.script("GET", SERVICE_PATH, rate_limited())
    client = client_for(server, fake_time, max_retries=0)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    assert info.value.status == 429
    assert fake_time.sleeps == []
    fake_time.advance(20.0)
    client.update_pool("proj", "pg1", "p1", {"pool_size": 3})
    assert fake_time.sleeps == [8.0]
    assert server.count() == 2


def test_429_on_the_last_attempt_says_it_gave_up(server, fake_time):
    server.script("GET", SERVICE_PATH, rate_limited(), rate_limited())
    with pytest.raises(AivenApiError) as info:
        client_for(server, fake_time, max_retries=1).get_service("proj", "pg1")
    assert info.value.status == 429 and info.value.attempts == 2
    assert str(info.value).endswith("try again in 28s (gave up after 2 attempts)")
    assert fake_time.sleeps == [28.0]


# -- 404 "Service X does not exist" on pool writes (a service just created) ------

SERVICE_LAG = (404, {}, aiven_error("Service pg1 does not exist", 404))
POOL_WRITES = {
    "POST": (POOLS_PATH, lambda client: client.create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"}), True),
    "PUT": (POOLS_PATH + "/p1", lambda client: client.update_pool("proj", "pg1", "p1", {"pool_size": 3}), None),
    "DELETE": (POOLS_PATH + "/p1", lambda client: client.delete_pool("proj", "pg1", "p1"), True),
}


@pytest.mark.parametrize("method", sorted(POOL_WRITES))
def test_pool_write_on_a_service_just_created_is_retried(server, fake_time, method):
    path, call, expected = POOL_WRITES[method]
    server.script(method, path, SERVICE_LAG, SERVICE_LAG, (200, {}, {"message": "done"}))
    assert call(client_for(server, fake_time)) is expected
    assert server.count() == 3
    # The same backoff as any retry: at once, then 2 s (plus jitter).
    assert len(fake_time.sleeps) == 1 and 2 <= fake_time.sleeps[0] <= 3


@pytest.mark.parametrize("method", sorted(POOL_WRITES))
def test_service_lag_that_persists_fails_with_aivens_message(server, fake_time, method):
    path, call, _expected = POOL_WRITES[method]
    server.script(method, path, *([SERVICE_LAG] * 5))
    with pytest.raises(AivenApiError) as info:
        call(client_for(server, fake_time, max_retries=3))
    err = info.value
    assert server.count() == 4
    assert err.status == 404 and err.message == "Service pg1 does not exist"
    assert err.attempts == 4 and str(err).endswith("HTTP 404: Service pg1 does not exist (gave up after 4 attempts)")


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", SERVICE_PATH, "Service pg1 does not exist"),
        ("PUT", POOLS_PATH + "/p1", "Connection pool p1 does not exist"),
        ("POST", POOLS_PATH, "Project proj does not exist"),
    ],
)
def test_other_404s_are_not_retried(server, fake_time, method, path, message):
    server.script(method, path, (404, {}, aiven_error(message, 404)))
    client = client_for(server, fake_time)
    with pytest.raises(AivenApiError) as info:
        client.request(method, path[len("/v1/"):].split("/"), None if method == "GET" else {"pool_name": "p1"})
    assert server.count() == 1
    assert info.value.attempts == 1 and "gave up" not in str(info.value)


def test_create_after_lost_reply_and_service_lag_is_reconciled(server, fake_time):
    server.script("POST", POOLS_PATH, DROP, SERVICE_LAG, (409, {}, aiven_error("Connection pool p1 already exists", 409)))
    client = client_for(server, fake_time)
    assert client.create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"}) is False
    assert server.count() == 3


def test_create_after_service_lag_then_409_is_a_real_conflict(server, fake_time):
    # A 404 proves the first attempt was not applied: "already exists" is someone else's pool.
    server.script("POST", POOLS_PATH, SERVICE_LAG, (409, {}, aiven_error("Connection pool p1 already exists", 409)))
    with pytest.raises(AivenApiError) as info:
        client_for(server, fake_time).create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"})
    assert info.value.already_exists and not info.value.maybe_applied
