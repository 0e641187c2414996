"""Transient API faults (503, 429 with and without Retry-After) and a route that keeps failing."""

from __future__ import annotations

import math

from tests.e2e.system.drive import DATABASES, PROJECT, declared, identities, seed, service, writes
from tests.e2e.system.retry_math import DEFAULT_RETRIES, backoff_bounds, exhaust_chance

FAULT_RATE = 0.30
# Each kind gets an equal share of the requests. The emulator fires the first matching rule
# whose own rate hits, so rule i sees only what the earlier rules let through: its rate is
# share / (1 - i * share), which makes every kind fire on `share` of all requests.
FAULT_KINDS = [
    {"status": 503},                      # no Retry-After: exponential backoff
    {"status": 429, "retry_after": 1},    # Aiven's rate limit, with the header
    {"status": 429},                      # rate limit without the header: backoff
]
SERVICES = [f"pg-faults-{index}" for index in range(4)]
# Ten pools a service: more than CONCURRENCY, so writes overlap. The run's length is set by the
# pacer's answer to random 429s that name a limit (it settles near 2 requests a second, as it
# must when a shared token is refused that often), so more pools only add minutes, not cases.
POOLS = 40
# At 30 % a request fails for good only if all its attempts get a fault: 0.3**7 = 2.2e-4 with the
# default 6 retries. The first run makes about 50 requests, so about 1 test run in 90 would fail
# on chance alone (exhaust_chance(0.3, 6, 52) = 1.1 %). With 10 retries that is 1e-4 per run.
API_RETRIES = 10
# Writes at once across all services (the module's default, named so the test does not drift with it):
# several backoff waits overlap.
CONCURRENCY = 8


def fault_rules(total_rate: float) -> list:
    share = total_rate / len(FAULT_KINDS)
    return [dict(kind, path="", rate=share / (1 - index * share)) for index, kind in enumerate(FAULT_KINDS)]


def definitions() -> list:
    return [{
        "service_name": SERVICES[index % len(SERVICES)],
        "pool_name": f"pool-{index:03d}",
        "database_name": DATABASES[index % 2],
        "username": "app" if index % 3 == 0 else None,
        "pool_mode": ("transaction", "session", "statement")[index % 3],
        "pool_size": 1 + index % 20,
    } for index in range(POOLS)]


def test_role_converges_through_30_percent_faults(start_emulator, ansible_for, measurement):
    emulator = start_emulator(seed(*(service(name) for name in SERVICES)))
    ansible = ansible_for(emulator)
    wanted = definitions()
    emulator.add_faults(fault_rules(FAULT_RATE))
    measurement.fault_rate_configured = FAULT_RATE
    measurement.notes.update(api_retries=API_RETRIES, concurrency=CONCURRENCY,
                             chance_of_giving_up_with_default_retries=round(exhaust_chance(FAULT_RATE, DEFAULT_RETRIES, 52), 4),
                             chance_of_giving_up_with_test_retries=round(exhaust_chance(FAULT_RATE, API_RETRIES, 52), 6))

    first = ansible.role(wanted, "apply", connection_pools_api_retries=API_RETRIES,
                         connection_pools_concurrency=CONCURRENCY)
    assert first.rc == 0, first.output[-3000:]
    assert first.recap()["changed"] == 1
    first_log = emulator.requests_log()
    emulator.reset_requests()
    created = [w for w in writes(first_log) if w[0] == "POST" and isinstance(w[2], int) and w[2] < 300]
    assert len(created) == POOLS, "each pool is created by exactly one successful POST"
    assert all(method == "POST" and status in (200, 201, 429, 503) for method, _name, status in writes(first_log)), writes(first_log)

    second = ansible.role(wanted, "rerun", connection_pools_api_retries=API_RETRIES,
                          connection_pools_concurrency=CONCURRENCY)
    assert second.rc == 0, second.output[-3000:]
    assert second.recap()["changed"] == 0
    second_log = emulator.requests_log()
    assert writes(second_log) == [], "a converged run sends no write, not even one that was refused"

    entries = first_log["log"] + second_log["log"]
    faulted = [entry for entry in entries if entry["status"] in (429, 503)]
    measured = len(faulted) / len(entries)
    measurement.fault_rate_measured = measured
    # Four standard deviations of a binomial share: a false alarm about once in 15,000 runs.
    tolerance = 4 * math.sqrt(FAULT_RATE * (1 - FAULT_RATE) / len(entries))
    assert abs(measured - FAULT_RATE) <= tolerance, f"{len(faulted)} of {len(entries)} requests faulted"
    rules = emulator.faults()
    fired = [rule["applied"] for rule in rules]
    assert all(count > 0 for count in fired), f"every kind of fault occurred: {fired}"
    assert sum(fired) == len(faulted)
    assert {entry["status"] for entry in faulted} == {429, 503}

    emulator.clear_faults()
    for name in SERVICES:
        assert emulator.pools(name) == declared(wanted, name)


