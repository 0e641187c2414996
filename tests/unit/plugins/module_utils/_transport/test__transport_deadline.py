# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``timeout`` bounds each attempt in wall-clock time: connect, headers and body together.

The replies here trickle in a byte every 50 ms, so no single socket read ever waits
long: a per-read timeout would let each of them hold the task for 8 s or more.
"""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.api_helpers import POOLS_PATH, SERVICE_PATH, make_client
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Raw

PAUSE = 0.05
TIMEOUT = 0.5
# Several times TIMEOUT, far below what the trickles last (160 bytes: 8 s).
WITHIN = 3.0
DOCUMENT = b'{"service": {"state": "RUNNING"}}' + b" " * 127


def head(length: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length


def trickling_headers() -> Raw:
    return Raw.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 160, PAUSE)


def trickling_body() -> Raw:
    return Raw.trickle(DOCUMENT, PAUSE, head=head(len(DOCUMENT)))


def test_headers_that_trickle_in_time_out(server):
    server.script("GET", SERVICE_PATH, trickling_headers())
    client = make_client(server.url, timeout=TIMEOUT, max_retries=0)
    started = time.monotonic()
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    assert time.monotonic() - started < WITHIN
    assert info.value.status is None
    assert "timed out" in info.value.message
    assert info.value.attempts == 1


def test_body_that_trickles_in_times_out_and_is_retried(server):
    server.script("GET", SERVICE_PATH, trickling_body(), (200, {}, {"service": {"state": "RUNNING"}}))
    client = make_client(server.url, timeout=TIMEOUT, max_retries=1)
    started = time.monotonic()
    assert client.get_service("proj", "pg1") == {"state": "RUNNING"}
    assert time.monotonic() - started < WITHIN
    assert server.count() == 2


def test_deadline_hit_on_every_attempt_gives_up_as_a_timeout(server):
    server.script("GET", SERVICE_PATH, trickling_headers(), trickling_body())
    client = make_client(server.url, timeout=TIMEOUT, max_retries=1)
    started = time.monotonic()
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    assert time.monotonic() - started < 2 * WITHIN
    err = info.value
    assert server.count() == 2
    assert err.status is None and "timed out" in err.message
    assert err.attempts == 2 and "gave up after 2 attempts" in str(err)


def test_write_whose_2xx_reply_trickles_in_was_applied(server):
    # The status line came: the update was made, only its reply body is slow.
    server.script("PUT", POOLS_PATH + "/p1", Raw.trickle(b'{"message": "updated"}' + b" " * 140, PAUSE, head=head(162)))
    client = make_client(server.url, timeout=TIMEOUT, max_retries=3)
    started = time.monotonic()
    assert client.update_pool("proj", "pg1", "p1", {"pool_size": 5}) is None
    assert time.monotonic() - started < WITHIN
    assert server.count() == 1


def test_slow_reply_that_completes_within_the_deadline_is_read(server):
    body = b'{"service": {"state": "RUNNING"}}'
    server.script("GET", SERVICE_PATH, Raw.trickle(body, 0.01, head=head(len(body))))
    client = make_client(server.url, timeout=5.0, max_retries=0)
    assert client.get_service("proj", "pg1") == {"state": "RUNNING"}
    assert server.count() == 1


def test_no_deadline_timer_outlives_its_attempt(server):
    before = set(threading.enumerate())
    client = make_client(server.url, timeout=30.0)
    for _attempt in range(5):
        client.request("GET", ["me"])
    # The attempts' timers: every deadline is a threading.Timer started during them.
    timers = [thread for thread in threading.enumerate() if isinstance(thread, threading.Timer) and thread not in before]
    for timer in timers:
        timer.join(5.0)
    # A timer left running would still wait out its 30 s.
    assert not [timer for timer in timers if timer.is_alive()]
