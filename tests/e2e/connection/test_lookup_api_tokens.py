"""The lookup with a token per project (api_tokens, AIVEN_PROJECT_TOKENS) in real ansible-playbook runs.

Two projects, each token a member of its own project only (403 "Not a project member" elsewhere), and AIVEN_TOKEN
set to a token the API does not know (401): details of both projects in one lookup prove each was read with its own token.
No connection through PgBouncer here (test_lookup_connects does that): the emulator runs without a backend.
"""

from __future__ import annotations

import json
import secrets
from typing import Callable, Dict, List

import pytest

from aiven_emulator.process import EmulatorProcess
from tests.e2e.connection.world import LookupRuns
from tests.support.secrets import leaked_secrets

PROJECT_A = "lookup-alpha"
PROJECT_B = "lookup-beta"
SERVICES = {PROJECT_A: "pg-alpha", PROJECT_B: "pg-beta"}
USER = "app"
# Random per run, so that any occurrence in the output can only be a leak.
TOKEN_A = "alpha-token-" + secrets.token_hex(12)
TOKEN_B = "beta-token-" + secrets.token_hex(12)
UNKNOWN = "unknown-token-" + secrets.token_hex(12)
TOKENS = {"token of lookup-alpha": TOKEN_A, "token of lookup-beta": TOKEN_B, "unknown token": UNKNOWN}
SEED = {
    "tokens": [{"token": TOKEN_A, "projects": [PROJECT_A]}, {"token": TOKEN_B, "projects": [PROJECT_B]}],
    "projects": [{"name": project, "services": [{"name": service, "state": "RUNNING", "plan": "startup-4",
                                                 "databases": ["defaultdb", "appdb"], "users": ["avnadmin", USER],
                                                 "pools": [{"pool_name": "app-pool", "database": "appdb", "pool_mode": "transaction",
                                                            "pool_size": 2, "username": USER}]}]}
                 for project, service in SERVICES.items()],
}
TERMS = [f"{project}/{service}/app-pool" for project, service in SERVICES.items()]


@pytest.fixture(scope="module")
def token_projects(session_emulator: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return session_emulator(SEED)


@pytest.fixture
def runs(token_projects: EmulatorProcess, collections_root: str, tmp_path) -> LookupRuns:
    """Lookup runs whose AIVEN_TOKEN is a token the API refuses: a project read with it fails."""
    token_projects.reset_requests()
    lookup_runs = LookupRuns(collections_root, token_projects.url, str(tmp_path))
    lookup_runs.env["AIVEN_TOKEN"] = UNKNOWN
    return lookup_runs


def _reads(emulator: EmulatorProcess) -> List[str]:
    return sorted(f"{entry['method']} {entry['path'].split('?')[0]} {entry['status']}" for entry in emulator.requests_log()["log"])


def _checked(run_output: str) -> str:
    assert leaked_secrets(run_output, TOKENS) == []
    return run_output


def _passwords(emulator: EmulatorProcess) -> Dict[str, str]:
    return {project: emulator.password(project, service, USER) for project, service in SERVICES.items()}


def test_aiven_project_tokens_read_each_project_with_its_own_token(runs, token_projects):
    # What the AWX credential type "Aiven API tokens by project" injects.
    runs.env["AIVEN_PROJECT_TOKENS"] = json.dumps({PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_B})
    run, details = runs.details(TERMS)
    assert run.rc == 0, run.output[-3000:]
    _checked(run.output)
    assert [(item["dbname"], item["user"], item["password"]) for item in details] == [
        ("app-pool", USER, password) for password in _passwords(token_projects).values()]
    # Each token may read only its own project: both reads answered 200.
    assert _reads(token_projects) == [f"GET /v1/project/{project}/service/{service} 200" for project, service in SERVICES.items()]


def test_api_tokens_of_the_lookup_read_each_project_and_a_swapped_token_is_named(runs, token_projects):
    run, details = runs.details(TERMS, api_tokens={PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_B}, include_secrets=False)
    assert run.rc == 0, run.output[-3000:]
    _checked(run.output)
    assert [item["user"] for item in details] == [USER, USER]
    token_projects.reset_requests()
    run, details = runs.details(TERMS, api_tokens={PROJECT_A: TOKEN_A, PROJECT_B: TOKEN_A}, include_secrets=False)
    assert run.rc != 0 and details == []
    output = " ".join(_checked(run.output).split())
    assert (f"cannot read service {PROJECT_B}/pg-beta: GET /v1/project/{PROJECT_B}/service/pg-beta: HTTP 403: Not a project member; "
            f"the API token is from api_tokens[{PROJECT_B}]: its user must be a member of the project") in output, output[-3000:]


def test_a_project_without_a_token_fails_before_any_request_naming_it(runs, token_projects):
    runs.env["AIVEN_PROJECT_TOKENS"] = json.dumps({PROJECT_A: TOKEN_A})
    del runs.env["AIVEN_TOKEN"]
    run, details = runs.details(TERMS)
    assert run.rc != 0 and details == []
    assert (f"no API token for project {PROJECT_B}: set api_tokens[{PROJECT_B}] or api_token, "
            "or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN") in " ".join(_checked(run.output).split())
    assert _reads(token_projects) == []


def test_the_unknown_default_token_is_refused_naming_its_variable(runs, token_projects):
    runs.env["AIVEN_PROJECT_TOKENS"] = json.dumps({PROJECT_A: TOKEN_A})
    run, details = runs.details(TERMS)
    assert run.rc != 0 and details == []
    assert "the API token is from the environment variable AIVEN_TOKEN" in " ".join(_checked(run.output).split())
