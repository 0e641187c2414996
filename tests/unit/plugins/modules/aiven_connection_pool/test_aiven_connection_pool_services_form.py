# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: the services form, results without
secrets unless asked, the diff list, the checks against the services, the options' rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import patch_module_args, run_against

TOKEN = "services-form-T0KEN-0123456789abcdef"
LIST = "GET /v1/project/proj/service"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
CONNECTION_KEYS = ["project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size",
                   "host", "port", "dbname", "user", "sslmode"]


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    return run_against(aiven_connection_pool.main, fake_api, capsys, TOKEN, **args)


def two_services(fake_api: Any) -> None:
    """proj/pg1 with pool a, proj/pg2 with pool b; the API gives passwords whether asked or not."""
    fake_api.secrets = "unredacted"
    for service, name in (("pg1", "a"), ("pg2", "b")):
        fake_api.add_pool("proj", service, name, username="app")
        fake_api.add_service("proj", service, **FIELDS)


SERVICES = [
    {"service_name": "pg1", "pools": [{"pool_name": "a", "pool_size": 20}, {"pool_name": "new", "database_name": "appdb"}]},
    {"service_name": "pg2", "pools": [{"pool_name": "b"}]},
]


def test_services_form_reads_the_project_once_and_returns_no_secret(fake_api, capsys) -> None:
    two_services(fake_api)
    result = run(fake_api, capsys, project="proj", services=SERVICES)
    assert result.get("failed") is not True, result.get("msg")
    reads = [call for call in fake_api.calls() if call.startswith("GET")]
    assert reads == [LIST, "GET /v1/project/proj/service/pg1"]  # only pg1 changed: read back alone
    assert [(p["service_name"], p["pool_name"]) for p in result["connection_pools"]] == [("pg1", "a"), ("pg1", "new"), ("pg2", "b")]
    assert list(result["connection_pools"][0]) == CONNECTION_KEYS
    assert result["connection_pools"][0]["dbname"] == "a" and result["connection_pools"][0]["user"] == "app"
    assert result["connection_pools"][0]["host"] == "pg.example.com" and result["connection_pools"][0]["sslmode"] == "require"
    assert PASSWORD not in json.dumps(result) and "connection_uri" not in json.dumps(result)
    assert "connection_pool" not in result


def test_include_secrets_adds_the_uri_and_the_password(fake_api, capsys) -> None:
    two_services(fake_api)
    result = run(fake_api, capsys, project="proj", services=SERVICES, include_secrets=True)
    assert all(request.path.endswith("include_secrets=true") for request in fake_api.requests if request.method == "GET")
    first = result["connection_pools"][0]
    assert first["password"] == PASSWORD and f":{PASSWORD}@" in first["connection_uri"]


def test_single_form_returns_the_pool_without_secret(fake_api, capsys) -> None:
    two_services(fake_api)
    result = run(fake_api, capsys, project="proj", service_name="pg1", pool_name="a", pool_size=7)
    assert result["changed"] is True and list(result["connection_pool"]) == CONNECTION_KEYS
    assert result["connection_pool"]["pool_size"] == 7 and PASSWORD not in json.dumps(result)
    assert [request.path for request in fake_api.requests if request.method == "GET"] == ["/v1/project/proj/service/pg1"] * 2


def test_check_mode_with_diff_makes_no_write_and_gives_one_diff_per_pool(fake_api, capsys) -> None:
    two_services(fake_api)
    result = run(fake_api, capsys, project="proj", services=SERVICES, _ansible_check_mode=True, _ansible_diff=True)
    assert fake_api.calls() == [LIST]
    assert result["changed"] is True and result["check_mode"] is True
    assert result["diff"] == [
        {"before_header": "proj/pg1/a", "after_header": "proj/pg1/a",
         "before": "database_name: appdb\nusername: app\npool_mode: transaction\npool_size: 10\n",
         "after": "database_name: appdb\nusername: app\npool_mode: transaction\npool_size: 20\n"},
        {"before_header": "proj/pg1/new", "after_header": "proj/pg1/new", "before": "",
         "after": "database_name: appdb\nusername: null\npool_mode: transaction\npool_size: 10\n"},
    ]
    assert [(c["project"], c["service_name"], c["pool_name"], c["action"]) for c in result["changes"]] == [
        ("proj", "pg1", "a", "update"), ("proj", "pg1", "new", "create")]
    assert result["changes"][0]["fields"] == ["pool_size"]
    assert PASSWORD not in json.dumps(result)


