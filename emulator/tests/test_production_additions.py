"""The contract's "Additions of 2026-12": read lag, the project CA's permission, and the smaller divergences."""

from __future__ import annotations

import time

import pytest
from harness import PROJECT, PROJECT_ROLE_TOKEN, READONLY_TOKEN, TOKEN, Api
from test_contract import POOLS, check

from aiven_emulator import read_lag
from aiven_emulator.model import Pool, Service
from aiven_emulator.process import EmulatorProcess

BASE = f"/project/{PROJECT}/service"
DEVELOPER_PLAN_TEXT = ("Current service plan does not include the connection pooling option. "
                       "Please consider migrating to another PostgreSQL service plan.")


def pool_names(api: Api, service: str = "pg-cycle") -> list:
    return sorted(pool["pool_name"] for pool in api.service(service)["connection_pools"])


def listed_pool_names(api: Api, service: str = "pg-cycle") -> list:
    listing = api.call("GET", BASE).json()["services"]
    return sorted(pool["pool_name"] for item in listing if item["service_name"] == service for pool in item["connection_pools"])


# -- read lag ------------------------------------------------------------------------------


@pytest.fixture
def lag(emulator):
    """Set read_lag for one test; off again afterwards."""
    yield lambda seconds: emulator.set_options(read_lag=seconds)
    emulator.set_options(read_lag=0.0)


def test_read_lag_is_off_by_default(emulator, api: Api):
    assert emulator.set_options()["read_lag"] == 0.0
    assert api.call("POST", f"{BASE}/pg-cycle/connection_pool", {"pool_name": "at-once", "database": "defaultdb"}).status_code == 200
    assert "at-once" in pool_names(api)
    assert api.call("DELETE", f"{BASE}/pg-cycle/connection_pool/at-once").status_code == 200
    assert "at-once" not in pool_names(api)


def test_with_read_lag_a_create_update_and_delete_show_only_after_the_delay(api: Api, lag):
    lag(1.5)
    pools = f"{BASE}/pg-cycle/connection_pool"
    before = pool_names(api)
    created = time.monotonic()
    assert api.call("POST", pools, {"pool_name": "slow", "database": "defaultdb", "pool_size": 3}).status_code == 200
    assert pool_names(api) == before and listed_pool_names(api) == before
    # Writes see the truth at once: the pool the reads do not show yet can be updated.
    assert api.call("PUT", pools + "/slow", {"pool_size": 7}).status_code == 200
    while time.monotonic() - created < 1.4:
        assert "slow" not in pool_names(api)
        time.sleep(0.1)
    time.sleep(1.5 - (time.monotonic() - created) + 0.2)
    assert "slow" in pool_names(api) and "slow" in listed_pool_names(api)
    shown = {pool["pool_name"]: pool for pool in api.service("pg-cycle")["connection_pools"]}
    assert shown["slow"]["pool_size"] == 7  # both writes are older than the lag now
    assert api.call("DELETE", pools + "/slow").status_code == 200
    assert "slow" in pool_names(api)
    time.sleep(1.7)
    assert "slow" not in pool_names(api)


def fake_service() -> Service:
    return Service(project="p", name="s", pools={"a": Pool("a", "defaultdb")})


def test_read_lag_shows_each_write_its_lag_after_it_in_order():
    service, clock = fake_service(), [100.0]

    def now() -> float:
        return clock[0]

    before = dict(service.pools)
    service.pools = {**before, "b": Pool("b", "defaultdb")}
    read_lag.record(service, before, 10.0, now)
    clock[0] = 105.0
    before = dict(service.pools)
    service.pools = {"b": before["b"]}
    read_lag.record(service, before, 10.0, now)
    assert sorted(read_lag.visible_pools(service, 10.0, now)) == ["a"]
    clock[0] = 110.0
    assert sorted(read_lag.visible_pools(service, 10.0, now)) == ["a", "b"]
    clock[0] = 115.0
    assert sorted(read_lag.visible_pools(service, 10.0, now)) == ["b"]
    assert service.pool_history == []  # caught up: nothing kept


def test_read_lag_off_keeps_no_history_and_shows_the_pools():
    service = fake_service()
    read_lag.record(service, {}, 0.0)
    assert service.pool_history == []
    assert read_lag.as_read(service, 0.0) is service


# -- the project CA's permission --------------------------------------------------------------


