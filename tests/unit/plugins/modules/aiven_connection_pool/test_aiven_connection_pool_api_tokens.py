# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""api_tokens: each project read and written with its own token, the no-token error and a 401 naming where the token
came from, and no token anywhere in a result. Run in-process against the fake API; the whole result is checked.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module, warnings_of

DEFAULT = "default-T0KEN-0123456789abcdef"
TOKEN_A = "proj-a-T0KEN-0123456789abcdef"
TOKEN_B = "proj-b-T0KEN-fedcba9876543210"
ALL_TOKENS = (DEFAULT, TOKEN_A, TOKEN_B)
UNAUTHORIZED = "Missing (expired) db token"
ROLE_NAMES = {"api_token": "connection_pools_api_token", "api_tokens": "connection_pools_api_tokens"}


def services_args(fake_api: Any, **extra: Any) -> dict[str, Any]:
    """One pool on proj-a/pg-a and one on proj-b/pg-b (the services form), no retry."""
    args: dict[str, Any] = {
        "api_url": fake_api.url, "api_retries": 0, "api_timeout": 5,
        "services": [{"project": "proj-a", "service_name": "pg-a", "pools": [{"pool_name": "pool-a", "database_name": "appdb"}]},
                     {"project": "proj-b", "service_name": "pg-b", "pools": [{"pool_name": "pool-b", "database_name": "appdb"}]}],
    }
    args.update(extra)
    return args


