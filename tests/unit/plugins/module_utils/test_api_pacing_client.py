# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client under a rate limit: when it starts pacing, and how few requests a token bucket refuses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._pacing import SHARE
from ansible_collections.dbpools.aiven.tests.emulator.rate_limit import RateLimiter, too_many_requests_text
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import (
    POOLS_PATH,
    aiven_error,
    make_client,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import Recorded, Reply, StubServer

OK = (200, {}, {"message": "created"})


def create(client, index: int) -> None:
    client.create_pool("proj", "pg1", {"pool_name": f"p{index}", "database": "defaultdb"})


def test_no_wait_at_all_before_the_first_refusal(server, fake_time):
    client = make_client(server.url, fake_time)
    for index in range(10):
        create(client, index)
    assert fake_time.sleeps == []


def test_a_refusal_naming_the_limit_paces_the_following_requests(server, fake_time):
    # 7 creates pass in 3 s under "Rate limit 3": the bucket refilled at least 4 in 3 s.
    server.script("POST", POOLS_PATH, *([OK] * 7), (429, {}, aiven_error(too_many_requests_text(3, 1), 429)))
    client = make_client(server.url, fake_time, backoff_max=15.0)
    for index in range(7):
        create(client, index)
        if index < 6:
            fake_time.advance(0.5)
    create(client, 7)  # refused once, then sent again after the server's 1 s
    assert fake_time.sleeps == [1.0]
    create(client, 8)
    create(client, 9)
    # Paced from the end of the server's wait on: one slot per 1 / (SHARE * 4/3.0) s, growing while unconfirmed.
    first_slot = 1 / (SHARE * 4 / 3.0)
    assert fake_time.sleeps[1] == pytest.approx(first_slot)
    assert 0 < fake_time.sleeps[2] <= first_slot


def test_a_refusal_without_a_limit_is_only_waited_out(server, fake_time):
    # A proxy's 429 (no "Rate limit N" in its text) gives no rate to pace at.
    server.script("POST", POOLS_PATH, (429, {"Retry-After": "2"}, "<html>Too Many Requests</html>"))
    client = make_client(server.url, fake_time, backoff_max=15.0)
    create(client, 0)
    for index in range(1, 10):
        create(client, index)
    assert fake_time.sleeps == [2.0]


# -- end to end: a token bucket ---------------------------------------------------------


class TokenBucketServer(StubServer):
    """Aiven's limit, with the emulator's token bucket and text: ``limit`` requests per ``window`` s, real time."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__()
        self.limit = limit
        self.window = window
        self.bucket = RateLimiter()
        self.refused = 0

    def _answer(self, recorded: Recorded) -> Reply:
        # Called under the stub's lock: the bucket needs no lock of its own.
        wait = self.bucket.take("token", self.limit, self.window)
        if not wait:
            return OK
        self.refused += 1
        return (429, {}, aiven_error(too_many_requests_text(self.limit, wait), 429))


@pytest.fixture
def bucket_server():
    # 40 requests per second after a burst of 8; every reply 50 ms away.
    stub = TokenBucketServer(limit=8, window=0.2)
    stub.latency = 0.05
    stub.start()
    yield stub
    stub.stop()


def test_concurrent_writes_under_a_token_bucket_are_seldom_refused(bucket_server):
    client = make_client(bucket_server.url, max_retries=10, timeout=10.0)
    with ThreadPoolExecutor(4) as workers:
        list(workers.map(lambda index: create(client, index), range(120)))
    total = bucket_server.count()
    assert total - bucket_server.refused == 120
    # Unpaced, every round of 4 after the first burst would meet an empty bucket: about half refused.
    print(f"refused {bucket_server.refused} of {total}")
    assert bucket_server.refused / total < 0.08


def test_writes_that_stay_under_the_limit_are_never_paced(bucket_server, fake_time):
    client = make_client(bucket_server.url, fake_time)
    with ThreadPoolExecutor(4) as workers:
        list(workers.map(lambda index: create(client, index), range(8)))
    assert bucket_server.refused == 0
    assert fake_time.sleeps == []
