# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_in_process: a module's work in the controller's process, checked and cleaned as AnsibleModule does."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._in_process import plain, run_in_process, task_environment
from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_arguments
from ansible_collections.dbpools.aiven.plugins.module_utils._module_like import ModuleLike

TOKEN = "unit-T0KEN-abcdef0123456789"
SPEC = {"api_token": {"type": "str", "no_log": True}, "size": {"type": "int", "default": 1}, "name": {"type": "str", "aliases": ["label"]}}


class Unsafe(str):
    """A str subclass, as ansible-core's controller values are."""


def run(work: Any, arguments: dict[str, Any], environment: dict[str, str] | None = None, check_mode: bool = False) -> dict[str, Any]:
    return run_in_process("ns.coll.mod", lambda: dict(SPEC), {}, work, arguments, environment or {}, check_mode, False)


def test_result_has_invocation_and_warnings_and_no_token() -> None:
    def work(module: ModuleLike) -> dict[str, Any]:
        module.warn(f"seen {module.params['api_token']}")
        return {"changed": False, "echo": module.params["api_token"], "size": module.params["size"], "check": module.check_mode}

    result = run(work, {"api_token": TOKEN, "name": "a"}, check_mode=True)
    assert result["echo"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["size"] == 1 and result["check"] is True
    assert result["invocation"]["module_args"] == {"api_token": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "size": 1, "name": "a"}
    assert result["warnings"] == ["seen ********"]
    assert TOKEN not in json.dumps(result)


def test_validation_failure_has_ansibles_message_and_masks_the_token() -> None:
    result = run(lambda module: pytest.fail("work must not run"), {"api_token": TOKEN, "size": "big"})
    assert result["failed"] is True
    assert result["msg"].startswith("argument 'size' is of type ")
    assert result["failure"]["message"] == result["msg"] and result["failure"]["attempts"] == 0
    assert result["invocation"]["module_args"]["api_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert TOKEN not in json.dumps(result)


def test_unknown_option_names_the_module() -> None:
    result = run(lambda module: {}, {"other": 1})
    assert result["msg"].startswith("Unsupported parameters for (ns.coll.mod) module: other. Supported parameters include: api_token, name, ")


def test_option_and_alias_both_set_warn_as_ansiblemodule_does() -> None:
    result = run(lambda module: {"changed": False}, {"name": "a", "label": "a"})
    assert result["warnings"] == ["Both option name and its alias label are set."]


def test_fail_json_gives_failure_and_never_a_traceback() -> None:
    def work(module: ModuleLike) -> dict[str, Any]:
        module.fail_json(msg=f"bad {TOKEN}", exception="Traceback (most recent call last): ...", changed=True)

    result = run(work, {"api_token": TOKEN})
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "bad ********"
    assert "exception" not in result and "Traceback" not in json.dumps(result)
    assert result["failure"]["message"] == "bad ********"


def test_an_unexpected_error_is_a_failed_result_without_traceback_or_token() -> None:
    def work(module: ModuleLike) -> dict[str, Any]:
        raise KeyError(f"lost {module.params['api_token']}")

    result = run(work, {"api_token": TOKEN})
    assert result["failed"] is True
    assert result["msg"].startswith("ns.coll.mod failed in the controller's process: KeyError: ")
    assert TOKEN not in json.dumps(result) and "Traceback" not in json.dumps(result)


def test_an_error_before_the_arguments_are_checked_shows_its_type_only() -> None:
    def spec() -> dict[str, Any]:
        raise ValueError(TOKEN)

    result = run_in_process("ns.coll.mod", spec, {}, lambda module: {}, {"api_token": TOKEN}, {}, False, False)
    assert result["msg"] == "ns.coll.mod failed in the controller's process: ValueError"
    assert "invocation" not in result and TOKEN not in json.dumps(result)


def test_the_work_sees_the_arguments_as_given_and_the_task_environment(monkeypatch) -> None:
    monkeypatch.delenv("DBPOOLS_IN_PROCESS_TEST", raising=False)
    monkeypatch.setenv("DBPOOLS_IN_PROCESS_KEPT", "before")
    seen: dict[str, Any] = {}

    def work(module: ModuleLike) -> dict[str, Any]:
        seen.update(given=dict(given_arguments()), new=os.environ.get("DBPOOLS_IN_PROCESS_TEST"), kept=os.environ["DBPOOLS_IN_PROCESS_KEPT"])
        return {"changed": False}

    run(work, {"name": "a"}, environment={"DBPOOLS_IN_PROCESS_TEST": "1", "DBPOOLS_IN_PROCESS_KEPT": "task"})
    assert seen == {"given": {"name": "a"}, "new": "1", "kept": "task"}
    # Put back: the variable the task added is gone, the one it replaced has its value again.
    assert "DBPOOLS_IN_PROCESS_TEST" not in os.environ and os.environ["DBPOOLS_IN_PROCESS_KEPT"] == "before"


def test_environment_is_put_back_after_an_error(monkeypatch) -> None:
    monkeypatch.delenv("DBPOOLS_IN_PROCESS_TEST", raising=False)
    with pytest.raises(RuntimeError), task_environment({"DBPOOLS_IN_PROCESS_TEST": 5}):
        assert os.environ["DBPOOLS_IN_PROCESS_TEST"] == "5"
        raise RuntimeError
    assert "DBPOOLS_IN_PROCESS_TEST" not in os.environ


def test_plain_gives_json_types() -> None:
    value = plain({Unsafe("k"): (Unsafe("v"), 1, 2.5, True, None), 3: [{"x": Unsafe("y")}], None: False})
    assert value == {"k": ["v", 1, 2.5, True, None], "3": [{"x": "y"}], "null": False}
    # The exact type is the point: a subclass is what plain() removes.
    assert {type(next(iter(value))), type(value["k"][0]), type(value["3"][0]["x"])} == {str}
