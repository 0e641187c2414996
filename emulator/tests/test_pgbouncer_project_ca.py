"""With real servers, the project CA from the API is what verifies them (sslmode=verify-full)."""

from __future__ import annotations

import os

import psycopg
import pytest
from harness import Api

from aiven_emulator.process import EmulatorProcess

TOKEN = "ca-pg-token"
PROJECT = "ca-pg-project"
OTHER_PROJECT = "ca-pg-other"
SEED = {
    "tokens": [TOKEN],
    "projects": [
        {"name": PROJECT, "services": [
            {"name": "pg-verified", "databases": ["defaultdb"], "users": ["avnadmin"],
             "pools": [{"pool_name": "verified", "database": "defaultdb", "username": "avnadmin"}]},
        ]},
        # Its CA is real and from the same emulator, but signed nothing of PROJECT's.
        {"name": OTHER_PROJECT, "services": []},
    ],
}


@pytest.fixture(scope="module")
def real():
    with EmulatorProcess(SEED, backend="pgbouncer", start_timeout=120) as emu:
        yield emu


@pytest.fixture(scope="module")
def api(real) -> Api:
    return Api(real.url, token=TOKEN)


def _ca_file(api: Api, project: str, directory) -> str:
    response = api.call("GET", f"/project/{project}/kms/ca")
    assert response.status_code == 200, response.text
    path = os.path.join(str(directory), f"{project}-ca.pem")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(response.json()["certificate"])
    return path


def _service(api: Api) -> dict:
    response = api.call("GET", f"/project/{PROJECT}/service/pg-verified", params={"include_secrets": "true"})
    assert response.status_code == 200, response.text
    return response.json()["service"]


def _pool_uri(api: Api) -> str:
    pools = {p["pool_name"]: p for p in _service(api)["connection_pools"]}
    return pools["verified"]["connection_uri"]


def _connect(uri: str, ca_file: str, **overrides) -> psycopg.Connection:
    # Keyword arguments win over the URI's sslmode=require.
    return psycopg.connect(uri, sslmode="verify-full", sslrootcert=ca_file, connect_timeout=10, autocommit=True, **overrides)


def test_pool_verifies_with_the_project_ca(api: Api, tmp_path):
    uri = _pool_uri(api)
    # The public route (option pool_uri_route); the dynamic one is 127.0.0.1.
    assert "@localhost:" in uri
    with _connect(uri, _ca_file(api, PROJECT, tmp_path)) as conn:
        assert conn.execute("select current_database(), current_user").fetchone() == ("defaultdb", "avnadmin")
        assert conn.info.pgconn.ssl_in_use


def test_the_dynamic_routes_address_is_in_the_certificate_too(api: Api, tmp_path):
    with _connect(_pool_uri(api), _ca_file(api, PROJECT, tmp_path), host="127.0.0.1") as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_postgresql_itself_verifies_with_the_project_ca(api: Api, tmp_path):
    with _connect(_service(api)["service_uri"], _ca_file(api, PROJECT, tmp_path)) as conn:
        assert conn.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()").fetchone() == (True,)


def test_another_projects_ca_is_refused(api: Api, tmp_path):
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        _connect(_pool_uri(api), _ca_file(api, OTHER_PROJECT, tmp_path))
