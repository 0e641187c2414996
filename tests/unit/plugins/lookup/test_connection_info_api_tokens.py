# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info with api_tokens (or AIVEN_PROJECT_TOKENS): each project read with its own token, the
no-token error and a 401 naming where the token came from, and no token in any message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import error_reply

DEFAULT = "default-T0KEN-0123456789abcdef"
TOKEN_A = "proj-a-T0KEN-0123456789abcdef"
TOKEN_B = "proj-b-T0KEN-fedcba9876543210"
ALL_TOKENS = (DEFAULT, TOKEN_A, TOKEN_B)
UNAUTHORIZED = "Missing (expired) db token"
TERMS = ("proj-a/pg-a/pool-a", "proj-b/pg-b/pool-b")


@pytest.fixture
def two_projects(fake_api, monkeypatch):
    """A pinned pool in each of two projects; AIVEN_PROJECT_TOKENS unset unless a test sets it."""
    monkeypatch.delenv("AIVEN_PROJECT_TOKENS", raising=False)
    fake_api.add_pool("proj-a", "pg-a", "pool-a", username="alice")
    fake_api.add_pool("proj-b", "pg-b", "pool-b", username="alice")
    return fake_api


def run(lookup: Any, fake_api: Any, *terms: str, **options: Any) -> list[dict[str, Any]]:
    return lookup(*(terms or TERMS), api_url=fake_api.url, api_retries=0, **options)


def failure(lookup: Any, fake_api: Any, *terms: str, **options: Any) -> str:
    """The lookup's error message, checked to show no token."""
    with pytest.raises(AnsibleLookupError) as info:
        run(lookup, fake_api, *terms, **options)
    message = str(info.value)
    assert [token for token in ALL_TOKENS if token in message] == []
    return message


def tokens_by_project(fake_api: Any) -> dict[str, set[str]]:
    sent: dict[str, set[str]] = {}
    for request in fake_api.requests:
        sent.setdefault(request.path.split("/")[3], set()).add(request.headers["Authorization"])
    return sent


def test_each_project_is_read_with_its_own_token_the_others_with_api_token(two_projects, lookup, warnings):
    results = run(lookup, two_projects, api_token=DEFAULT, api_tokens={"proj-a": TOKEN_A})
    assert [item["dbname"] for item in results] == ["pool-a", "pool-b"]
    assert tokens_by_project(two_projects) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {DEFAULT}"}}
    assert warnings.messages == []


def test_aiven_project_tokens_alone_serve_every_project_they_name(two_projects, lookup, warnings, monkeypatch):
    monkeypatch.setenv("AIVEN_PROJECT_TOKENS", json.dumps({"proj-a": TOKEN_A, "proj-b": TOKEN_B}))
    run(lookup, two_projects)
    assert tokens_by_project(two_projects) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {TOKEN_B}"}}


def test_the_project_ca_is_read_with_the_projects_token(two_projects, lookup, warnings):
    results = run(lookup, two_projects, "proj-b/pg-b/pool-b", api_token=DEFAULT, api_tokens={"proj-b": TOKEN_B}, ca_cert=True)
    assert results[0]["ca_cert"]
    assert [request.path for request in two_projects.requests] == ["/v1/project/proj-b/service/pg-b?include_secrets=true",
                                                                   "/v1/project/proj-b/kms/ca"]
    assert tokens_by_project(two_projects) == {"proj-b": {f"aivenv1 {TOKEN_B}"}}


def test_a_project_with_neither_token_fails_before_any_request_naming_it(two_projects, lookup, warnings):
    message = failure(lookup, two_projects, api_tokens={"proj-a": TOKEN_A})
    assert message == ("no API token for project proj-b: set api_tokens[proj-b] or api_token, "
                       "or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN")
    assert two_projects.requests == []


