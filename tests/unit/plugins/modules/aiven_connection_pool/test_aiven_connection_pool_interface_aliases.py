# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The 1.0.0 names and their aliases: api_timeout (alias timeout, its name before), name for pool_name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module

TOKEN = "aliases-T0KEN-0123456789abcdef"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}]}
POOLS = "/v1/project/proj/service/pg1/connection_pool"


def run(main: Any, fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"api_url": fake_api.url, "api_token": TOKEN, "api_retries": 0}
    result = run_module(main, dict(base, **args), capsys)
    assert "exception" not in result and TOKEN not in json.dumps(result)
    return result


@pytest.fixture
def service(fake_api) -> Any:
    fake_api.add_service("proj", "pg1", **FIELDS)
    return fake_api


@pytest.mark.parametrize("timeout", [{"api_timeout": 5}, {"timeout": 5}])
def test_api_timeout_and_its_alias_timeout_are_the_same_option(service, capsys, timeout) -> None:
    result = run(aiven_connection_pool_info.main, service, capsys, project="proj", service_name="pg1", **timeout)
    assert result.get("failed") is not True, result.get("msg")
    refused = run(aiven_connection_pool_info.main, service, capsys, project="proj", service_name="pg1", **{key: 0 for key in timeout})
    # Either spelling is checked as api_timeout, before any request beyond the first run's.
    assert refused["failed"] is True and refused["msg"] == "api_timeout must be more than 0 and at most 3600 seconds, got 0.0"


def test_name_is_an_alias_of_pool_name_in_the_single_form(service, capsys) -> None:
    result = run(aiven_connection_pool.main, service, capsys, project="proj", service_name="pg1", name="by-name",
                 database_name="appdb")
    assert result.get("failed") is not True, result.get("msg")
    assert [(change["pool_name"], change["action"]) for change in result["changes"]] == [("by-name", "create")]
    assert result["connection_pool"]["pool_name"] == "by-name"
    assert f"POST {POOLS}" in service.calls()


def test_name_is_an_alias_of_pool_name_in_pools_items(service, capsys) -> None:
    result = run(aiven_connection_pool.main, service, capsys, project="proj", service_name="pg1",
                 pools=[{"name": "first", "database_name": "appdb"}, {"pool_name": "second", "database_name": "appdb"}])
    assert result.get("failed") is not True, result.get("msg")
    assert sorted(change["pool_name"] for change in result["changes"]) == ["first", "second"]


def test_name_and_pool_name_together_are_one_option_given_twice(service, capsys) -> None:
    result = run(aiven_connection_pool.main, service, capsys, project="proj", service_name="pg1", name="a", pool_name="b",
                 database_name="appdb")
    # Ansible takes one of the two and warns (the text is ansible-core's); never a pool for each.
    assert "Both option pool_name and its alias name are set" in json.dumps(result.get("warnings"))
    assert [call for call in service.calls() if call.startswith("POST")] == [f"POST {POOLS}"]
    assert len(result["changes"]) == 1
