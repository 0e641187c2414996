# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: select (part of the declaration, every form), purge_max_deletions
(a purge's blast radius), purge_services: all, and problems found against a service named by the definition they came from."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against

TOKEN = "selection-and-limits-T0KEN-0123456789abcdef"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
ROLE_NAMES = {"project": "connection_pools_project", "purge_services": "connection_pools_purge",
              "allow_empty_services": "connection_pools_allow_empty", "select": "connection_pools_select",
              "purge_max_deletions": "connection_pools_purge_max_deletions"}


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    return run_against(aiven_connection_pool.main, fake_api, capsys, TOKEN, **args)


def estate(fake_api: Any, strays: int = 1) -> None:
    """prod/pg-a, prod/pg-b and dev/pg-a, each with the pool app and ``strays`` undeclared pools."""
    for project, service in (("prod", "pg-a"), ("prod", "pg-b"), ("dev", "pg-a")):
        fake_api.add_pool(project, service, "app", database="appdb")
        for index in range(strays):
            fake_api.add_pool(project, service, f"stray{index:02}", database="appdb")
        fake_api.add_service(project, service, **FIELDS)


DEFINITIONS = {"defs": [{"service_name": "pg-a", "pool_name": "app", "database_name": "appdb", "pool_size": 20},
                        {"service_name": "pg-b", "pool_name": "app", "database_name": "appdb", "pool_size": 20},
                        {"project": "dev", "service_name": "pg-a", "pool_name": "app", "database_name": "appdb", "pool_size": 20}]}


def writes(fake_api: Any) -> list[str]:
    return [call for call in fake_api.calls() if not call.startswith("GET ")]


def reads(fake_api: Any) -> list[str]:
    return [call for call in fake_api.calls() if call.startswith("GET ")]


def test_a_selected_service_alone_is_read_and_written_and_its_purge_alone_applies(fake_api, capsys) -> None:
    estate(fake_api)
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, purge_services="all", select=["prod/pg-b"])
    assert result.get("failed") is not True, result.get("msg")
    assert reads(fake_api) == ["GET /v1/project/prod/service/pg-b", "GET /v1/project/prod/service/pg-b"]
    assert writes(fake_api) == ["PUT /v1/project/prod/service/pg-b/connection_pool/app",
                                "DELETE /v1/project/prod/service/pg-b/connection_pool/stray00"]
    assert result["change_lines"][-1] == "total: 1 service, create 0, update 1, delete 1"
    assert [(pool["project"], pool["service_name"]) for pool in result["connection_pools"]] == [("prod", "pg-b")]
    assert sorted(fake_api.stored_pools("prod", "pg-a")) == ["app", "stray00"]


def test_a_selected_project_reads_that_project_once_and_no_other(fake_api, capsys) -> None:
    estate(fake_api)
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, select=["prod"], _ansible_check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert fake_api.calls() == ["GET /v1/project/prod/service"]
    assert result["summary"]["services"] == 2 and result["report"]["undeclared"] == ["prod/pg-a/stray00", "prod/pg-b/stray00"]


@pytest.mark.parametrize("form", ["pool_name", "pools", "services"])
def test_every_form_is_filtered_by_the_same_selection(fake_api, capsys, form) -> None:
    estate(fake_api)
    declared: dict[str, Any] = {
        "pool_name": {"service_name": "pg-b", "pool_name": "app", "pool_size": 20},
        "pools": {"service_name": "pg-b", "pools": [{"pool_name": "app", "pool_size": 20}], "purge": True},
        "services": {"services": [{"service_name": "pg-a", "pools": [{"pool_name": "app", "pool_size": 20}], "purge": True},
                                  {"service_name": "pg-b", "pools": [{"pool_name": "app", "pool_size": 20}], "purge": True}]},
    }[form]
    result = run(fake_api, capsys, project="prod", select=["prod/pg-b"], _ansible_check_mode=True, **declared)
    assert result.get("failed") is not True, result.get("msg")
    assert fake_api.calls() == ["GET /v1/project/prod/service/pg-b"]
    assert {(change["service_name"], change["pool_name"]) for change in result["changes"]} <= {("pg-b", "app"), ("pg-b", "stray00")}
    assert ("pg-b", "app") in {(change["service_name"], change["pool_name"]) for change in result["changes"]}


