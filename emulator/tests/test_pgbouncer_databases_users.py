"""Databases and users made through the API are real in PostgreSQL: a pool over them connects with the API's password."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from harness import Api

from aiven_emulator.process import EmulatorProcess

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None and not shutil.os.path.exists("/usr/sbin/pgbouncer"),
                                reason="pgbouncer is not installed (make system-deps installs it)")

PROJECT = "pg-project"
BASE = f"/project/{PROJECT}/service/pg-real"
SEED = {"tokens": ["pg-token"], "projects": [{"name": PROJECT, "services": [{"name": "pg-real", "users": ["avnadmin"]}]}]}
# The read-after-write windows are the memory tests' business (test_databases_users.py): here every read is current.
OPTIONS = {"rate_limit": 0, "database_lag_reads": 0, "user_create_404_reads": 0, "user_empty_password_reads": 0, "user_delete_lag_reads": 0}


@pytest.fixture(scope="module")
def real():
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=120, options=OPTIONS) as emu:
        yield emu


@pytest.fixture
def api(real):
    return Api(real.url, token="pg-token")


def _service(api: Api) -> dict:
    return api.call("GET", BASE, params={"include_secrets": "true"}).json()["service"]


def _pool_uri(api: Api, name: str) -> str:
    return next(pool["connection_uri"] for pool in _service(api)["connection_pools"] if pool["pool_name"] == name)


def _password(api: Api, user: str) -> str:
    return api.call("GET", f"{BASE}/user/{user}", params={"include_secrets": "true"}).json()["user"]["password"]


def _query(uri: str, sql: str):
    with psycopg.connect(uri, connect_timeout=10, autocommit=True) as conn:
        return conn.execute(sql).fetchone()


def _as_admin(api: Api, sql: str):
    return _query(_service(api)["service_uri"], sql)


def test_a_pool_over_an_api_database_and_user_connects_with_the_api_password(api: Api):
    assert api.call("POST", BASE + "/db", {"database": "shopdb"}).status_code == 200
    assert api.call("POST", BASE + "/user", {"username": "shop"}).status_code == 200
    reply = api.call("POST", BASE + "/connection_pool", {"pool_name": "shop_pool", "database": "shopdb", "username": "shop"})
    assert reply.status_code == 200, reply.text
    uri = _pool_uri(api, "shop_pool")
    password = _password(api, "shop")
    assert f"shop:{password}@" in uri
    assert _query(uri, "select current_database(), current_user") == ("shopdb", "shop")
    with psycopg.connect(uri, connect_timeout=10, autocommit=True) as conn:
        conn.execute("create table orders (id int)")  # the user may create in schema public
        assert conn.execute("select tableowner from pg_tables where tablename = 'orders'").fetchone() == ("shop",)
    assert _as_admin(api, "select datcollate from pg_database where datname = 'shopdb'") is not None

    # reset-credentials with a new password: the pool's URI carries it and it logs in; the old one does not.
    api.call("PUT", BASE + "/user/shop", {"operation": "reset-credentials", "new_password": "shop-password-2"})
    new_uri = _pool_uri(api, "shop_pool")
    assert "shop:shop-password-2@" in new_uri
    assert _query(new_uri, "select current_user") == ("shop",)
    with pytest.raises(psycopg.OperationalError):
        _query(uri, "select 1")
    # Without one, the API generates a password, and that is the one PostgreSQL has.
    api.call("PUT", BASE + "/user/shop", {"operation": "reset-credentials"})
    generated = _password(api, "shop")
    assert generated not in ("", "shop-password-2")
    assert _query(_pool_uri(api, "shop_pool"), "select current_user") == ("shop",)

    api.call("DELETE", BASE + "/connection_pool/shop_pool")
    assert api.call("DELETE", BASE + "/user/shop").status_code == 200
    assert _as_admin(api, "select count(*) from pg_roles where rolname = 'shop'") == (0,)
    assert api.call("DELETE", BASE + "/db/shopdb").status_code == 200
    assert _as_admin(api, "select count(*) from pg_database where datname = 'shopdb'") == (0,)


def test_replication_follows_access_control(api: Api):
    api.call("POST", BASE + "/user", {"username": "streamer", "access_control": {"pg_allow_replication": True}})
    try:
        assert _as_admin(api, "select rolreplication from pg_roles where rolname = 'streamer'") == (True,)
        api.call("PUT", BASE + "/user/streamer", {"operation": "set-access-control", "access_control": {"pg_allow_replication": False}})
        assert _as_admin(api, "select rolreplication from pg_roles where rolname = 'streamer'") == (False,)
    finally:
        api.call("DELETE", BASE + "/user/streamer")


def test_an_overridden_password_no_longer_logs_in(real, api: Api):
    api.call("POST", BASE + "/user", {"username": "altered"})
    api.call("POST", BASE + "/connection_pool", {"pool_name": "altered_pool", "database": "defaultdb", "username": "altered"})
    try:
        uri = _pool_uri(api, "altered_pool")
        assert _query(uri, "select current_user") == ("altered",)
        real.override_password(PROJECT, "pg-real", "altered")
        assert _password(api, "altered") is None
        with pytest.raises(psycopg.OperationalError):
            _query(uri, "select 1")
    finally:
        api.call("DELETE", BASE + "/connection_pool/altered_pool")
        api.call("DELETE", BASE + "/user/altered")


def test_deleting_a_database_under_a_dangling_pool(api: Api):
    api.call("POST", BASE + "/db", {"database": "gone"})
    api.call("POST", BASE + "/connection_pool", {"pool_name": "over_gone", "database": "gone"})
    uri = _pool_uri(api, "over_gone")
    assert _query(uri, "select current_database()") == ("gone",)  # PgBouncer now holds a server connection to it
    assert api.call("DELETE", BASE + "/db/gone").status_code == 200  # delete_database_with_pools: "dangle"
    # Gone from PostgreSQL although PgBouncer was connected; the pool stays listed. (Connecting through it now
    # would wait PgBouncer's query_wait_timeout, two minutes, for a server that cannot come.)
    assert _as_admin(api, "select count(*) from pg_database where datname = 'gone'") == (0,)
    assert "over_gone" in [pool["pool_name"] for pool in _service(api)["connection_pools"]]
    api.call("DELETE", BASE + "/connection_pool/over_gone")


def test_a_change_the_backend_cannot_make_is_undone(api: Api):
    api.call("POST", BASE + "/user", {"username": "kept"})
    try:
        before = _password(api, "kept")
        # PgBouncer would read this password as an md5 hash: the backend refuses it, the API answers 500 and keeps the old one.
        reply = api.call("PUT", BASE + "/user/kept", {"operation": "reset-credentials", "new_password": "md5" + "0" * 32})
        assert reply.status_code == 500
        assert _password(api, "kept") == before
        address = _service(api)["service_uri"].split("@", 1)[1]  # host:port/defaultdb?sslmode=require
        assert _query(f"postgres://kept:{before}@{address}", "select current_user") == ("kept",)
    finally:
        api.call("DELETE", BASE + "/user/kept")
