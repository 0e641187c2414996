"""The module's option unavailable on two services, one powered off with a pool to create: fail, skip, skip_then_fail."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Tuple

import pytest

from tests.e2e.system.drive import PLAYBOOKS, PROJECT, TOKEN, counts, declared, seed, service, writes
from tests.support.ansible import APPLY_POOLS, PlaybookRun, run_playbook, write_json

PLAYBOOK = os.path.join(PLAYBOOKS, "services_unavailable.yml")
ON, OFF = "pg-on", "pg-off"
ON_POOLS = [{"pool_name": "app", "database_name": "appdb", "username": "app", "pool_mode": "transaction", "pool_size": 20},
            {"pool_name": "reports", "database_name": "appdb", "username": None, "pool_mode": "session", "pool_size": 5}]
# Aiven dropped the pools of the powered-off service: its declared pool is a create to make.
OFF_POOLS = [{"pool_name": "app", "database_name": "appdb", "username": "app", "pool_mode": "transaction", "pool_size": 10}]
SERVICES = [{"service_name": ON, "pools": ON_POOLS}, {"service_name": OFF, "pools": OFF_POOLS}]
POWERED_OFF = f"{PROJECT}/{OFF}: the service is powered off (state POWEROFF); power it on before changing its pools"
SET_ASIDE = [{"project": PROJECT, "service_name": OFF, "reason": "powered_off", "message": POWERED_OFF}]


def start(start_emulator):
    return start_emulator(seed(service(ON), service(OFF, state="POWEROFF")))


def apply(ansible, label: str, unavailable: str | None = None, check: bool = False, **variables: Any) -> Tuple[PlaybookRun, Dict[str, Any]]:
    """The playbook on SERVICES (``variables``: more extra vars); the run and the module's outcome (without the pools)."""
    outcome_file = os.path.join(ansible.workdir, f"unavailable-{label.replace(' ', '-')}.json")
    extra: Dict[str, Any] = {"system_project": PROJECT, "system_services": SERVICES, "system_outcome_file": outcome_file, **variables}
    if unavailable is not None:
        extra["system_unavailable"] = unavailable
    run = run_playbook(PLAYBOOK, ansible.env, extra_vars=extra, args=["--check"] if check else [])
    ansible.measurement.add_run(label, run)
    assert os.path.exists(outcome_file), f"{PLAYBOOK} wrote no outcome:\n{run.output[-3000:]}"
    with open(outcome_file, encoding="utf-8") as handle:
        outcome = json.load(handle)
    ansible.assert_no_password(run.output + json.dumps(outcome), label)
    return run, outcome


def written(emulator) -> List[Tuple[str, str, Any]]:
    return writes(emulator.requests_log())


def set_aside_warning_count(run: PlaybookRun) -> int:
    return run.output.count(f"service {PROJECT}/{OFF} was set aside (unavailable: powered_off)")


def test_fail_is_the_default_and_stops_before_any_write(start_emulator, ansible_for):
    emulator = start(start_emulator)
    run, outcome = apply(ansible_for(emulator), "fail")

    assert run.rc != 0 and run.recap()["failed"] == 1
    assert outcome["failure"]["problems"] == [POWERED_OFF]
    assert "set_aside" not in outcome
    assert counts(emulator.requests_log()) == {("GET", 200): 1}
    emulator.reset_requests()
    assert emulator.pools(ON) == {}


def test_skip_applies_the_other_service_and_succeeds_naming_the_one_set_aside(start_emulator, ansible_for):
    emulator = start(start_emulator)
    ansible = ansible_for(emulator)
    run, outcome = apply(ansible, "skip", "skip")

    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 1 and run.recap()["failed"] == 0
    assert outcome["set_aside"] == SET_ASIDE
    assert set_aside_warning_count(run) == 1
    assert {(change["service_name"], change["action"]) for change in outcome["changes"]} == {(ON, "create")}
    assert all(f"/service/{ON}/" in entry["path"] for entry in emulator.requests_log()["log"] if entry["method"] != "GET")
    assert [(method, status) for method, _path, status in written(emulator)] == [("POST", 200)] * len(ON_POOLS)
    emulator.reset_requests()
    assert emulator.pools(ON) == declared(ON_POOLS)

    again, outcome = apply(ansible, "skip again", "skip")
    assert again.rc == 0 and again.recap()["changed"] == 0
    assert outcome["set_aside"] == SET_ASIDE and outcome["changes"] == []
    assert written(emulator) == []


