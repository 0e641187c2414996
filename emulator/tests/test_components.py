"""A service's addresses (``components``): PostgreSQL and PgBouncer per route and usage, and which one a pool's URI carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from harness import PROJECT, Api
from test_aiven_client import _avn
from test_contract import SERVICE, check


def _components(api: Api, service: str = "pg-main") -> list[dict]:
    body = check(api.call("GET", f"/project/{PROJECT}/service/{service}"), "GET", SERVICE, 200)
    return body["service"]["components"]


def _pool_address(api: Api) -> tuple[str, int]:
    seeded = next(pool for pool in api.service()["connection_pools"] if pool["pool_name"] == "seeded")
    parts = urlsplit(seeded["connection_uri"])
    return parts.hostname, parts.port


def test_several_pgbouncer_components_the_dynamic_primary_first(api: Api):
    components = _components(api)
    bouncers = [(c["route"], c["usage"]) for c in components if c["component"] == "pgbouncer"]
    assert bouncers == [("dynamic", "primary"), ("public", "primary")]
    assert [(c["component"], c["route"], c["usage"]) for c in components[:2]] == [("pg", "dynamic", "primary"), ("pgbouncer", "dynamic", "primary")]
    hosts = {c["route"]: c["host"] for c in components if c["component"] == "pgbouncer"}
    assert hosts["public"] != hosts["dynamic"]
    assert {c["port"] for c in components if c["component"] == "pgbouncer"} != {c["port"] for c in components if c["component"] == "pg"}


def test_a_plan_with_standbys_lists_replica_pgbouncers_with_replica_hosts(emulator, api: Api):
    emulator.set_service(PROJECT, "pg-cycle", plan="business-4")
    try:
        components = _components(api, "pg-cycle")
    finally:
        emulator.set_service(PROJECT, "pg-cycle", plan="startup-4")
    primary = {c["route"]: c for c in components if c["component"] == "pgbouncer" and c["usage"] == "primary"}
    replica = {c["route"]: c for c in components if c["component"] == "pgbouncer" and c["usage"] == "replica"}
    assert set(replica) == {"dynamic", "public"}
    for route, component in replica.items():
        assert (component["host"], component["port"]) == ("replica-" + primary[route]["host"], primary[route]["port"])
    assert not [c for c in _components(api, "pg-cycle") if c["usage"] == "replica"]


def test_a_pools_uri_carries_the_public_route_unless_switched(emulator, api: Api):
    bouncers = {c["route"]: (c["host"], c["port"]) for c in _components(api) if c["component"] == "pgbouncer"}
    assert _pool_address(api) == bouncers["public"]
    emulator.set_options(pool_uri_route="dynamic")
    try:
        assert _pool_address(api) == bouncers["dynamic"]
    finally:
        emulator.set_options(pool_uri_route="public")


def test_aiven_client_finds_postgresql_not_pgbouncer_on_every_route(emulator, api: Api):
    pg = {c["route"]: c for c in _components(api) if c["component"] == "pg"}
    for route in ("dynamic", "public"):
        shown = _avn(emulator, "service", "connection-info", "pg", "uri", "--project", PROJECT, "pg-main", "--route", route)
        assert shown.returncode == 0, shown.stderr
        parts = urlsplit(shown.stdout.strip())
        assert (parts.hostname, parts.port) == (pg[route]["host"], pg[route]["port"])
