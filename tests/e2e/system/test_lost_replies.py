"""Writes the API applied whose replies never arrived: the retries must reconcile, not duplicate or fail.

One batch holds a create, an update and a delete, and each loses its first reply. One
write at a time (concurrency 1), so the request log has a fixed order.
"""

from __future__ import annotations

from tests.e2e.system.drive import PROJECT, seed, service, writes

SERVICE = "pg-lost"
SEEDED = [
    {"pool_name": "resize-me", "database_name": "appdb", "pool_size": 10},
    {"pool_name": "remove-me", "database_name": "appdb"},
]
POOLS = [
    {"pool_name": "new-pool", "database_name": "appdb", "pool_size": 5},
    {"pool_name": "resize-me", "pool_size": 20},
    {"pool_name": "remove-me", "state": "absent"},
]
# The emulator applies each of these writes, then closes the connection without a reply, once.
LOST = [
    {"method": "POST", "path": "/connection_pool$", "drop": "after", "times": 1},
    {"method": "PUT", "path": "/connection_pool/resize-me$", "drop": "after", "times": 1},
    {"method": "DELETE", "path": "/connection_pool/remove-me$", "drop": "after", "times": 1},
]


def test_lost_replies_are_reconciled_and_reported_once(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, pools=SEEDED)))
    ansible = ansible_for(emulator)
    emulator.add_faults(LOST)

    _run, outcome = ansible.batch(SERVICE, POOLS, "lost replies", concurrency=1)

    assert not outcome.get("failed"), outcome.get("msg")
    assert outcome["changed"] is True
    # Each change reported once, though each write was sent twice, with its service and settings.
    assert [(c["project"], c["service_name"], c["pool_name"], c["action"], c.get("fields")) for c in outcome["changes"]] == [
        (PROJECT, SERVICE, "new-pool", "create", None),
        (PROJECT, SERVICE, "resize-me", "update", ["pool_size"]),
        (PROJECT, SERVICE, "remove-me", "delete", None),
    ]
    assert [(c["before"], c["after"]) for c in outcome["changes"]] == [
        (None, {"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 5}),
        ({"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 10},
         {"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 20}),
        ({"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 10}, None),
    ]
    assert writes(emulator.requests_log()) == [
        # The retried create is refused as "already exists": the lost attempt made it.
        ("POST", "connection_pool", "dropped"), ("POST", "connection_pool", 409),
        # A repeated update is harmless.
        ("PUT", "resize-me", "dropped"), ("PUT", "resize-me", 200),
        # The retried delete finds the pool gone: what was wanted.
        ("DELETE", "remove-me", "dropped"), ("DELETE", "remove-me", 404),
    ]
    assert [rule["applied"] for rule in emulator.faults()] == [1, 1, 1]
    emulator.reset_requests()
    assert emulator.pools(SERVICE) == {
        "new-pool": {"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 5},
        "resize-me": {"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 20},
    }, "no pool duplicated, lost or left behind"

    _run, rerun = ansible.batch(SERVICE, POOLS, "rerun")
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun["changed"] is False and rerun["changes"] == []
    assert writes(emulator.requests_log()) == []
