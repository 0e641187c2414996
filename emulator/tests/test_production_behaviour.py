"""Production behaviours behind options (issue #10): rate limit, service lag, GET db when powered off."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Callable

import aiohttp
import pytest
import requests
from harness import PROJECT, READONLY_TOKEN, SAME_USER_TOKEN, TEST_SEED, TOKEN, Api
from test_contract import POOL, POOLS, SERVICE, check

from aiven_emulator import server
from aiven_emulator.process import EmulatorProcess

BASE = f"/project/{PROJECT}/service"
TEXT = re.compile(r"^The user has sent too many requests in a given amount of time: Rate limit (\d+) exceeded - try again in (\d+)s$")


def wait_until(condition: Callable[[], bool], bound: float = 30.0) -> float:
    """Poll ``condition`` until it holds; the seconds it took. Fails past ``bound``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < bound, "condition not met in time"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def options(emulator):
    """Set options for one test; the defaults come back afterwards."""
    defaults = {"rate_limit": 0, "rate_limit_window": 60.0, "rate_limit_shape": "window", "rate_limit_retry_after_header": False,
                "read_lag": 0.0, "service_lag": 0.0, "backend_apply_delay": 0.0, "poweroff_db_status": 503}
    yield emulator.set_options
    emulator.set_options(**defaults)


# -- rate limit -------------------------------------------------------------------


def test_the_default_is_productions_limit():
    """120 requests per user, then production's 429 naming the rest of a 60 s window, no Retry-After."""
    with EmulatorProcess(TEST_SEED) as fresh:
        settings = requests.get(f"{fresh.url}/_emulator/options", timeout=10).json()
        assert (settings["rate_limit"], settings["rate_limit_window"], settings["rate_limit_shape"]) == (120, 60.0, "window")
        api = Api(fresh.url)
        statuses = [api.call("GET", f"{BASE}/pg-main").status_code for _attempt in range(120)]
        assert statuses == [200] * 120
        refused = api.call("GET", f"{BASE}/pg-main")
        limit, wait = TEXT.match(check(refused, "GET", SERVICE, 429)["message"]).groups()
        assert limit == "120" and 30 <= int(wait) <= 60  # the rest of the window: tens of seconds
        assert "Retry-After" not in refused.headers


def test_resetting_the_options_restores_productions_limit(emulator, options):
    assert emulator.set_options(rate_limit=0, read_lag=2.0)["rate_limit"] == 0
    restored = emulator.reset_options()
    assert (restored["rate_limit"], restored["rate_limit_shape"], restored["read_lag"]) == (120, "window", 0.0)


def test_over_the_limit_answers_aivens_429_and_applies_nothing(emulator, api: Api, options):
    options(rate_limit=3, rate_limit_window=60)
    emulator.reset_requests()
    for _attempt in range(3):
        assert api.call("GET", f"{BASE}/pg-main").status_code == 200
    refused = api.call("GET", f"{BASE}/pg-main")
    body = check(refused, "GET", SERVICE, 429)
    limit, wait = TEXT.match(body["message"]).groups()
    assert limit == "3"
    assert 59 <= int(wait) <= 60  # the window the first request opened ends in a minute
    assert "Retry-After" not in refused.headers  # the wait is only in the text by default
    write = api.call("POST", f"{BASE}/pg-main/connection_pool", {"pool_name": "limited", "database": "appdb"})
    check(write, "POST", POOLS, 429)
    options(rate_limit=0)
    assert "limited" not in [pool["pool_name"] for pool in api.service()["connection_pools"]]


def test_the_bucket_shape_asks_for_one_refill(api: Api, options):
    options(rate_limit=3, rate_limit_window=60, rate_limit_shape="bucket")
    for _attempt in range(3):
        assert api.call("GET", f"{BASE}/pg-main").status_code == 200
    wait = TEXT.match(check(api.call("GET", f"{BASE}/pg-main"), "GET", SERVICE, 429)["message"]).group(2)
    assert 19 <= int(wait) <= 20  # one request back every 60 / 3 s


def test_retry_after_header_when_switched_on(api: Api, options):
    options(rate_limit=1, rate_limit_window=30, rate_limit_retry_after_header=True)
    assert api.call("GET", f"{BASE}/pg-main").status_code == 200
    refused = api.call("GET", f"{BASE}/pg-main")
    wait = TEXT.match(check(refused, "GET", SERVICE, 429)["message"]).group(2)
    assert refused.headers["Retry-After"] == wait
    assert 29 <= int(wait) <= 30


def test_the_log_marks_refused_requests(emulator, api: Api, options):
    options(rate_limit=2)
    emulator.reset_requests()
    statuses = [api.call("GET", f"{BASE}/pg-main").status_code for _attempt in range(4)]
    assert statuses == [200, 200, 429, 429]
    log = emulator.requests_log()
    assert log["total"] == 4 and log["rate_limited"] == 2
    assert [entry.get("rate_limited", False) for entry in log["log"]] == [False, False, True, True]


def test_each_user_has_its_own_allowance(api: Api, emulator, options):
    options(rate_limit=2)
    other_user = Api(emulator.url, READONLY_TOKEN)
    for _attempt in range(2):
        assert api.call("GET", f"{BASE}/pg-main").status_code == 200
    assert api.call("GET", f"{BASE}/pg-main").status_code == 429
    assert [other_user.call("GET", f"{BASE}/pg-main").status_code for _attempt in range(3)] == [200, 200, 429]


