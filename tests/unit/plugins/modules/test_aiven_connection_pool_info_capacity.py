# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool_info in-process against the fake API: the capacity figures of every service read, from the
same request; all of a service's pools whatever pool_name keeps; none for a service whose pools are not known;
the options checked before any request; names from the API printable in the lines, no warning."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against, warnings_of

TOKEN = "info-capacity-T0KEN-0123456789abcdef"
LIST = "GET /v1/project/proj/service"
SERVICE = "GET /v1/project/proj/service/pg-a"
# What bounds the connections, where Aiven puts it: two users besides the admin, so an unpinned pool counts twice.
FIELDS = {"metadata": {"max_connections": 100}, "node_memory_mb": 4096, "node_cpu_count": 1, "databases": ["appdb"],
          "users": [{"username": "avnadmin", "type": "primary"}, {"username": "app", "type": "normal"},
                    {"username": "app2", "type": "normal"}]}
NOT_COUNTED = ("not counted: Aiven's own connections to the service, and how a pool is split between several PgBouncer "
               "processes (not published)")
# pinned: 7; shared: 10 for each of the 2 users.
FIGURES = {"project": "proj", "service_name": "pg-a", "max_connections": 100, "max_connections_from": "metadata",
           "superuser_reserved": 3, "reserve": 0, "usable": 97, "pinned": 7, "unpinned": 20, "fan_out": 2, "automatic": 0,
           "total": 27, "idle_floor": 0, "client_limit": 5000, "expected_clients": None, "over": False, "advisories": [],
           "not_counted": NOT_COUNTED}
LINE = ("proj/pg-a: pools may open 27 server connections of 97 usable (max_connections 100, 3 reserved); "
        "unpinned pools counted for 2 users each")


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    args.setdefault("project", "proj")
    return run_against(aiven_connection_pool_info.main, fake_api, capsys, TOKEN, **args)


