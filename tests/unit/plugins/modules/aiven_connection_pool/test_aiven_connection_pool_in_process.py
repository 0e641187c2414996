# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module run and the action plugin's run in the controller's process give the same result for the same input.

Each case runs main() (AnsibleModule, its JSON result) and then run_in_process with the same arguments against
the same fake API state; the results must be equal, key for key, warnings as texts.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._in_process import run_in_process
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module, warnings_of

NAME = "dbpools.aiven.aiven_connection_pool"
TOKEN = "in-process-T0KEN-0123456789abcdef"
FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}
DEFINITIONS = {"connection_pools_definitions": [
    {"service_name": "pg1", "pool_name": "app", "database_name": "appdb", "pool_size": 10},
    {"service_name": "pg1", "pool_name": "kept", "database_name": "appdb", "pool_size": 5, "username": "app"},
]}


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """The result as the role registers it: JSON types, warnings as their texts."""
    result = json.loads(json.dumps(result))
    if "warnings" in result:
        result["warnings"] = warnings_of(result)
    return result


def both(fake_api: Any, capsys: Any, args: dict[str, Any], check_mode: bool = False, diff: bool = False,
         environment: dict[str, str] | None = None, monkeypatch: Any = None,
         pools: dict[str, dict[str, Any]] | None = None, missing: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """(module result, in-process result) for ``args``, each run on the fake API in the same state (``pools``, ``missing``)."""
    service(fake_api, pools, missing)
    for name, value in (environment or {}).items():
        monkeypatch.setenv(name, value)
    module = run_module(aiven_connection_pool.main, dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_module_name=NAME), capsys)
    for name in environment or {}:
        monkeypatch.delenv(name)
    service(fake_api, pools, missing)
    in_process = run_in_process(NAME, aiven_connection_pool.safe_argument_spec, aiven_connection_pool.MODULE_RULES, aiven_connection_pool.run,
                                args, environment or {}, check_mode, diff)
    return comparable(module), comparable(in_process)


def service(fake_api: Any, pools: dict[str, dict[str, Any]] | None = None, missing: bool = False) -> None:
    fake_api.reset()
    for name, settings in (pools or {"kept": {"database": "appdb", "pool_size": 5, "pool_mode": "transaction", "username": "app"}}).items():
        fake_api.add_pool("proj", "pg1", name, **settings)
    fake_api.add_service("proj", "pg1", **FIELDS)
    if missing:
        fake_api.missing.add(("proj", "pg1"))


def base(fake_api: Any, **args: Any) -> dict[str, Any]:
    return dict({"api_url": fake_api.url, "api_token": TOKEN, "api_retries": 0, "api_timeout": 5}, **args)


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("diff", [True, False])
def test_role_call_gives_the_same_result(fake_api, capsys, check_mode, diff) -> None:
    module, in_process = both(fake_api, capsys, base(fake_api, project="proj", definitions=DEFINITIONS, role_result=True), check_mode, diff)
    assert module.get("failed") is not True, module.get("msg")
    assert in_process == module
    assert "invocation" in in_process and TOKEN not in json.dumps(in_process)


def test_single_pool_form_with_both_name_and_alias_warns_the_same(fake_api, capsys) -> None:
    args = base(fake_api, project="proj", service_name="pg1", pool_name="kept", name="kept", pool_size=7)
    module, in_process = both(fake_api, capsys, args, check_mode=True)
    assert in_process["warnings"] == ["Both option pool_name and its alias name are set."]
    assert in_process == module


@pytest.mark.parametrize(("args", "message"), [
    ({"bogus": 1}, "Unsupported parameters for (dbpools.aiven.aiven_connection_pool) module: bogus. Supported parameters include: "),
    ({"concurrency": "many"}, "argument 'concurrency' is of type "),
    ({"pool_name": "x"}, "parameters are mutually exclusive: pool_name|pools|services|definitions"),
    ({"definitions": {"defs": [{"service_name": "pg1", "pool_name": "new"}]}}, "1 problem(s) in the declaration, nothing was changed"),
])
def test_bad_arguments_fail_with_the_modules_message(fake_api, capsys, args, message) -> None:
    module, in_process = both(fake_api, capsys, base(fake_api, project="proj", definitions=DEFINITIONS, **args) if "definitions" not in args
                              else base(fake_api, project="proj", **args))
    assert in_process["failed"] is True and in_process["msg"].startswith(message)
    # As AivenModule's: every failure has ``failure`` (Ansible's own checks get one too).
    assert in_process["failure"]
    assert in_process == module
    assert TOKEN not in json.dumps(in_process)


def test_no_token_names_the_sources(fake_api, capsys) -> None:
    args = base(fake_api, project="proj", definitions=DEFINITIONS)
    del args["api_token"]
    module, in_process = both(fake_api, capsys, args)
    assert in_process["msg"].startswith("no API token: set api_token, or the environment variable AIVEN_TOKEN")
    assert in_process == module


def test_token_from_the_task_environment_is_used_and_removed_from_the_result(fake_api, capsys, monkeypatch) -> None:
    # The API echoes the token in a pool's username: the result must mask it, from the environment as from an argument.
    args = base(fake_api, project="proj", service_name="pg1", pool_name="kept")
    del args["api_token"]
    module, in_process = both(fake_api, capsys, args, check_mode=True, environment={"AIVEN_TOKEN": TOKEN}, monkeypatch=monkeypatch,
                              pools={"kept": {"database": "appdb", "pool_size": 5, "pool_mode": "transaction", "username": TOKEN}})
    assert in_process.get("failed") is not True, in_process.get("msg")
    assert TOKEN not in json.dumps(in_process) and "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in json.dumps(in_process)
    assert in_process == module
    # The task's environment is the run's only: the worker's own is put back.
    assert "AIVEN_TOKEN" not in os.environ


def test_api_failure_keeps_failure_and_masks_the_token(fake_api, capsys) -> None:
    module, in_process = both(fake_api, capsys, base(fake_api, project="proj", definitions=DEFINITIONS), check_mode=True, missing=True)
    assert in_process["failed"] is True and in_process["failure"]["status"] == 404
    assert in_process == module
