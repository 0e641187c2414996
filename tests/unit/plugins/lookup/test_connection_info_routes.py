# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info's route and usage: which of a service's PgBouncer addresses it returns."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError

from ansible_collections.dbpools.aiven.tests.unit.plugins.lookup.test_connection_info_reads import options
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.service_components import COMPONENTS


@pytest.fixture
def routed(fake_api):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.add_service("proj", "pg1", components=COMPONENTS)
    return fake_api


def test_without_route_and_usage_the_pools_own_address_not_the_first_component(routed, lookup, warnings):
    [details] = lookup("proj/pg1/app", **options(routed))
    assert (details["host"], details["port"]) == ("pg.example.com", 12692)


@pytest.mark.parametrize("route, usage, address", [
    ("dynamic", None, ("dyn.example.com", 12692)),
    (None, "replica", ("replica-dyn.example.com", 12693)),
    ("public", "primary", ("pg.example.com", 12692)),
])
def test_route_and_usage_pick_that_pgbouncer_address(routed, lookup, warnings, route, usage, address):
    given = {key: value for key, value in (("route", route), ("usage", usage)) if value is not None}
    [details] = lookup("proj/pg1/app", **options(routed, **given))
    assert (details["host"], details["port"]) == address
    assert details["uri"] == f"postgres://alice:{PASSWORD}@{address[0]}:{address[1]}/app?sslmode=require"


def test_an_address_the_service_lacks_fails_naming_the_pool_and_the_addresses_it_has(routed, lookup, warnings):
    with pytest.raises(AnsibleError) as caught:
        lookup("proj/pg1/app", **options(routed, route="privatelink"))
    assert str(caught.value) == ("pool proj/pg1/app: the service lists no PgBouncer address with route privatelink and usage primary "
                                 "(it has: route dynamic usage primary, route public usage primary, route dynamic usage replica)")


@pytest.mark.parametrize("given", [{"route": "vpc"}, {"usage": "ha_replica"}, {"route": "Dynamic"}])
def test_a_value_that_is_not_a_route_or_usage_fails_before_any_request(fake_api, lookup, warnings, given):
    with pytest.raises(AnsibleError) as caught:
        lookup("proj/pg1/app", **options(fake_api, **given))
    [(name, value)] = given.items()
    assert value in str(caught.value) and name in str(caught.value)
    assert fake_api.requests == []
