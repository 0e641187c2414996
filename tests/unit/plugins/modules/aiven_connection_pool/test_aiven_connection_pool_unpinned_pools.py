# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One shape for an unpinned pool in aiven_connection_pool and aiven_connection_pool_info, and never the admin's credentials.

The setting ``username`` is null (declared as "" to unpin); ``user`` is "" (no user of its
own); ``sslmode`` is the TLS mode the pool's URI names, as for a pinned pool. Run
in-process against the fake API, whose unpinned pools' URIs carry the admin's credentials
(as Aiven's operator fills them in).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module

TOKEN = "unpinned-T0KEN-0123456789abcdef"
ADMIN_PASSWORD = "admin-Pw/0123"
SERVICE = "/v1/project/proj/service/pg"
# The keys both modules return for a pool (the info module adds uri).
SHARED_KEYS = ("project", "service_name", "pool_name", "database_name", "username", "pool_mode", "pool_size",
               "host", "port", "dbname", "user", "sslmode")


def run(module: Any, fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    arguments = {"api_url": fake_api.url, "api_token": TOKEN, "project": "proj", "service_name": "pg", "api_retries": 0, "timeout": 5}
    result = run_module(module.main, dict(arguments, **args), capsys)
    assert not result.get("failed"), result.get("msg")
    return result


def no_admin_credentials(result: dict[str, Any]) -> bool:
    text = json.dumps({key: value for key, value in result.items() if key != "invocation"})
    return "avnadmin" not in text and PASSWORD not in text and ADMIN_PASSWORD not in text


@pytest.fixture
def service(fake_api):
    fake_api.add_service("proj", "pg", users=[{"username": "avnadmin", "password": ADMIN_PASSWORD, "type": "primary"},
                                              {"username": "app", "password": "app-pw", "type": "normal"}])
    fake_api.add_pool("proj", "pg", "shared")
    fake_api.add_pool("proj", "pg", "pinned", username="app")
    return fake_api


def test_the_api_gives_an_unpinned_pool_the_admins_credentials(service, capsys):
    """The premise of the secrets tests below: without it they would pass for nothing."""
    reply = requests.get(f"{service.url}{SERVICE}?include_secrets=true", headers={"Authorization": f"aivenv1 {TOKEN}"}, timeout=5).json()
    assert reply["service"]["connection_pools"][0]["connection_uri"].startswith("postgres://avnadmin:")


@pytest.mark.parametrize("include_secrets", [False, True])
def test_both_modules_return_an_unpinned_pool_alike(service, capsys, include_secrets):
    managed = run(aiven_connection_pool, service, capsys, pools=[{"pool_name": "shared"}, {"pool_name": "pinned"}],
                  include_secrets=include_secrets)["connection_pools"]
    read = run(aiven_connection_pool_info, service, capsys, include_secrets=include_secrets)["connection_pools"]
    by_name = {pool["pool_name"]: pool for pool in read}
    for pool in managed:
        assert {key: pool[key] for key in SHARED_KEYS} == {key: by_name[pool["pool_name"]][key] for key in SHARED_KEYS}
    shared = managed[0]
    assert (shared["username"], shared["user"], shared["sslmode"]) == (None, "", "require")
    if include_secrets:
        assert (shared["connection_uri"], shared["password"]) == (by_name["shared"]["connection_uri"], by_name["shared"]["password"])


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_unpinned_pool_never_carries_the_admins_credentials(service, capsys, check_mode):
    # An existing unpinned pool, one unpinned now and one created unpinned: every URI the API gives them names the admin.
    result = run(aiven_connection_pool, service, capsys, include_secrets=True, _ansible_check_mode=check_mode,
                 pools=[{"pool_name": "shared", "pool_size": 20}, {"pool_name": "pinned", "username": ""},
                        {"pool_name": "new", "database_name": "appdb"}])
    assert result["changed"] is True
    assert no_admin_credentials(result)
    pools = {pool["pool_name"]: pool for pool in result["connection_pools"]}
    for name in ("shared", "pinned"):
        assert pools[name]["connection_uri"] == f"postgres://pg.example.com:12692/{name}?sslmode=require"
    assert {(pool["user"], pool["password"]) for pool in pools.values()} == {("", "")}
    created = pools["new"]
    if check_mode:
        assert (created["connection_uri"], created["host"], created["sslmode"]) == (None, None, None)
    else:
        assert created["connection_uri"] == "postgres://pg.example.com:12692/new?sslmode=require"


def test_a_pinned_pool_keeps_its_credentials(service, capsys):
    result = run(aiven_connection_pool, service, capsys, include_secrets=True, pool_name="pinned")
    pool = result["connection_pool"]
    assert pool["user"] == "app" and pool["connection_uri"].startswith("postgres://app:") and pool["password"]


def test_sslmode_is_the_one_the_pools_uri_names(fake_api, capsys):
    entries = [{"pool_name": name, "database": "appdb", "pool_mode": "session", "pool_size": 1,
                "connection_uri": f"postgres://avnadmin:{PASSWORD}@pg.example.com:12692/{name}?sslmode=verify-full", **extra}
               for name, extra in (("shared", {}), ("pinned", {"username": "app"}))]
    document = {"service_name": "pg", "state": "RUNNING", "connection_pools": entries}
    fake_api.script("GET", SERVICE, *[(200, {}, {"service": document})] * 2)
    managed = run(aiven_connection_pool, fake_api, capsys, pools=[{"pool_name": "shared"}, {"pool_name": "pinned"}])
    read = run(aiven_connection_pool_info, fake_api, capsys)
    for result in (managed, read):
        assert [(pool["user"], pool["sslmode"]) for pool in result["connection_pools"]] == [("", "verify-full"), ("app", "verify-full")]
