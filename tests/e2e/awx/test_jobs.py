"""The job template run through ansible-runner as AWX runs it: counts from the job events, requests from the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Dict, List

import pytest
import requests

from aiven_emulator.process import EmulatorProcess
from tests.e2e.awx.job import AwxRun
from tests.e2e.awx.scenario import (
    API_401_MESSAGE,
    APPLY_TASK,
    FIRST_RUN_REPORT,
    FIRST_RUN_TOUCHED,
    FIRST_RUN_WRITES,
    GUIDE_LOOKUP_TASK,
    GUIDE_URL_TASK,
    HOST,
    PROJECT,
    PUBLIC_API,
    REPORT_TASK,
    SECOND_RUN_REPORT,
    SERVICE_LIST,
    SERVICES,
    TEAM_REPORT,
    TEAM_SERVICES,
    TYPE_KEYS,
    expected_pools,
)
from tests.support.ansible import ansible_env

# The api_url the collection's own fallback and default give a module that is passed none,
# evaluated by the installed copy in a process of its own (this one imports the work tree's).
MODULE_API_URL = """
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import DEFAULT_API_URL, URL_VARIABLE, env_if_set
try:
    print(env_if_set(URL_VARIABLE))
except AnsibleFallbackNotFound:
    print(DEFAULT_API_URL)
"""


def writes(by_method: Dict[str, int]) -> Dict[str, int]:
    return {method: count for method, count in by_method.items() if method != "GET"}


def reads(run: AwxRun) -> List[str]:
    return [entry["path"] for entry in run.requests["log"] if entry["method"] == "GET"]


def pools_on_emulator(emulator: EmulatorProcess, token: str) -> Dict[str, Dict[str, tuple]]:
    found = {}
    for service in SERVICES:
        response = requests.get(f"{emulator.url}/v1/project/{PROJECT}/service/{service}",
                                headers={"Authorization": f"aivenv1 {token}"}, timeout=30)
        response.raise_for_status()
        found[service] = {pool["pool_name"]: (pool["database"], pool.get("username"), pool["pool_mode"], pool["pool_size"])
                          for pool in response.json()["service"]["connection_pools"]}
    return found


# --- both runs of the job template -----------------------------------------------------------

@pytest.mark.parametrize("name", ["first_apply", "second_apply", "guide", "team_apply"])
def test_job_is_successful(request: pytest.FixtureRequest, name: str) -> None:
    job = request.getfixturevalue(name).job
    assert (job.status, job.rc) == ("successful", 0)


@pytest.mark.parametrize("name", ["first_apply", "second_apply", "team_apply"])
def test_no_host_failed_or_unreachable(request: pytest.FixtureRequest, name: str) -> None:
    counts = request.getfixturevalue(name).job.host_counts(HOST)
    assert (counts["failures"], counts["dark"]) == (0, 0)


# --- the first run: everything to do ---------------------------------------------------------

def test_first_run_changes_once_the_one_module_call_for_both_services(first_apply: AwxRun) -> None:
    assert first_apply.job.host_counts(HOST)["changed"] == 1
    assert first_apply.job.changed_results() == [APPLY_TASK]


def test_first_run_sends_the_expected_writes(first_apply: AwxRun) -> None:
    assert writes(first_apply.requests["by_method"]) == FIRST_RUN_WRITES


def test_first_run_reads_the_service_list_before_and_after_the_writes(first_apply: AwxRun) -> None:
    assert reads(first_apply) == [SERVICE_LIST, SERVICE_LIST]


def test_first_run_diff_shows_one_entry_per_touched_pool(first_apply: AwxRun) -> None:
    """--diff shows the module's own diff (the task has no no_log)."""
    shown = sorted(entry.get("before_header") for res in first_apply.job.results_of(APPLY_TASK) for entry in res.get("diff") or [])
    assert shown == FIRST_RUN_TOUCHED


def test_first_run_report_names_every_pool_the_purged_one_too(first_apply: AwxRun) -> None:
    assert [res.get("msg") for res in first_apply.job.results_of(REPORT_TASK)] == [FIRST_RUN_REPORT]


# --- the second run: nothing to do -----------------------------------------------------------

def test_second_run_changes_nothing(second_apply: AwxRun) -> None:
    assert second_apply.job.host_counts(HOST)["changed"] == 0
    assert second_apply.job.changed_results() == []


def test_second_run_only_reads_the_service_list(second_apply: AwxRun) -> None:
    assert reads(second_apply) == [SERVICE_LIST]
    assert second_apply.requests["by_method"] == {"GET": 1}


def test_second_run_reports_no_change(second_apply: AwxRun) -> None:
    assert [res.get("msg") for res in second_apply.job.results_of(REPORT_TASK)] == [SECOND_RUN_REPORT]


def test_second_run_runs_the_same_tasks(first_apply: AwxRun, second_apply: AwxRun) -> None:
    """Nothing is shown or skipped only when something changed: ok counts the same tasks."""
    assert second_apply.job.host_counts(HOST)["ok"] == first_apply.job.host_counts(HOST)["ok"]