def test_a_select_entry_that_matches_nothing_fails_before_any_request_naming_the_variable(fake_api, capsys) -> None:
    estate(fake_api)
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, select=["prod/pg-c", "dev"], variable_names=ROLE_NAMES)
    assert result["failed"] is True and fake_api.calls() == []
    assert result["msg"] == ("1 problem(s) in the declaration, nothing was changed: connection_pools_select[0] (prod/pg-c) matches no "
                             "declared service (declared: prod/pg-a, prod/pg-b, dev/pg-a); an entry is project or project/service_name")
    assert result["failure"]["problems"] == [result["msg"].split(": ", 1)[1]]


def test_a_rule_broken_outside_the_selection_still_fails_before_any_request(fake_api, capsys) -> None:
    estate(fake_api)
    services = [{"service_name": "pg-a", "pools": [{"pool_name": "app", "pool_size": 0}]}, {"service_name": "pg-b", "pools": [{"pool_name": "app"}]}]
    result = run(fake_api, capsys, project="prod", services=services, select=["prod/pg-b"])
    assert result["failed"] is True and fake_api.calls() == []
    assert "prod/pg-a/app: pool_size must be an integer from 1 to 10000, got 0" in result["msg"]


def test_a_service_declared_only_to_be_purged_can_be_selected(fake_api, capsys) -> None:
    estate(fake_api)
    result = run(fake_api, capsys, project="prod", definitions={"defs": []}, purge_services=["pg-b"], allow_empty_services=["pg-b"],
                 select=["prod/pg-b"], _ansible_check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["change_lines"] == ["prod/pg-b: would delete 2 (app, stray00)", "total: 1 service, would create 0, update 0, delete 2"]


@pytest.mark.parametrize(("select", "message"), [
    ("prod", "connection_pools_select must be a list of project or project/service_name entries, got 'prod'"),
    (["prod/"], "connection_pools_select[0]: service_name must be a string of 1 to 64 characters, got ''"),
])
def test_an_unusable_select_fails_before_any_request_naming_the_variable(fake_api, capsys, select, message) -> None:
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, select=select, variable_names=ROLE_NAMES)
    assert result["failed"] is True and fake_api.calls() == []
    assert result["msg"] == f"{message}; nothing was changed"


def test_an_empty_select_selects_everything(fake_api, capsys) -> None:
    estate(fake_api)
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, select=[], _ansible_check_mode=True)
    assert result["summary"]["services"] == 3


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_purge_over_the_limit_fails_before_any_write_naming_the_pools_and_the_variable(fake_api, capsys, check_mode) -> None:
    estate(fake_api, strays=4)
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, purge_services="all", variable_names=ROLE_NAMES,
                 _ansible_check_mode=check_mode)
    assert result["failed"] is True and result["changed"] is False and writes(fake_api) == []
    assert result["msg"] == (
        "1 problem(s) in the declaration, nothing was changed: purge would delete 12 pools in this run, more than "
        "connection_pools_purge_max_deletions (10) allows: prod/pg-a/stray00, prod/pg-a/stray01, prod/pg-a/stray02, prod/pg-a/stray03, "
        "prod/pg-b/stray00, prod/pg-b/stray01, prod/pg-b/stray02, prod/pg-b/stray03, dev/pg-a/stray00, dev/pg-a/stray01 and 2 more; "
        "if they should all go, raise connection_pools_purge_max_deletions to 12 for this run, else declare the pools the purge would delete")