def succeeding(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    result = run(fake_api, capsys, **args)
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.fixture
def service(fake_api: Any) -> Any:
    """pg-a: a pool pinned to app (7) and an unpinned one (10)."""
    fake_api.add_pool("proj", "pg-a", "pinned", username="app", pool_size=7)
    fake_api.add_pool("proj", "pg-a", "shared")
    fake_api.add_service("proj", "pg-a", **FIELDS)
    return fake_api


def pool_entry(name: str, size: int, username: str | None = None) -> dict[str, Any]:
    """A pool as the API lists it, for the documents the fake cannot hold."""
    user = f"{username}:pw@" if username else "avnadmin:pw@"
    entry = {"pool_name": name, "database": "appdb", "pool_mode": "transaction", "pool_size": size,
             "connection_uri": f"postgres://{user}pg.example.com:12692/{name}?sslmode=require"}
    return dict(entry, username=username) if username else entry


def test_pinned_and_unpinned_pools_give_the_figures_and_a_line_from_the_one_read(service, capsys) -> None:
    result = succeeding(service, capsys, service_name="pg-a")
    assert service.calls() == [SERVICE]
    assert result["capacity"] == [FIGURES]
    assert result["capacity_lines"] == [LINE]


def test_every_postgresql_service_of_the_project_in_the_order_of_services(service, capsys) -> None:
    service.add_pool("proj", "pg-b", "big", pool_size=40, username="app")
    service.add_service("proj", "pg-b", metadata={"max_connections": 25}, users=[{"username": "avnadmin", "type": "primary"}])
    service.add_service("proj", "kafka-1", service_type="kafka", connection_pools=[])
    result = succeeding(service, capsys)
    assert service.calls() == [LIST]
    assert [(item["service_name"], item["total"], item["usable"], item["over"]) for item in result["capacity"]] == [
        ("pg-a", 27, 97, False), ("pg-b", 40, 22, True)]
    assert [item["service_name"] for item in result["services"]] == ["pg-a", "pg-b"]
    assert result["capacity_lines"] == [LINE, "proj/pg-b: pools may open 40 server connections of 22 usable (max_connections 25, 3 reserved)"]


def test_over_budget_is_in_the_figures_not_warned_about(service, capsys) -> None:
    result = succeeding(service, capsys, service_name="pg-a", capacity_reserve=80)
    assert (result["capacity"][0]["usable"], result["capacity"][0]["over"]) == (17, True)
    assert warnings_of(result) == []


def test_pool_name_returns_fewer_pools_but_the_figures_of_all_of_them(service, capsys) -> None:
    everything = succeeding(service, capsys, service_name="pg-a")
    one = succeeding(service, capsys, service_name="pg-a", pool_name=["pinned"])
    assert [pool["pool_name"] for pool in one["connection_pools"]] == ["pinned"]
    assert one["capacity"] == everything["capacity"] == [FIGURES]
    assert one["capacity_lines"] == [LINE]


def test_the_options_change_the_figures(service, capsys) -> None:
    result = succeeding(service, capsys, service_name="pg-a", capacity_reserve=10, capacity_unpinned_users=5,
                        capacity_expected_clients=6000)
    assert result["capacity"] == [dict(FIGURES, reserve=10, usable=87, unpinned=50, fan_out=5, total=57, expected_clients=6000, over=True)]
    assert result["capacity_lines"] == [
        "proj/pg-a: pools may open 57 server connections of 87 usable (max_connections 100, 3 reserved, 10 kept for direct connections); "
        "unpinned pools counted for 5 users each; 6000 expected clients of PgBouncer's 5000"]


@pytest.mark.parametrize(("option", "value", "message"), [
    ("capacity_reserve", -1, "capacity_reserve must be a whole number of 0 or more, got -1"),
    ("capacity_unpinned_users", 0, "capacity_unpinned_users must be a whole number of 1 or more, got 0"),
    ("capacity_expected_clients", -3, "capacity_expected_clients must be a whole number of 0 or more, got -3"),
])
def test_bad_numbers_are_refused_before_any_request(service, capsys, option: str, value: int, message: str) -> None:
    result = run(service, capsys, service_name="pg-a", **{option: value})
    assert result["failed"] is True and result["msg"] == message
    assert service.calls() == []


def test_a_document_without_max_connections_and_an_unknown_plan_gives_null_usable(fake_api, capsys) -> None:
    document = {"service_name": "pg-x", "service_type": "pg", "state": "RUNNING", "plan": "custom-plan",
                "connection_pools": [pool_entry("big", 500, "app")]}
    fake_api.script("GET", "/v1/project/proj/service/pg-x", (200, {}, {"service": document}))
    result = succeeding(fake_api, capsys, service_name="pg-x")
    [figures] = result["capacity"]
    assert (figures["max_connections"], figures["max_connections_from"], figures["usable"]) == (None, "unknown", None)
    assert (figures["total"], figures["over"], figures["client_limit"]) == (500, False, None)
    assert result["capacity_lines"][0].startswith("proj/pg-x: pools may open 500 server connections; the service's max_connections is not known")


def test_a_document_of_the_wrong_shapes_gives_the_figures_it_can(fake_api, capsys) -> None:
    """The API is untrusted: strings and lists where objects and numbers belong are not counted, and nothing crashes."""
    document = {"service_name": "pg-x", "service_type": "pg", "state": "RUNNING", "plan": "startup-8", "metadata": "100",
                "user_config": ["pg"], "users": "app", "databases": {"appdb": 1}, "node_memory_mb": "4096",
                "connection_pools": [pool_entry("shared", 10), pool_entry("odd", "many")]}
    fake_api.script("GET", "/v1/project/proj/service/pg-x", (200, {}, {"service": document}))
    [figures] = succeeding(fake_api, capsys, service_name="pg-x")["capacity"]
    assert (figures["max_connections"], figures["max_connections_from"], figures["usable"]) == (200, "plan", 197)
    assert (figures["unpinned"], figures["fan_out"], figures["client_limit"]) == (10, 1, None)


@pytest.mark.parametrize("document", [
    {"service_name": "pg-off", "service_type": "pg", "state": "POWEROFF", "connection_pools": [], "metadata": {"max_connections": 100}},
    {"service_name": "pg-off", "service_type": "pg", "state": "REBUILDING", "metadata": {"max_connections": 100}},
], ids=["powered-off-listing-none", "rebuilding-without-connection-pools"])
def test_a_service_not_running_that_lists_no_pools_has_no_figures(service, capsys, document: dict[str, Any]) -> None:
    """Its pools are not known: figures of none would say they fit."""
    service.script("GET", "/v1/project/proj/service", (200, {}, {"services": [document]}))
    result = succeeding(service, capsys)
    assert [item["service_name"] for item in result["services"]] == ["pg-off"]
    assert result["capacity"] == [] and result["capacity_lines"] == []
    assert len(warnings_of(result)) == 1


def test_a_powered_off_service_that_lists_its_pools_has_their_figures(service, capsys) -> None:
    service.add_service("proj", "pg-a", state="POWEROFF")
    result = succeeding(service, capsys, service_name="pg-a")
    assert result["capacity"] == [FIGURES]


def test_names_read_from_the_api_are_printable_in_the_lines_and_advisories(fake_api, capsys) -> None:
    name = "pg-\x1b[31mred"
    document = {"service_name": name, "service_type": "pg", "state": "RUNNING", "metadata": {"max_connections": 100},
                "connection_pools": [pool_entry("huge\x07", 1500, "app")]}
    fake_api.script("GET", "/v1/project/proj/service", (200, {}, {"services": [document]}))
    result = succeeding(fake_api, capsys)
    [figures] = result["capacity"]
    # The machine-readable name stays as sent; what a person reads is escaped.
    assert figures["service_name"] == name
    assert result["capacity_lines"] == ["proj/pg-\\x1b[31mred: pools may open 1500 server connections of 97 usable "
                                        "(max_connections 100, 3 reserved)"]
    assert figures["advisories"] == ["proj/pg-\\x1b[31mred/huge\\x07: pool_size 1500 is above 1000, the most the Aiven operator allows"]
    assert "\x1b" not in json.dumps(result["capacity_lines"] + figures["advisories"], ensure_ascii=False)


def test_a_huge_name_read_from_the_api_is_cut_in_the_line(fake_api, capsys) -> None:
    name = "pg-" + "x" * 20000
    document = {"service_name": name, "service_type": "pg", "state": "RUNNING", "metadata": {"max_connections": 100},
                "connection_pools": [pool_entry("app", 10, "app")]}
    fake_api.script("GET", "/v1/project/proj/service", (200, {}, {"services": [document]}))
    result = succeeding(fake_api, capsys)
    assert result["capacity"][0]["service_name"] == name
    [line] = result["capacity_lines"]
    assert len(line) < 600 and line.endswith("...: pools may open 10 server connections of 97 usable (max_connections 100, 3 reserved)")