def test_the_pools_on_the_api_are_exactly_the_declared_ones(second_apply: AwxRun, emulator: EmulatorProcess, token: str) -> None:
    assert pools_on_emulator(emulator, token) == expected_pools()


# --- a wrong token ---------------------------------------------------------------------------

def test_wrong_token_fails_the_job(wrong_token: AwxRun) -> None:
    assert wrong_token.job.status == "failed" and wrong_token.job.rc != 0
    assert wrong_token.job.host_counts(HOST)["failures"] == 1


def test_wrong_token_failure_carries_the_401_and_the_api_message(wrong_token: AwxRun) -> None:
    messages = [str(event["event_data"].get("res", {}).get("msg", "")) for event in wrong_token.job.of("runner_on_failed")]
    assert len(messages) == 1
    assert "401" in messages[0] and API_401_MESSAGE in messages[0]


def test_wrong_token_makes_one_read_and_no_write(wrong_token: AwxRun) -> None:
    """A 401 is not retried."""
    assert wrong_token.requests["by_method"] == {"GET": 1}


def test_wrong_token_leaves_the_pools_as_they_were(wrong_token: AwxRun, emulator: EmulatorProcess, token: str) -> None:
    assert pools_on_emulator(emulator, token) == expected_pools()


# --- a token per project: the credential "Aiven API tokens by project" beside "Aiven API token" --------

def _team_pools(emulator: EmulatorProcess, project: str, token: str) -> Any:
    return requests.get(f"{emulator.url}/v1/project/{project}/service/{TEAM_SERVICES[project]}",
                        headers={"Authorization": f"aivenv1 {token}"}, timeout=30)


def test_each_team_token_is_a_member_of_its_own_project_only(emulator: EmulatorProcess, team_tokens: Dict[str, str],
                                                             home_token: str) -> None:
    """What makes the job's success proof of each project's own token: any other token is refused there."""
    (project_a, token_a), (project_b, token_b) = team_tokens.items()
    for project, token in ((project_a, token_b), (project_b, token_a), (project_a, home_token), (project_b, home_token)):
        response = _team_pools(emulator, project, token)
        assert (response.status_code, response.json()["message"]) == (403, "Not a project member")


def test_team_job_applies_a_pool_in_each_project_with_that_projects_token(team_apply: AwxRun) -> None:
    # Every request answered, none refused: a project written with the home token or the other's would be a 403.
    assert sorted((entry["method"], entry["path"].split("?")[0], entry["status"]) for entry in team_apply.requests["log"]) == sorted(
        [("GET", f"/v1/project/{project}/service/{service}", 200) for project, service in TEAM_SERVICES.items()] * 2
        + [("POST", f"/v1/project/{project}/service/{service}/connection_pool", 200) for project, service in TEAM_SERVICES.items()])
    assert team_apply.job.changed_results() == [APPLY_TASK]
    assert [res.get("msg") for res in team_apply.job.results_of(REPORT_TASK)] == [TEAM_REPORT]


def test_team_job_pools_are_on_the_api(team_apply: AwxRun, emulator: EmulatorProcess, team_tokens: Dict[str, str]) -> None:
    for project, token in team_tokens.items():
        response = _team_pools(emulator, project, token)
        response.raise_for_status()
        assert [(pool["pool_name"], pool["database"], pool.get("username"), pool["pool_size"])
                for pool in response.json()["service"]["connection_pools"]] == [("team-pool", "appdb", "app", 5)]


def test_team_job_sees_both_credentials_only_in_its_environment(team_apply: AwxRun, team_tokens: Dict[str, str]) -> None:
    assert set(team_apply.injected) == {"AIVEN_TOKEN", "AIVEN_WEB_URL", "AIVEN_PROJECT_TOKENS"}
    assert json.loads(team_apply.injected["AIVEN_PROJECT_TOKENS"]) == team_tokens


# --- docs/awx.md ---------------------------------------------------------------------------

def test_guide_lookup_gives_the_type_with_its_injector_templates_unrendered(guide: AwxRun, credential_type: Dict[str, Any]) -> None:
    looked_up = [res.get("msg") for res in guide.job.results_of(GUIDE_LOOKUP_TASK)]
    assert looked_up == [{key: credential_type[key] for key in TYPE_KEYS}]


def test_guide_job_sees_aiven_web_url_empty(guide: AwxRun) -> None:
    assert [res.get("msg") for res in guide.job.results_of(GUIDE_URL_TASK)] == [""]


def test_guide_role_with_nothing_declared_sends_no_request(guide: AwxRun) -> None:
    assert guide.requests["total"] == 0


def test_an_empty_aiven_web_url_leaves_the_public_api(installed_root: str) -> None:
    """The role passes no api_url of its own: the module's fallback decides, and skips a blank variable."""
    env = dict(ansible_env(installed_root), PYTHONPATH=installed_root, AIVEN_WEB_URL="")
    proc = subprocess.run([sys.executable, "-c", MODULE_API_URL], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == PUBLIC_API
