"""extensions/awx/credential_type_aiven.yml: usable in AWX, and the environment AWX injects from it."""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict

import pytest

from tests.e2e.awx.credential import inject_env, shape_problems


def test_shape_is_usable_in_awx_with_a_secret_token_and_env_injectors_only(credential_type: Dict[str, Any]) -> None:
    assert shape_problems(credential_type) == []


def _token_not_secret(broken: Dict[str, Any]) -> None:
    next(field for field in broken["inputs"]["fields"] if field["id"] == "token")["secret"] = False


BREAKAGES: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "token shown": _token_not_secret,
    "token in extra vars": lambda broken: broken["injectors"].update(extra_vars={"aiven_token": "{{ token }}"}),
    "not an AIVEN_ variable": lambda broken: broken["injectors"]["env"].update(ANSIBLE_CONFIG="{{ api_url }}"),
    "kind AWX refuses": lambda broken: broken.update(kind="ssh"),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_shape_check_finds_a_broken_type(credential_type: Dict[str, Any], breakage: str) -> None:
    broken = copy.deepcopy(credential_type)
    BREAKAGES[breakage](broken)
    assert shape_problems(broken)


def test_injects_exactly_aiven_token_and_aiven_web_url_from_its_inputs(credential_type: Dict[str, Any]) -> None:
    inputs = {"token": "token-value", "api_url": "https://aiven.example.test"}
    assert inject_env(credential_type, inputs) == {"AIVEN_TOKEN": "token-value", "AIVEN_WEB_URL": "https://aiven.example.test"}


def test_a_credential_without_api_url_injects_an_empty_aiven_web_url(credential_type: Dict[str, Any]) -> None:
    assert inject_env(credential_type, {"token": "token-value"})["AIVEN_WEB_URL"] == ""
