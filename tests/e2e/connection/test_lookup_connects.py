"""The lookup's details connect through real PgBouncer with TLS verify-full, one request per service, no password shown."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List
from urllib.parse import urlsplit

import psycopg
import pytest
import requests

from aiven_emulator.process import EmulatorProcess
from tests.e2e.connection.world import POOLS, PROJECT, TOKEN, TOKEN_WITHOUT_SECRETS, term


def _ca_file(details: Dict[str, Any], directory: str) -> str:
    path = os.path.join(directory, "project-ca.pem")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(details["ca_cert"])
    return path


def _connect(details: Dict[str, Any], ca_file: str) -> psycopg.Connection:
    # The parts, not the URI: that is how an env file (PGHOST, PGPORT, ...) hands them to a client.
    return psycopg.connect(host=details["host"], port=details["port"], dbname=details["dbname"], user=details["user"],
                           password=details["password"], sslmode="verify-full", sslrootcert=ca_file, connect_timeout=10,
                           autocommit=True)


def _api_gets(emulator: EmulatorProcess) -> List[str]:
    return sorted(f"{entry['method']} {entry['path']}" for entry in emulator.requests_log()["log"])


def _assert_no_password(output: str, passwords: List[str]) -> None:
    leaked = sum(1 for password in passwords if password in output)
    assert leaked == 0, f"{leaked} seeded password(s) in the playbook's output"


def test_details_of_two_services_connect_with_verify_full(lookup_runs, emulator, passwords, tmp_path):
    wanted = list(POOLS)
    run, details = lookup_runs.details([term(service, pool) for service, pool in wanted], ca_cert=True, unpinned_user="app")
    assert run.rc == 0, run.output[-3000:]
    _assert_no_password(run.output, passwords)
    # Two services of one project, with secrets: each service (the list would carry every service's), and the project's CA.
    assert _api_gets(emulator) == [f"GET /v1/project/{PROJECT}/kms/ca", f"GET /v1/project/{PROJECT}/service/pg-one",
                                   f"GET /v1/project/{PROJECT}/service/pg-two"]
    assert [item["dbname"] for item in details] == [pool for _service, pool in wanted]
    ca_file = _ca_file(details[0], str(tmp_path))
    for (service, pool), item in zip(wanted, details):
        database, user = POOLS[(service, pool)]
        # The pool's own address, the route its connection_uri carries (the emulator's pool_uri_route, public).
        assert (item["host"], item["user"], item["password"]) == ("localhost", user, emulator.password(PROJECT, service, user))
        with _connect(item, ca_file) as conn:
            assert conn.info.pgconn.ssl_in_use
            assert conn.execute("select current_database(), current_user").fetchone() == (database, user)


def test_the_uri_connects_too(lookup_runs, emulator, tmp_path):
    run, [item] = lookup_runs.details([term("pg-one", "pinned")], ca_cert=True)
    assert run.rc == 0, run.output[-3000:]
    # Keyword arguments win over the URI's sslmode=require.
    with psycopg.connect(item["uri"], sslmode="verify-full", sslrootcert=_ca_file(item, str(tmp_path)), connect_timeout=10) as conn:
        assert conn.execute("select current_database(), current_user").fetchone() == ("appdb", "app")


def test_pools_of_one_service_take_one_request(lookup_runs, emulator, passwords):
    run, details = lookup_runs.details([term("pg-one", "pinned"), term("pg-one", "shared"), term("pg-one", "pinned")],
                                       unpinned_user="app")
    assert run.rc == 0, run.output[-3000:]
    _assert_no_password(run.output, passwords)
    assert _api_gets(emulator) == [f"GET /v1/project/{PROJECT}/service/pg-one"]
    assert [(item["dbname"], item["user"]) for item in details] == [("pinned", "app"), ("shared", "app"), ("pinned", "app")]
    assert all("ca_cert" not in item for item in details)


def test_include_secrets_false_gives_details_without_credentials_and_asks_for_none(lookup_runs, emulator, passwords):
    lookup_runs.env["AIVEN_TOKEN"] = TOKEN_WITHOUT_SECRETS
    run, details = lookup_runs.details([term("pg-one", "pinned"), term("pg-one", "shared")], include_secrets=False)
    assert run.rc == 0, run.output[-3000:]
    # One read, no refusal read again: secrets were not asked for.
    assert _api_gets(emulator) == [f"GET /v1/project/{PROJECT}/service/pg-one"]
    # Unpinned and no user named: no credentials at all, never the admin's.
    assert [(item["dbname"], item["user"]) for item in details] == [("pinned", "app"), ("shared", "")]
    assert all("password" not in item for item in details)
    assert not any(password in json.dumps(details) for password in passwords)
    assert "@" not in details[1]["uri"]


def test_a_token_that_may_not_read_secrets_fails_naming_the_permission_and_the_pool(lookup_runs, emulator, passwords):
    lookup_runs.env["AIVEN_TOKEN"] = TOKEN_WITHOUT_SECRETS
    run, details = lookup_runs.details([term("pg-one", "pinned")])
    assert run.rc != 0
    assert details == []
    assert (f"the API token may not read the passwords of pool(s) {term('pg-one', 'pinned')}: project {PROJECT} answered "
            "include_secrets=true with HTTP 403; grant the token the permission service:secrets:read") in run.output
    _assert_no_password(run.output, passwords)


def test_a_missing_pool_fails_naming_it_and_the_services_pools(lookup_runs, emulator, passwords):
    run, details = lookup_runs.details([term("pg-one", "pinned"), term("pg-one", "nope")])
    assert run.rc != 0
    assert details == []
    assert f"pool {PROJECT}/pg-one/nope does not exist; service {PROJECT}/pg-one has pools: pinned, shared" in run.output
    _assert_no_password(run.output, passwords)
    assert _api_gets(emulator) == [f"GET /v1/project/{PROJECT}/service/pg-one"]


def test_without_secrets_two_services_take_the_one_list_request(lookup_runs, emulator):
    run, details = lookup_runs.details([term("pg-one", "pinned"), term("pg-two", "reports")], include_secrets=False)
    assert run.rc == 0, run.output[-3000:]
    assert _api_gets(emulator) == [f"GET /v1/project/{PROJECT}/service"]
    assert [item["user"] for item in details] == ["app", "avnadmin"]


def _document(emulator: EmulatorProcess, service: str) -> Dict[str, Any]:
    reply = requests.get(f"{emulator.url}/v1/project/{PROJECT}/service/{service}", headers={"Authorization": f"aivenv1 {TOKEN}"}, timeout=30)
    reply.raise_for_status()
    return reply.json()["service"]


def _pool_address(emulator: EmulatorProcess, service: str, pool: str) -> tuple:
    document = _document(emulator, service)
    uri = next(entry["connection_uri"] for entry in document["connection_pools"] if entry["pool_name"] == pool)
    parts = urlsplit(uri)
    return parts.hostname, parts.port


@pytest.mark.parametrize("options, route", [({}, "public"), ({"route": "dynamic"}, "dynamic"), ({"route": "public", "usage": "primary"}, "public")])
def test_the_default_and_each_route_connect_through_pgbouncer(lookup_runs, emulator, tmp_path, options, route):
    run, [item] = lookup_runs.details([term("pg-one", "pinned")], ca_cert=True, **options)
    assert run.rc == 0, run.output[-3000:]
    document = _document(emulator, "pg-one")
    bouncer = next(c for c in document["components"] if c["component"] == "pgbouncer" and c["route"] == route and c["usage"] == "primary")
    assert (item["host"], item["port"]) == (bouncer["host"], bouncer["port"])
    if not options:
        # The default is the pool's own address, not the first pgbouncer component (the dynamic one, 127.0.0.1).
        assert (item["host"], item["port"]) == _pool_address(emulator, "pg-one", "pinned") != ("127.0.0.1", bouncer["port"])
    with _connect(item, _ca_file(item, str(tmp_path))) as conn:
        assert conn.execute("select current_database(), current_user, inet_server_port() is not null").fetchone() == ("appdb", "app", True)


def test_a_replica_on_a_plan_without_standbys_fails_naming_the_service_and_its_addresses(lookup_runs, emulator, passwords):
    run, details = lookup_runs.details([term("pg-one", "pinned")], usage="replica")
    assert run.rc != 0
    assert details == []
    assert (f"pool {PROJECT}/pg-one/pinned: the service lists no PgBouncer address with route dynamic and usage replica "
            "(it has: route dynamic usage primary, route public usage primary)") in run.output
    _assert_no_password(run.output, passwords)


def test_a_route_that_is_not_one_fails_before_any_request(lookup_runs, emulator):
    run, details = lookup_runs.details([term("pg-one", "pinned")], route="vpc")
    assert run.rc != 0 and details == []
    assert "vpc" in run.output and "dynamic, public, private, privatelink" in run.output
    assert _api_gets(emulator) == []
