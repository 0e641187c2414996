"""The emulator's test controls: request counter, faults, latency, service state, options."""

from __future__ import annotations

import concurrent.futures
import time

import pytest
import requests
from harness import PROJECT, Api

SERVICE_PATH = f"/v1/project/{PROJECT}/service/pg-main"
POOLS_PATH = SERVICE_PATH + "/connection_pool"


def test_counter_counts_api_requests_only(emulator, api: Api):
    emulator.reset_requests()
    api.call("GET", f"/project/{PROJECT}/service/pg-main")
    api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "cnt", "database": "appdb"})
    api.call("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/cnt")
    api.call("GET", f"/project/{PROJECT}/service/nope")
    emulator.requests_log()  # control routes are not counted
    log = emulator.requests_log()
    assert log["total"] == 4
    assert log["by_method"] == {"GET": 2, "POST": 1, "DELETE": 1}
    assert [(e["method"], e["status"]) for e in log["log"]] == [("GET", 200), ("POST", 200), ("DELETE", 200), ("GET", 404)]
    assert log["log"][1]["path"] == POOLS_PATH
    times = [entry["at"] for entry in log["log"]]
    assert times == sorted(times)
    assert log["longest_gap"] == round(max(later - earlier for earlier, later in zip(times, times[1:])), 3)
    emulator.reset_requests()
    assert emulator.requests_log() == {"total": 0, "by_method": {}, "rate_limited": 0, "longest_gap": 0.0, "log": []}


def test_fault_status_with_retry_after_and_times(emulator, api: Api):
    emulator.add_faults([{"method": "GET", "path": "pg-main$", "status": 429, "retry_after": 3, "times": 2}])
    first = api.call("GET", f"/project/{PROJECT}/service/pg-main")
    second = api.call("GET", f"/project/{PROJECT}/service/pg-main")
    third = api.call("GET", f"/project/{PROJECT}/service/pg-main")
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["Retry-After"] == "3"
    assert first.json()["message"] == (
        "The user has sent too many requests in a given amount of time: Rate limit 120 exceeded - try again in 3s"
    )
    # Faults never touch the control routes.
    assert emulator.requests_log()["total"] >= 3


def test_injected_429_quotes_the_rate_limit_option_when_set(emulator, api: Api):
    emulator.add_faults([{"method": "GET", "path": "pg-main$", "status": 429, "times": 1}])
    try:
        emulator.set_options(rate_limit=500)
        reply = api.call("GET", f"/project/{PROJECT}/service/pg-main")
    finally:
        emulator.set_options(rate_limit=0)
    assert reply.status_code == 429 and "Retry-After" not in reply.headers
    assert reply.json()["message"].endswith(": Rate limit 500 exceeded - try again in 1s")
    # Injected, not refused by the limiter: the log tells the two apart.
    assert "rate_limited" not in emulator.requests_log()["log"][-1]


def test_fault_5xx_without_retry_after_and_method_filter(emulator, api: Api):
    emulator.add_faults([{"method": "POST", "path": "connection_pool", "status": 503, "times": 1}])
    assert api.call("GET", f"/project/{PROJECT}/service/pg-main").status_code == 200
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "f5", "database": "appdb"})
    assert reply.status_code == 503 and "Retry-After" not in reply.headers
    assert reply.json()["errors"][0]["status"] == 503
    assert "f5" not in [p["pool_name"] for p in api.service()["connection_pools"]]


def test_fault_rate_is_a_probability(emulator, api: Api):
    emulator.add_faults([{"path": "pg-cycle$", "status": 502, "rate": 0.3}])
    statuses = [api.call("GET", f"/project/{PROJECT}/service/pg-cycle").status_code for _attempt in range(300)]
    failed = statuses.count(502)
    assert set(statuses) == {200, 502}
    assert 45 <= failed <= 135, failed  # 90 expected; far outside means the rate is ignored


def test_drop_before_does_not_apply_the_write(emulator, api: Api):
    emulator.add_faults([{"method": "POST", "path": "connection_pool$", "drop": "before", "times": 1}])
    with pytest.raises(requests.ConnectionError):
        api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "db1", "database": "appdb"})
    assert "db1" not in [p["pool_name"] for p in api.service()["connection_pools"]]


