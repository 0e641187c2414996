# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info against inputs that could hold or flood a run, and the project CA's permission."""

from __future__ import annotations

import re
import time

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dbpools.aiven.plugins.module_utils import _transport
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import shown
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.fake_api import CA_CERTIFICATE, PROJECT_CA_PEM, error_reply

TOKEN = "lookup-bounds-T0KEN-0123456789abcdef"
READ = "/v1/project/proj/service/pg1?include_secrets=true"
CA = "/v1/project/proj/kms/ca"


def options(fake_api, **extra):
    return {"api_token": TOKEN, "api_url": fake_api.url, "api_retries": 0, "timeout": 5, **extra}


@pytest.fixture
def pool_a(fake_api):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    return fake_api


def test_a_fifo_as_ca_path_fails_at_once_naming_the_option(fake_api, lookup, warnings, fifo):
    started = time.monotonic()
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/a", **options(fake_api, ca_path=fifo))
    assert time.monotonic() - started < 5.0
    assert str(info.value) == f"ca_path {shown(fifo)} is a FIFO (named pipe), not a regular file: give the path of a PEM file"
    assert fake_api.requests == []


def test_a_bundle_variable_naming_a_fifo_fails_naming_the_variable(fake_api, lookup, warnings, fifo, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fifo)
    with pytest.raises(AnsibleLookupError, match="^the environment variable REQUESTS_CA_BUNDLE names .* which is a FIFO"):
        lookup("proj/pg1/a", **options(fake_api))
    assert fake_api.requests == []


def test_a_reply_over_the_cap_is_a_lookup_error_saying_the_cap(pool_a, lookup, warnings, monkeypatch):
    monkeypatch.setattr(_transport, "REPLY_MAX_BYTES", 50_000)
    pool_a.script("GET", READ, (200, {}, {"service": {"state": "RUNNING", "x": "a" * 50_000}}))
    with pytest.raises(AnsibleLookupError, match=r"cannot read service proj/pg1: .*HTTP 200: reply larger than 50000 bytes"):
        lookup("proj/pg1/a", **options(pool_a))


def test_an_error_nested_too_deep_is_a_lookup_error(pool_a, lookup, warnings):
    pool_a.script("GET", READ, (400, {}, '{"errors": ' + "[" * 300 + "]" * 300 + "}"))
    with pytest.raises(AnsibleLookupError, match="HTTP 400: Bad Request: reply nested deeper than 64 levels"):
        lookup("proj/pg1/a", **options(pool_a))


def test_a_malformed_reply_is_a_lookup_error(fake_api, lookup, warnings):
    fake_api.script("GET", READ, (200, {}, {"service": {"state": "RUNNING", "connection_pools": "a,b"}}))
    with pytest.raises(AnsibleLookupError, match="^unexpected reply for service proj/pg1: connection_pools must be a list"):
        lookup("proj/pg1/a", **options(fake_api))


def test_the_ca_refused_names_the_permission_and_the_ways_around_it(pool_a, lookup, warnings):
    pool_a.script("GET", CA, error_reply(403, "Forbidden"))
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/a", **options(pool_a, ca_cert=True))
    assert str(info.value) == (f"cannot read the CA certificate of project proj: GET {CA}: HTTP 403: Forbidden; reading it needs the "
                               "permission organization:projects:write, which tokens with a project role only may lack: use a token "
                               "that has it, or give the project's CA certificate as a file with project_ca_path")


def test_the_ca_comes_from_the_api_without_project_ca_path(pool_a, lookup, warnings):
    (result,) = lookup("proj/pg1/a", **options(pool_a, ca_cert=True))
    assert result["ca_cert"] == CA_CERTIFICATE
    assert pool_a.calls() == ["GET /v1/project/proj/service/pg1", "GET " + CA]


def test_project_ca_path_gives_the_ca_without_asking_the_api(pool_a, lookup, warnings, ca_file):
    results = lookup("proj/pg1/a", "proj/pg1/a", **options(pool_a, ca_cert=True, project_ca_path=ca_file))
    # Only the certificate: the key beside it in the file is not returned.
    assert [result["ca_cert"] for result in results] == [PROJECT_CA_PEM + "\n"] * 2
    assert pool_a.calls() == ["GET /v1/project/proj/service/pg1"]


def test_project_ca_path_needs_ca_cert(fake_api, lookup, warnings, ca_file):
    with pytest.raises(AnsibleLookupError, match="^project_ca_path applies to ca_cert: set ca_cert=true"):
        lookup("proj/pg1/a", **options(fake_api, project_ca_path=ca_file))
    assert fake_api.requests == []


def test_project_ca_path_is_the_ca_of_one_project(fake_api, lookup, warnings, ca_file):
    with pytest.raises(AnsibleLookupError, match="^project_ca_path is the CA of one project, but the terms name projects other, proj: "
                                                 "run one lookup per project$"):
        lookup("proj/pg1/a", "other/pg1/a", **options(fake_api, ca_cert=True, project_ca_path=ca_file))
    assert fake_api.requests == []


@pytest.mark.parametrize("case", ["fifo", "not-pem", "directory"])
def test_an_unusable_project_ca_path_fails_before_any_request(fake_api, lookup, warnings, tmp_path, fifo, case):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n", encoding="utf-8")
    path = {"fifo": fifo, "not-pem": str(not_pem), "directory": str(tmp_path)}[case]
    expected = {"fifo": "is a FIFO (named pipe)", "not-pem": "holds no PEM certificate", "directory": "is a directory"}[case]
    started = time.monotonic()
    with pytest.raises(AnsibleLookupError, match=re.escape(f"project_ca_path {shown(path)} {expected}")):
        lookup("proj/pg1/a", **options(fake_api, ca_cert=True, project_ca_path=path))
    assert time.monotonic() - started < 5.0
    assert fake_api.requests == []
