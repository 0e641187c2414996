"""backend_apply_delay with real PgBouncer: the API shows a pool change at once, PgBouncer serves it later."""

from __future__ import annotations

import time
from typing import Callable

import psycopg
import pytest
from harness import Api
from psycopg.rows import dict_row

from aiven_emulator.process import EmulatorProcess

PROJECT = "delay-project"
TOKEN = "delay-token"
# Long enough that the checks right after a write run well inside it, even on a loaded machine.
DELAY = 4.0
SEED = {
    "tokens": [TOKEN],
    "projects": [{"name": PROJECT, "services": [
        {"name": "pg-slow", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
         "pools": [{"pool_name": "seeded", "database": "defaultdb", "pool_size": 3}]},
    ]}],
}
POOLS = f"/project/{PROJECT}/service/pg-slow/connection_pool"


@pytest.fixture(scope="module")
def slow():
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=120, options={"backend_apply_delay": DELAY}) as emu:
        yield emu


@pytest.fixture
def api(slow):
    return Api(slow.url, token=TOKEN)


def api_pools(api: Api) -> dict:
    response = api.call("GET", f"/project/{PROJECT}/service/pg-slow", params={"include_secrets": "true"})
    assert response.status_code == 200, response.text
    return {pool["pool_name"]: pool for pool in response.json()["service"]["connection_pools"]}


def bouncer_pools(emu: EmulatorProcess) -> dict:
    """What PgBouncer serves, from SHOW DATABASES on its admin console."""
    conninfo = emu.credentials["services"][0]["pgbouncer_admin"]
    with psycopg.connect(**conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor, row_factory=dict_row) as conn:
        return {row["name"]: row for row in conn.execute("SHOW DATABASES").fetchall()}


def wait_until(condition: Callable[[], bool], bound: float = 60.0) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < bound, "PgBouncer never caught up with the API"
        time.sleep(0.1)


def test_a_new_pool_is_in_the_api_at_once_and_in_pgbouncer_after_the_delay(slow, api: Api):
    started = time.monotonic()
    reply = api.call("POST", POOLS, {"pool_name": "fresh", "database": "appdb", "pool_size": 6})
    assert reply.status_code == 200, reply.text
    assert api_pools(api)["fresh"]["pool_size"] == 6
    assert "fresh" not in bouncer_pools(slow)
    wait_until(lambda: "fresh" in bouncer_pools(slow))
    assert time.monotonic() - started >= DELAY
    assert bouncer_pools(slow)["fresh"]["pool_size"] == 6
    with psycopg.connect(api_pools(api)["fresh"]["connection_uri"], connect_timeout=10, autocommit=True) as conn:
        assert conn.execute("select current_database()").fetchone() == ("appdb",)


def test_changes_made_together_reach_pgbouncer_together(slow, api: Api):
    assert api.call("PUT", POOLS + "/seeded", {"pool_size": 9}).status_code == 200
    assert api.call("POST", POOLS, {"pool_name": "brief", "database": "appdb"}).status_code == 200
    assert api.call("DELETE", POOLS + "/brief").status_code == 200
    shown = api_pools(api)
    assert shown["seeded"]["pool_size"] == 9 and "brief" not in shown
    assert bouncer_pools(slow)["seeded"]["pool_size"] == 3
    wait_until(lambda: bouncer_pools(slow)["seeded"]["pool_size"] == 9)
    assert "brief" not in bouncer_pools(slow)