def test_drop_after_applies_the_write_but_loses_the_reply(emulator, api: Api):
    emulator.reset_requests()
    emulator.add_faults([{"method": "POST", "path": "connection_pool$", "drop": "after", "times": 1}])
    with pytest.raises(requests.ConnectionError):
        api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "da1", "database": "appdb"})
    assert "da1" in [p["pool_name"] for p in api.service()["connection_pools"]]
    again = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "da1", "database": "appdb"})
    assert again.status_code == 409 and "already exists" in again.json()["message"]
    assert [e["status"] for e in emulator.requests_log()["log"]] == ["dropped", 200, 409]
    api.call("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/da1")


def test_bad_fault_rules_are_rejected(emulator):
    for rules in [{"not": "a list"}, [{"path": "("}], [{"path": "x"}], [{"status": 200}], [{"drop": "sideways"}], [{"status": 503, "rate": 2}]]:
        reply = requests.post(f"{emulator.url}/_emulator/faults", json={"rules": rules}, timeout=10)
        assert reply.status_code == 400, rules
        assert reply.json()["errors"][0]["status"] == 400


def test_latency_delays_but_does_not_serialise(emulator, api: Api):
    emulator.set_latency(300)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: Api(emulator.url).call("GET", f"/project/{PROJECT}/service/pg-main").status_code, range(10)))
    elapsed = time.monotonic() - started
    emulator.set_latency(0)
    assert statuses == [200] * 10
    assert 0.3 <= elapsed < 1.5, elapsed  # ten requests in parallel: about one latency, not ten


def test_latency_flag_on_the_command_line():
    from harness import TEST_SEED, TOKEN

    from aiven_emulator.process import EmulatorProcess

    with EmulatorProcess(TEST_SEED, latency_ms=200) as emu:
        api = Api(emu.url, TOKEN)
        started = time.monotonic()
        assert api.call("GET", f"/project/{PROJECT}/service/pg-main").status_code == 200
        assert time.monotonic() - started >= 0.2
        started = time.monotonic()
        requests.get(f"{emu.url}/_emulator/requests", timeout=10)
        assert time.monotonic() - started < 0.2  # control routes are never delayed


def test_power_cycle_can_drop_pools_and_blocks_writes(emulator, api: Api):
    base = f"/project/{PROJECT}/service/pg-cycle/connection_pool"
    assert api.call("POST", base, {"pool_name": "keep", "database": "defaultdb"}).status_code == 200
    emulator.set_service(PROJECT, "pg-cycle", state="POWEROFF")
    assert api.service("pg-cycle")["state"] == "POWEROFF"
    reply = api.call("POST", base, {"pool_name": "x", "database": "defaultdb"})
    assert reply.status_code == 409 and reply.json()["errors"][0]["error_code"] == "not_powered"
    emulator.set_service(PROJECT, "pg-cycle", state="RUNNING")
    assert api.service("pg-cycle")["connection_pools"] == []


def test_plan_change_turns_pooling_off(emulator, api: Api):
    emulator.set_service(PROJECT, "pg-cycle", plan="hobbyist")
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-cycle/connection_pool", {"pool_name": "x", "database": "defaultdb"})
    emulator.set_service(PROJECT, "pg-cycle", plan="startup-4")
    assert reply.status_code == 403


def test_unconfirmed_behaviours_are_options(emulator, api: Api):
    try:
        emulator.set_options(missing_database_status=403, poweroff_status=503, unpinned_uri_user="none")
        reply = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "x", "database": "nodb"})
        assert reply.status_code == 403
        assert api.call("POST", f"/project/{PROJECT}/service/pg-off/connection_pool", {"pool_name": "x", "database": "defaultdb"}).status_code == 503
        emulator.set_options(redact_secrets=False)
        assert api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "unp", "database": "appdb"}).status_code == 200
        pool = next(p for p in api.service()["connection_pools"] if p["pool_name"] == "unp")
        assert pool["connection_uri"].startswith("postgres://") and "@" not in pool["connection_uri"]
        api.call("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/unp")
    finally:
        emulator.set_options(missing_database_status=404, poweroff_status=409, unpinned_uri_user="primary",
                             redact_secrets=True, redact_pool_uris=True)
    bad = requests.put(f"{emulator.url}/_emulator/options", json={"poweroff_status": 418}, timeout=10)
    assert bad.status_code == 400


def test_concurrent_creates_on_one_service_all_land(emulator, api: Api):
    names = [f"cc{i}" for i in range(40)]
    base = f"/project/{PROJECT}/service/pg-main/connection_pool"
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: Api(emulator.url).call("POST", base, {"pool_name": n, "database": "appdb"}).status_code, names))
    assert statuses == [200] * 40
    present = {p["pool_name"] for p in api.service()["connection_pools"]}
    assert set(names) <= present
    for name in names:
        api.call("DELETE", f"{base}/{name}")
