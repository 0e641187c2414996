"""The PgBouncer backend's servers run with the service's capacity settings, as its document reports them.

PostgreSQL: the effective max_connections (user_config.pg.max_connections, else the plan's) with 3 superuser
connections reserved, restarted when a plan change moves it. PgBouncer: user_config.pgbouncer's settings and
Aiven's client limit (contract, "Capacity").
"""

from __future__ import annotations

import shutil

import psycopg
import pytest
from harness import Api
from psycopg.rows import dict_row

from aiven_emulator.process import EmulatorProcess

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None and not shutil.os.path.exists("/usr/sbin/pgbouncer"),
                                reason="pgbouncer is not installed (make system-deps installs it)")

PROJECT = "cap-project"
TOKEN = "cap-token"
TUNED_PGBOUNCER = {"min_pool_size": 1, "server_idle_timeout": 300, "server_lifetime": 1200, "autodb_idle_timeout": 60,
                   "autodb_pool_size": 2, "autodb_pool_mode": "session", "autodb_max_db_connections": 3,
                   "server_reset_query_always": True, "ignore_startup_parameters": ["search_path"]}
SEED = {"tokens": [TOKEN], "projects": [{"name": PROJECT, "services": [
    {"name": "pg-tuned", "plan": "startup-4", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
     "user_config": {"pg": {"max_connections": 30}, "pgbouncer": TUNED_PGBOUNCER},
     "pools": [{"pool_name": "seeded", "database": "defaultdb", "pool_size": 2, "pool_mode": "session", "username": "app"}]},
    {"name": "pg-plain", "plan": "startup-4", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
     "pools": [{"pool_name": "seeded", "database": "defaultdb", "pool_size": 2, "pool_mode": "session", "username": "app"}]},
]}]}


@pytest.fixture(scope="module")
def real():
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=120) as emu:
        yield emu


@pytest.fixture
def api(real):
    return Api(real.url, token=TOKEN)


def _entry(real, service: str) -> dict:
    [entry] = [item for item in real.credentials["services"] if item["service"] == service]
    return entry


def _postgres(real, service: str, sql: str) -> tuple:
    """One row of ``sql`` on the service's PostgreSQL, straight (not through PgBouncer), as its admin user."""
    entry = _entry(real, service)
    with psycopg.connect(host="127.0.0.1", port=entry["pg_port"], user="avnadmin", password=entry["users"]["avnadmin"],
                         dbname="defaultdb", sslmode="require", connect_timeout=10, autocommit=True) as conn:
        return conn.execute(sql).fetchone()


def _bouncer(real, service: str, database: str, user: str = "app") -> psycopg.Connection:
    entry = _entry(real, service)
    return psycopg.connect(host="127.0.0.1", port=entry["pgbouncer_port"], user=user, password=entry["users"][user],
                           dbname=database, sslmode="require", connect_timeout=10, autocommit=True)


def _console(real, service: str, command: str) -> list:
    conninfo = _entry(real, service)["pgbouncer_admin"]
    with psycopg.connect(**conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor, row_factory=dict_row) as conn:
        return conn.execute(command).fetchall()


def _config(real, service: str) -> dict:
    return {row["key"]: row["value"] for row in _console(real, service, "SHOW CONFIG")}


def _document(api: Api, service: str) -> dict:
    response = api.call("GET", f"/project/{PROJECT}/service/{service}")
    assert response.status_code == 200, response.text
    return response.json()["service"]


@pytest.mark.parametrize(("service", "expected"), [("pg-tuned", 30), ("pg-plain", 100)])
def test_postgresql_runs_with_the_documents_max_connections_and_3_reserved(real, api, service, expected):
    assert _document(api, service)["metadata"]["max_connections"] == expected
    assert _postgres(real, service, "select current_setting('max_connections')::int, "
                                    "current_setting('superuser_reserved_connections')::int") == (expected, 3)


def test_pgbouncer_runs_with_the_user_config_and_the_client_limit(real):
    tuned, plain = _config(real, "pg-tuned"), _config(real, "pg-plain")
    assert {key: tuned[key] for key in ("min_pool_size", "server_idle_timeout", "server_lifetime", "autodb_idle_timeout",
                                        "server_reset_query_always")} == {
        "min_pool_size": "1", "server_idle_timeout": "300", "server_lifetime": "1200", "autodb_idle_timeout": "60",
        "server_reset_query_always": "1"}
    assert tuned["ignore_startup_parameters"].split(",") == ["extra_float_digits", "options", "search_path"]
    # startup-4: 4 GB, so min(max(500 x 4, 5000), 50000) = 5000 clients (the machine's open-files limit allows it).
    assert tuned["max_client_conn"] == plain["max_client_conn"] == "5000"
    # Without user_config: PgBouncer's defaults, as before.
    assert (plain["min_pool_size"], plain["server_reset_query_always"], plain["server_lifetime"]) == ("0", "0", "3600")


def test_autodb_pools_serve_a_database_without_a_pool_only_where_configured(real, api):
    with _bouncer(real, "pg-tuned", "appdb") as conn:
        assert conn.execute("select current_database(), current_user").fetchone() == ("appdb", "app")
    [row] = [row for row in _console(real, "pg-tuned", "SHOW DATABASES") if row["name"] == "appdb"]
    assert (row["pool_size"], row["pool_mode"], row["max_connections"], row["force_user"]) == (2, "session", 3, None)
    with pytest.raises(psycopg.OperationalError, match="no such database"):
        _bouncer(real, "pg-plain", "appdb").close()
    # The automatic pool PgBouncer lists is no declared pool: pool writes still check what PgBouncer serves.
    created = api.call("POST", f"/project/{PROJECT}/service/pg-tuned/connection_pool",
                       {"pool_name": "declared", "database": "appdb", "pool_size": 1, "pool_mode": "session"})
    assert created.status_code == 200, created.text
    with _bouncer(real, "pg-tuned", "declared") as conn:
        assert conn.execute("select current_database()").fetchone() == ("appdb",)


def test_a_plan_change_restarts_postgresql_with_the_new_max_connections(real, api):
    tuned_started = _postgres(real, "pg-tuned", "select pg_postmaster_start_time()")
    plain_started = _postgres(real, "pg-plain", "select pg_postmaster_start_time()")
    real.set_service(PROJECT, "pg-plain", plan="startup-8")
    real.set_service(PROJECT, "pg-tuned", plan="startup-8")  # user_config.pg.max_connections still decides: no restart
    try:
        assert _document(api, "pg-plain")["metadata"]["max_connections"] == 200
        assert _postgres(real, "pg-plain", "select current_setting('max_connections')::int") == (200,)
        assert _postgres(real, "pg-plain", "select pg_postmaster_start_time()") > plain_started
        assert _postgres(real, "pg-tuned", "select current_setting('max_connections')::int, pg_postmaster_start_time()") == (
            30, tuned_started[0])
        # 8 GB now: 500 x 8 = 4000 is still below the floor of 5000.
        assert _config(real, "pg-plain")["max_client_conn"] == "5000"
        with _bouncer(real, "pg-plain", "seeded") as conn:  # PgBouncer reaches the restarted server
            assert conn.execute("select current_database()").fetchone() == ("defaultdb",)
    finally:
        real.set_service(PROJECT, "pg-plain", plan="startup-4")
        real.set_service(PROJECT, "pg-tuned", plan="startup-4")
    assert _postgres(real, "pg-plain", "select current_setting('max_connections')::int") == (100,)
