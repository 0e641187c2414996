# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool_info at project scope and its connection fields (uri, user, ca_cert, unpinned_user).

Run in-process against the fake API; request counts are read from what it recorded.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.fake_api import CA_CERTIFICATE
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.module_runner import run_module

TOKEN = "info-T0KEN-0123456789abcdef"
USER_PASSWORD = "app-Us3r/pw"
LIST = "GET /v1/project/proj/service"


@pytest.fixture
def project(fake_api):
    """Two PostgreSQL services with pools, a Kafka service, users with passwords."""
    users = [{"username": "avnadmin", "password": "admin-pw"}, {"username": "app", "password": USER_PASSWORD}]
    fake_api.add_pool("proj", "pg-b", "reports", username="app")
    fake_api.add_pool("proj", "pg-b", "app")
    fake_api.add_pool("proj", "pg-a", "app")
    fake_api.add_service("proj", "pg-a", users=users)
    fake_api.add_service("proj", "pg-b", users=users)
    fake_api.add_service("proj", "kafka-1", service_type="kafka", connection_pools=[{"pool_name": "not-a-pool"}])
    return fake_api


def run(fake_api, capsys, **args: Any) -> dict[str, Any]:
    full = {"project": "proj", "api_url": fake_api.url, "api_token": TOKEN, "api_retries": 0, "timeout": 5}
    full.update(args)
    return run_module(aiven_connection_pool_info.main, full, capsys)


def identities(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(pool["project"], pool["service_name"], pool["pool_name"]) for pool in result["connection_pools"]]


def test_without_service_name_every_postgresql_service_in_one_request(project, capsys):
    result = run(project, capsys)
    assert not result.get("failed"), result.get("msg")
    assert project.calls() == [LIST]
    assert "include_secrets" not in project.requests[0].path
    # Services in the order of the list (pg-b first: the fake lists them as they were added), pools in the order of each service.
    assert identities(result) == [("proj", "pg-b", "reports"), ("proj", "pg-b", "app"), ("proj", "pg-a", "app")]
    assert result["services"] == [{"project": "proj", "service_name": name, "state": "RUNNING"} for name in ("pg-b", "pg-a")]
    assert result["changed"] is False and "ca_cert" not in result


def test_pool_name_filters_across_services(project, capsys):
    result = run(project, capsys, pool_name=["app"])
    assert identities(result) == [("proj", "pg-b", "app"), ("proj", "pg-a", "app")]
    assert project.calls() == [LIST]


def test_pool_name_filters_with_service_name_in_one_service_read(project, capsys):
    result = run(project, capsys, service_name="pg-b", pool_name=["reports", "missing"])
    assert identities(result) == [("proj", "pg-b", "reports")]
    assert project.calls() == ["GET /v1/project/proj/service/pg-b"]


def test_pinned_pool_gets_its_user_password_and_a_uri_built_from_the_parts(project, capsys):
    pool = run(project, capsys, service_name="pg-b", pool_name=["reports"], include_secrets=True)["connection_pools"][0]
    assert {key: pool[key] for key in ("host", "port", "dbname", "user", "password", "sslmode")} == {
        "host": "pg.example.com", "port": 12692, "dbname": "reports", "user": "app", "password": USER_PASSWORD, "sslmode": "require"}
    assert pool["uri"] == "postgres://app:app-Us3r%2Fpw@pg.example.com:12692/reports?sslmode=require"
    # The existing keys stay.
    assert pool["database_name"] == "appdb" and pool["username"] == "app" and pool["connection_uri"].startswith("postgres://app:")


def test_unpinned_pool_has_no_credentials_not_the_admins(project, capsys):
    pool = run(project, capsys, service_name="pg-a", include_secrets=True)["connection_pools"][0]
    assert pool["user"] == "" and pool["password"] == ""
    assert pool["uri"] == "postgres://pg.example.com:12692/app?sslmode=require"
    assert "admin-pw" not in json.dumps(pool["uri"])


def test_unpinned_user_fills_in_that_user_for_unpinned_pools_only(project, capsys):
    result = run(project, capsys, unpinned_user="app", include_secrets=True)
    by_identity = dict(zip(identities(result), result["connection_pools"]))
    assert by_identity[("proj", "pg-a", "app")]["user"] == "app"
    assert by_identity[("proj", "pg-a", "app")]["password"] == USER_PASSWORD
    assert by_identity[("proj", "pg-a", "app")]["uri"].startswith("postgres://app:app-Us3r%2Fpw@")
    assert by_identity[("proj", "pg-b", "reports")]["user"] == "app"


def test_unpinned_user_that_is_not_a_user_fails_listing_the_users(project, capsys):
    result = run(project, capsys, service_name="pg-a", unpinned_user="ghost")
    assert result["failed"]
    assert "proj/pg-a/app" in result["msg"] and "ghost" in result["msg"] and "avnadmin, app" in result["msg"]
    assert USER_PASSWORD not in json.dumps(result) and TOKEN not in json.dumps(result)


def test_ca_cert_is_one_more_request(project, capsys):
    result = run(project, capsys, ca_cert=True)
    assert result["ca_cert"] == CA_CERTIFICATE
    assert project.calls() == [LIST, "GET /v1/project/proj/kms/ca"]


def test_ca_cert_read_failure_fails_naming_the_project(project, capsys):
    project.script("GET", "/v1/project/proj/kms/ca", (403, {}, {"message": "Forbidden"}))
    result = run(project, capsys, ca_cert=True)
    assert result["failed"] and "CA certificate of project proj" in result["msg"]
    assert result["failure"]["status"] == 403
    assert USER_PASSWORD not in json.dumps(result)


def test_token_without_secrets_reads_the_list_again_and_warns(project, capsys):
    project.secrets = "forbidden"
    result = run(project, capsys, include_secrets=True)
    assert project.calls() == [LIST, LIST]
    assert not result.get("failed"), result.get("msg")
    assert any("may not read secrets" in str(warning) for warning in result.get("warnings", []))
    assert PASSWORD not in json.dumps(result)


@pytest.mark.parametrize("args, expected", [
    ({"project": "bad project"}, "project must be"),
    ({"service_name": ""}, "service_name"),
    ({"pool_name": [""]}, "pool_name[0]"),
    ({"unpinned_user": ""}, "unpinned_user"),
])
def test_bad_options_fail_before_any_request(project, capsys, args, expected):
    result = run(project, capsys, **args)
    assert result["failed"] and expected in result["msg"]
    assert project.calls() == []
