"""The role over several services of one project: one module call, one read of the project's service list (of each service with secrets).

A cold run reads the list, writes, and reads the list back; a converged run and a
report_only run make exactly one request; a purge that would empty a service fails
before any write, naming the pools, unless the service is in connection_pools_allow_empty.
"""

from __future__ import annotations

from tests.e2e.system.drive import PROJECT, declared, seed, service, writes

SERVICES = [f"pg-count-{index}" for index in range(3)]
POOLS_PER_SERVICE = 4
SERVICE_LIST = f"/v1/project/{PROJECT}/service"


def definitions() -> list:
    return [{"service_name": name, "pool_name": f"pool-{index}", "database_name": "appdb", "username": None,
             "pool_mode": "transaction", "pool_size": 1 + index}
            for name in SERVICES for index in range(POOLS_PER_SERVICE)]


def reads(log: dict) -> list:
    return [entry["path"] for entry in log["log"] if entry["method"] == "GET"]


def test_role_reads_the_service_list_once_per_run(start_emulator, ansible_for, measurement):
    emulator = start_emulator(seed(*(service(name) for name in SERVICES)))
    ansible = ansible_for(emulator)
    wanted = definitions()

    cold = ansible.role(wanted, "cold")
    assert cold.rc == 0, cold.output[-3000:]
    assert cold.recap()["changed"] == 1, "one module call for every service"
    log = emulator.requests_log()
    assert reads(log) == [SERVICE_LIST, SERVICE_LIST], "one read before the writes, one read back after them"
    assert [method for method, _name, status in writes(log)] == ["POST"] * len(wanted)
    assert f"total: {len(SERVICES)} services, create {len(wanted)}, update 0, delete 0" in cold.output
    emulator.reset_requests()

    converged = ansible.role(wanted, "converged")
    assert converged.rc == 0, converged.output[-3000:]
    assert converged.recap()["changed"] == 0
    assert [(entry["method"], entry["path"]) for entry in emulator.requests_log()["log"]] == [("GET", SERVICE_LIST)]
    assert f"total: {len(SERVICES)} services, no change" in converged.output
    emulator.reset_requests()

    report = ansible.role(wanted[1:], "report only", connection_pools_report_only=True,
                          connection_pools_purge=[SERVICES[0]])
    assert report.rc == 0, report.output[-3000:]
    assert [(entry["method"], entry["path"]) for entry in emulator.requests_log()["log"]] == [("GET", SERVICE_LIST)]
    assert f"{PROJECT}/{SERVICES[0]}: would delete 1 (pool-0)" in report.output
    emulator.reset_requests()

    # Purging the first service empty: refused as a whole, before any write, the pools named.
    keep_others = [entry for entry in wanted if entry["service_name"] != SERVICES[0]]
    refused = ansible.role(keep_others, "purge refused", connection_pools_purge=[SERVICES[0]])
    assert refused.rc != 0 and refused.recap()["failed"] == 1
    pools = ", ".join(f"pool-{index}" for index in range(POOLS_PER_SERVICE))
    assert f"{PROJECT}/{SERVICES[0]}: purge would delete every pool ({pools})" in refused.output
    assert writes(emulator.requests_log()) == []
    emulator.reset_requests()

    allowed = ansible.role(keep_others, "purge allowed", connection_pools_purge=[SERVICES[0]],
                           connection_pools_allow_empty=[SERVICES[0]])
    assert allowed.rc == 0, allowed.output[-3000:]
    log = emulator.requests_log()
    # Only deletes: nothing to read back.
    assert reads(log) == [SERVICE_LIST]
    assert sorted(name for _method, name, _status in writes(log)) == [f"pool-{index}" for index in range(POOLS_PER_SERVICE)]
    measurement.notes["services"] = len(SERVICES)
    emulator.reset_requests()
    for name in SERVICES:
        assert emulator.pools(name) == declared(keep_others, name)


def test_with_secrets_the_role_reads_each_declared_service_never_the_list(start_emulator, ansible_for):
    # The list would carry the secrets of every service of the project, the undeclared one too.
    emulator = start_emulator(seed(*(service(name) for name in [*SERVICES, "pg-count-other"])))
    ansible = ansible_for(emulator)
    wanted = definitions()
    assert ansible.role(wanted, "cold").rc == 0
    emulator.reset_requests()

    converged = ansible.role(wanted, "converged with secrets", connection_pools_include_secrets=True)
    assert converged.rc == 0, converged.output[-3000:]
    assert [(entry["method"], entry["path"]) for entry in emulator.requests_log()["log"]] == [
        ("GET", f"{SERVICE_LIST}/{name}") for name in SERVICES]