def test_skip_then_fail_applies_the_other_service_then_fails_naming_the_one_set_aside(start_emulator, ansible_for):
    emulator = start(start_emulator)
    ansible = ansible_for(emulator)
    run, outcome = apply(ansible, "skip_then_fail", "skip_then_fail")

    assert run.rc != 0 and run.recap()["failed"] == 1
    assert (f"1 unavailable service(s) set aside, none of their pools changed: {PROJECT}/{OFF} (powered_off); "
            f"the other services were applied ({len(ON_POOLS)} write(s), see changes)") in run.output
    assert outcome["failed"] is True and outcome["changed"] is True
    assert outcome["set_aside"] == SET_ASIDE and outcome["failure"] == {"set_aside": SET_ASIDE}
    assert sorted((entry["service_name"], entry["pool_name"], entry["action"]) for entry in outcome["applied"]) == [
        (ON, "app", "create"), (ON, "reports", "create")]
    assert len(outcome["changes"]) == len(ON_POOLS)
    assert [(method, status) for method, _path, status in written(emulator)] == [("POST", 200)] * len(ON_POOLS)
    emulator.reset_requests()
    assert emulator.pools(ON) == declared(ON_POOLS)

    # Still failing while the service is off, but nothing more to do on the other one.
    again, outcome = apply(ansible, "skip_then_fail again", "skip_then_fail")
    assert again.rc != 0 and again.recap()["failed"] == 1
    assert outcome["changed"] is False and outcome["changes"] == [] and outcome["applied"] == []
    assert written(emulator) == []

    # Powered on (its pools gone, as Aiven may leave them): the next run creates its pool and succeeds.
    emulator.set_service(PROJECT, OFF, state="RUNNING")
    emulator.reset_requests()
    on_again, outcome = apply(ansible, "powered on", "skip_then_fail")
    assert on_again.rc == 0, on_again.output[-3000:]
    assert outcome["set_aside"] == [] and [(c["service_name"], c["action"]) for c in outcome["changes"]] == [(OFF, "create")]
    emulator.reset_requests()
    assert emulator.pools(OFF) == declared(OFF_POOLS)


@pytest.mark.parametrize("unavailable", ["skip", "skip_then_fail"])
def test_check_mode_makes_no_write_and_predicts_the_same(start_emulator, ansible_for, unavailable):
    emulator = start(start_emulator)
    run, outcome = apply(ansible_for(emulator), f"check {unavailable}", unavailable, check=True)

    assert (run.rc != 0) is (unavailable == "skip_then_fail"), run.output[-3000:]
    assert outcome["check_mode"] is True
    assert outcome["set_aside"] == SET_ASIDE
    assert set_aside_warning_count(run) == 1
    assert sorted((change["service_name"], change["pool_name"], change["action"]) for change in outcome["changes"]) == [
        (ON, "app", "create"), (ON, "reports", "create")]
    assert written(emulator) == []
    assert counts(emulator.requests_log()) == {("GET", 200): 1}


WAIT_TIMEOUT = 2


def test_skip_sets_aside_a_service_still_rebuilding_after_wait_timeout(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(ON), service(OFF, state="REBUILDING")))
    ansible = ansible_for(emulator)
    run, outcome = apply(ansible, "rebuilding", "skip", system_wait_timeout=WAIT_TIMEOUT)

    assert run.rc == 0, run.output[-3000:]
    assert outcome["set_aside"] == [{"project": PROJECT, "service_name": OFF, "reason": "not_running",
                                     "message": f"service {PROJECT}/{OFF} is still REBUILDING after waiting {WAIT_TIMEOUT} s for RUNNING"}]
    assert [(method, status) for method, _path, status in written(emulator)] == [("POST", 200)] * len(ON_POOLS)
    assert all(f"/service/{ON}/" in entry["path"] for entry in emulator.requests_log()["log"] if entry["method"] != "GET")
    assert run.seconds >= WAIT_TIMEOUT


def test_one_inventory_host_per_project_keeps_a_failing_project_from_holding_back_another(start_emulator, ansible_for):
    """The AWX layout of docs/awx.md: the role once per host, one host per project; no option needed."""
    prod, dev = dict(service(ON), name="pg-orders"), dict(service(OFF, state="POWEROFF"), name="pg-dev")
    emulator = start_emulator({"tokens": [TOKEN], "projects": [{"name": "prod", "services": [prod]}, {"name": "dev", "services": [dev]}]})
    ansible = ansible_for(emulator)
    hosts = {
        "aiven-prod": {"connection_pools_project": "prod", "connection_pools_definitions": [dict(entry, service_name="pg-orders") for entry in ON_POOLS]},
        "aiven-dev": {"connection_pools_project": "dev", "connection_pools_definitions": [dict(entry, service_name="pg-dev") for entry in OFF_POOLS]},
    }
    inventory = write_json(ansible.workdir, "per-project.json", {"all": {"children": {"aiven_pools": {"hosts": hosts}}}})
    run = run_playbook(APPLY_POOLS, ansible.env, inventory=inventory)
    ansible.measurement.add_run("host per project", run)
    ansible.assert_no_password(run.output, "host per project")

    assert run.rc != 0
    assert run.recap("aiven-dev")["failed"] == 1
    assert run.recap("aiven-prod")["changed"] == 1 and run.recap("aiven-prod")["failed"] == 0
    assert "dev/pg-dev: the service is powered off (state POWEROFF); power it on before changing its pools" in run.output
    posts = [entry["path"] for entry in emulator.requests_log()["log"] if entry["method"] == "POST"]
    assert posts == ["/v1/project/prod/service/pg-orders/connection_pool"] * len(ON_POOLS)
