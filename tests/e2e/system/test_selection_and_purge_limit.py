"""select and purge_max_deletions through real ansible-playbook runs of the definitions form, read in the emulator's request log.

A selection reads and writes only the services it names (a project not selected is not
read at all), so a purge outside it deletes nothing. A purge that would delete more pools
than purge_max_deletions fails after its reads, before any write, in check mode too, and
passes once the limit is raised for that run; purge_services: all purges every declared service.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from tests.e2e.system.drive import PLAYBOOKS, PROJECT, TOKEN, service

OTHER = "system-project-b"
DEFINITIONS_PLAYBOOK = os.path.join(PLAYBOOKS, "pool_definitions.yml")
APP = {"pool_name": "app", "database_name": "appdb"}


def strays(count: int) -> List[Dict[str, Any]]:
    return [{"pool_name": f"stray-{index:02}", "database_name": "appdb"} for index in range(count)]


def estate(stray_count: int) -> Dict[str, Any]:
    """pg-a and pg-b in PROJECT, pg-c in OTHER: each with the pool app and ``stray_count`` undeclared pools."""
    def services(*names: str) -> List[Dict[str, Any]]:
        return [service(name, pools=[APP] + strays(stray_count)) for name in names]
    return {"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": services("pg-a", "pg-b")},
                                            {"name": OTHER, "services": services("pg-c")}]}


# Every service declares app with a new size, so each selected service has a write to make.
DEFINITIONS = {"connection_pools_definitions": [
    {"service_name": "pg-a", "pool_name": "app", "pool_size": 7},
    {"service_name": "pg-b", "pool_name": "app", "pool_size": 7},
    {"project": OTHER, "service_name": "pg-c", "pool_name": "app", "pool_size": 7},
]}


def apply(emulator: Any, ansible: Any, label: str, **options: Any) -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
    """One definitions call with ``options`` (purge, select, purge_max_deletions, check_mode); its outcome and its requests."""
    emulator.reset_requests()
    outcome = ansible.playbook_outcome(DEFINITIONS_PLAYBOOK, label, {"system_definitions": DEFINITIONS}, **options)[1]
    requests = [(entry["method"], entry["path"].split("?")[0]) for entry in emulator.requests_log()["log"]]
    return outcome, requests


def touched(requests: List[Tuple[str, str]], method: Optional[str] = None) -> List[str]:
    """project/service of each request (of ``method``), in order."""
    found = []
    for verb, path in requests:
        parts = path.split("/")
        if method is None or verb == method:
            found.append("/".join(parts[3:6:2]) if len(parts) > 5 else f"{parts[3]}/*")
    return found


def writes(requests: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    return [(verb, path.rsplit("/", 1)[-1]) for verb, path in requests if verb != "GET"]


def test_a_selected_service_alone_is_read_and_written_and_a_purge_outside_it_deletes_nothing(start_emulator, ansible_for):
    emulator = start_emulator(estate(stray_count=2))
    ansible = ansible_for(emulator)

    outcome, requests = apply(emulator, ansible, "select one service", purge="all", select=[f"{PROJECT}/pg-b"])

    assert not outcome.get("failed"), outcome.get("msg")
    assert set(touched(requests)) == {f"{PROJECT}/pg-b"}, requests
    # The service's deletes come after its update, in any order among themselves.
    sent = writes(requests)
    assert sent[0] == ("PUT", "app") and sorted(sent[1:]) == [("DELETE", "stray-00"), ("DELETE", "stray-01")], requests
    assert outcome["change_lines"][-1] == "total: 1 service, create 0, update 1, delete 2"
    assert sorted(emulator.pools("pg-b")) == ["app"]
    assert sorted(emulator.pools("pg-a")) == ["app", "stray-00", "stray-01"] and emulator.pools("pg-a")["app"]["pool_size"] == 10


def test_a_selected_project_is_read_once_and_the_other_project_not_at_all(start_emulator, ansible_for):
    emulator = start_emulator(estate(stray_count=1))
    ansible = ansible_for(emulator)

    outcome, requests = apply(emulator, ansible, "select a project, check mode", select=[OTHER], check_mode=True)

    assert not outcome.get("failed"), outcome.get("msg")
    assert requests == [("GET", f"/v1/project/{OTHER}/service/pg-c")], requests
    assert outcome["report"]["undeclared"] == [f"{OTHER}/pg-c/stray-00"]

    outcome, requests = apply(emulator, ansible, "select a typo", select=[f"{PROJECT}/pg-x"])
    assert outcome["failed"] is True and requests == []
    assert f"select[0] ({PROJECT}/pg-x) matches no declared service" in outcome["msg"], outcome["msg"]


def test_a_purge_over_the_limit_fails_with_no_write_and_passes_when_raised(start_emulator, ansible_for):
    emulator = start_emulator(estate(stray_count=4))
    ansible = ansible_for(emulator)

    for check_mode in (True, False):
        outcome, requests = apply(emulator, ansible, f"purge over the limit, check mode {check_mode}", purge="all",
                                  check_mode=check_mode)
        assert outcome["failed"] is True and outcome["changed"] is False
        assert writes(requests) == [], requests
        assert "purge would delete 12 pools in this run, more than purge_max_deletions (10) allows: " in outcome["msg"]
        assert "and 2 more; if they should all go, raise purge_max_deletions to 12 for this run" in outcome["msg"]
    assert len(emulator.pools("pg-a")) == 5

    outcome, requests = apply(emulator, ansible, "purge with the limit raised", purge="all", purge_max_deletions=12)

    assert not outcome.get("failed"), outcome.get("msg")
    assert sorted(touched(requests, "DELETE")) == [f"{OTHER}/pg-c"] * 4 + [f"{PROJECT}/pg-a"] * 4 + [f"{PROJECT}/pg-b"] * 4
    assert outcome["summary"]["deleted"] == 12
    assert sorted(emulator.pools("pg-a")) == ["app"] and sorted(emulator.pools("pg-b")) == ["app"]


def test_purge_all_purges_every_declared_service_within_the_default_limit(start_emulator, ansible_for):
    emulator = start_emulator(estate(stray_count=3))
    ansible = ansible_for(emulator)

    outcome, requests = apply(emulator, ansible, "purge all", purge="all")

    assert not outcome.get("failed"), outcome.get("msg")
    assert sorted(touched(requests, "DELETE")) == [f"{OTHER}/pg-c"] * 3 + [f"{PROJECT}/pg-a"] * 3 + [f"{PROJECT}/pg-b"] * 3
    assert outcome["summary"] == {"services": 3, "pools": 3, "created": 0, "updated": 3, "deleted": 9}

    again, requests = apply(emulator, ansible, "purge all again", purge="all")
    assert again["changed"] is False and writes(requests) == []
