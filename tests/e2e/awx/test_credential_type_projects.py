"""extensions/awx/credential_type_aiven_projects.yml: a token per project as AWX injects it (AIVEN_PROJECT_TOKENS).

The modules reading that variable are tested in tests/e2e/security/test_api_tokens.py (real runs) and the unit tests;
a job with this credential beside the single-token one is test_jobs.py's team_apply.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.awx.credential import ENV_NAME, PROJECTS_TYPE_FILE, inject_env, load_credential_type


@pytest.fixture(scope="module")
def projects_type() -> dict:
    return load_credential_type(PROJECTS_TYPE_FILE)


def test_the_tokens_are_one_required_secret_input_injected_only_as_an_aiven_variable(projects_type) -> None:
    assert projects_type["kind"] in ("cloud", "net")
    (field,) = projects_type["inputs"]["fields"]
    assert (field["id"], field["secret"], field["multiline"]) == ("tokens", True, True)
    assert projects_type["inputs"]["required"] == ["tokens"]
    assert set(projects_type["injectors"]) == {"env"}, "extra_vars injectors would store the tokens with the job"
    assert all(ENV_NAME.match(name) for name in projects_type["injectors"]["env"])


def test_injects_the_json_mapping_unchanged_as_aiven_project_tokens(projects_type) -> None:
    tokens = json.dumps({"prod-project": "prod-token", "dev-project": "dev-token"})
    assert inject_env(projects_type, {"tokens": tokens}) == {"AIVEN_PROJECT_TOKENS": tokens}


def test_its_variable_does_not_clash_with_the_single_token_type(projects_type, credential_type) -> None:
    # Both can be on one job (AWX allows one credential per type): their variables must differ.
    assert not set(projects_type["injectors"]["env"]) & set(credential_type["injectors"]["env"])
