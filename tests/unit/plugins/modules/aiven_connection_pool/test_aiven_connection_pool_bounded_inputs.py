# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both modules against inputs that could hold or flood a run, and the project CA's permission.

Every failure carries ``failure``: an API's (its status), a reply the contract does not
allow (status 200), or a problem found before any request (status null, attempts 0).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _transport
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import CA_CERTIFICATE, PROJECT_CA_PEM, error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module

TOKEN = "bounds-T0KEN-0123456789abcdef"
SERVICE = "/v1/project/proj/service/pg"
CA = "/v1/project/proj/kms/ca"
MAIN = {"pool": aiven_connection_pool.main, "info": aiven_connection_pool_info.main}
MODULE_ARGS = {"pool": {"pool_name": "x", "state": "absent"}, "info": {}}
TOO_DEEP = "reply nested deeper than 64 levels of arrays and objects (the most this collection reads); not read"
PERMISSION_HINT = ("reading it needs the permission organization:projects:write, which tokens with a project role only may lack: "
                   "use a token that has it, or give the project's CA certificate as a file with project_ca_path")


def run(fake_api: Any, capsys: Any, module: str, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"api_url": fake_api.url, "api_token": TOKEN, "project": "proj", "service_name": "pg",
                            "api_retries": 0, "timeout": 5, **MODULE_ARGS[module], **overrides}
    result = run_module(MAIN[module], args, capsys)
    assert "exception" not in result and "Traceback" not in json.dumps(result)
    assert TOKEN not in json.dumps(result)
    return result


def assert_failed_before_any_request(result: dict[str, Any], fake_api: Any) -> None:
    assert result["failed"] is True
    assert fake_api.requests == []
    failure = result["failure"]
    assert (failure["status"], failure["attempts"], failure["message"]) == (None, 0, result["msg"])


# -- failures found before any request carry failure too --------------------------------


@pytest.mark.parametrize("module", ["pool", "info"])
@pytest.mark.parametrize(("overrides", "message"), [
    ({"project": ""}, "project must not be empty"),
    ({"timeout": 0}, "api_timeout must be more than 0"),
    ({"no_such_option": 1}, "Unsupported parameters"),
    ({"api_token": ""}, "no API token"),
])
def test_an_option_failure_carries_failure(fake_api, capsys, module, overrides, message):
    result = run(fake_api, capsys, module, **overrides)
    assert message in result["msg"]
    assert_failed_before_any_request(result, fake_api)


@pytest.mark.parametrize("module", ["pool", "info"])
def test_a_fifo_as_ca_path_fails_at_once_naming_the_option(fake_api, capsys, module, fifo):
    started = time.monotonic()
    result = run(fake_api, capsys, module, ca_path=fifo)
    assert time.monotonic() - started < 5.0
    assert result["msg"] == f"ca_path {shown(fifo)} is a FIFO (named pipe), not a regular file: give the path of a PEM file"
    assert_failed_before_any_request(result, fake_api)


@pytest.mark.parametrize("module", ["pool", "info"])
def test_a_directory_as_ca_path_fails_naming_the_option(fake_api, capsys, module, tmp_path):
    result = run(fake_api, capsys, module, ca_path=str(tmp_path))
    assert result["msg"].startswith(f"ca_path {shown(str(tmp_path))} is a directory, not a regular file")
    assert_failed_before_any_request(result, fake_api)


# -- replies too large or too deep -----------------------------------------------------------


@pytest.mark.parametrize("module", ["pool", "info"])
def test_a_reply_over_the_cap_fails_with_its_status_and_the_cap(fake_api, capsys, monkeypatch, module):
    monkeypatch.setattr(_transport, "REPLY_MAX_BYTES", 50_000)
    fake_api.script("GET", SERVICE, (200, {}, {"service": {"state": "RUNNING", "connection_pools": [], "x": "a" * 50_000}}))
    result = run(fake_api, capsys, module)
    assert result["failed"] is True and not result.get("changed")
    assert "reply larger than 50000 bytes, the most read of one reply" in result["msg"]
    assert result["failure"]["status"] == 200 and "50000 bytes" in result["failure"]["message"]


@pytest.mark.parametrize("module", ["pool", "info"])
@pytest.mark.parametrize("status", [200, 400])
def test_a_reply_nested_too_deep_fails_with_its_status(fake_api, capsys, module, status):
    # The case that used to end in "maximum recursion depth exceeded": Aiven's error shape, errors 300 deep.
    body = '{"message": "m", "errors": ' + "[" * 300 + "{}" + "]" * 300 + "}"
    fake_api.script("GET", SERVICE, (status, {}, body))
    result = run(fake_api, capsys, module)
    assert result["failed"] is True
    assert TOO_DEEP in result["msg"]
    assert result["failure"]["status"] == status and result["failure"]["errors"] == []


