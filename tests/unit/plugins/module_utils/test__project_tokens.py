# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which token each project gets and where it came from (module_utils/_project_tokens.py), and the clients of a run.

As the modules see it (the whole result, the requests' tokens): modules/aiven_connection_pool/
test_aiven_connection_pool_api_tokens.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import NO_TOKEN, OptionError
from ansible_collections.dbpools.aiven.plugins.module_utils._project_tokens import ProjectClients, TokenNames, project_tokens
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.api_helpers import SERVICE_PATH, aiven_error, make_client

DEFAULT = "default-T0KEN-0123456789"
TOKEN_A = "project-a-T0KEN-abcdef"
TOKEN_B = "project-b-T0KEN-fedcba"
ROLE_NAMES = TokenNames("connection_pools_api_token", "connection_pools_api_tokens")


def sources(params: dict[str, Any], raw: dict[str, Any], environ: dict[str, str] | None = None, names: TokenNames | None = None,
            projects: tuple[str, ...] = ("a", "b")) -> dict[str, str]:
    tokens = project_tokens(params, raw, environ or {}, names)
    return {project: tokens.token_for(project).source for project in projects}


def no_token(params: dict[str, Any], raw: dict[str, Any], project: str = "b", names: TokenNames | None = None) -> str:
    with pytest.raises(OptionError) as info:
        project_tokens(params, raw, {}, names).token_for(project)
    return info.value.message


# -- where each project's token comes from -----------------------------------------------


def test_a_project_in_api_tokens_gets_its_own_token_the_others_api_token() -> None:
    params = {"api_token": DEFAULT, "api_tokens": {"a": TOKEN_A}}
    tokens = project_tokens(params, params, {})
    assert (tokens.token_for("a").value, tokens.token_for("b").value) == (TOKEN_A, DEFAULT)
    assert sources(params, params) == {"a": "api_tokens[a]", "b": "the task's api_token (or module_defaults)"}
    assert tokens.values() == {TOKEN_A, DEFAULT}


def test_a_token_from_the_environment_names_the_variable_it_came_from() -> None:
    params = {"api_token": DEFAULT, "api_tokens": {"a": TOKEN_A}}
    environ = {"AIVEN_TOKEN": " ", "AIVEN_AUTH_TOKEN": DEFAULT, "AIVEN_PROJECT_TOKENS": '{"a": "-"}'}
    assert sources(params, {}, environ) == {"a": "the environment variable AIVEN_PROJECT_TOKENS (project a)",
                                            "b": "the environment variable AIVEN_AUTH_TOKEN"}
    assert sources(params, {}, {"AIVEN_TOKEN": DEFAULT})["b"] == "the environment variable AIVEN_TOKEN"


def test_the_callers_names_replace_the_options_names() -> None:
    params = {"api_token": DEFAULT, "api_tokens": {"a": TOKEN_A}}
    assert sources(params, params, names=ROLE_NAMES) == {"a": "connection_pools_api_tokens[a]",
                                                         "b": "connection_pools_api_token (or module_defaults)"}
    assert TokenNames.given({"api_tokens": "my\x1bvar", "project": "ignored", "api_token": ""}) == TokenNames("api_token", "my\\x1bvar")


# -- no token --------------------------------------------------------------------------------


def test_without_api_tokens_the_no_token_message_is_todays() -> None:
    assert no_token({"api_token": "  "}, {"api_token": "  "}) == NO_TOKEN
    assert no_token({}, {}, names=ROLE_NAMES) == ("no API token: set connection_pools_api_token, or the environment variable "
                                                  "AIVEN_TOKEN or AIVEN_AUTH_TOKEN")


def test_a_project_with_neither_token_is_named_with_where_to_set_one() -> None:
    params = {"api_tokens": {"a": TOKEN_A}}
    assert no_token(params, params) == ("no API token for project b: set api_tokens[b] or api_token, or the environment variable "
                                        "AIVEN_TOKEN or AIVEN_AUTH_TOKEN")
    assert no_token(params, params, names=ROLE_NAMES).startswith(
        "no API token for project b: set connection_pools_api_tokens[b] or connection_pools_api_token,")


@pytest.mark.parametrize(("tokens", "message"), [
    ({"a": ["not", "a", "token"]}, "api_tokens[a] must be a string, the project's API token"),
    ({"a": 12345}, "api_tokens[a] must be a string, the project's API token"),
    ({"a": "  "}, "api_tokens[a] is empty: give the project's API token, or leave the project out to use api_token"),
    ("not-a-mapping", "api_tokens must be a mapping from project name to API token"),
])
def test_an_unusable_entry_is_named_never_shown(tokens: Any, message: str) -> None:
    with pytest.raises(OptionError) as info:
        project_tokens({"api_token": DEFAULT, "api_tokens": tokens}, {"api_tokens": tokens}, {})
    assert info.value.message == message
    assert "12345" not in message and "not-a-mapping" not in message


# -- the clients of a run ------------------------------------------------------------------------


class Made:
    """make(token, sources) for ProjectClients: records each client made."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.made: list[tuple[str, dict[str, str]]] = []

    def __call__(self, token: str, sources: dict[str, str]):
        self.made.append((token, sources))
        return make_client(self.url, token=token, token_sources=sources, max_retries=0)


def test_one_client_per_distinct_token_knowing_each_projects_source(server) -> None:
    params = {"api_token": DEFAULT, "api_tokens": {"a": TOKEN_A, "b": TOKEN_B, "c": DEFAULT}}
    made = Made(server.url)
    clients = ProjectClients(project_tokens(params, params, {}), ["a", "b", "c", "d", "a"], made)
    assert made.made == [(TOKEN_A, {"a": "api_tokens[a]"}), (TOKEN_B, {"b": "api_tokens[b]"}),
                         (DEFAULT, {"c": "api_tokens[c]", "d": "the task's api_token (or module_defaults)"})]
    assert clients.client("c") is clients.client("d") and clients.client("a") is not clients.client("b")
    clients.close()


def test_no_client_is_made_when_a_project_has_no_token(server) -> None:
    params = {"api_tokens": {"a": TOKEN_A}}
    made = Made(server.url)
    with pytest.raises(OptionError, match="no API token for project b"):
        ProjectClients(project_tokens(params, params, {}), ["a", "b"], made)
    assert made.made == []


def test_each_request_goes_with_its_projects_token(server) -> None:
    params = {"api_token": DEFAULT, "api_tokens": {"proj": TOKEN_A}}
    clients = ProjectClients(project_tokens(params, params, {}), ["proj", "other"], Made(server.url))
    server.script("GET", SERVICE_PATH, (200, {}, {"service": {"state": "RUNNING"}}))
    server.script("GET", "/v1/project/other/service", (200, {}, {"services": []}))
    assert clients.get_service("proj", "pg1") == {"state": "RUNNING"}
    assert clients.list_services("other") == []
    clients.create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"})
    clients.update_pool("other", "pg1", "p1", {"pool_size": 3})
    clients.delete_pool("proj", "pg1", "p1")
    sent = [(request.path.split("/")[3], request.headers["Authorization"]) for request in server.requests]
    assert sent == [("proj", f"aivenv1 {TOKEN_A}"), ("other", f"aivenv1 {DEFAULT}"), ("proj", f"aivenv1 {TOKEN_A}"),
                    ("other", f"aivenv1 {DEFAULT}"), ("proj", f"aivenv1 {TOKEN_A}")]
    clients.close()


# -- a refused token names its source (the client's text; failure keeps the API's message) ----------


@pytest.mark.parametrize(("status", "message", "hint"), [
    (401, "Missing (expired) db token", "; the API token is from api_tokens[proj]: check that it is valid, not expired or revoked"),
    (403, "Not a project member", "; the API token is from api_tokens[proj]: its user must be a member of the project"),
    (403, "Current service plan does not include the connection pooling option", ""),
])
def test_an_answer_about_the_token_names_where_it_came_from(server, status: int, message: str, hint: str) -> None:
    server.script("GET", SERVICE_PATH, (status, {}, aiven_error(message, status)))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url, token=TOKEN_A, token_sources={"proj": "api_tokens[proj]", "other": "api_token"}, max_retries=0).get_service("proj", "pg1")
    assert str(info.value) == f"GET {SERVICE_PATH}: HTTP {status}: {message}{hint}"
    assert info.value.failure()["message"] == message
    assert TOKEN_A not in str(info.value)


def test_a_client_without_a_source_says_nothing_more_on_a_401(server) -> None:
    server.script("GET", SERVICE_PATH, (401, {}, aiven_error("Missing (expired) db token", 401)))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url, max_retries=0).get_service("proj", "pg1")
    assert str(info.value) == f"GET {SERVICE_PATH}: HTTP 401: Missing (expired) db token"


def test_an_unusable_token_names_its_source_before_any_request(server) -> None:
    with pytest.raises(AivenApiError) as info:
        make_client(server.url, token="two words", token_sources={"proj": "api_tokens[proj]"}).get_service("proj", "pg1")
    assert str(info.value).endswith("the API token contains spaces, control or non-ASCII characters; the API token is from api_tokens[proj]")
    assert server.requests == []


def test_a_token_shared_by_two_projects_is_named_as_each_project_got_it(server) -> None:
    params = {"api_token": DEFAULT, "api_tokens": {"c": DEFAULT}}
    clients = ProjectClients(project_tokens(params, params, {}), ["c", "d"], Made(server.url))
    texts = []
    for project in ("c", "d"):
        server.script("GET", f"/v1/project/{project}/service/pg1", (401, {}, aiven_error("Missing (expired) db token", 401)))
        with pytest.raises(AivenApiError) as info:
            clients.get_service(project, "pg1")
        texts.append(str(info.value).split("; ", 1)[1])
    assert texts == ["the API token is from api_tokens[c]: check that it is valid, not expired or revoked",
                     "the API token is from the task's api_token (or module_defaults): check that it is valid, not expired or revoked"]
    clients.close()