# A service whose every create fails: Aiven-style 503 with its own text.
MAINTENANCE = "Connection pool changes are paused while the service is under maintenance"
RETRIES_WHEN_FAILING = 2     # the default would wait 44 to 47 s (backoff_bounds(6)): too long for this suite
OVERHEAD = 6.0               # module start-up and the requests themselves, on a busy 2-core machine


def test_failing_route_gives_up_in_time_and_reports_the_batch(start_emulator, ansible_for, measurement):
    emulator = start_emulator(seed(service("pg-stuck", pools=[
        {"pool_name": "keep-1", "database_name": "appdb"},
        {"pool_name": "keep-2", "database_name": "appdb"},
        {"pool_name": "old-1", "database_name": "appdb"},
    ])))
    ansible = ansible_for(emulator)
    emulator.add_faults([{"method": "POST", "path": "/service/pg-stuck/connection_pool$", "status": 503, "message": MAINTENANCE}])
    pools = [
        {"pool_name": "keep-1", "pool_size": 7},
        {"pool_name": "old-1", "state": "absent"},
        {"pool_name": "new-1", "database_name": "appdb"},
        {"pool_name": "new-2", "database_name": "appdb"},
        {"pool_name": "keep-2", "pool_mode": "session"},
    ]
    low, high = backoff_bounds(RETRIES_WHEN_FAILING)
    measurement.gave_up = 1
    measurement.notes.update(api_retries=RETRIES_WHEN_FAILING, wait_bounds_s=[low, high],
                             default_wait_bounds_s=list(backoff_bounds(DEFAULT_RETRIES)))

    # One write at a time, so which changes were attempted is certain.
    _run, outcome = ansible.batch("pg-stuck", pools, "failing", concurrency=1, api_retries=RETRIES_WHEN_FAILING)

    assert outcome["failed"] is True
    assert "'new-1'" in outcome["msg"] and "HTTP 503" in outcome["msg"] and MAINTENANCE in outcome["msg"], outcome["msg"]
    assert outcome["failure"]["status"] == 503 and outcome["failure"]["message"] == MAINTENANCE
    # The message and the failure dict say the retries ran out, not that the first answer was final.
    assert f"(gave up after {RETRIES_WHEN_FAILING + 1} attempts)" in outcome["msg"], outcome["msg"]
    assert outcome["failure"]["attempts"] == RETRIES_WHEN_FAILING + 1
    # The delete waits for the service's creates and updates: after the refused create it is not attempted.
    assert identities(outcome["applied"]) == [("keep-1", "update", ["pool_size"])]
    assert identities(outcome["failed_changes"]) == [("new-1", "create", None)]
    assert [(c["status"], c["message"]) for c in outcome["failed_changes"]] == [(503, MAINTENANCE)]
    assert identities(outcome["not_attempted"]) == [("old-1", "delete", None), ("new-2", "create", None), ("keep-2", "update", ["pool_mode"])]
    every_entry = outcome["applied"] + outcome["failed_changes"] + outcome["not_attempted"]
    assert {(c["project"], c["service_name"]) for c in every_entry} == {(PROJECT, "pg-stuck")}
    assert outcome["changed"] is True, "the applied changes are reported as changes"
    log = emulator.requests_log()
    assert writes(log) == [("PUT", "keep-1", 200)] + [("POST", "connection_pool", 503)] * (1 + RETRIES_WHEN_FAILING)
    measurement.notes["call_seconds"] = round(outcome["seconds"], 2)
    assert low <= outcome["seconds"] <= high + OVERHEAD, f"gave up after {outcome['seconds']:.1f} s, bounds {low}-{high} s"

    emulator.clear_faults()
    after = emulator.pools("pg-stuck")
    assert sorted(after) == ["keep-1", "keep-2", "old-1"]
    assert after["keep-1"]["pool_size"] == 7 and after["keep-2"]["pool_mode"] == "transaction"
