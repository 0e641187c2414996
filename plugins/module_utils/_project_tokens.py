# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which API token reads and writes each project, where it came from, and the clients of a run.

A project named in api_tokens (or the environment variable AIVEN_PROJECT_TOKENS) gets
its own token; any other project gets api_token (or AIVEN_TOKEN, AIVEN_AUTH_TOKEN). A
project with neither fails before any request, naming it. Every token's *source* is
kept for messages (the no-token error, a 401): the task's option (a module cannot tell
``module_defaults`` from it), the caller's variable (``TokenNames``), or the
environment variable. Never the token itself.

ProjectClients holds one AivenClient per distinct token (each knows, by project, where
its token came from), each with its own rate-limit
pacer: Aiven limits requests per user, and teams give each project its own (application)
user, so one project's 429 must not hold back the others; two tokens of one user
share a limit, which each pacer then sees as a tighter one and adapts to (``_pacing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils import _databases_api, _users_api
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import (
    NO_TOKEN,
    PROJECT_TOKENS_VARIABLE,
    TOKEN_VARIABLES,
    OptionError,
    first_set,
    json_object_text,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable


@dataclass(frozen=True)
class TokenNames:
    """What messages call api_token and api_tokens: the options' names unless the caller gives its own (a role its variables)."""

    api_token: str = "api_token"
    api_tokens: str = "api_tokens"

    @classmethod
    def given(cls, names: Mapping[str, Any] | None) -> TokenNames:
        # Names for messages, which Ansible prints as they are.
        given = {key: printable(value) for key, value in (names or {}).items()
                 if key in ("api_token", "api_tokens") and isinstance(value, str) and value}
        return cls(**given)


@dataclass(frozen=True)
class ProjectToken:
    """A token, and where it came from in words for a message."""

    value: str
    source: str


def _env_name(environ: Mapping[str, str], names: Iterable[str]) -> str | None:
    """The first of ``names`` set to a non-blank value (the one first_set reads)."""
    return next((name for name in names if environ.get(name, "").strip()), None)


class ProjectTokens:
    """The token of each project: its own from api_tokens, else api_token."""

    def __init__(self, default: ProjectToken | None, own: Mapping[str, ProjectToken], names: TokenNames) -> None:
        self.default = default
        self.own = dict(own)
        self.names = names

    def token_for(self, project: str) -> ProjectToken:
        """The token for ``project``; OptionError naming the project and where a token can be set when there is none."""
        token = self.own.get(project) or self.default
        if token is not None:
            return token
        places = f"the environment variable {TOKEN_VARIABLES[0]} or {TOKEN_VARIABLES[1]}"
        if not self.own and self.names == TokenNames():
            raise OptionError(NO_TOKEN)
        if not self.own:
            raise OptionError(f"no API token: set {self.names.api_token}, or {places}")
        raise OptionError(f"no API token for project {printable(project)}: set {self.names.api_tokens}[{printable(project)}] "
                          f"or {self.names.api_token}, or {places}")

    def values(self) -> set[str]:
        """Every token: for the caller's no_log values."""
        tokens = set(token.value for token in self.own.values())
        if self.default is not None:
            tokens.add(self.default.value)
        return tokens


def _own_tokens(tokens: Any, from_task: bool, names: TokenNames) -> dict[str, ProjectToken]:
    """api_tokens checked: each value a non-blank string (never shown); each with its source."""
    if tokens is None:
        return {}
    if not isinstance(tokens, Mapping):
        raise OptionError(f"{names.api_tokens} must be a mapping from project name to API token")
    own: dict[str, ProjectToken] = {}
    for project, value in tokens.items():
        entry = f"{names.api_tokens}[{printable(str(project))}]" if from_task else \
            f"the environment variable {PROJECT_TOKENS_VARIABLE} (project {printable(str(project))})"
        if not isinstance(value, str):
            raise OptionError(f"{entry} must be a string, the project's API token")
        if not value.strip():
            raise OptionError(f"{entry} is empty: give the project's API token, or leave the project out to use {names.api_token}")
        own[str(project)] = ProjectToken(value, entry)
    return own


def project_tokens(params: Mapping[str, Any], raw: Mapping[str, Any], environ: Mapping[str, str],
                   names: TokenNames | None = None) -> ProjectTokens:
    """The tokens of the module's ``params``; ``raw`` are its arguments as given (Ansible's fallbacks not applied).

    An option in ``raw`` came from the task or module_defaults; otherwise from the environment.
    """
    names = names or TokenNames()
    if "api_tokens" not in raw and not json_object_text(first_set(environ, [PROJECT_TOKENS_VARIABLE]) or "{}"):
        # Never shown: it holds tokens.
        raise OptionError(f"the environment variable {PROJECT_TOKENS_VARIABLE} must be a JSON object from project name to API token, "
                          'such as {"prod-project": "TOKEN"}')
    default = None
    if (params.get("api_token") or "").strip():
        if "api_token" in raw:
            source = "the task's api_token (or module_defaults)" if names.api_token == "api_token" else f"{names.api_token} (or module_defaults)"
        else:
            source = f"the environment variable {_env_name(environ, TOKEN_VARIABLES)}"
        default = ProjectToken(params["api_token"], source)
    return ProjectTokens(default, _own_tokens(params.get("api_tokens"), "api_tokens" in raw, names), names)


class ProjectClients:
    """The API clients of a run by project: one per distinct token, each naming where its token came from.

    The requests of ``PoolsApi`` and ``_prerequisites.PrerequisitesApi`` go to the client of their project.
    """

    def __init__(self, tokens: ProjectTokens, projects: Iterable[str], make: Callable[[str, dict[str, str]], AivenClient]) -> None:
        """``make(token, sources)`` builds a client (``sources``: project -> where its token came from).

        Every project's token is found first (OptionError), before any client is made.
        """
        chosen = {project: tokens.token_for(project) for project in dict.fromkeys(projects)}
        sources: dict[str, dict[str, str]] = {}
        for project, token in chosen.items():
            sources.setdefault(token.value, {})[project] = token.source
        clients = {value: make(value, by_project) for value, by_project in sources.items()}
        self._by_project = {project: clients[token.value] for project, token in chosen.items()}
        self._clients = list(clients.values())

    def client(self, project: str) -> AivenClient:
        return self._by_project[project]

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def get_service(self, project: str, service: str, include_secrets: bool = False) -> dict:
        return self.client(project).get_service(project, service, include_secrets)

    def list_services(self, project: str, include_secrets: bool = False) -> list[dict]:
        return self.client(project).list_services(project, include_secrets)

    def create_pool(self, project: str, service: str, body: dict) -> bool:
        return self.client(project).create_pool(project, service, body)

    def update_pool(self, project: str, service: str, pool_name: str, body: dict) -> None:
        self.client(project).update_pool(project, service, pool_name, body)

    def delete_pool(self, project: str, service: str, pool_name: str) -> bool:
        return self.client(project).delete_pool(project, service, pool_name)

    def list_databases(self, project: str, service: str) -> list[Any]:
        return _databases_api.list_databases(self.client(project), project, service)

    def create_database(self, project: str, service: str, body: dict[str, str]) -> bool:
        return _databases_api.create_database(self.client(project), project, service, body)

    def create_user(self, project: str, service: str, username: str, replication: bool | None) -> bool:
        return _users_api.create_user(self.client(project), project, service, username, replication)

    def set_replication(self, project: str, service: str, username: str, value: bool) -> None:
        _users_api.set_replication(self.client(project), project, service, username, value)
