"""The project CA under Aiven's permission map: a project-role token is refused it, a CA file is the way around.

Production lists only organization:projects:write for GET /project/{project}/kms/ca; the emulator
follows that by default (option project_ca_access), so these runs meet the production refusal.
"""

from __future__ import annotations

import os

import psycopg
import requests

from tests.e2e.connection.world import PROJECT, TOKEN, TOKEN_PROJECT_ROLE, term


def _project_ca(emulator, directory: str) -> str:
    """The project's CA as an organization admin saves it once for the team: a PEM file."""
    reply = requests.get(f"{emulator.url}/v1/project/{PROJECT}/kms/ca", headers={"Authorization": f"aivenv1 {TOKEN}"}, timeout=30)
    reply.raise_for_status()
    path = os.path.join(directory, "project-ca.pem")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(reply.json()["certificate"])
    return path


def _paths(emulator) -> list[str]:
    return [entry["path"] for entry in emulator.requests_log()["log"]]


def test_a_project_role_token_asking_for_the_ca_fails_naming_the_permission_and_the_file_option(lookup_runs, emulator):
    lookup_runs.env["AIVEN_TOKEN"] = TOKEN_PROJECT_ROLE
    run, details = lookup_runs.details([term("pg-one", "pinned")], ca_cert=True)
    assert run.rc != 0
    assert details == []
    assert f"cannot read the CA certificate of project {PROJECT}: GET /v1/project/{PROJECT}/kms/ca: HTTP 403" in run.output
    assert "needs the permission organization:projects:write" in run.output
    assert "give the project's CA certificate as a file with project_ca_path" in run.output
    assert "Traceback" not in run.output


def test_the_ca_from_a_file_connects_with_verify_full_and_is_not_asked_for(lookup_runs, emulator, tmp_path):
    ca_file = _project_ca(emulator, str(tmp_path))
    emulator.reset_requests()
    lookup_runs.env["AIVEN_TOKEN"] = TOKEN_PROJECT_ROLE
    run, [item] = lookup_runs.details([term("pg-one", "pinned")], ca_cert=True, project_ca_path=ca_file)
    assert run.rc == 0, run.output[-3000:]
    assert _paths(emulator) == [f"/v1/project/{PROJECT}/service/pg-one"]
    with open(ca_file, encoding="ascii") as handle:
        assert item["ca_cert"].strip() == handle.read().strip()
    with psycopg.connect(host=item["host"], port=item["port"], dbname=item["dbname"], user=item["user"], password=item["password"],
                         sslmode="verify-full", sslrootcert=ca_file, connect_timeout=10) as conn:
        assert conn.execute("select current_database(), current_user").fetchone() == ("appdb", "app")
