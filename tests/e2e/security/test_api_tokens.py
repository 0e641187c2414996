"""A token per project (api_tokens) in real ansible-playbook runs: two projects, two tokens each allowed only its own project.

One task applies both projects; a wrong token for one project fails with a 401 naming ``api_tokens[that project]``,
a token of the other project with a 403 naming it too; the tokens can come from AIVEN_PROJECT_TOKENS (an AWX
credential's way). Every run is at ``--diff -vvvv``, its whole output scanned for every token (tests/support/secrets.py).
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Callable, Dict, Iterator, Mapping

import pytest

from aiven_emulator.process import EmulatorProcess
from tests.support.ansible import PlaybookRun, ansible_env, marked_json, run_playbook
from tests.support.secrets import leaked_secrets

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks", "api_tokens.yml")
PROJECT_A = "tok-alpha"
PROJECT_B = "tok-beta"
SERVICES = {PROJECT_A: "pg-alpha", PROJECT_B: "pg-beta"}
POOLS = {PROJECT_A: "alpha-pool", PROJECT_B: "beta-pool"}
# Random per run, so that any occurrence in the output can only be a leak.
TOKEN_A = "alpha-token-" + secrets.token_hex(12)
TOKEN_B = "beta-token-" + secrets.token_hex(12)
WRONG = "wrong-token-" + secrets.token_hex(12)
TOKENS = {"token of tok-alpha": TOKEN_A, "token of tok-beta": TOKEN_B, "wrong token": WRONG}
# Each token's user is a member of its own project only (403 "Not a project member" elsewhere).
SEED = {
    "tokens": [{"token": TOKEN_A, "projects": [PROJECT_A]}, {"token": TOKEN_B, "projects": [PROJECT_B]}],
    "projects": [{"name": project, "services": [{"name": service, "state": "RUNNING", "plan": "startup-4",
                                                 "databases": ["defaultdb", "appdb"], "users": ["avnadmin"], "pools": []}]}
                 for project, service in SERVICES.items()],
}
OWN_TOKEN = {PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_B}


def _pools(emulator: EmulatorProcess, project: str) -> Dict[str, dict]:
    response = emulator.session.get(f"{emulator.url}/v1/project/{project}/service/{SERVICES[project]}",
                                    headers={"Authorization": f"aivenv1 {OWN_TOKEN[project]}"}, timeout=30)
    response.raise_for_status()
    return {pool["pool_name"]: pool for pool in response.json()["service"]["connection_pools"]}


@pytest.fixture(scope="module")
def two_projects(session_emulator: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return session_emulator(SEED)


@pytest.fixture
def emulator(two_projects: EmulatorProcess) -> Iterator[EmulatorProcess]:
    """The two projects without pools."""
    for project in SERVICES:
        for name in _pools(two_projects, project):
            response = two_projects.session.delete(
                f"{two_projects.url}/v1/project/{project}/service/{SERVICES[project]}/connection_pool/{name}",
                headers={"Authorization": f"aivenv1 {OWN_TOKEN[project]}"}, timeout=30)
            response.raise_for_status()
    yield two_projects


def _run(emulator: EmulatorProcess, collections_root: str, tokens: Mapping[str, str] | None,
         environ: Mapping[str, str] | None = None) -> tuple[PlaybookRun, dict]:
    extra_vars = {"api_url": emulator.url, "project_a": PROJECT_A, "project_b": PROJECT_B}
    if tokens is not None:
        extra_vars["tokens"] = dict(tokens)
    run = run_playbook(PLAYBOOK, ansible_env(collections_root, environ), extra_vars=extra_vars, args=("--diff", "-vvvv"))
    assert run.rc == 0, run.output[-3000:]
    assert leaked_secrets(run.output, TOKENS) == []
    return run, marked_json(run.output, "RESULT")


def test_one_task_applies_both_projects_each_with_its_own_token(emulator, collections_root):
    run, result = _run(emulator, collections_root, {PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_B})
    assert result["failed"] is False and result["changed"] is True, result
    assert sorted((change["project"], change["pool_name"]) for change in result["changes"]) == sorted(POOLS.items())
    assert all(set(_pools(emulator, project)) == {pool} for project, pool in POOLS.items())
    assert "-pool" in run.output and "--- before" in run.output  # the diffs were printed, and scanned

    again = _run(emulator, collections_root, {PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_B})[1]
    assert again["failed"] is False and again["changed"] is False, again


def test_a_wrong_token_for_one_project_fails_with_a_401_naming_its_entry(emulator, collections_root):
    result = _run(emulator, collections_root, {PROJECT_A: TOKEN_A, PROJECT_B: WRONG})[1]
    assert result["failed"] is True and result["status"] == 401, result
    assert "HTTP 401: Missing (expired) db token" in result["msg"]
    assert result["msg"].endswith(f"the API token is from api_tokens[{PROJECT_B}]: check that it is valid, not expired or revoked")
    # Every project is read before any write: nothing was changed.
    assert result["changed"] is False and _pools(emulator, PROJECT_A) == {}


def test_another_projects_token_fails_with_a_403_naming_its_entry(emulator, collections_root):
    result = _run(emulator, collections_root, {PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_A})[1]
    assert result["failed"] is True and result["status"] == 403, result
    assert result["msg"].endswith(f"HTTP 403: Not a project member; the API token is from api_tokens[{PROJECT_B}]: "
                                  "its user must be a member of the project")


def test_tokens_from_aiven_project_tokens_as_an_awx_credential_injects_them(emulator, collections_root):
    environ = {"AIVEN_PROJECT_TOKENS": json.dumps({PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_B})}
    result = _run(emulator, collections_root, None, environ)[1]
    assert result["failed"] is False and result["changed"] is True, result
    assert all(set(_pools(emulator, project)) == {pool} for project, pool in POOLS.items())
