# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: database_definitions and user_definitions, the databases and
users the pools need, declared beside them (the role's connection_pools_databases and connection_pools_users)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_prerequisites_api import FakePrerequisitesApi
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against

TOKEN = "prerequisites-T0KEN-0123456789abcdef"
SERVICE = "GET /v1/project/proj/service/pg1"
DEFINITIONS = {"connection_pools_definitions": [{"service_name": "pg1", "pool_name": "app", "database_name": "appdb", "username": "app"}]}
DATABASES = {"connection_pools_databases": [{"service_name": "pg1", "database_name": "appdb"}]}
USERS = {"connection_pools_users": [{"service_name": "pg1", "username": "app"}]}
FULL_SUMMARY = {"services": 1, "pools": 1, "created": 1, "updated": 0, "deleted": 0, "databases_created": 1, "users_created": 1,
                "users_updated": 0}


@pytest.fixture(scope="module")
def prerequisites_api_server():
    server = FakePrerequisitesApi().start()
    yield server
    server.stop()


@pytest.fixture
def api(prerequisites_api_server, monkeypatch) -> FakePrerequisitesApi:
    for name in ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_WEB_URL"):
        monkeypatch.delenv(name, raising=False)
    prerequisites_api_server.reset()
    prerequisites_api_server.add_listed_service("proj", "pg1", plan="startup-4")
    return prerequisites_api_server


def run(api: FakePrerequisitesApi, capsys: Any, **args: Any) -> dict[str, Any]:
    args.setdefault("project", "proj")
    return run_against(aiven_connection_pool.main, api, capsys, TOKEN, **args)


def declared(**args: Any) -> dict[str, Any]:
    """The three lists of the module's definitions form, some replaced by ``args``."""
    options = {"definitions": DEFINITIONS, "database_definitions": DATABASES, "user_definitions": USERS}
    options.update(args)
    return options


@pytest.mark.parametrize("form", [{"service_name": "pg1", "pool_name": "app", "database_name": "appdb"},
                                  {"service_name": "pg1", "pools": [{"pool_name": "app", "database_name": "appdb"}]},
                                  {"services": [{"service_name": "pg1", "pools": []}]}])
@pytest.mark.parametrize(("option", "value"), [("database_definitions", DATABASES), ("user_definitions", USERS)])
def test_the_options_only_go_with_definitions(api, capsys, form: dict[str, Any], option: str, value: Any) -> None:
    result = run(api, capsys, **form, **{option: value})
    assert result["failed"] is True
    assert result["msg"] == f"{option} only go with definitions"
    assert api.calls() == []


def test_a_run_creates_the_databases_and_users_then_the_pools(api, capsys) -> None:
    result = run(api, capsys, **declared())
    assert result.get("failed") is not True, result.get("msg")
    calls = api.calls()
    # The database and the user are written at once (concurrency), in either order; both before the pool.
    assert calls[:2] == [SERVICE, "GET /v1/project/proj/service/pg1/db"]
    assert sorted(calls[2:4]) == ["POST /v1/project/proj/service/pg1/db", "POST /v1/project/proj/service/pg1/user"]
    assert calls[4:] == [SERVICE, "POST /v1/project/proj/service/pg1/connection_pool", SERVICE]
    assert result["changed"] is True
    assert result["database_changes"] == [{"project": "proj", "service_name": "pg1", "database_name": "appdb", "action": "create",
                                           "before": None, "after": {"lc_collate": "en_US.UTF-8", "lc_ctype": "en_US.UTF-8"}}]
    assert result["user_changes"] == [{"project": "proj", "service_name": "pg1", "username": "app", "action": "create", "before": None,
                                       "after": {"type": "normal", "pg_allow_replication": False}, "password_change": None}]
    assert result["summary"] == FULL_SUMMARY
    assert result["change_lines"] == ["proj/pg1: create database 1 (appdb), create user 1 (app), create 1 (app)",
                                      "total: 1 service, create 1, update 0, delete 0, create database 1, create user 1"]
    assert "report" not in result


def test_check_mode_writes_nothing_and_reports_what_it_would_create(api, capsys) -> None:
    result = run(api, capsys, **declared(), _ansible_check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert api.writes() == []
    assert result["changed"] is True and result["check_mode"] is True
    assert [entry["database_name"] for entry in result["database_changes"]] == ["appdb"]
    assert [entry["username"] for entry in result["user_changes"]] == ["app"]
    assert result["change_lines"][0] == "proj/pg1: would create database 1 (appdb), create user 1 (app), create 1 (app)"
    assert result["report"] == {"missing": ["proj/pg1 database appdb", "proj/pg1 user app", "proj/pg1/app"], "undeclared": [], "differing": []}
    assert result["summary"] == FULL_SUMMARY


def test_a_second_run_changes_nothing_and_reads_the_service_once(api, capsys) -> None:
    run(api, capsys, **declared())
    api.requests.clear()
    result = run(api, capsys, **declared())
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert api.calls() == [SERVICE]
    assert (result["database_changes"], result["user_changes"]) == ([], [])
    assert result["summary"] == dict(FULL_SUMMARY, created=0, databases_created=0, users_created=0)
    assert result["change_lines"] == ["total: 1 service, no change"]


def test_definitions_without_databases_or_users_return_empty_lists_and_the_pools_summary(api, capsys) -> None:
    api.add_listed_service("proj", "pg1", plan="startup-4", databases=["appdb"], users=["app"])
    result = run(api, capsys, definitions=DEFINITIONS)
    assert result.get("failed") is not True, result.get("msg")
    assert (result["database_changes"], result["user_changes"]) == ([], [])
    assert result["summary"] == {"services": 1, "pools": 1, "created": 1, "updated": 0, "deleted": 0}


def test_the_other_forms_return_no_database_or_user_changes(api, capsys) -> None:
    api.add_listed_service("proj", "pg1", plan="startup-4", databases=["appdb"])
    result = run(api, capsys, service_name="pg1", pool_name="app", database_name="appdb")
    assert result.get("failed") is not True, result.get("msg")
    assert "database_changes" not in result and "user_changes" not in result


def test_a_pool_naming_a_database_nobody_declares_is_still_refused(api, capsys) -> None:
    result = run(api, capsys, **declared(database_definitions=None))
    assert result["failed"] is True
    assert "database_name 'appdb' does not exist on the service" in result["msg"]
    assert api.writes() == []


def test_the_diff_shows_databases_and_users_and_never_a_password(api, capsys) -> None:
    result = run(api, capsys, **declared(), include_secrets=True, _ansible_diff=True)
    assert result.get("failed") is not True, result.get("msg")
    headers = [diff["before_header"] for diff in result["diff"]]
    assert headers == ["database proj/pg1/appdb", "user proj/pg1/app", "proj/pg1/app"]
    assert result["diff"][1]["after"] == "type: normal\npg_allow_replication: false\n"
    assert PASSWORD not in json.dumps(result["diff"])
    assert PASSWORD not in json.dumps(result["database_changes"] + result["user_changes"])


def test_role_result_holds_the_database_and_user_changes(api, capsys) -> None:
    result = run(api, capsys, **declared(), role_result=True)
    assert result.get("failed") is not True, result.get("msg")
    assert {"pools", "changes", "summary", "by_name", "set_aside", "database_changes", "user_changes"} <= set(result)
    assert [entry["database_name"] for entry in result["database_changes"]] == ["appdb"]
    assert [entry["username"] for entry in result["user_changes"]] == ["app"]
    assert result["summary"] == FULL_SUMMARY


def test_a_refused_write_fails_with_what_was_applied_and_no_pool_write(api, capsys) -> None:
    api.script("POST", "/v1/project/proj/service/pg1/user", (403, {}, {"message": "Not enough permissions", "errors": []}))
    result = run(api, capsys, **declared(), role_result=True)
    assert result["failed"] is True
    assert result["msg"].startswith("cannot create user proj/pg1/app: ")
    assert "applied before the failure: create database proj/pg1/appdb" in result["msg"]
    assert not any("connection_pool" in call for call in api.calls())
    assert result["changed"] is True
    assert [entry["database_name"] for entry in result["database_changes"]] == ["appdb"]
    assert result["user_changes"] == []
    assert result["change_lines"] == ["proj/pg1: create database 1 (appdb)",
                                      "total: 1 service, create 0, update 0, delete 0, create database 1"]
    assert result["summary"] == dict(FULL_SUMMARY, pools=0, created=0, users_created=0)
    assert result["failure"]["status"] == 403


def test_a_declaration_problem_names_the_list_and_index(api, capsys) -> None:
    users = {"connection_pools_users": [{"service_name": "pg1", "username": "app", "pg_allow_replication": "yes"}]}
    result = run(api, capsys, **declared(user_definitions=users))
    assert result["failed"] is True
    assert "connection_pools_users[0]: proj/pg1/app: pg_allow_replication must be a boolean, got 'yes'" in result["msg"]
    assert api.calls() == []


def test_purge_all_leaves_the_pools_of_a_service_declared_only_by_its_databases(api, capsys) -> None:
    api.add_listed_service("proj", "pg2", plan="startup-4", databases=["defaultdb", "appdb"])
    api.add_pool("proj", "pg2", "kept")
    databases = {"connection_pools_databases": [{"service_name": "pg2", "database_name": "appdb"}]}
    pools = {"connection_pools_definitions": [{"service_name": "pg1", "pool_name": "app", "database_name": "defaultdb"}]}
    result = run(api, capsys, **declared(database_definitions=databases, user_definitions=None, definitions=pools), purge_services="all")
    assert result.get("failed") is not True, result.get("msg")
    assert "kept" in api.stored_pools("proj", "pg2")
    assert not any(call.startswith("DELETE") for call in api.calls())
    assert result["summary"]["services"] == 2 and result["summary"]["deleted"] == 0
