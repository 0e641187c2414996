# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: the definitions form (the role's declaration shape) and
the report of a run (undeclared_pools, report, summary, change_lines)."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against

TOKEN = "definitions-form-T0KEN-0123456789abcdef"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
ROLE_NAMES = {"project": "connection_pools_project", "purge_services": "connection_pools_purge",
              "allow_empty_services": "connection_pools_allow_empty"}


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    return run_against(aiven_connection_pool.main, fake_api, capsys, TOKEN, **args)


def drifted(fake_api: Any) -> None:
    """proj/pg1 with app (size 10) and stray; proj/pg2 with kept."""
    for service, names in (("pg1", ("app", "stray")), ("pg2", ("kept",))):
        for name in names:
            fake_api.add_pool("proj", service, name)
        fake_api.add_service("proj", service, **FIELDS)


DEFINITIONS = {
    "connection_pools_definitions": [{"service_name": "pg1", "pool_name": "app", "database_name": "appdb", "pool_size": 20},
                                     {"service_name": "pg1", "pool_name": "new", "database_name": "appdb"}],
    "connection_pools_definitions__b": [{"project": "proj", "service_name": "pg2", "pool_name": "kept", "pool_mode": None}],
}


@pytest.mark.parametrize("purge", [None, ["pg1"]])
def test_check_mode_reports_missing_undeclared_and_differing_in_one_read(fake_api, capsys, purge) -> None:
    drifted(fake_api)
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, purge_services=purge, _ansible_check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert fake_api.calls() == ["GET /v1/project/proj/service"]
    assert result["undeclared_pools"] == [{"project": "proj", "service_name": "pg1", "pool_name": "stray"}]
    assert result["report"] == {"missing": ["proj/pg1/new"], "undeclared": ["proj/pg1/stray"], "differing": ["proj/pg1/app"]}
    deleted = 1 if purge else 0
    assert result["summary"] == {"services": 2, "pools": 3, "created": 1, "updated": 1, "deleted": deleted}
    assert result["change_lines"] == [
        "proj/pg1: would create 1 (new), update 1 (app: pool_size 10 -> 20)" + (", delete 1 (stray)" if purge else ""),
        f"total: 2 services, would create 1, update 1, delete {deleted}"]
    assert PASSWORD not in json.dumps(result)


def test_a_real_run_returns_the_undeclared_pools_of_its_first_read_and_no_report(fake_api, capsys) -> None:
    drifted(fake_api)
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, purge_services=["proj/pg1"])
    assert result["changed"] is True and "report" not in result
    assert result["undeclared_pools"] == [{"project": "proj", "service_name": "pg1", "pool_name": "stray"}]
    assert result["change_lines"][-1] == "total: 2 services, create 1, update 1, delete 1"
    again = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, purge_services=["proj/pg1"])
    assert again["changed"] is False and again["undeclared_pools"] == []
    assert again["change_lines"] == ["total: 2 services, no change"]


def test_a_run_groups_the_definitions_and_reads_its_arguments_once(fake_api, capsys) -> None:
    # At 10,000 definitions each grouping or parse of the arguments costs a tenth of a second.
    drifted(fake_api)
    with mock.patch.object(aiven_connection_pool, "grouped", wraps=aiven_connection_pool.grouped) as grouping, \
            mock.patch.object(basic, "_load_params", wraps=basic._load_params) as load:
        result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, _ansible_check_mode=True)
    assert result["summary"] == {"services": 2, "pools": 3, "created": 1, "updated": 1, "deleted": 0}
    # One read, for the checks that must know what the task set and for AnsibleModule.
    assert grouping.call_count == 1 and load.call_count == 1


@pytest.mark.parametrize(("project", "named"), [("proj", "pg2"), ("other", "proj/pg2")])
def test_a_purge_that_would_empty_a_service_says_which_variable_allows_it(fake_api, capsys, project, named) -> None:
    drifted(fake_api)
    definitions = {"connection_pools_definitions": [{"project": "proj", "service_name": "pg1", "pool_name": "app"}]}
    result = run(fake_api, capsys, project=project, definitions=definitions, purge_services=["proj/pg2"], variable_names=ROLE_NAMES)
    assert result["failed"] is True and not [call for call in fake_api.calls() if not call.startswith("GET ")]
    assert result["msg"].count(f"proj/pg2: purge would delete every pool (kept): add {named} to connection_pools_allow_empty "
                               "if the service should have no pools") == 1


def test_every_identity_problem_names_the_callers_variables_once_before_any_request(fake_api, capsys) -> None:
    definitions = {"connection_pools_definitions": [{"service_name": "pg1", "pool_name": "a"}, {"service_name": "pg1", "pool_name": "a"}],
                   "connection_pools_definitions__x": "pg1/a"}
    result = run(fake_api, capsys, definitions=definitions, purge_services=["pg1"], variable_names=ROLE_NAMES)
    assert result["failed"] is True and fake_api.calls() == []
    assert result["msg"].startswith("4 problems in the pool definitions, nothing was changed: ")
    for text in ("connection_pools_definitions[0] (service_name pg1, pool_name a): no project; set project on the entry or connection_pools_project",
                 "connection_pools_definitions__x must be a list of dictionaries, got str",
                 "connection_pools_purge[0] (pg1) names no project and connection_pools_project is not set"):
        assert result["msg"].count(text) == 1
    assert len(result["failure"]["problems"]) == 4


def test_settings_are_checked_with_the_other_forms_rules_named_by_the_entry_before_any_request(fake_api, capsys) -> None:
    definitions = {"defs": [{"service_name": "pg1", "pool_name": "a", "pool_size": 0}]}
    result = run(fake_api, capsys, project="proj", definitions=definitions)
    assert result["failed"] is True and fake_api.calls() == []
    assert result["msg"] == "defs[0] (project proj, service_name pg1, pool_name a): pool_size must be an integer from 1 to 10000, got 0; nothing was changed"


@pytest.mark.parametrize(("args", "message"), [
    ({"definitions": {}, "service_name": "pg1"}, "with definitions, service_name go inside each definition"),
    ({"definitions": {}, "purge": True}, "with definitions, purge go inside each definition"),
    ({"pool_name": "a", "project": "proj", "service_name": "pg1", "purge_services": ["pg1"]}, "purge_services only go with definitions"),
    ({"definitions": {}, "services": []}, "parameters are mutually exclusive: pool_name|pools|services|definitions"),
])
def test_the_definitions_form_stands_alone(fake_api, capsys, args, message) -> None:
    result = run(fake_api, capsys, **args)
    assert result["failed"] is True and message in result["msg"] and fake_api.calls() == []


def test_nothing_declared_is_no_request_and_no_change(fake_api, capsys) -> None:
    result = run(fake_api, capsys, definitions={"connection_pools_definitions": []}, _ansible_check_mode=True)
    assert result["changed"] is False and fake_api.calls() == []
    assert result["undeclared_pools"] == [] and result["summary"]["services"] == 0
    assert result["report"] == {"missing": [], "undeclared": [], "differing": []}