def test_a_raised_limit_lets_the_purge_run_and_a_selection_keeps_it_within_the_default(fake_api, capsys) -> None:
    estate(fake_api, strays=4)
    selected = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, purge_services="all", select=["dev", "prod/pg-a"])
    assert selected.get("failed") is not True, selected.get("msg")
    assert selected["summary"]["deleted"] == 8 and sorted(fake_api.stored_pools("prod", "pg-b")) == ["app"] + [f"stray0{i}" for i in range(4)]
    raised = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, purge_services="all", purge_max_deletions=4)
    assert raised.get("failed") is not True, raised.get("msg")
    assert raised["summary"]["deleted"] == 4 and sorted(fake_api.stored_pools("prod", "pg-b")) == ["app"]


def test_pools_declared_absent_do_not_count(fake_api, capsys) -> None:
    estate(fake_api, strays=3)
    pools = [{"pool_name": "app"}] + [{"pool_name": f"stray0{index}", "state": "absent"} for index in range(3)]
    result = run(fake_api, capsys, project="prod", service_name="pg-a", pools=pools, purge=True, purge_max_deletions=0)
    assert result.get("failed") is not True, result.get("msg")
    assert result["summary"]["deleted"] == 3


def test_the_limit_counts_the_module_form_too_and_names_the_option(fake_api, capsys) -> None:
    estate(fake_api, strays=2)
    result = run(fake_api, capsys, project="prod", service_name="pg-a", pools=[{"pool_name": "app"}], purge=True, purge_max_deletions=1)
    assert result["failed"] is True and writes(fake_api) == []
    assert "purge would delete 2 pools in this run, more than purge_max_deletions (1) allows: prod/pg-a/stray00, prod/pg-a/stray01" in result["msg"]
    assert "raise purge_max_deletions to 2 for this run" in result["msg"]


def test_a_negative_limit_fails_before_any_request(fake_api, capsys) -> None:
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, purge_max_deletions=-1, variable_names=ROLE_NAMES)
    assert result["failed"] is True and fake_api.calls() == []
    assert result["msg"].startswith("connection_pools_purge_max_deletions must be an integer of 0 or more")


def test_a_missing_database_names_the_definition_it_came_from(fake_api, capsys) -> None:
    estate(fake_api)
    definitions = {"defs": DEFINITIONS["defs"],
                   "connection_pools_definitions__team_b": [{"service_name": "pg-b", "pool_name": "ro", "database_name": "appdb"},
                                                            {"service_name": "pg-b", "pool_name": "orders_ro", "database_name": "ordes_ro",
                                                             "username": "ghost"},
                                                            {"service_name": "pg-b", "pool_name": "nodb"}]}
    result = run(fake_api, capsys, project="prod", definitions=definitions)
    assert result["failed"] is True and writes(fake_api) == []
    label = "connection_pools_definitions__team_b[{}] (project prod, service_name pg-b, pool_name {})"
    assert result["failure"]["problems"] == [
        f"{label.format(2, 'nodb')}: pool does not exist and database_name is required to create it"]
    definitions["connection_pools_definitions__team_b"].pop()
    result = run(fake_api, capsys, project="prod", definitions=definitions)
    assert result["failure"]["problems"] == [
        f"{label.format(1, 'orders_ro')}: database_name 'ordes_ro' does not exist on the service (databases: appdb)",
        f"{label.format(1, 'orders_ro')}: username 'ghost' is not a user of the service (users: avnadmin, app)"]


def test_other_forms_keep_naming_project_service_pool(fake_api, capsys) -> None:
    estate(fake_api)
    result = run(fake_api, capsys, project="prod", service_name="pg-a", pools=[{"pool_name": "x", "database_name": "nodb"}])
    assert result["failure"]["problems"] == ["prod/pg-a/x: database_name 'nodb' does not exist on the service (databases: appdb)"]


def test_many_unusable_select_entries_make_a_bounded_printable_message(fake_api, capsys) -> None:
    result = run(fake_api, capsys, project="prod", definitions=DEFINITIONS, select=["bad project\x1b[2J"] * 2000)
    assert result["failed"] is True and fake_api.calls() == []
    assert len(result["msg"]) <= MESSAGE_MAX and "\x1b" not in result["msg"] and len(result["failure"]["problems"]) == 2000
