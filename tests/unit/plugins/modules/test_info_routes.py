# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool_info's route and usage: which of a service's PgBouncer addresses the pools' details carry."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.dbpools.aiven.tests.unit.plugins.service_components import COMPONENTS

TOKEN = "info-routes-T0KEN-0123456789abcdef"


@pytest.fixture
def routed(fake_api):
    fake_api.add_pool("proj", "pg-a", "app", username="app")
    fake_api.add_service("proj", "pg-a", components=COMPONENTS)
    return fake_api


def run(fake_api, capsys, **args: Any) -> dict[str, Any]:
    full = {"project": "proj", "service_name": "pg-a", "api_url": fake_api.url, "api_token": TOKEN, "api_retries": 0, "timeout": 5}
    full.update(args)
    return run_module(aiven_connection_pool_info.main, full, capsys)


def test_without_route_and_usage_the_pools_own_address(routed, capsys):
    [pool] = run(routed, capsys)["connection_pools"]
    assert (pool["host"], pool["port"], pool["uri"]) == ("pg.example.com", 12692, "postgres://app@pg.example.com:12692/app?sslmode=require")


@pytest.mark.parametrize("args, address", [
    ({"route": "dynamic"}, ("dyn.example.com", 12692)),
    ({"usage": "replica"}, ("replica-dyn.example.com", 12693)),
    ({"route": "dynamic", "usage": "replica", "include_secrets": True}, ("replica-dyn.example.com", 12693)),
])
def test_route_and_usage_pick_the_address_the_api_uri_stays(routed, capsys, args, address):
    [pool] = run(routed, capsys, **args)["connection_pools"]
    assert (pool["host"], pool["port"]) == address
    assert f"@{address[0]}:{address[1]}/app?" in pool["uri"]
    if args.get("include_secrets"):
        assert "@pg.example.com:12692/app?" in pool["connection_uri"]


def test_an_address_the_service_lacks_fails_naming_the_service(routed, capsys):
    result = run(routed, capsys, route="privatelink", usage="replica")
    assert result["failed"]
    assert result["msg"] == ("proj/pg-a/app: the service lists no PgBouncer address with route privatelink and usage replica "
                             "(it has: route dynamic usage primary, route public usage primary, route dynamic usage replica)")


@pytest.mark.parametrize("args", [{"route": "vpc"}, {"usage": "disaster_recovery"}])
def test_a_value_that_is_not_a_route_or_usage_fails_before_any_request(fake_api, capsys, args):
    result = run(fake_api, capsys, **args)
    assert result["failed"] and "value of" in result["msg"] and list(args)[0] in result["msg"]
    assert fake_api.requests == []
