"""The role under production's rate-limit shape, through real ansible-playbook runs.

Aiven's limit is per user and window-shaped: a burst of N requests, then 429 "Rate limit N
exceeded - try again in Ks" until the window ends. A smaller window than production's
(25 requests per 5 s, same shape and text, no Retry-After) keeps the test short; the
benchmark's role_cold_limited runs production's own 120 per 60 s.
"""

from __future__ import annotations

from tests.e2e.system.drive import declared, seed, service, writes

SERVICES = ("pg-limit-a", "pg-limit-b")
LIMIT, WINDOW = 25, 5
DEFINITIONS = [{"service_name": name, "pool_name": f"pool-{index}", "database_name": "appdb", "pool_size": 3}
               for name in SERVICES for index in range(30)]
# The module's default concurrency: the requests on the way when the first window fills are refused with it.
CONCURRENCY = 8


def test_the_role_meets_the_window_limit_with_few_refusals_and_then_makes_no_request_but_the_read(start_emulator, ansible_for,
                                                                                                  measurement):
    emulator = start_emulator(seed(*(service(name) for name in SERVICES)), rate_limit=LIMIT, rate_limit_window=WINDOW,
                              rate_limit_shape="window")
    ansible = ansible_for(emulator)

    first = ansible.role(DEFINITIONS, "cold under the limit")

    assert first.rc == 0, first.output[-3000:]
    assert first.recap()["changed"] == 1
    log = emulator.requests_log()
    refused = log["rate_limited"]
    accepted = log["total"] - refused
    # One read, 60 creates, one read back: every create made once.
    assert sorted(write[0] for write in writes(log) if write[2] == 200) == ["POST"] * len(DEFINITIONS)
    windows = -(-accepted // LIMIT)
    measurement.notes.update(refused=refused, accepted=accepted, windows=windows)
    # Refused: those already on the way when the first window fills (one per thread), then one probe per later
    # window, and an opening attempt a hair early. Without the hold and the budget each thread would be refused
    # at every retry inside every window.
    assert refused <= CONCURRENCY + 2 * (windows - 1), f"{refused} of {log['total']} requests refused"
    for name in SERVICES:
        assert emulator.pools(name).keys() == declared(DEFINITIONS, name).keys()

    emulator.reset_requests()
    second = ansible.role(DEFINITIONS, "converged under the limit")
    assert second.rc == 0 and second.recap()["changed"] == 0, second.output[-3000:]
    assert [(entry["method"], entry["status"]) for entry in emulator.requests_log()["log"]] == [("GET", 200)]