def test_project_ca_needs_organization_projects_write_by_default(emulator):
    path = f"/project/{PROJECT}/kms/ca"
    assert Api(emulator.url, TOKEN).call("GET", path).status_code == 200
    for token in (PROJECT_ROLE_TOKEN, READONLY_TOKEN):
        refused = Api(emulator.url, token).call("GET", path)
        assert refused.status_code == 403, refused.text
        body = refused.json()
        assert "organization:projects:write" in body["message"] and body["errors"][0]["status"] == 403
        assert "certificate" not in body


def test_the_default_seed_has_a_project_role_token_without_the_ca():
    with EmulatorProcess(None) as fresh:
        path = "/project/demo-project/kms/ca"
        assert Api(fresh.url, "demo-token").call("GET", path).status_code == 200
        refused = Api(fresh.url, "demo-project-role-token").call("GET", path)
        assert refused.status_code == 403 and "organization:projects:write" in refused.json()["message"]
        assert Api(fresh.url, "demo-project-role-token").call("GET", "/project/demo-project/service/pg-demo").status_code == 200


def test_project_ca_members_switch_serves_every_member(emulator):
    emulator.set_options(project_ca_access="members")
    try:
        assert Api(emulator.url, PROJECT_ROLE_TOKEN).call("GET", f"/project/{PROJECT}/kms/ca").status_code == 200
    finally:
        emulator.set_options(project_ca_access="organization")


def test_the_project_role_token_reads_and_writes_everything_else(emulator):
    api = Api(emulator.url, PROJECT_ROLE_TOKEN)
    assert api.service(include_secrets=True)["users"][0]["password"] != "<redacted>"
    assert api.call("GET", BASE).status_code == 200


# -- the smaller divergences -------------------------------------------------------------------


def test_connection_info_carries_the_pgbouncer_admin_uri(emulator, api: Api):
    info = api.service(include_secrets=True)["connection_info"]
    admin = emulator.password(PROJECT, "pg-main", "avnadmin")
    address = next(entry for entry in emulator.credentials["services"] if entry["service"] == "pg-main")
    host, pgbouncer_port = address["host"], address["pgbouncer_port"]
    assert info["pgbouncer"] == f"postgres://avnadmin:{admin}@{host}:{pgbouncer_port}/pgbouncer?sslmode=require"
    assert info["pg"] == [api.service(include_secrets=True)["service_uri"]]
    assert info["pg_params"][0]["password"] == admin and info["pg_params"][0]["port"] == str(address["pg_port"])
    redacted = api.service()["connection_info"]
    assert "<redacted>" in redacted["pgbouncer"] and admin not in str(redacted)


def test_database_list_is_paginated(api: Api):
    path = f"{BASE}/pg-main/db"
    first = api.call("GET", path, params={"maxItems": 1}).json()
    assert [item["database_name"] for item in first["databases"]] == ["defaultdb"]
    # The cursor clients pass back as ``after`` (Terraform's mocks: the last name of the page).
    assert first["next"] == "defaultdb"
    second = api.call("GET", path, params={"maxItems": 1, "after": first["next"]}).json()
    assert [item["database_name"] for item in second["databases"]] == ["appdb"]
    assert second["next"] == ""  # the last page (database_last_page_next: "empty" by default)


@pytest.mark.parametrize("value", ["0", "251", "-1", "ten", "1.5"])
def test_database_list_refuses_max_items_outside_1_to_250(api: Api, value):
    reply = api.call("GET", f"{BASE}/pg-main/db", params={"maxItems": value})
    assert reply.status_code == 400 and "maxItems" in reply.json()["message"]


def test_database_list_refuses_an_unknown_after(api: Api):
    assert api.call("GET", f"{BASE}/pg-main/db", params={"after": "nope"}).status_code == 400


def test_a_developer_plan_has_no_pooling(emulator, api: Api):
    emulator.set_service(PROJECT, "pg-cycle", plan="developer-1")
    try:
        refused = api.call("POST", f"{BASE}/pg-cycle/connection_pool", {"pool_name": "dev", "database": "defaultdb"})
        assert check(refused, "POST", POOLS, 403)["message"] == DEVELOPER_PLAN_TEXT
        assert api.call("GET", f"{BASE}/pg-cycle").status_code == 200
    finally:
        emulator.set_service(PROJECT, "pg-cycle", plan="startup-4")
