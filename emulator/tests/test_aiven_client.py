"""Aiven's own Python client and CLI, pointed at the emulator, as an independent judge."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aiven.client.client import AivenClient, Error
from harness import PROJECT, TOKEN


@pytest.fixture
def client(emulator) -> AivenClient:
    emulator.clear_faults()
    aiven = AivenClient(base_url=emulator.url)
    aiven.set_auth_token(TOKEN)
    return aiven


def _pools(client: AivenClient, service: str = "pg-main") -> dict:
    return {p["pool_name"]: p for p in client.get_service(PROJECT, service)["connection_pools"]}


def test_pool_lifecycle_with_aiven_client(client: AivenClient):
    client.create_service_connection_pool(PROJECT, "pg-main", "avn-pool", dbname="appdb", username="app", pool_size=12, pool_mode="session")
    pool = _pools(client)["avn-pool"]
    assert (pool["database"], pool["username"], pool["pool_size"], pool["pool_mode"]) == ("appdb", "app", 12, "session")

    client.update_service_connection_pool(PROJECT, "pg-main", "avn-pool", pool_size=20, pool_mode="statement")
    pool = _pools(client)["avn-pool"]
    assert (pool["pool_size"], pool["pool_mode"], pool["username"]) == (20, "statement", "app")

    client.update_service_connection_pool(PROJECT, "pg-main", "avn-pool", username=None)  # unpin
    assert "username" not in _pools(client)["avn-pool"]

    client.delete_service_connection_pool(PROJECT, "pg-main", "avn-pool")
    assert "avn-pool" not in _pools(client)


def test_create_uses_api_defaults(client: AivenClient):
    client.create_service_connection_pool(PROJECT, "pg-main", "avn-defaults", dbname="defaultdb")
    pool = _pools(client)["avn-defaults"]
    assert (pool["pool_mode"], pool["pool_size"]) == ("transaction", 10)
    client.delete_service_connection_pool(PROJECT, "pg-main", "avn-defaults")


def test_databases_and_users(client: AivenClient):
    listing = client.list_databases(PROJECT, "pg-main")  # the whole body: this call has no result_key
    assert [d["database_name"] for d in listing["databases"]] == ["defaultdb", "appdb"]
    user = client.get_service_user(PROJECT, "pg-main", "app")
    # aiven-client does not ask for secrets: production answers the password redacted.
    assert (user["username"], user["password"], user["type"]) == ("app", "<redacted>", "normal")
    assert user["access_control"] == {"pg_allow_replication": False}


def test_database_and_user_lifecycle_with_aiven_client(emulator, client: AivenClient):
    # Without the read-after-write windows: aiven-client re-reads at once and has no retries of its own.
    emulator.set_options(database_lag_reads=0, user_create_404_reads=0, user_empty_password_reads=0, user_delete_lag_reads=0)
    try:
        client.create_service_database(PROJECT, "pg-dbu", "avn_db")
        assert "avn_db" in [d["database_name"] for d in client.list_databases(PROJECT, "pg-dbu")["databases"]]
        created = client.create_service_user(PROJECT, "pg-dbu", "avn_user", extra_params={"access_control": {"pg_allow_replication": True}})
        assert (created["type"], created["password"]) == ("normal", "<redacted>")
        client.reset_service_user_password(PROJECT, "pg-dbu", "avn_user", "chosen-password")
        client.set_service_user_access_control(PROJECT, "pg-dbu", "avn_user", {"pg_allow_replication": False})
        assert client.get_service_user(PROJECT, "pg-dbu", "avn_user")["access_control"] == {"pg_allow_replication": False}
        client.delete_service_user(PROJECT, "pg-dbu", "avn_user")
        client.delete_service_database(PROJECT, "pg-dbu", "avn_db")
        with pytest.raises(Error) as caught:
            client.get_service_user(PROJECT, "pg-dbu", "avn_user")
        assert caught.value.status == 404
        assert "avn_db" not in [d["database_name"] for d in client.list_databases(PROJECT, "pg-dbu")["databases"]]
    finally:
        emulator.reset_options()
        emulator.set_options(rate_limit=0)


@pytest.mark.parametrize(
    "call, status, text",
    [
        (lambda c: c.get_service("nope", "pg-main"), 404, "Project nope does not exist"),
        (lambda c: c.get_service(PROJECT, "nope"), 404, "Service nope does not exist"),
        (lambda c: c.create_service_connection_pool(PROJECT, "pg-main", "seeded", dbname="appdb"), 409, "already exists"),
        (lambda c: c.create_service_connection_pool(PROJECT, "pg-main", "x", dbname="nodb"), 404, "nodb"),
        (lambda c: c.create_service_connection_pool(PROJECT, "pg-main", "x", dbname="appdb", username="ghost"), 403, "ghost"),
        (lambda c: c.create_service_connection_pool(PROJECT, "pg-hobby", "x", dbname="defaultdb"), 403, "connection pooling"),
        (lambda c: c.create_service_connection_pool(PROJECT, "pg-off", "x", dbname="defaultdb"), 409, "not powered"),
        (lambda c: c.create_service_connection_pool(PROJECT, "pg-main", "x", dbname="appdb", pool_size=20000), 400, "pool_size"),
        (lambda c: c.update_service_connection_pool(PROJECT, "pg-main", "ghost", pool_size=5), 404, "ghost"),
        (lambda c: c.delete_service_connection_pool(PROJECT, "pg-main", "ghost"), 404, "ghost"),
    ],
)
def test_documented_errors_reach_aiven_client(client: AivenClient, call, status, text):
    with pytest.raises(Error) as caught:
        call(client)
    assert caught.value.status == status
    assert text in str(caught.value)


def test_bad_token_with_aiven_client(emulator):
    aiven = AivenClient(base_url=emulator.url)
    aiven.set_auth_token("wrong")
    with pytest.raises(Error) as caught:
        aiven.get_service(PROJECT, "pg-main")
    assert caught.value.status == 401


def _avn(emulator, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AIVEN_WEB_URL=emulator.url, AIVEN_AUTH_TOKEN=TOKEN, AIVEN_CREDENTIALS_FILE=os.devnull)
    command = [sys.executable, "-m", "aiven.client", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_avn_cli_lists_creates_and_deletes(emulator):
    created = _avn(emulator, "service", "connection-pool-create", "--project", PROJECT, "pg-main", "--pool-name", "cli-pool", "--dbname", "appdb")
    assert created.returncode == 0, created.stderr
    listed = _avn(emulator, "service", "connection-pool-list", "--project", PROJECT, "pg-main", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "cli-pool" in [p["pool_name"] for p in json.loads(listed.stdout)]
    deleted = _avn(emulator, "service", "connection-pool-delete", "--project", PROJECT, "pg-main", "--pool-name", "cli-pool")
    assert deleted.returncode == 0, deleted.stderr
    listed = _avn(emulator, "service", "connection-pool-list", "--project", PROJECT, "pg-main", "--json")
    assert "cli-pool" not in [p["pool_name"] for p in json.loads(listed.stdout)]


def test_avn_cli_databases_and_users(emulator):
    emulator.set_options(database_lag_reads=0, user_create_404_reads=0, user_empty_password_reads=0, user_delete_lag_reads=0)
    try:
        service = ["--project", PROJECT, "pg-dbu"]
        assert _avn(emulator, "service", "database-create", *service, "--dbname", "cli_db").returncode == 0
        listed = _avn(emulator, "service", "database-list", *service, "--json")
        assert listed.returncode == 0, listed.stderr
        assert "cli_db" in json.loads(listed.stdout)  # avn prints the names only
        created = _avn(emulator, "service", "user-create", *service, "--username", "cli_user")
        assert created.returncode == 0, created.stderr
        reset = _avn(emulator, "service", "user-password-reset", *service, "--username", "cli_user", "--new-password", "cli-password-1")
        assert reset.returncode == 0, reset.stderr
        users = _avn(emulator, "service", "user-list", *service, "--json")
        assert {"avnadmin": "primary", "cli_user": "normal"} == {u["username"]: u["type"] for u in json.loads(users.stdout)}
        got = _avn(emulator, "service", "user-get", *service, "--username", "cli_user", "--json")
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["password"] == "<redacted>"  # avn asks for no secrets
        assert _avn(emulator, "service", "user-delete", *service, "--username", "cli_user").returncode == 0
        assert _avn(emulator, "service", "database-delete", *service, "--dbname", "cli_db").returncode == 0
        refused = _avn(emulator, "service", "user-delete", *service, "--username", "avnadmin")
        assert refused.returncode != 0 and "primary" in refused.stderr
    finally:
        emulator.reset_options()
        emulator.set_options(rate_limit=0)
