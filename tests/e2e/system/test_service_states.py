"""The role against services that are powered off, rebuilding, or lost their pools in a power cycle."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.system.drive import PROJECT, counts, declared, seed, service, writes

SERVICE = "pg-state"
DEFINITIONS = [
    {"service_name": SERVICE, "pool_name": "app", "database_name": "appdb", "username": "app", "pool_mode": "transaction", "pool_size": 20},
    {"service_name": SERVICE, "pool_name": "reports", "database_name": "appdb", "username": None, "pool_mode": "session", "pool_size": 5},
    {"service_name": SERVICE, "pool_name": "batch", "database_name": "defaultdb", "username": None, "pool_mode": "statement", "pool_size": 2},
    {"service_name": SERVICE, "pool_name": "retired", "state": "absent"},
]


def gets(emulator) -> int:
    return sum(1 for entry in emulator.requests_log()["log"] if entry["method"] == "GET")


def test_powered_off_service_fails_at_once_without_writes(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, state="POWEROFF")))
    run = ansible_for(emulator).role(DEFINITIONS, "poweroff")

    assert run.rc != 0 and run.recap()["failed"] == 1
    assert f"{PROJECT}/{SERVICE}: the service is powered off (state POWEROFF); power it on before changing its pools" in run.output
    # Reported as powered off, and only that (a powered-off service may list no databases).
    assert "does not exist on the service" not in run.output
    # One read, no second read (no waiting, although wait is on), no write.
    assert counts(emulator.requests_log()) == {("GET", 200): 1}


def test_rebuilding_service_is_waited_for(start_emulator, ansible_for, measurement):
    emulator = start_emulator(seed(service(SERVICE, state="REBUILDING")))
    ansible = ansible_for(emulator)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        # wait_timeout 20: the module re-reads the service every second.
        future = pool.submit(ansible.role, DEFINITIONS, "waits", connection_pools_wait_timeout=20)
        while not gets(emulator):
            assert not future.done(), future.result().output[-3000:]
            time.sleep(0.1)
        time.sleep(2)
        while_waiting = counts(emulator.requests_log())
        emulator.set_service(PROJECT, SERVICE, state="RUNNING")
        flipped = time.monotonic() - started
        run = future.result()
    measurement.notes.update(flipped_after_s=round(flipped, 1), reads_while_waiting=while_waiting[("GET", 200)])

    assert set(while_waiting) == {("GET", 200)} and while_waiting[("GET", 200)] >= 2, "it re-read the service and wrote nothing"
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 1
    assert run.seconds >= flipped
    assert [w[:2] for w in writes(emulator.requests_log())] == [("POST", "connection_pool")] * 3
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == declared(DEFINITIONS)


WAIT_TIMEOUT = 3


def test_rebuilding_service_is_given_up_after_wait_timeout(start_emulator, ansible_for, measurement):
    emulator = start_emulator(seed(service(SERVICE, state="REBUILDING")))
    run = ansible_for(emulator).role(DEFINITIONS, "gives up", connection_pools_wait_timeout=WAIT_TIMEOUT)

    assert run.rc != 0 and run.recap()["failed"] == 1
    assert f"service {PROJECT}/{SERVICE} is still REBUILDING after waiting {WAIT_TIMEOUT} s for RUNNING" in run.output
    log = counts(emulator.requests_log())
    measurement.notes["reads"] = log[("GET", 200)]
    # The first read, then one a second until the timeout: bounded, and never a write.
    assert set(log) == {("GET", 200)} and 2 <= log[("GET", 200)] <= WAIT_TIMEOUT + 2
    assert run.seconds >= WAIT_TIMEOUT


def test_pools_lost_in_a_power_cycle_are_recreated(start_emulator, ansible_for):
    present = [entry for entry in DEFINITIONS if entry.get("state") != "absent"]
    emulator = start_emulator(seed(service(SERVICE, pools=present)), poweroff_drops_pools=True)
    ansible = ansible_for(emulator)
    converged = ansible.role(DEFINITIONS, "converged")
    assert converged.rc == 0 and converged.recap()["changed"] == 0, converged.output[-3000:]

    emulator.set_service(PROJECT, SERVICE, state="POWEROFF")
    emulator.set_service(PROJECT, SERVICE, state="RUNNING")
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == {}, "the power cycle dropped the pools"

    run = ansible.role(DEFINITIONS, "after power cycle")
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 1
    log = counts(emulator.requests_log())
    assert sum(n for (method, _status), n in log.items() if method == "POST") == log[("POST", 200)] == len(present)
    assert not any(method in ("PUT", "DELETE") for method, _status in log)
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == declared(DEFINITIONS)