def run(fake_api: Any, capsys: Any, main: Any = aiven_connection_pool.main, args: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    result = run_module(main, args or services_args(fake_api, **extra), capsys)
    shown = json.dumps(result)
    assert "Traceback" not in shown
    assert [token for token in ALL_TOKENS if token in shown] == []
    return result


def tokens_by_project(fake_api: Any) -> dict[str, set[str]]:
    sent: dict[str, set[str]] = {}
    for request in fake_api.requests:
        sent.setdefault(request.path.split("/")[3], set()).add(request.headers["Authorization"])
    return sent


def refuse(fake_api: Any, project: str, service: str) -> None:
    fake_api.script("GET", f"/v1/project/{project}/service/{service}", error_reply(401, UNAUTHORIZED))


def test_each_project_is_read_and_written_with_its_own_token(fake_api, capsys):
    result = run(fake_api, capsys, api_token=DEFAULT, api_tokens={"proj-a": TOKEN_A})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert tokens_by_project(fake_api) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {DEFAULT}"}}
    assert sorted(call.split(" ")[0] for call in fake_api.calls()) == ["GET", "GET", "GET", "GET", "POST", "POST"]
    assert set(fake_api.stored_pools("proj-a", "pg-a")) == {"pool-a"} and set(fake_api.stored_pools("proj-b", "pg-b")) == {"pool-b"}


def test_api_tokens_alone_serve_every_project_they_name(fake_api, capsys):
    result = run(fake_api, capsys, api_tokens={"proj-a": TOKEN_A, "proj-b": TOKEN_B})
    assert not result.get("failed"), result.get("msg")
    assert tokens_by_project(fake_api) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {TOKEN_B}"}}
    # no_log on the mapping masks each value and keeps the project names.
    masked = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["invocation"]["module_args"]["api_tokens"] == {"proj-a": masked, "proj-b": masked}


@pytest.mark.parametrize(("names", "message"), [
    (None, "no API token for project proj-b: set api_tokens[proj-b] or api_token, or the environment variable AIVEN_TOKEN or "
           "AIVEN_AUTH_TOKEN"),
    (ROLE_NAMES, "no API token for project proj-b: set connection_pools_api_tokens[proj-b] or connection_pools_api_token, or the "
                 "environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN"),
])
def test_a_project_with_neither_token_fails_before_any_request_naming_it(fake_api, capsys, names, message):
    result = run(fake_api, capsys, api_tokens={"proj-a": TOKEN_A}, variable_names=names)
    assert result["failed"] is True
    assert result["msg"] == message
    assert result["failure"]["attempts"] == 0
    assert fake_api.requests == []


@pytest.mark.parametrize(("given", "environ", "source"), [
    ({"api_tokens": {"proj-a": TOKEN_A}, "api_token": DEFAULT}, {}, "api_tokens[proj-a]"),
    ({"api_tokens": {"proj-a": TOKEN_A}, "api_token": DEFAULT, "variable_names": ROLE_NAMES}, {}, "connection_pools_api_tokens[proj-a]"),
    ({"api_token": DEFAULT}, {}, "the task's api_token (or module_defaults)"),
    ({"api_token": DEFAULT, "variable_names": ROLE_NAMES}, {}, "connection_pools_api_token (or module_defaults)"),
    ({}, {"AIVEN_TOKEN": DEFAULT}, "the environment variable AIVEN_TOKEN"),
    ({}, {"AIVEN_AUTH_TOKEN": DEFAULT}, "the environment variable AIVEN_AUTH_TOKEN"),
    ({"api_token": DEFAULT}, {"AIVEN_PROJECT_TOKENS": json.dumps({"proj-a": TOKEN_A})},
     "the environment variable AIVEN_PROJECT_TOKENS (project proj-a)"),
], ids=["api_tokens", "role-api_tokens", "api_token", "role-api_token", "AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_PROJECT_TOKENS"])
def test_a_401_says_where_the_refused_token_came_from(fake_api, capsys, monkeypatch, given, environ, source):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    refuse(fake_api, "proj-a", "pg-a")
    result = run(fake_api, capsys, **given)
    assert result["failed"] is True
    assert result["msg"] == (f"cannot read service proj-a/pg-a: GET /v1/project/proj-a/service/pg-a: HTTP 401: {UNAUTHORIZED}; "
                             f"the API token is from {source}: check that it is valid, not expired or revoked")
    assert result["failure"]["status"] == 401 and result["failure"]["message"] == UNAUTHORIZED


def test_tokens_from_aiven_project_tokens_are_used_and_masked(fake_api, capsys, monkeypatch):
    monkeypatch.setenv("AIVEN_PROJECT_TOKENS", json.dumps({"proj-a": TOKEN_A, "proj-b": TOKEN_B}))
    result = run(fake_api, capsys)
    assert not result.get("failed"), result.get("msg")
    assert tokens_by_project(fake_api) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {TOKEN_B}"}}


def test_a_token_echoed_by_the_api_is_masked_in_the_message(fake_api, capsys):
    fake_api.script("GET", "/v1/project/proj-b/service/pg-b", error_reply(401, f"token {TOKEN_B} is unknown"))
    result = run(fake_api, capsys, api_tokens={"proj-a": TOKEN_A, "proj-b": TOKEN_B})
    assert result["failed"] is True and "api_tokens[proj-b]" in result["msg"]


def test_the_info_module_reads_its_project_with_that_projects_token(fake_api, capsys):
    args = {"api_url": fake_api.url, "api_retries": 0, "api_timeout": 5, "project": "proj-b", "service_name": "pg-b",
            "api_token": DEFAULT, "api_tokens": {"proj-a": TOKEN_A, "proj-b": TOKEN_B}}
    result = run(fake_api, capsys, aiven_connection_pool_info.main, args)
    assert not result.get("failed"), result.get("msg")
    assert tokens_by_project(fake_api) == {"proj-b": {f"aivenv1 {TOKEN_B}"}}
    refuse(fake_api, "proj-b", "pg-b")
    result = run(fake_api, capsys, aiven_connection_pool_info.main, args)
    assert "the API token is from api_tokens[proj-b]" in result["msg"]


def test_variable_names_for_the_tokens_go_with_every_form_the_others_with_definitions_only(fake_api, capsys):
    single = {"api_url": fake_api.url, "api_retries": 0, "api_timeout": 5, "project": "proj-a", "service_name": "pg-a",
              "pool_name": "pool-a", "database_name": "appdb", "api_tokens": {"proj-a": TOKEN_A}}
    result = run(fake_api, capsys, args=dict(single, variable_names=ROLE_NAMES))
    assert not result.get("failed"), result.get("msg")
    assert warnings_of(result) == []  # no "did not set no_log" for the names of the token variables
    result = run(fake_api, capsys, args=dict(single, variable_names={"project": "connection_pools_project"}))
    assert result["msg"] == "variable_names.project only go with definitions"


@pytest.mark.parametrize("value", ["prod-project: " + TOKEN_A, json.dumps([TOKEN_A]), "{" + TOKEN_A])
def test_aiven_project_tokens_that_is_no_json_object_fails_naming_the_variable_not_its_value(fake_api, capsys, monkeypatch, value):
    monkeypatch.setenv("AIVEN_PROJECT_TOKENS", value)
    result = run(fake_api, capsys, api_token=DEFAULT)
    assert result["msg"] == ('the environment variable AIVEN_PROJECT_TOKENS must be a JSON object from project name to API token, '
                             'such as {"prod-project": "TOKEN"}')
    assert fake_api.requests == []


def test_api_tokens_on_the_task_win_over_aiven_project_tokens(fake_api, capsys, monkeypatch):
    monkeypatch.setenv("AIVEN_PROJECT_TOKENS", "not json")
    result = run(fake_api, capsys, api_tokens={"proj-a": TOKEN_A, "proj-b": TOKEN_B})
    assert not result.get("failed"), result.get("msg")
    assert tokens_by_project(fake_api) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {TOKEN_B}"}}
