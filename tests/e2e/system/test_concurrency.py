"""Two ansible-playbook runs at once on one service, with some pools in both and some in one."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.system.drive import PROJECT, declared, seed, service, writes

SERVICE = "pg-race"


def pools(prefix: str, count: int, **settings) -> list:
    base = {"service_name": SERVICE, "database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 10}
    return [dict(base, pool_name=f"{prefix}-{index}", **settings) for index in range(count)]


SHARED = pools("shared", 4, pool_size=5)
ONLY_A = pools("a", 3, database_name="defaultdb", pool_mode="session")
ONLY_B = pools("b", 3, username="app")
# With this wait_timeout the module re-reads a REBUILDING service every second (wait_timeout / 20, at least 1 s).
WAIT_TIMEOUT = 20
# Once both runs wait, every request gets this delay: each run's next read then lands before
# the other's first write (their reads are less than a second apart), so both plan the shared creates.
LATENCY_MS = 2000


def wait_until_both_poll(emulator, deadline_s: float = 90.0) -> int:
    """Block until two runs are re-reading the REBUILDING service; returns the GETs seen.

    One run reads once and then at most once a second, so more than T + 3 reads within T
    seconds of the first read prove that both runs are waiting.
    """
    first_seen = None
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        gets = sum(1 for entry in emulator.requests_log()["log"] if entry["method"] == "GET")
        if gets and first_seen is None:
            first_seen = time.monotonic()
        if first_seen is not None and gets >= (time.monotonic() - first_seen) + 3.5:
            return gets
        time.sleep(0.1)
    raise AssertionError("the two runs never waited for the service at the same time")


def test_two_runs_at_once_lose_nothing(start_emulator, ansible_for, measurement):
    emulator = start_emulator(seed(service(SERVICE, state="REBUILDING")))
    ansible = ansible_for(emulator)
    declaration_a, declaration_b = SHARED + ONLY_A, SHARED + ONLY_B

    # Both runs start together and wait for the service, which holds them at the same point.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(ansible.role, declaration, label, connection_pools_wait_timeout=WAIT_TIMEOUT)
                for declaration, label in ((declaration_a, "run A"), (declaration_b, "run B"))]
        measurement.notes["reads_while_waiting"] = wait_until_both_poll(emulator)
        emulator.set_latency(LATENCY_MS)
        emulator.set_service(PROJECT, SERVICE, state="RUNNING")
        run_a, run_b = (future.result() for future in runs)
    emulator.set_latency(0)
    measurement.notes.update(latency_ms=LATENCY_MS, seconds_a=round(run_a.seconds, 1), seconds_b=round(run_b.seconds, 1))

    # Both finish: a create refused as "already exists" is the other run's work, not a failure.
    assert run_a.rc == 0, run_a.output[-3000:]
    assert run_b.rc == 0, run_b.output[-3000:]
    assert run_a.recap()["changed"] == 1 and run_b.recap()["changed"] == 1
    sent = writes(emulator.requests_log())
    created = [w for w in sent if w[0] == "POST" and w[2] == 200]
    refused = [w for w in sent if w[0] == "POST" and w[2] == 409]
    # Each run created its own pools; of each shared pool one create won and the other was refused.
    assert len(created) == len(SHARED) + len(ONLY_A) + len(ONLY_B)
    assert len(refused) == len(SHARED), "both runs planned every shared create: they did overlap"
    assert all(method == "POST" for method, _name, _status in sent), sent
    measurement.notes["creates_refused_as_existing"] = len(refused)
    emulator.reset_requests()

    union = SHARED + ONLY_A + ONLY_B
    third = ansible.role(union, "both declarations")
    assert third.rc == 0, third.output[-3000:]
    assert third.recap()["changed"] == 0
    assert writes(emulator.requests_log()) == []
    assert emulator.pools(SERVICE) == declared(union)
