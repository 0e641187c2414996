# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client under a rate limit, through HTTP: holds, budgets, and recovery from bogus limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from aiven_emulator.rate_limit import WindowLimiter, too_many_requests_text
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import (
    POOLS_PATH,
    aiven_error,
    make_client,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import Recorded, Reply, StubServer

OK = (200, {}, {"message": "created"})


def create(client, index: int) -> None:
    client.create_pool("proj", "pg1", {"pool_name": f"p{index}", "database": "defaultdb"})


def refusal(limit: int, wait: int) -> tuple:
    return (429, {}, aiven_error(too_many_requests_text(limit, wait), 429))


def test_no_wait_at_all_before_the_first_refusal(server, fake_time):
    client = make_client(server.url, fake_time)
    for index in range(10):
        create(client, index)
    assert fake_time.sleeps == []


def test_a_refusal_naming_the_limit_holds_then_lets_its_budget_go(server, fake_time):
    # Proves the hold lasts the named wait and that a budget of 3 then lets the requests go without waiting.
    server.script("POST", POOLS_PATH, *([OK] * 7), refusal(3, 28))
    client = make_client(server.url, fake_time, backoff_max=15.0)
    for index in range(12):
        create(client, index)
    assert fake_time.sleeps == [28.0]
    assert server.count() == 13


def test_a_bogus_limit_costs_one_capped_wait_and_no_pacing_after(server, fake_time):
    # The stall: "Rate limit 1 ... 74s" twice used to pace the client at one request per 74 s for good.
    server.script("POST", POOLS_PATH, refusal(1, 74), OK, OK, refusal(1, 74))
    client = make_client(server.url, fake_time, backoff_max=15.0)
    for index in range(20):
        create(client, index)
    assert fake_time.sleeps == [60.0, 60.0]
    assert server.count() == 22


def test_a_refusal_without_a_limit_is_only_waited_out(server, fake_time):
    # A proxy's 429 (no "Rate limit N" in its text) gives no budget.
    server.script("POST", POOLS_PATH, (429, {"Retry-After": "2"}, "<html>Too Many Requests</html>"))
    client = make_client(server.url, fake_time, backoff_max=15.0)
    for index in range(10):
        create(client, index)
    assert fake_time.sleeps == [2.0]


# -- end to end: production's window, real time -------------------------------------


class WindowServer(StubServer):
    """Aiven's window-shaped limit with its text: ``limit`` requests per ``window`` s, real time."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__()
        self.limit = limit
        self.window = window
        self.limiter = WindowLimiter()
        self.refused = 0

    def _answer(self, recorded: Recorded) -> Reply:
        # Called under the stub's lock: the limiter needs no lock of its own.
        wait = self.limiter.take("user", self.limit, self.window)
        if not wait:
            return OK
        self.refused += 1
        return refusal(self.limit, wait)


@pytest.fixture
def window_server():
    # 20 requests per 1 s window (the emulator names whole seconds); every reply 20 ms away.
    stub = WindowServer(limit=20, window=1.0)
    stub.latency = 0.02
    stub.start()
    yield stub
    stub.stop()


def test_concurrent_writes_under_a_window_are_refused_about_once_per_window(window_server):
    client = make_client(window_server.url, max_retries=10, timeout=10.0)
    with ThreadPoolExecutor(4) as workers:
        list(workers.map(lambda index: create(client, index), range(70)))
    total = window_server.count()
    assert total - window_server.refused == 70
    print(f"refused {window_server.refused} of {total}")
    # The requests on the way when the window first fills (one per thread), then per window (4) a probe and,
    # on a loaded machine, an opening attempt that came a hair early: without the hold and the budget every
    # thread would be refused many times in every window, hundreds in all.
    assert window_server.refused <= 4 + 2 * 4


def test_writes_that_stay_under_the_limit_are_never_paced(window_server, fake_time):
    client = make_client(window_server.url, fake_time)
    with ThreadPoolExecutor(4) as workers:
        list(workers.map(lambda index: create(client, index), range(8)))
    assert window_server.refused == 0
    assert fake_time.sleeps == []
