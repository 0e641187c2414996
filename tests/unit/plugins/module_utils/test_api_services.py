# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a project's service list."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import aiven_error, make_client

LIST_PATH = "/v1/project/proj/service"
SERVICES = [
    {"service_name": "pg1", "connection_pools": [{"pool_name": "a"}]},
    {"service_name": "pg2", "connection_pools": []},
]


def test_list_services_returns_the_services(server):
    server.script("GET", LIST_PATH, (200, {}, {"services": SERVICES}))
    assert make_client(server.url).list_services("proj") == SERVICES
    assert [item.path for item in server.requests] == [LIST_PATH]


def test_list_services_asks_for_secrets_only_when_told(server):
    server.script("GET", LIST_PATH + "?include_secrets=true", (200, {}, {"services": []}))
    assert make_client(server.url).list_services("proj", include_secrets=True) == []
    assert [item.path for item in server.requests] == [LIST_PATH + "?include_secrets=true"]


def test_list_services_quotes_the_project(server):
    server.script("GET", "/v1/project/a%2Fb/service", (200, {}, {"services": []}))
    assert make_client(server.url).list_services("a/b") == []
    assert server.count(path="/v1/project/a%2Fb/service") == 1


@pytest.mark.parametrize("reply", [{"message": "odd"}, {"services": None}, {"services": {"pg1": {}}}])
def test_list_services_without_a_list_is_an_api_error(server, reply):
    server.script("GET", LIST_PATH, (200, {}, reply))
    with pytest.raises(AivenApiError, match="reply has no 'services' list") as info:
        make_client(server.url).list_services("proj")
    assert (info.value.status, info.value.method, info.value.path) == (200, "GET", LIST_PATH)


def test_list_services_with_an_item_not_an_object_is_an_api_error(server):
    server.script("GET", LIST_PATH, (200, {}, {"services": [SERVICES[0], "pg2"]}))
    with pytest.raises(AivenApiError, match="non-object") as info:
        make_client(server.url).list_services("proj")
    assert info.value.status == 200


def test_list_services_passes_api_errors_on(server):
    server.script("GET", LIST_PATH, (403, {}, aiven_error("Insufficient permissions", 403)))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).list_services("proj")
    assert info.value.status == 403
    assert server.count() == 1
