"""The AWX suite's fixtures: one emulator, and the five jobs, each run once, on the installed release tarball.

The jobs build on each other (the second finds what the first applied), so each is a
session fixture that asks for the one before it; tests only read what a job left.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any, Callable, Dict, Iterator, List, Union

import pytest

from aiven_emulator.process import EmulatorProcess
from tests.e2e.awx.credential import PROJECTS_TYPE_FILE, inject_env, load_credential_type
from tests.e2e.awx.job import AwxRun, awx_job_env, make_private_data_dir, run_job
from tests.e2e.awx.scenario import HOST, INVENTORY, PROJECT, SEED, TEAM_INVENTORY, TEAM_SEED_PROJECTS, TEAM_SERVICES, guide_play
from tests.support.ansible import BIN
from tests.support.secrets import secrets_of

RunJob = Callable[..., AwxRun]


@pytest.fixture(scope="session")
def playbook(installed: str) -> str:
    """The job template's playbook: the installed collection's playbooks/apply_pools.yml."""
    return os.path.join(installed, "playbooks", "apply_pools.yml")


@pytest.fixture(scope="session")
def token() -> str:
    return "awx-" + secrets.token_hex(16)


@pytest.fixture(scope="session")
def team_tokens() -> Dict[str, str]:
    """A token per team project (the credential "Aiven API tokens by project"), each a member of its project only."""
    return {project: f"{project}-" + secrets.token_hex(12) for project in TEAM_SERVICES}


@pytest.fixture(scope="session")
def home_token() -> str:
    """The projects job's "Aiven API token": a member of PROJECT only, so a team project written with it is refused."""
    return "awx-home-" + secrets.token_hex(12)


@pytest.fixture(scope="session")
def emulator(session_emulator: Callable[..., EmulatorProcess], token: str, team_tokens: Dict[str, str], home_token: str) -> EmulatorProcess:
    tokens = [token, {"token": home_token, "projects": [PROJECT]}]
    tokens += [{"token": value, "projects": [project]} for project, value in team_tokens.items()]
    return session_emulator(dict(SEED, tokens=tokens, projects=SEED["projects"] + TEAM_SEED_PROJECTS), backend="memory")


@pytest.fixture(scope="session")
def credential_type() -> Dict[str, Any]:
    return load_credential_type()


@pytest.fixture(scope="session")
def injected(credential_type: Dict[str, Any], emulator: EmulatorProcess, token: str) -> Dict[str, str]:
    """The environment a credential with the token and the emulator's URL injects."""
    return inject_env(credential_type, {"token": token, "api_url": emulator.url})


@pytest.fixture(scope="session")
def secret_values(emulator: EmulatorProcess, token: str) -> Dict[str, str]:
    return secrets_of(emulator.credentials, token)


@pytest.fixture(scope="session")
def runner_process_env() -> Iterator[None]:
    """Only what a job sets reaches ansible-playbook: no AIVEN_* / ANSIBLE_* of the caller, this venv first on PATH.

    ansible-runner starts from a copy of this process's environment, as AWX's execution
    environment starts from the image's.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith(("AIVEN_", "ANSIBLE_"))]:
            patch.delenv(name)
        patch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))
        yield


@pytest.fixture(scope="session")
def run_awx_job(runner_process_env: None, emulator: EmulatorProcess, installed_root: str,
                secret_values: Dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> RunJob:
    """``run_awx_job(ident, playbook, injected, ...)``: one job in a fresh private data dir, with the emulator's requests during it."""

    def run(ident: str, playbook: Union[str, List[Dict[str, Any]]], injected: Dict[str, str], inventory: Dict[str, Any] | None = None,
            playbook_file: str = "", env_file: bool = False, cmdline: str = "", token_name: str = "API token",
            extra_secrets: Dict[str, str] | None = None) -> AwxRun:
        emulator.reset_requests()
        private = make_private_data_dir(str(tmp_path_factory.mktemp("job") / ident), inventory or INVENTORY, playbook_file or None)
        job = run_job(private, ident, playbook, awx_job_env(installed_root, injected), env_file=env_file, cmdline=cmdline)
        return AwxRun(job=job, requests=emulator.requests_log(), injected=injected, env_file=env_file,
                      secrets=dict(secret_values, **(extra_secrets or {})), token_name=token_name)

    return run


@pytest.fixture(scope="session")
def first_apply(run_awx_job: RunJob, playbook: str, injected: Dict[str, str]) -> AwxRun:
    """The job template's first run, its credential written to env/envvars as plain ansible-runner users do."""
    return run_awx_job("apply-1", os.path.basename(playbook), injected, playbook_file=playbook, env_file=True, cmdline="--diff")


@pytest.fixture(scope="session")
def second_apply(first_apply: AwxRun, run_awx_job: RunJob, playbook: str, injected: Dict[str, str]) -> AwxRun:
    """The same job again, the credential handed over in memory as AWX does: nothing left to change."""
    return run_awx_job("apply-2", os.path.basename(playbook), injected, playbook_file=playbook, cmdline="--diff")


@pytest.fixture(scope="session")
def wrong_token(second_apply: AwxRun, run_awx_job: RunJob, playbook: str, credential_type: Dict[str, Any],
                emulator: EmulatorProcess) -> AwxRun:
    """The job with a credential whose token the API does not know."""
    wrong = "wrong-" + secrets.token_hex(12)
    injected = inject_env(credential_type, {"token": wrong, "api_url": emulator.url})
    return run_awx_job("wrong-token", os.path.basename(playbook), injected, playbook_file=playbook,
                       token_name="wrong token", extra_secrets={"wrong token": wrong})


@pytest.fixture(scope="session")
def guide(run_awx_job: RunJob, installed: str, credential_type: Dict[str, Any], token: str) -> AwxRun:
    """docs/awx.md's steps: the credential type read from the installed collection, a credential without api_url."""
    inventory = {"all": {"hosts": {HOST: {"ansible_connection": "local"}}}}
    return run_awx_job("guide", [guide_play(installed)], inject_env(credential_type, {"token": token}), inventory=inventory)


@pytest.fixture(scope="session")
def team_apply(run_awx_job: RunJob, playbook: str, credential_type: Dict[str, Any], emulator: EmulatorProcess,
               team_tokens: Dict[str, str], home_token: str) -> AwxRun:
    """The job template with two credentials, as AWX injects both: "Aiven API token" (AIVEN_TOKEN, AIVEN_WEB_URL) and
    "Aiven API tokens by project" (AIVEN_PROJECT_TOKENS), applying a pool in each team project (TEAM_INVENTORY)."""
    injected = inject_env(credential_type, {"token": home_token, "api_url": emulator.url})
    injected.update(inject_env(load_credential_type(PROJECTS_TYPE_FILE), {"tokens": json.dumps(team_tokens)}))
    extra = {f"token of {project}": value for project, value in team_tokens.items()}
    return run_awx_job("team-tokens", os.path.basename(playbook), injected, inventory=TEAM_INVENTORY, playbook_file=playbook,
                       cmdline="--diff", token_name="home token", extra_secrets=dict(extra, **{"home token": home_token}))


JOBS = ("first_apply", "second_apply", "wrong_token", "guide", "team_apply")


@pytest.fixture(params=JOBS)
def any_job(request: pytest.FixtureRequest) -> AwxRun:
    """Each of the five jobs in turn."""
    return request.getfixturevalue(request.param)