def test_tokens_of_one_user_share_its_allowance(api: Api, emulator, options):
    options(rate_limit=3)
    same_user = Api(emulator.url, SAME_USER_TOKEN)
    statuses = [client.call("GET", f"{BASE}/pg-main").status_code for client in (api, same_user, api, same_user)]
    assert statuses == [200, 200, 200, 429]


def test_wrong_tokens_and_control_routes_are_not_counted(emulator, options):
    options(rate_limit=1)
    emulator.reset_requests()
    stranger = Api(emulator.url, "not-a-token")
    assert [stranger.call("GET", f"{BASE}/pg-main").status_code for _attempt in range(3)] == [401, 401, 401]
    for _attempt in range(3):
        emulator.requests_log()
    assert Api(emulator.url, TOKEN).call("GET", f"{BASE}/pg-main").status_code == 200
    assert emulator.requests_log()["rate_limited"] == 0


def test_the_allowance_refills(api: Api, options):
    options(rate_limit=2, rate_limit_window=1)
    for _attempt in range(2):
        assert api.call("GET", f"{BASE}/pg-main").status_code == 200
    refused = api.call("GET", f"{BASE}/pg-main")
    assert refused.status_code == 429 and refused.json()["message"].endswith("Rate limit 2 exceeded - try again in 1s")
    wait_until(lambda: api.call("GET", f"{BASE}/pg-main").status_code == 200, bound=10.0)


def test_bad_option_values_are_refused(emulator):
    for bad in [{"rate_limit": -1}, {"rate_limit": 1.5}, {"rate_limit": True}, {"rate_limit": 10**7},
                {"rate_limit_window": 0}, {"rate_limit_window": -5}, {"rate_limit_window": 10**6},
                {"service_lag": -0.1}, {"service_lag": 7200}, {"backend_apply_delay": -1}, {"backend_apply_delay": 7200},
                {"rate_limit_retry_after_header": 1}, {"poweroff_db_status": 404}, {"rate_limit_shape": "leaky"},
                {"read_lag": -1}, {"read_lag": 7200}, {"project_ca_access": "everyone"}]:
        reply = requests.put(f"{emulator.url}/_emulator/options", json=bad, timeout=10)
        assert reply.status_code == 400, bad
    assert requests.get(f"{emulator.url}/_emulator/options", timeout=10).json()["rate_limit"] == 0


# -- service lag ------------------------------------------------------------------


def test_pool_writes_404_for_a_while_after_power_on(emulator, api: Api, options):
    pools = f"{BASE}/pg-cycle/connection_pool"
    assert api.call("POST", pools, {"pool_name": "lagged", "database": "defaultdb"}).status_code == 200
    options(service_lag=1.5)
    started = time.monotonic()
    emulator.set_service(PROJECT, "pg-cycle", state="REBUILDING")
    emulator.set_service(PROJECT, "pg-cycle", state="RUNNING")
    missing = "Service pg-cycle does not exist"
    assert check(api.call("POST", pools, {"pool_name": "x", "database": "defaultdb"}), "POST", POOLS, 404)["message"] == missing
    assert check(api.call("PUT", pools + "/lagged", {"pool_size": 4}), "PUT", POOL, 404)["message"] == missing
    assert check(api.call("DELETE", pools + "/lagged"), "DELETE", POOL, 404)["message"] == missing
    assert api.service("pg-cycle")["state"] == "RUNNING"  # reads are not affected
    wait_until(lambda: api.call("PUT", pools + "/lagged", {"pool_size": 4}).status_code == 200, bound=15.0)
    assert time.monotonic() - started >= 1.5
    # Already running: no new lag.
    emulator.set_service(PROJECT, "pg-cycle", state="RUNNING")
    assert check(api.call("DELETE", pools + "/lagged"), "DELETE", POOL, 200)


def test_no_service_lag_by_default(emulator, api: Api):
    emulator.set_service(PROJECT, "pg-cycle", state="REBUILDING")
    emulator.set_service(PROJECT, "pg-cycle", state="RUNNING")
    reply = api.call("POST", f"{BASE}/pg-cycle/connection_pool", {"pool_name": "nolag", "database": "defaultdb"})
    check(reply, "POST", POOLS, 200)
    api.call("DELETE", f"{BASE}/pg-cycle/connection_pool/nolag")


# -- GET db on a powered-off service ---------------------------------------------


def test_database_list_of_a_powered_off_service(api: Api, options):
    reply = api.call("GET", f"{BASE}/pg-off/db")
    assert check(reply, "GET", SERVICE + "/db", 503)["message"] == "An error occurred. Please try again later."
    assert check(api.call("GET", f"{BASE}/pg-main/db"), "GET", SERVICE + "/db", 200)["databases"]
    options(poweroff_db_status=200)
    body = check(api.call("GET", f"{BASE}/pg-off/db"), "GET", SERVICE + "/db", 200)
    assert [item["database_name"] for item in body["databases"]] == ["defaultdb"]


# -- backend_apply_delay: clean stop (the PgBouncer side is in test_pgbouncer_apply_delay.py)


def test_stop_settles_delayed_syncs():
    async def scenario() -> tuple:
        running = await server.start(TEST_SEED, options={"backend_apply_delay": 600})
        try:
            async with aiohttp.ClientSession(headers={"Authorization": f"aivenv1 {TOKEN}"}) as session:
                url = f"{running.url}/v1{BASE}/pg-main/connection_pool"
                async with session.post(url, json={"pool_name": "later", "database": "appdb"}) as reply:
                    status = reply.status
            pending = running.emulator.api.delayed_syncs.pending()
        finally:
            await running.stop()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        return status, pending, running.emulator.api.delayed_syncs.pending(), others

    assert asyncio.run(scenario()) == (200, 1, 0, [])