@pytest.mark.parametrize(("given", "environ", "source"), [
    ({"api_tokens": {"proj-a": TOKEN_A}, "api_token": DEFAULT}, {}, "api_tokens[proj-a]"),
    ({"api_token": DEFAULT}, {}, "the lookup's api_token"),
    ({}, {"AIVEN_TOKEN": DEFAULT}, "the environment variable AIVEN_TOKEN"),
    ({"api_token": " "}, {"AIVEN_AUTH_TOKEN": DEFAULT}, "the environment variable AIVEN_AUTH_TOKEN"),
    ({"api_token": DEFAULT}, {"AIVEN_PROJECT_TOKENS": json.dumps({"proj-a": TOKEN_A})},
     "the environment variable AIVEN_PROJECT_TOKENS (project proj-a)"),
], ids=["api_tokens", "api_token", "AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_PROJECT_TOKENS"])
def test_a_401_says_where_the_refused_token_came_from(two_projects, lookup, warnings, monkeypatch, given, environ, source):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    two_projects.script("GET", "/v1/project/proj-a/service/pg-a?include_secrets=true", error_reply(401, UNAUTHORIZED))
    message = failure(lookup, two_projects, **given)
    assert message == (f"cannot read service proj-a/pg-a: GET /v1/project/proj-a/service/pg-a: HTTP 401: {UNAUTHORIZED}; "
                       f"the API token is from {source}: check that it is valid, not expired or revoked")


def test_a_token_echoed_by_the_api_is_scrubbed_and_its_source_named(two_projects, lookup, warnings):
    two_projects.script("GET", "/v1/project/proj-b/service/pg-b?include_secrets=true", error_reply(401, f"token {TOKEN_B} is unknown"))
    message = failure(lookup, two_projects, api_tokens={"proj-a": TOKEN_A, "proj-b": TOKEN_B})
    assert "the API token is from api_tokens[proj-b]" in message


@pytest.mark.parametrize("value", ["prod-project: " + TOKEN_A, json.dumps([TOKEN_A]), "{" + TOKEN_A])
def test_aiven_project_tokens_that_is_no_json_object_fails_naming_the_variable_not_its_value(two_projects, lookup, warnings, monkeypatch, value):
    monkeypatch.setenv("AIVEN_PROJECT_TOKENS", value)
    message = failure(lookup, two_projects, api_token=DEFAULT)
    assert message == ('the environment variable AIVEN_PROJECT_TOKENS must be a JSON object from project name to API token, '
                       'such as {"prod-project": "TOKEN"}')
    assert two_projects.requests == []


def test_api_tokens_of_the_lookup_win_over_aiven_project_tokens(two_projects, lookup, warnings, monkeypatch):
    monkeypatch.setenv("AIVEN_PROJECT_TOKENS", "not json")
    run(lookup, two_projects, api_tokens={"proj-a": TOKEN_A, "proj-b": TOKEN_B})
    assert tokens_by_project(two_projects) == {"proj-a": {f"aivenv1 {TOKEN_A}"}, "proj-b": {f"aivenv1 {TOKEN_B}"}}


@pytest.mark.parametrize(("tokens", "message"), [
    ({"proj-a": " "}, "api_tokens[proj-a] is empty: give the project's API token, or leave the project out to use api_token"),
    ({"proj-a": 42}, "api_tokens[proj-a] must be a string, the project's API token"),
])
def test_an_unusable_entry_of_api_tokens_fails_before_any_request_naming_it(two_projects, lookup, warnings, tokens, message):
    assert failure(lookup, two_projects, api_token=DEFAULT, api_tokens=tokens) == message
    assert two_projects.requests == []


def test_no_terms_need_no_project_token_but_a_token(two_projects, lookup, warnings):
    assert lookup(api_url=two_projects.url, api_tokens={"proj-a": TOKEN_A}) == []
    with pytest.raises(AnsibleLookupError, match="^no API token: set api_token"):
        lookup(api_url=two_projects.url)
    assert two_projects.requests == []
