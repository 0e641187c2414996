# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: the option unavailable (fail, skip, skip_then_fail),
the result set_aside, its warnings, and the failure of skip_then_fail that keeps what was applied."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against, warnings_of

TOKEN = "unavailable-T0KEN-0123456789abcdef"
LIST = "GET /v1/project/proj/service"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
POWERED_OFF = "proj/pg-off: the service is powered off (state POWEROFF); power it on before changing its pools"
SERVICES = [
    {"service_name": "pg-on", "pools": [{"pool_name": "a", "pool_size": 20}, {"pool_name": "new", "database_name": "appdb"}]},
    {"service_name": "pg-off", "pools": [{"pool_name": "app", "database_name": "appdb"}]},
]
SET_ASIDE = [{"project": "proj", "service_name": "pg-off", "reason": "powered_off", "message": POWERED_OFF}]


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    return run_against(aiven_connection_pool.main, fake_api, capsys, TOKEN, **args)


@pytest.fixture
def one_off(fake_api: Any) -> Any:
    """proj/pg-on running with pool a; proj/pg-off powered off, its pools dropped."""
    fake_api.add_pool("proj", "pg-on", "a")
    fake_api.add_service("proj", "pg-on", **FIELDS)
    fake_api.add_service("proj", "pg-off", state="POWEROFF", plan="startup-4", databases=[], users=[])
    return fake_api


def writes(fake_api: Any) -> list[str]:
    return [call for call in fake_api.calls() if not call.startswith("GET")]


def test_fail_is_the_default_and_makes_no_write(one_off, capsys) -> None:
    result = run(one_off, capsys, project="proj", services=SERVICES)
    assert result["failed"] is True and result["changed"] is False
    assert result["failure"]["problems"] == [POWERED_OFF]
    assert "set_aside" not in result
    assert one_off.calls() == [LIST]


def test_skip_applies_the_others_and_names_the_set_aside_service(one_off, capsys) -> None:
    result = run(one_off, capsys, project="proj", services=SERVICES, unavailable="skip")
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    assert result["set_aside"] == SET_ASIDE
    assert [(c["service_name"], c["pool_name"], c["action"]) for c in result["changes"]] == [("pg-on", "a", "update"), ("pg-on", "new", "create")]
    # Written concurrently: in either order.
    assert sorted(writes(one_off)) == ["POST /v1/project/proj/service/pg-on/connection_pool", "PUT /v1/project/proj/service/pg-on/connection_pool/a"]
    assert one_off.stored_pools("proj", "pg-off") == {}
    assert warnings_of(result) == [POWERED_OFF + "; service proj/pg-off was set aside (unavailable: powered_off): none of its pools were changed"]
    assert result["summary"]["created"] == 1 and result["summary"]["updated"] == 1


def test_skip_then_fail_applies_the_others_then_fails_keeping_what_was_applied(one_off, capsys) -> None:
    result = run(one_off, capsys, project="proj", services=SERVICES, unavailable="skip_then_fail")
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == ("1 unavailable service(s) set aside, none of their pools changed: proj/pg-off (powered_off); "
                             "the other services were applied (2 write(s), see changes)")
    assert result["failure"] == {"set_aside": SET_ASIDE}
    assert result["set_aside"] == SET_ASIDE
    assert [(a["pool_name"], a["action"]) for a in result["applied"]] == [("a", "update"), ("new", "create")]
    assert [(c["pool_name"], c["action"]) for c in result["changes"]] == [("a", "update"), ("new", "create")]
    assert set(one_off.stored_pools("proj", "pg-on")) == {"a", "new"}
    assert len(warnings_of(result)) == 1

    again = run(one_off, capsys, project="proj", services=SERVICES, unavailable="skip_then_fail")
    assert again["failed"] is True and again["changed"] is False and again["changes"] == []
    assert again["msg"].endswith("the other services were applied (0 write(s), see changes)")


@pytest.mark.parametrize("unavailable", ["skip", "skip_then_fail"])
def test_check_mode_predicts_the_same_without_a_write(one_off, capsys, unavailable) -> None:
    result = run(one_off, capsys, project="proj", services=SERVICES, unavailable=unavailable, _ansible_check_mode=True)
    assert result["set_aside"] == SET_ASIDE
    assert [(c["pool_name"], c["action"]) for c in result["changes"]] == [("a", "update"), ("new", "create")]
    assert result["report"]["missing"] == ["proj/pg-on/new"]
    assert writes(one_off) == []
    assert result.get("failed", False) is (unavailable == "skip_then_fail")
    if unavailable == "skip_then_fail":
        assert result["applied"] == []
        assert result["msg"].endswith("; 2 write(s) would be made to the other services")


def test_a_declaration_problem_fails_whatever_the_option(one_off, capsys) -> None:
    services = [{"service_name": "pg-on", "pools": [{"pool_name": "x", "database_name": "nodb"}]}, SERVICES[1]]
    result = run(one_off, capsys, project="proj", services=services, unavailable="skip")
    assert result["failed"] is True
    assert result["failure"]["problems"] == ["proj/pg-on/x: database_name 'nodb' does not exist on the service (databases: appdb)"]
    assert writes(one_off) == []


def test_a_gone_service_is_set_aside_as_not_found(fake_api, capsys) -> None:
    fake_api.script("GET", "/v1/project/proj/service/pg-gone", error_reply(404, "Service pg-gone does not exist"))
    result = run(fake_api, capsys, project="proj", service_name="pg-gone", pool_name="app", database_name="appdb", unavailable="skip")
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False and result["connection_pool"] == {}
    assert [(item["reason"], item["service_name"]) for item in result["set_aside"]] == [("not_found", "pg-gone")]
    assert "HTTP 404: Service pg-gone does not exist" in result["set_aside"][0]["message"]


def test_a_success_without_anything_set_aside_returns_an_empty_list(one_off, capsys) -> None:
    result = run(one_off, capsys, project="proj", services=SERVICES[:1], unavailable="skip_then_fail")
    assert result.get("failed") is not True and result["set_aside"] == [] and warnings_of(result) == []


def test_a_later_failure_keeps_the_set_aside_services(one_off, capsys) -> None:
    one_off.script("POST", "/v1/project/proj/service/pg-on/connection_pool", error_reply(403, "Service database username ghost does not exist"))
    result = run(one_off, capsys, project="proj", services=SERVICES, unavailable="skip")
    assert result["failed"] is True and result["changed"] is True
    assert result["set_aside"] == SET_ASIDE
    assert [(a["pool_name"], a["action"]) for a in result["applied"]] == [("a", "update")]


def test_unavailable_takes_only_its_choices(one_off, capsys) -> None:
    result = run(one_off, capsys, project="proj", services=SERVICES, unavailable="ignore")
    assert result["failed"] is True and "unavailable" in result["msg"] and "skip_then_fail" in result["msg"]
    assert one_off.calls() == []
    assert TOKEN not in json.dumps(result)
