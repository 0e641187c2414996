# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool_info: secrets only with include_secrets, never the admin's for an unpinned pool, services by state.

Run in-process against the fake API, whose requests are counted. The fake's users carry
their passwords in every reply (as an API that does not redact would), and its unpinned
pools' URIs carry the admin's credentials (the emulator's default, as Aiven's operator
fills them in): whatever the module returns without include_secrets must still hold none.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.module_runner import run_module, warnings_of

TOKEN = "info-secrets-T0KEN-0123456789abcdef"
ADMIN_PASSWORD = "admin-Pw/0123"
APP_PASSWORD = "app-Pw:4567"
SECRETS = (PASSWORD, ADMIN_PASSWORD, APP_PASSWORD)
LIST = "GET /v1/project/proj/service"
SERVICE = "GET /v1/project/proj/service/pg-a"
# The keys a pool has without include_secrets, and the ones include_secrets adds.
PLAIN_KEYS = {"project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size",
              "host", "port", "dbname", "user", "sslmode", "uri"}
SECRET_KEYS = {"password", "connection_uri"}


@pytest.fixture
def project(fake_api):
    """pg-a: a pinned pool and an unpinned one; pg-b: an unpinned pool; users listed with their passwords."""
    users = [{"username": "avnadmin", "password": ADMIN_PASSWORD, "type": "primary"},
             {"username": "app", "password": APP_PASSWORD, "type": "normal"}]
    fake_api.add_pool("proj", "pg-a", "pinned", username="app")
    fake_api.add_pool("proj", "pg-a", "shared")
    fake_api.add_pool("proj", "pg-b", "shared")
    fake_api.add_service("proj", "pg-a", users=users)
    fake_api.add_service("proj", "pg-b", users=users)
    return fake_api


def run(fake_api, capsys, **args: Any) -> dict[str, Any]:
    full = {"project": "proj", "api_url": fake_api.url, "api_token": TOKEN, "api_retries": 0, "timeout": 5}
    full.update(args)
    result = run_module(aiven_connection_pool_info.main, full, capsys)
    assert not result.get("failed"), result.get("msg")
    assert TOKEN not in json.dumps(result)
    return result


def by_name(result: dict[str, Any], service: str = "pg-a") -> dict[str, dict[str, Any]]:
    return {pool["pool_name"]: pool for pool in result["connection_pools"] if pool["service_name"] == service}


def asked_for_secrets(fake_api) -> list[bool]:
    return ["include_secrets=true" in item.path for item in fake_api.requests]


# --- include_secrets: false (the default) --------------------------------------------------


@pytest.mark.parametrize("scope, calls", [({"service_name": "pg-a"}, [SERVICE]), ({}, [LIST])])
@pytest.mark.parametrize("api", ["readable", "unredacted"])
def test_default_asks_for_no_secret_and_returns_none(project, capsys, scope, calls, api):
    # "unredacted": the API puts the password into pool URIs unasked; the users carry theirs anyway.
    project.secrets = api
    result = run(project, capsys, **scope)
    assert project.calls() == calls and asked_for_secrets(project) == [False]
    assert {key for pool in result["connection_pools"] for key in pool} == PLAIN_KEYS
    text = json.dumps(result)
    assert not [secret for secret in SECRETS if secret in text]
    assert "<redacted>" not in text and warnings_of(result) == []


def test_default_uri_names_the_user_without_a_password(project, capsys):
    pools = by_name(run(project, capsys, service_name="pg-a"))
    assert pools["pinned"]["user"] == "app"
    assert pools["pinned"]["uri"] == "postgres://app@pg.example.com:12692/pinned?sslmode=require"
    assert pools["shared"]["uri"] == "postgres://pg.example.com:12692/shared?sslmode=require"


def test_default_with_unpinned_user_names_that_user_and_no_password(project, capsys):
    pools = by_name(run(project, capsys, service_name="pg-a", unpinned_user="avnadmin"))
    assert pools["shared"]["user"] == "avnadmin" and "password" not in pools["shared"]
    assert pools["shared"]["uri"] == "postgres://avnadmin@pg.example.com:12692/shared?sslmode=require"


def test_default_needs_no_secrets_permission(project, capsys):
    project.secrets = "forbidden"
    result = run(project, capsys)
    assert project.calls() == [LIST] and warnings_of(result) == []
    assert [pool["pool_name"] for pool in result["connection_pools"]] == ["pinned", "shared", "shared"]


# --- include_secrets: true ------------------------------------------------------------------


@pytest.mark.parametrize("scope, calls", [({"service_name": "pg-a"}, [SERVICE]), ({}, [LIST])])
def test_include_secrets_asks_once_and_returns_the_pinned_pools_secrets(project, capsys, scope, calls):
    result = run(project, capsys, include_secrets=True, **scope)
    assert project.calls() == calls and asked_for_secrets(project) == [True]
    assert {key for pool in result["connection_pools"] for key in pool} == PLAIN_KEYS | SECRET_KEYS
    pinned = by_name(result)["pinned"]
    assert pinned["password"] == APP_PASSWORD
    assert pinned["uri"] == "postgres://app:app-Pw%3A4567@pg.example.com:12692/pinned?sslmode=require"
    assert pinned["connection_uri"].startswith("postgres://app:")


