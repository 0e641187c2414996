# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool_info in-process against the fake API: project scope and connection fields, route and usage,
secrets only with include_secrets (never the admin's for an unpinned pool), services by state."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import CA_CERTIFICATE
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module, warnings_of
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.service_components import COMPONENTS

# --- project scope and connection fields ----------------------------------------------------------


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


# --- route and usage ------------------------------------------------------------------------------


ROUTES_TOKEN = "info-routes-T0KEN-0123456789abcdef"


@pytest.fixture
def routed(fake_api):
    fake_api.add_pool("proj", "pg-a", "app", username="app")
    fake_api.add_service("proj", "pg-a", components=COMPONENTS)
    return fake_api


def run_on_pg_a(fake_api, capsys, **args: Any) -> dict[str, Any]:
    full = {"project": "proj", "service_name": "pg-a", "api_url": fake_api.url, "api_token": ROUTES_TOKEN, "api_retries": 0, "timeout": 5}
    full.update(args)
    return run_module(aiven_connection_pool_info.main, full, capsys)


def test_without_route_and_usage_the_pools_own_address(routed, capsys):
    [pool] = run_on_pg_a(routed, capsys)["connection_pools"]
    assert (pool["host"], pool["port"], pool["uri"]) == ("pg.example.com", 12692, "postgres://app@pg.example.com:12692/app?sslmode=require")


@pytest.mark.parametrize("args, address", [
    ({"route": "dynamic"}, ("dyn.example.com", 12692)),
    ({"usage": "replica"}, ("replica-dyn.example.com", 12693)),
    ({"route": "dynamic", "usage": "replica", "include_secrets": True}, ("replica-dyn.example.com", 12693)),
])
def test_route_and_usage_pick_the_address_the_api_uri_stays(routed, capsys, args, address):
    [pool] = run_on_pg_a(routed, capsys, **args)["connection_pools"]
    assert (pool["host"], pool["port"]) == address
    assert f"@{address[0]}:{address[1]}/app?" in pool["uri"]
    if args.get("include_secrets"):
        assert "@pg.example.com:12692/app?" in pool["connection_uri"]


def test_an_address_the_service_lacks_fails_naming_the_service(routed, capsys):
    result = run_on_pg_a(routed, capsys, route="privatelink", usage="replica")
    assert result["failed"]
    assert result["msg"] == ("proj/pg-a/app: the service lists no PgBouncer address with route privatelink and usage replica "
                             "(it has: route dynamic usage primary, route public usage primary, route dynamic usage replica)")


@pytest.mark.parametrize("args", [{"route": "vpc"}, {"usage": "disaster_recovery"}])
def test_a_value_that_is_not_a_route_or_usage_fails_before_any_request(fake_api, capsys, args):
    result = run_on_pg_a(fake_api, capsys, **args)
    assert result["failed"] and "value of" in result["msg"] and list(args)[0] in result["msg"]
    assert fake_api.requests == []


# --- secrets and service states -------------------------------------------------------------------


SECRETS_TOKEN = "info-secrets-T0KEN-0123456789abcdef"


ADMIN_PASSWORD = "admin-Pw/0123"


APP_PASSWORD = "app-Pw:4567"


SECRETS = (PASSWORD, ADMIN_PASSWORD, APP_PASSWORD)


SERVICE = "GET /v1/project/proj/service/pg-a"


# The keys a pool has without include_secrets, and the ones include_secrets adds.
PLAIN_KEYS = {"project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size",
              "host", "port", "dbname", "user", "sslmode", "uri"}


SECRET_KEYS = {"password", "connection_uri"}


@pytest.fixture
def project_with_users(fake_api):
    """pg-a: a pinned pool and an unpinned one; pg-b: an unpinned pool; users listed with their passwords."""
    users = [{"username": "avnadmin", "password": ADMIN_PASSWORD, "type": "primary"},
             {"username": "app", "password": APP_PASSWORD, "type": "normal"}]
    fake_api.add_pool("proj", "pg-a", "pinned", username="app")
    fake_api.add_pool("proj", "pg-a", "shared")
    fake_api.add_pool("proj", "pg-b", "shared")
    fake_api.add_service("proj", "pg-a", users=users)
    fake_api.add_service("proj", "pg-b", users=users)
    return fake_api


def run_succeeding(fake_api, capsys, **args: Any) -> dict[str, Any]:
    full = {"project": "proj", "api_url": fake_api.url, "api_token": SECRETS_TOKEN, "api_retries": 0, "timeout": 5}
    full.update(args)
    result = run_module(aiven_connection_pool_info.main, full, capsys)
    assert not result.get("failed"), result.get("msg")
    assert SECRETS_TOKEN not in json.dumps(result)
    return result


def by_name(result: dict[str, Any], service: str = "pg-a") -> dict[str, dict[str, Any]]:
    return {pool["pool_name"]: pool for pool in result["connection_pools"] if pool["service_name"] == service}


def asked_for_secrets(fake_api) -> list[bool]:
    return ["include_secrets=true" in item.path for item in fake_api.requests]


@pytest.mark.parametrize("scope, calls", [({"service_name": "pg-a"}, [SERVICE]), ({}, [LIST])])
@pytest.mark.parametrize("api", ["readable", "unredacted"])
def test_default_asks_for_no_secret_and_returns_none(project_with_users, capsys, scope, calls, api):
    # "unredacted": the API puts the password into pool URIs unasked; the users carry theirs anyway.
    project_with_users.secrets = api
    result = run_succeeding(project_with_users, capsys, **scope)
    assert project_with_users.calls() == calls and asked_for_secrets(project_with_users) == [False]
    assert {key for pool in result["connection_pools"] for key in pool} == PLAIN_KEYS
    text = json.dumps(result)
    assert not [secret for secret in SECRETS if secret in text]
    assert "<redacted>" not in text and warnings_of(result) == []


def test_default_uri_names_the_user_without_a_password(project_with_users, capsys):
    pools = by_name(run_succeeding(project_with_users, capsys, service_name="pg-a"))
    assert pools["pinned"]["user"] == "app"
    assert pools["pinned"]["uri"] == "postgres://app@pg.example.com:12692/pinned?sslmode=require"
    assert pools["shared"]["uri"] == "postgres://pg.example.com:12692/shared?sslmode=require"


def test_default_with_unpinned_user_names_that_user_and_no_password(project_with_users, capsys):
    pools = by_name(run_succeeding(project_with_users, capsys, service_name="pg-a", unpinned_user="avnadmin"))
    assert pools["shared"]["user"] == "avnadmin" and "password" not in pools["shared"]
    assert pools["shared"]["uri"] == "postgres://avnadmin@pg.example.com:12692/shared?sslmode=require"


def test_default_needs_no_secrets_permission(project_with_users, capsys):
    project_with_users.secrets = "forbidden"
    result = run_succeeding(project_with_users, capsys)
    assert project_with_users.calls() == [LIST] and warnings_of(result) == []
    assert [pool["pool_name"] for pool in result["connection_pools"]] == ["pinned", "shared", "shared"]


@pytest.mark.parametrize("scope, calls", [({"service_name": "pg-a"}, [SERVICE]), ({}, [LIST])])
def test_include_secrets_asks_once_and_returns_the_pinned_pools_secrets(project_with_users, capsys, scope, calls):
    result = run_succeeding(project_with_users, capsys, include_secrets=True, **scope)
    assert project_with_users.calls() == calls and asked_for_secrets(project_with_users) == [True]
    assert {key for pool in result["connection_pools"] for key in pool} == PLAIN_KEYS | SECRET_KEYS
    pinned = by_name(result)["pinned"]
    assert pinned["password"] == APP_PASSWORD
    assert pinned["uri"] == "postgres://app:app-Pw%3A4567@pg.example.com:12692/pinned?sslmode=require"
    assert pinned["connection_uri"].startswith("postgres://app:")


def test_the_api_gives_an_unpinned_pool_the_admins_credentials(project_with_users):
    """The premise of the next tests: without it they would pass for nothing."""
    reply = requests.get(f"{project_with_users.url}/v1/project/proj/service/pg-a?include_secrets=true",
                         headers={"Authorization": f"aivenv1 {SECRETS_TOKEN}"}, timeout=5).json()
    shared = next(pool for pool in reply["service"]["connection_pools"] if pool["pool_name"] == "shared")
    assert shared["connection_uri"].startswith("postgres://avnadmin:")


@pytest.mark.parametrize("unpinned_user", [None, "app"])
def test_unpinned_pool_never_carries_the_admins_credentials(project_with_users, capsys, unpinned_user):
    result = run_succeeding(project_with_users, capsys, include_secrets=True, unpinned_user=unpinned_user)
    unpinned = [pool for pool in result["connection_pools"] if pool["username"] is None]
    assert len(unpinned) == 2
    for pool in unpinned:
        text = json.dumps(pool)
        assert "avnadmin" not in text and ADMIN_PASSWORD not in text and PASSWORD not in text
        assert pool["connection_uri"] == f"postgres://pg.example.com:12692/{pool['pool_name']}?sslmode=require"
    if unpinned_user:
        assert {(pool["user"], pool["password"]) for pool in unpinned} == {("app", APP_PASSWORD)}


def test_unpinned_pool_gets_the_admins_credentials_when_unpinned_user_names_the_admin(project_with_users, capsys):
    shared = by_name(run_succeeding(project_with_users, capsys, service_name="pg-a", include_secrets=True, unpinned_user="avnadmin"))["shared"]
    assert (shared["user"], shared["password"]) == ("avnadmin", ADMIN_PASSWORD)
    assert shared["uri"].startswith("postgres://avnadmin:admin-Pw%2F0123@")
    # The API's own URI is still returned without credentials: uri is the one built for the user named.
    assert "@" not in shared["connection_uri"]


def test_redacted_unpinned_uri_gives_no_warning(project_with_users, capsys):
    project_with_users.secrets = "redacted"
    result = run_succeeding(project_with_users, capsys, service_name="pg-a", pool_name=["shared"], include_secrets=True)
    assert "<redacted>" not in json.dumps(result) and warnings_of(result) == []


def test_powered_off_service_without_pools_is_named_with_its_state(fake_api, capsys):
    fake_api.add_service("proj", "pg-off", state="POWEROFF")
    result = run_succeeding(fake_api, capsys, service_name="pg-off")
    assert result["connection_pools"] == []
    assert result["services"] == [{"project": "proj", "service_name": "pg-off", "state": "POWEROFF"}]
    assert warnings_of(result) == ["service proj/pg-off is POWEROFF: its pools are not listed (Aiven may drop a service's pools "
                                   "while it is powered off), and nothing can connect to it until it is powered on"]
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg-off"]


def test_powered_off_service_in_a_project_is_warned_about_alone(project_with_users, capsys):
    project_with_users.add_service("proj", "pg-off", state="POWEROFF")
    result = run_succeeding(project_with_users, capsys)
    assert project_with_users.calls() == [LIST]
    assert [(item["service_name"], item["state"]) for item in result["services"]] == [
        ("pg-a", "RUNNING"), ("pg-b", "RUNNING"), ("pg-off", "POWEROFF")]
    (warning,) = warnings_of(result)
    assert warning.startswith("service proj/pg-off is POWEROFF: its pools are not listed")


def test_powered_off_service_that_still_lists_pools_returns_them_with_a_warning(project_with_users, capsys):
    project_with_users.add_service("proj", "pg-a", state="POWEROFF")
    result = run_succeeding(project_with_users, capsys, service_name="pg-a")
    assert [pool["pool_name"] for pool in result["connection_pools"]] == ["pinned", "shared"]
    assert warnings_of(result) == ["service proj/pg-a is POWEROFF: nothing can connect through its 2 pool(s) until it is powered on"]


def test_powered_off_service_without_connection_pools_is_no_failure(fake_api, capsys):
    fake_api.script("GET", "/v1/project/proj/service/pg-off", (200, {}, {"service": {"service_name": "pg-off", "state": "POWEROFF"}}))
    result = run_succeeding(fake_api, capsys, service_name="pg-off")
    assert result["connection_pools"] == [] and "is POWEROFF" in warnings_of(result)[0]


@pytest.mark.parametrize("state, shown", [("REBUILDING", "REBUILDING"), ("odd\x1b[31m", "'odd\\x1b[31m'")])
def test_a_service_that_is_not_running_is_named_with_its_state(fake_api, capsys, state, shown):
    fake_api.add_pool("proj", "pg-x", "app")
    fake_api.add_service("proj", "pg-x", state=state)
    result = run_succeeding(fake_api, capsys, service_name="pg-x")
    assert result["services"][0]["state"] == state
    assert warnings_of(result) == [f"service proj/pg-x is {shown}, not RUNNING: connections through its pools may fail until it runs again"]


def test_a_service_without_a_state_is_not_warned_about(fake_api, capsys):
    fake_api.script("GET", "/v1/project/proj/service/pg-x", (200, {}, {"service": {"service_name": "pg-x", "connection_pools": []}}))
    result = run_succeeding(fake_api, capsys, service_name="pg-x")
    assert result["services"] == [{"project": "proj", "service_name": "pg-x", "state": None}] and warnings_of(result) == []
