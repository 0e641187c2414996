"""The API and real PgBouncer in step: what the API says, PgBouncer serves."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from harness import Api
from psycopg.rows import dict_row

from aiven_emulator.process import EmulatorProcess

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None and not shutil.os.path.exists("/usr/sbin/pgbouncer"),
                                reason="pgbouncer is not installed (make system-deps installs it)")

PROJECT = "pg-project"
SEED = {
    "tokens": ["pg-token"],
    "projects": [{"name": PROJECT, "services": [
        {"name": "pg-real", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
         "pools": [{"pool_name": "seeded", "database": "defaultdb", "pool_size": 3, "pool_mode": "session"}]},
    ]}],
}


@pytest.fixture(scope="module")
def real():
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=120) as emu:
        yield emu


@pytest.fixture
def api(real):
    return Api(real.url, token="pg-token")


def _pools(api: Api) -> dict:
    response = api.call("GET", f"/project/{PROJECT}/service/pg-real", params={"include_secrets": "true"})
    return {p["pool_name"]: p for p in response.json()["service"]["connection_pools"]}


def _admin_rows(real) -> dict:
    conninfo = real.credentials["services"][0]["pgbouncer_admin"]
    with psycopg.connect(**conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor, row_factory=dict_row) as conn:
        return {row["name"]: row for row in conn.execute("SHOW DATABASES").fetchall()}


def _query(uri: str, sql: str):
    with psycopg.connect(uri, connect_timeout=10, autocommit=True) as conn:
        return conn.execute(sql).fetchone()


def test_seeded_pool_is_served(real, api: Api):
    uri = _pools(api)["seeded"]["connection_uri"]
    assert _query(uri, "select current_database()") == ("defaultdb",)
    row = _admin_rows(real)["seeded"]
    assert (row["pool_mode"], row["pool_size"]) == ("session", 3)


def test_created_pool_connects_and_matches_pgbouncer(real, api: Api):
    base = f"/project/{PROJECT}/service/pg-real/connection_pool"
    reply = api.call("POST", base, {"pool_name": "app-pool", "database": "appdb", "username": "app", "pool_size": 7})
    assert reply.status_code == 200, reply.text
    uri = _pools(api)["app-pool"]["connection_uri"]
    assert uri.endswith("/app-pool?sslmode=require")
    assert _query(uri, "select current_database(), current_user") == ("appdb", "app")
    assert _query(uri, "select ssl from pg_stat_ssl where pid = pg_backend_pid()") is not None
    row = _admin_rows(real)["app-pool"]
    assert (row["database"], row["pool_mode"], row["pool_size"], row["force_user"]) == ("appdb", "transaction", 7, "app")


def test_update_changes_pgbouncer(real, api: Api):
    base = f"/project/{PROJECT}/service/pg-real/connection_pool"
    api.call("POST", base, {"pool_name": "upd", "database": "appdb"})
    reply = api.call("PUT", base + "/upd", {"pool_mode": "statement", "pool_size": 21, "username": "app"})
    assert reply.status_code == 200, reply.text
    row = _admin_rows(real)["upd"]
    assert (row["pool_mode"], row["pool_size"], row["force_user"]) == ("statement", 21, "app")
    api.call("PUT", base + "/upd", {"username": None})
    assert _admin_rows(real)["upd"]["force_user"] in (None, "")
    uri = _pools(api)["upd"]["connection_uri"]
    assert _query(uri, "select current_database(), current_user") == ("appdb", "avnadmin")


def test_delete_makes_the_name_unusable_and_keeps_other_pools(real, api: Api):
    base = f"/project/{PROJECT}/service/pg-real/connection_pool"
    api.call("POST", base, {"pool_name": "doomed", "database": "appdb"})
    api.call("POST", base, {"pool_name": "keeper", "database": "appdb", "pool_mode": "session"})
    pools = _pools(api)
    doomed_uri, keeper_uri = pools["doomed"]["connection_uri"], pools["keeper"]["connection_uri"]
    with psycopg.connect(keeper_uri, connect_timeout=10, autocommit=True) as held:
        before = held.execute("select pg_backend_pid()").fetchone()
        assert api.call("DELETE", base + "/doomed").status_code == 200
        assert held.execute("select pg_backend_pid()").fetchone() == before  # same server connection, not dropped
    with pytest.raises(psycopg.OperationalError):
        _query(doomed_uri, "select 1")
    assert "doomed" not in _admin_rows(real)
    assert _query(keeper_uri, "select 1") == (1,)


def test_service_uri_connects_to_postgresql(api: Api):
    service = api.call("GET", f"/project/{PROJECT}/service/pg-real", params={"include_secrets": "true"}).json()["service"]
    assert _query(service["service_uri"], "select current_database(), current_user") == ("defaultdb", "avnadmin")


def test_avn_cli_against_the_default_seed_with_pgbouncer():
    """What `make emulator` serves, driven by Aiven's CLI as the README shows."""
    import json
    import os
    import subprocess
    import sys

    with EmulatorProcess(None, backend="pgbouncer", start_timeout=120) as emu:
        env = dict(os.environ, AIVEN_WEB_URL=emu.url, AIVEN_AUTH_TOKEN="demo-token", AIVEN_CREDENTIALS_FILE=os.devnull)

        def avn(*args):
            done = subprocess.run([sys.executable, "-m", "aiven.client", *args], env=env, capture_output=True, text=True, timeout=60,
                                  check=False)
            assert done.returncode == 0, done.stderr
            return done.stdout

        avn("service", "connection-pool-create", "--project", "demo-project", "pg-demo", "--pool-name", "cli", "--dbname", "appdb")
        pools = json.loads(avn("service", "connection-pool-list", "--project", "demo-project", "pg-demo", "--json", "--verbose"))
        assert [p["pool_name"] for p in pools] == ["cli"]
        # avn asks for no secrets: the URI holds the placeholder, the user supplies the password.
        uri = pools[0]["connection_uri"]
        assert uri.startswith("postgres://avnadmin:<redacted>@")
        password = emu.password("demo-project", "pg-demo", "avnadmin")
        assert _query(uri.replace("<redacted>", password), "select current_database()") == ("appdb",)
        avn("service", "connection-pool-delete", "--project", "demo-project", "pg-demo", "--pool-name", "cli")
        assert json.loads(avn("service", "connection-pool-list", "--project", "demo-project", "pg-demo", "--json")) == []


def test_sigterm_stops_every_server_and_removes_temp_files():
    import os
    import socket

    emu = EmulatorProcess(None, backend="pgbouncer", start_timeout=120).start()
    workdir = emu.credentials["backend_workdir"]
    ports = [(s["pg_port"], s["pgbouncer_port"]) for s in emu.credentials["services"]]
    assert workdir and os.path.isdir(workdir)
    emu.stop()  # SIGTERM, as the harness and Ctrl-C do
    assert not os.path.exists(workdir)
    for pg_port, bouncer_port in ports:
        for port in (pg_port, bouncer_port):
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"