def test_the_api_gives_an_unpinned_pool_the_admins_credentials(project):
    """The premise of the next tests: without it they would pass for nothing."""
    reply = requests.get(f"{project.url}/v1/project/proj/service/pg-a?include_secrets=true",
                         headers={"Authorization": f"aivenv1 {TOKEN}"}, timeout=5).json()
    shared = next(pool for pool in reply["service"]["connection_pools"] if pool["pool_name"] == "shared")
    assert shared["connection_uri"].startswith("postgres://avnadmin:")


@pytest.mark.parametrize("unpinned_user", [None, "app"])
def test_unpinned_pool_never_carries_the_admins_credentials(project, capsys, unpinned_user):
    result = run(project, capsys, include_secrets=True, unpinned_user=unpinned_user)
    unpinned = [pool for pool in result["connection_pools"] if pool["username"] is None]
    assert len(unpinned) == 2
    for pool in unpinned:
        text = json.dumps(pool)
        assert "avnadmin" not in text and ADMIN_PASSWORD not in text and PASSWORD not in text
        assert pool["connection_uri"] == f"postgres://pg.example.com:12692/{pool['pool_name']}?sslmode=require"
    if unpinned_user:
        assert {(pool["user"], pool["password"]) for pool in unpinned} == {("app", APP_PASSWORD)}


def test_unpinned_pool_gets_the_admins_credentials_when_unpinned_user_names_the_admin(project, capsys):
    shared = by_name(run(project, capsys, service_name="pg-a", include_secrets=True, unpinned_user="avnadmin"))["shared"]
    assert (shared["user"], shared["password"]) == ("avnadmin", ADMIN_PASSWORD)
    assert shared["uri"].startswith("postgres://avnadmin:admin-Pw%2F0123@")
    # The API's own URI is still returned without credentials: uri is the one built for the user named.
    assert "@" not in shared["connection_uri"]


def test_redacted_unpinned_uri_gives_no_warning(project, capsys):
    project.secrets = "redacted"
    result = run(project, capsys, service_name="pg-a", pool_name=["shared"], include_secrets=True)
    assert "<redacted>" not in json.dumps(result) and warnings_of(result) == []


# --- service state ---------------------------------------------------------------------------


def test_powered_off_service_without_pools_is_named_with_its_state(fake_api, capsys):
    fake_api.add_service("proj", "pg-off", state="POWEROFF")
    result = run(fake_api, capsys, service_name="pg-off")
    assert result["connection_pools"] == []
    assert result["services"] == [{"project": "proj", "service_name": "pg-off", "state": "POWEROFF"}]
    assert warnings_of(result) == ["service proj/pg-off is POWEROFF: its pools are not listed (Aiven may drop a service's pools "
                                   "while it is powered off), and nothing can connect to it until it is powered on"]
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg-off"]


def test_powered_off_service_in_a_project_is_warned_about_alone(project, capsys):
    project.add_service("proj", "pg-off", state="POWEROFF")
    result = run(project, capsys)
    assert project.calls() == [LIST]
    assert [(item["service_name"], item["state"]) for item in result["services"]] == [
        ("pg-a", "RUNNING"), ("pg-b", "RUNNING"), ("pg-off", "POWEROFF")]
    (warning,) = warnings_of(result)
    assert warning.startswith("service proj/pg-off is POWEROFF: its pools are not listed")


def test_powered_off_service_that_still_lists_pools_returns_them_with_a_warning(project, capsys):
    project.add_service("proj", "pg-a", state="POWEROFF")
    result = run(project, capsys, service_name="pg-a")
    assert [pool["pool_name"] for pool in result["connection_pools"]] == ["pinned", "shared"]
    assert warnings_of(result) == ["service proj/pg-a is POWEROFF: nothing can connect through its 2 pool(s) until it is powered on"]


def test_powered_off_service_without_connection_pools_is_no_failure(fake_api, capsys):
    fake_api.script("GET", "/v1/project/proj/service/pg-off", (200, {}, {"service": {"service_name": "pg-off", "state": "POWEROFF"}}))
    result = run(fake_api, capsys, service_name="pg-off")
    assert result["connection_pools"] == [] and "is POWEROFF" in warnings_of(result)[0]


@pytest.mark.parametrize("state, shown", [("REBUILDING", "REBUILDING"), ("odd\x1b[31m", "'odd\\x1b[31m'")])
def test_a_service_that_is_not_running_is_named_with_its_state(fake_api, capsys, state, shown):
    fake_api.add_pool("proj", "pg-x", "app")
    fake_api.add_service("proj", "pg-x", state=state)
    result = run(fake_api, capsys, service_name="pg-x")
    assert result["services"][0]["state"] == state
    assert warnings_of(result) == [f"service proj/pg-x is {shown}, not RUNNING: connections through its pools may fail until it runs again"]


def test_a_service_without_a_state_is_not_warned_about(fake_api, capsys):
    fake_api.script("GET", "/v1/project/proj/service/pg-x", (200, {}, {"service": {"service_name": "pg-x", "connection_pools": []}}))
    result = run(fake_api, capsys, service_name="pg-x")
    assert result["services"] == [{"project": "proj", "service_name": "pg-x", "state": None}] and warnings_of(result) == []
