# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: role_result (the role's fact as the result) and fail_on_drift."""

from __future__ import annotations

from typing import Any

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against

TOKEN = "role-result-T0KEN-0123456789abcdef"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
DEFINITIONS = {"connection_pools_definitions": [{"service_name": "pg1", "pool_name": "app", "database_name": "appdb", "pool_size": 10}]}


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    return run_against(aiven_connection_pool.main, fake_api, capsys, TOKEN, **args)


def service(fake_api: Any, *pools: str) -> None:
    for name in pools:
        fake_api.add_pool("proj", "pg1", name, pool_size=10)
    fake_api.add_service("proj", "pg1", **FIELDS)


def test_role_result_holds_the_fact_and_the_invocation_only_counts_the_definitions(fake_api, capsys) -> None:
    service(fake_api)
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, role_result=True)
    assert result.get("failed") is not True, result.get("msg")
    assert {"pools", "changes", "summary", "by_name", "set_aside"} <= set(result)
    assert result["set_aside"] == []
    assert [pool["pool_name"] for pool in result["pools"]] == ["app"]
    assert result["by_name"]["proj/pg1/app"] == result["pools"][0]
    assert [change["action"] for change in result["changes"]] == ["create"]
    assert result["summary"] == {"services": 1, "pools": 1, "created": 1, "updated": 0, "deleted": 0}
    # Not twice: pools is the list under the role's name.
    assert "connection_pools" not in result and "role_result" not in result
    assert result["invocation"]["module_args"]["definitions"] == {"connection_pools_definitions": "1 entries"}


def test_role_result_in_check_mode_holds_the_report(fake_api, capsys) -> None:
    service(fake_api, "stray")
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, role_result=True, _ansible_check_mode=True)
    assert result["report"] == {"missing": ["proj/pg1/app"], "undeclared": ["proj/pg1/stray"], "differing": []}


def test_fail_on_drift_fails_in_check_mode_naming_every_difference(fake_api, capsys) -> None:
    service(fake_api, "stray")
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, role_result=True, fail_on_drift=True,
                 _ansible_check_mode=True)
    assert result["failed"] is True
    assert result["msg"] == ("drift: 2 differences from the declaration; missing (declared, do not exist): proj/pg1/app; "
                             "undeclared (exist, not declared): proj/pg1/stray")
    # Published as on success, and no write.
    assert result["report"]["missing"] == ["proj/pg1/app"]
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg1"]


def test_fail_on_drift_passes_when_nothing_differs(fake_api, capsys) -> None:
    service(fake_api, "app")
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, fail_on_drift=True, _ansible_check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["report"] == {"missing": [], "undeclared": [], "differing": []}


def test_fail_on_drift_has_no_effect_outside_check_mode(fake_api, capsys) -> None:
    service(fake_api, "stray")
    result = run(fake_api, capsys, project="proj", definitions=DEFINITIONS, fail_on_drift=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