# -- the info module on a malformed reply ------------------------------------------------------


@pytest.mark.parametrize(("pools", "problem"), [
    ("a,b", "connection_pools must be a list, got 'a,b'"),
    (["a"], "connection_pools[0] must be an object, got 'a'"),
    ([{"database": "appdb"}], "connection_pools[0] has no pool_name"),
])
def test_info_on_a_malformed_reply_fails_with_failure(fake_api, capsys, pools, problem):
    fake_api.script("GET", SERVICE, (200, {}, {"service": {"service_name": "pg", "state": "RUNNING", "connection_pools": pools}}))
    result = run(fake_api, capsys, "info")
    assert result["msg"] == f"unexpected reply for service proj/pg: {problem}"
    assert result["failure"] == {"status": 200, "message": result["msg"], "errors": [], "method": "", "path": "",
                                 "error_code": None, "attempts": 1}


def test_info_on_a_reply_without_a_service_fails_with_failure(fake_api, capsys):
    fake_api.script("GET", SERVICE, (200, {}, {"services": []}))
    result = run(fake_api, capsys, "info")
    assert result["msg"].endswith("HTTP 200: reply has no 'service' object")
    assert result["failure"]["status"] == 200 and result["failure"]["path"] == SERVICE


def test_info_on_pool_details_it_cannot_build_fails_with_failure(fake_api, capsys):
    fake_api.add_pool("proj", "pg", "shared")
    result = run(fake_api, capsys, "info", unpinned_user="ghost")
    assert result["failed"] is True and "ghost" in result["msg"]
    assert result["failure"]["message"] == result["msg"]


# -- the project CA ----------------------------------------------------------------------------


def test_info_names_the_permission_when_the_ca_is_refused(fake_api, capsys):
    fake_api.script("GET", CA, error_reply(403, "Forbidden"))
    result = run(fake_api, capsys, "info", ca_cert=True)
    assert result["msg"] == f"cannot read the CA certificate of project proj: GET {CA}: HTTP 403: Forbidden; {PERMISSION_HINT}"
    assert result["failure"]["status"] == 403 and result["failure"]["path"] == CA


def test_info_gives_other_ca_failures_without_the_hint(fake_api, capsys):
    fake_api.script("GET", CA, error_reply(404, "Project does not exist"))
    result = run(fake_api, capsys, "info", ca_cert=True)
    assert result["msg"].endswith("HTTP 404: Project does not exist")
    assert result["failure"]["status"] == 404


def test_info_reads_the_ca_from_the_api_without_project_ca_path(fake_api, capsys):
    result = run(fake_api, capsys, "info", ca_cert=True)
    assert result["ca_cert"] == CA_CERTIFICATE
    assert fake_api.calls() == ["GET " + SERVICE, "GET " + CA]


def test_info_takes_the_ca_from_project_ca_path_without_asking_the_api(fake_api, capsys, ca_file):
    result = run(fake_api, capsys, "info", ca_cert=True, project_ca_path=ca_file)
    assert result.get("failed") is not True, result.get("msg")
    # Only the certificate: the key beside it in the file is not returned.
    assert result["ca_cert"] == PROJECT_CA_PEM + "\n"
    assert fake_api.calls() == ["GET " + SERVICE]


def test_info_refuses_project_ca_path_without_ca_cert(fake_api, capsys, ca_file):
    result = run(fake_api, capsys, "info", project_ca_path=ca_file)
    assert result["msg"] == "project_ca_path applies to ca_cert: set ca_cert: true, or leave project_ca_path out"
    assert_failed_before_any_request(result, fake_api)


@pytest.mark.parametrize("case", ["fifo", "not-pem", "missing"])
def test_info_refuses_an_unusable_project_ca_path_before_any_request(fake_api, capsys, tmp_path, fifo, case):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n", encoding="utf-8")
    path = {"fifo": fifo, "not-pem": str(not_pem), "missing": str(tmp_path / "gone.pem")}[case]
    expected = {"fifo": "is a FIFO (named pipe), not a regular file", "not-pem": "holds no PEM certificate", "missing": "does not exist"}[case]
    result = run(fake_api, capsys, "info", ca_cert=True, project_ca_path=path)
    assert result["msg"].startswith(f"project_ca_path {shown(path)} {expected}")
    assert_failed_before_any_request(result, fake_api)