def test_problems_against_the_services_fail_before_any_write(fake_api, capsys) -> None:
    two_services(fake_api)
    fake_api.add_service("proj", "pg2", state="POWEROFF")
    services = [{"service_name": "pg1", "pools": [{"pool_name": "x", "database_name": "nodb", "username": "ghost"}]},
                {"service_name": "pg2", "pools": [{"pool_name": "b", "pool_size": 3}]}]
    result = run(fake_api, capsys, project="proj", services=services)
    assert result["failed"] is True and result["changed"] is False
    assert result["failure"]["problems"] == [
        "proj/pg1/x: database_name 'nodb' does not exist on the service (databases: appdb)",
        "proj/pg1/x: username 'ghost' is not a user of the service (users: avnadmin, app)",
        "proj/pg2: the service is powered off (state POWEROFF); power it on before changing its pools",
    ]
    assert result["msg"].startswith("3 problem(s) in the declaration, nothing was changed: proj/pg1/x: database_name 'nodb'")
    assert fake_api.calls() == [LIST]


def test_purge_emptying_a_service_needs_allow_empty(fake_api, capsys) -> None:
    two_services(fake_api)
    refused = run(fake_api, capsys, project="proj", services=[{"service_name": "pg2", "purge": True}])
    assert refused["failed"] is True and "proj/pg2: purge would delete every pool (b)" in refused["msg"]
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg2"]
    allowed = run(fake_api, capsys, project="proj", services=[{"service_name": "pg2", "purge": True, "allow_empty": True}])
    assert allowed["changed"] is True and [(c["action"], c["pool_name"]) for c in allowed["changes"]] == [("delete", "b")]


def test_item_project_overrides_the_top_level_one(fake_api, capsys) -> None:
    fake_api.add_pool("other", "pg", "c")
    result = run(fake_api, capsys, project="proj", services=[{"project": "other", "service_name": "pg", "pools": [{"pool_name": "c"}]}])
    assert fake_api.calls() == ["GET /v1/project/other/service/pg"]
    assert result["connection_pools"][0]["project"] == "other"


def test_an_item_whose_project_rendered_empty_is_refused_not_sent_to_the_top_level_project(fake_api, capsys) -> None:
    # With "or", this purge emptied proj/pg (the top-level project's service of that name).
    fake_api.add_pool("proj", "pg", "keep")
    result = run(fake_api, capsys, project="proj", services=[{"project": "", "service_name": "pg", "purge": True, "allow_empty": True}])
    assert result["failed"] is True and not result.get("changed")
    assert result["msg"] == ("services[0] (service_name 'pg'): project must not be empty (a variable that rendered empty?); "
                             "give the item's project, or leave project out of the item to use the top-level project")
    assert fake_api.requests == []
    assert list(fake_api.stored_pools("proj", "pg")) == ["keep"]


@pytest.mark.parametrize(("args", "message"), [
    ({"project": "proj", "service_name": "pg", "services": []}, "with services, service_name go inside each item of services"),
    ({"project": "proj", "purge": True, "services": []}, "with services, purge go inside each item of services"),
    ({"project": "proj", "pool_size": 5, "services": []}, "with services, pool_size go inside each item of services"),
    ({"services": [{"service_name": "pg"}]}, "services[0] (service_name 'pg') has no project: set project in the item or at the top level"),
    ({"project": "", "services": [{"service_name": "pg"}]}, "project must not be empty: give the default project of the items of services"),
    ({"project": "proj", "services": [{"service_name": "pg", "pools": []}, {"service_name": "pg2", "project": "", "purge": True}]},
     "services[1] (service_name 'pg2'): project must not be empty (a variable that rendered empty?); give the item's project"),
    ({"project": "proj", "services": [5]}, "services[0] must be a dictionary, got 5"),
    ({"project": "proj", "services": [{"service_name": "pg", "pools": ["x"]}]}, "services[0].pools[0] must be a dictionary, got 'x'"),
    ({"project": "proj", "services": [{"service_name": "pg"}, {"service_name": "pg"}]}, "proj/pg: declared more than once"),
    ({"project": "proj", "services": [{"service_name": "pg", "project": "a/b"}]}, "services[0]: project must be 1 to 63 characters"),
    ({"project": "proj", "service_name": "pg", "pool_name": "x", "allow_empty": True}, "allow_empty applies to purge"),
    ({"project": "proj", "service_name": "pg", "pool_name": "x", "services": []}, "parameters are mutually exclusive: pool_name|pools|services"),
])
def test_options_that_do_not_fit_the_services_form_are_refused_before_any_request(fake_api, capsys, args, message) -> None:
    result = run(fake_api, capsys, **args)
    assert result["failed"] is True and message in result["msg"]
    assert fake_api.requests == []


def test_concurrency_default_is_8_and_documented() -> None:
    with patch_module_args({}):
        assert aiven_connection_pool.argument_spec()["concurrency"]["default"] == 8
    assert yaml.safe_load(aiven_connection_pool.DOCUMENTATION)["options"]["concurrency"]["default"] == 8
