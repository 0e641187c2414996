"""Where the credential goes in each job (the process environment only) and what the job's artifacts hold (no secret)."""

from __future__ import annotations

import json
import os

from tests.e2e.awx.job import AwxRun
from tests.support.secrets import leaked_secrets

# Artifact files the secret scan leaves out, and why. A test checks that the reason still holds.
EXCLUDED = {
    "command": "ansible-runner writes the job's whole process environment there (AIVEN_TOKEN included), with or "
               "without suppress_env_files (that setting only stops env/envvars, env/extravars... being written); AWX "
               "keeps only a redacted copy of the environment (build_safe_env) and deletes the private data dir after the job",
}


def test_the_credential_reaches_ansible_playbook_through_its_environment(any_job: AwxRun) -> None:
    command = json.loads(any_job.job.read_artifact("command"))
    assert {key: command["env"].get(key) for key in any_job.injected} == any_job.injected


def test_no_token_on_the_command_line_and_no_extra_vars_file(any_job: AwxRun) -> None:
    command = json.loads(any_job.job.read_artifact("command"))
    assert any_job.injected["AIVEN_TOKEN"] not in " ".join(command["command"])
    assert not os.path.exists(os.path.join(any_job.job.private_data_dir, "env", "extravars"))


def test_env_folder_holds_the_credential_only_when_asked(any_job: AwxRun) -> None:
    """AWX's default (suppress_env_files) writes nothing under env/; plain ansible-runner reads env/envvars."""
    env_dir = os.path.join(any_job.job.private_data_dir, "env")
    env_files = sorted(os.listdir(env_dir)) if os.path.isdir(env_dir) else []
    if any_job.env_file:
        assert "envvars" in env_files
    else:
        assert env_files == []


def test_no_secret_or_connection_uri_in_the_artifacts(any_job: AwxRun) -> None:
    """Job events, stdout, stderr, status, rc: without connection_pools_include_secrets no result holds a URI at all."""
    scanned = [relative for relative in any_job.job.artifact_files() if relative not in EXCLUDED]
    assert "stdout" in scanned and any(relative.startswith("job_events/") for relative in scanned)
    leaks = []
    for relative in scanned:
        text = any_job.job.read_artifact(relative)
        leaks += [f"{relative}: {name}" for name in leaked_secrets(text, any_job.secrets)]
        if "postgres://" in text or "postgresql://" in text:
            leaks.append(f"{relative}: a connection URI")
    assert leaks == []


def test_the_excluded_artifacts_exist_and_hold_the_token(any_job: AwxRun) -> None:
    """The reason to exclude them, checked: if ansible-runner stopped writing the token there, the exclusion must go."""
    files = any_job.job.artifact_files()
    for excluded in EXCLUDED:
        assert excluded in files
        assert any_job.token_name in leaked_secrets(any_job.job.read_artifact(excluded), any_job.secrets)
