# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading services and their pools, with secrets when asked for and allowed.

Used by the info module directly and by the write engine for its reads; no writes
here and no Ansible: callers turn ``ReadError`` into failures and ``warnings`` into
warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ansible_collections.dbpools.aiven.plugins.module_utils._api import PROJECT_CA_PERMISSION, AivenApiError, AivenClient, PoolsApi, local_failure
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import service_label
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_uri import REDACTED, password_redacted
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError, service_pools
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed, printable, shown

# Services of one project from which one read of the project's service list replaces a read per service
# (reads without secrets only).
LIST_READ_FROM = 2
# Service states (the document's ``state``): only a running service serves its pools.
RUNNING = "RUNNING"
POWEROFF = "POWEROFF"
# A state shown as it is in a message; anything else is shown quoted and escaped (it comes from the API).
_PLAIN_STATE = re.compile(r"[A-Z_]{1,32}")

Read = TypeVar("Read")


class ReadError(Exception):
    """A read that failed, or a reply the contract does not allow; ``failure`` is the API's answer when there was one."""

    def __init__(self, message: str, failure: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.failure = failure or {}


def pools_of(label: str, document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The normalised pools of the service ``label`` (``project/service``); ReadError for a reply the contract does not allow."""
    try:
        return service_pools(document)
    except ReplyError as err:
        message = f"unexpected reply for service {label}: {err}"
        # The API answered 200 with a document the contract does not allow.
        raise ReadError(message, local_failure(message, status=200, attempts=1)) from None


def project_ca(client: AivenClient, project: str) -> str:
    """The PEM certificate of the project's CA; ReadError naming the permission and the ways around it on a 403."""
    try:
        return client.get_project_ca(project)
    except AivenApiError as err:
        message = f"cannot read the CA certificate of project {project}: {err}"
        if err.status == 403:
            message += (f"; reading it needs the permission {PROJECT_CA_PERMISSION}, which tokens with a project role only "
                        "may lack: use a token that has it, or give the project's CA certificate as a file with project_ca_path")
        raise ReadError(message, err.failure()) from None


def redacted_warning(label: str, pools: Sequence[Mapping[str, Any]]) -> str | None:
    """A warning for pools whose URI came without a password although secrets were asked for."""
    hidden = [printable(str(pool["pool_name"])) for pool in pools if password_redacted(pool)]
    if not hidden:
        return None
    return (f"the API answered the connection_uri of pool(s) {listed(hidden)} of {label} with the password "
            f"{REDACTED} although secrets were asked for: those URIs carry no usable password")


def service_state(document: Mapping[str, Any]) -> str | None:
    """The service's ``state`` (RUNNING, POWEROFF, ...); None when the document has none that is a string."""
    state = document.get("state")
    return state if isinstance(state, str) else None


def state_named(state: Any) -> str:
    """A service state read from the API for a message: as it is when it looks like one, else quoted and escaped."""
    return state if isinstance(state, str) and _PLAIN_STATE.fullmatch(state) else shown(state)


def state_warning(label: str, state: str | None, pools_listed: int) -> str | None:
    """A warning for the service ``label`` when it is not running, so that few or no pools is not read as "none exist"."""
    if state is None or state == RUNNING:
        return None
    named = state_named(state)
    if state != POWEROFF:
        return f"service {label} is {named}, not {RUNNING}: connections through its pools may fail until it runs again"
    if pools_listed:
        return f"service {label} is {POWEROFF}: nothing can connect through its {pools_listed} pool(s) until it is powered on"
    return (f"service {label} is {POWEROFF}: its pools are not listed (Aiven may drop a service's pools while it is powered off), "
            "and nothing can connect to it until it is powered on")


class ServiceReader:
    """Reads service documents: one service, or every service of a project in one request (without secrets).

    With ``include_secrets`` the reads ask for secrets; a token that may not read them
    (403) gets the same read without them, once per project, and a warning.
    """

    def __init__(self, client: PoolsApi, include_secrets: bool = False) -> None:
        self.client = client
        self.include_secrets = include_secrets
        self._refusals: dict[str, tuple[str, AivenApiError]] = {}  # project -> (what was read, the 403)

    def service(self, project: str, service_name: str) -> dict[str, Any]:
        what = f"service {service_label(project, service_name)}"
        return self._read(project, what, lambda secrets: self.client.get_service(project, service_name, include_secrets=secrets))

    def services(self, project: str) -> list[dict[str, Any]]:
        return self._read(project, *self._service_list(project))

    def _service_list(self, project: str) -> tuple[str, Callable[[bool], list[dict[str, Any]]]]:
        """What the read of the project's service list is called in messages, and the read itself."""
        return f"the services of project {project}", lambda secrets: self.client.list_services(project, include_secrets=secrets)

    def documents(self, project: str, service_names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Service documents by name: GET service per name, or the project's list for LIST_READ_FROM names or more.

        The list's answer holds every service of the project, so a name missing from it
        is a service the project does not have; callers say so with the names it has.
        With secrets the list would carry every service's secrets: each wanted service is
        read on its own, and only when one of them does not exist (404) is the list read,
        without secrets, for the names the project has.
        """
        if len(service_names) < LIST_READ_FROM:
            return {name: self.service(project, name) for name in service_names}
        if not self.include_secrets:
            return self._listed(project)
        found: dict[str, dict[str, Any]] = {}
        for name in service_names:
            try:
                found[name] = self.service(project, name)
            except ReadError as err:
                if err.failure.get("status") != 404:
                    raise
        if len(found) == len(service_names):
            return found
        return {**self._listed(project), **found}

    def _listed(self, project: str) -> dict[str, dict[str, Any]]:
        """The project's services by name, from its service list read without secrets."""
        services = self._plain(*self._service_list(project))
        return {str(document.get("service_name")): document for document in services if isinstance(document, Mapping)}

    def refused(self, project: str) -> bool:
        """True when the token may not read the secrets of ``project``."""
        return project in self._refusals

    def _read(self, project: str, what: str, read: Callable[[bool], Read]) -> Read:
        if not self.include_secrets or project in self._refusals:
            return self._plain(what, read)
        try:
            return read(True)
        except AivenApiError as err:
            if err.status != 403:
                raise ReadError(f"cannot read {what}: {err}", err.failure()) from None
            refusal = err
        # A 403 again means no access at all, and that is the error to report.
        result = self._plain(what, read)
        self._refusals[project] = (what, refusal)
        return result

    @staticmethod
    def _plain(what: str, read: Callable[[bool], Read]) -> Read:
        try:
            return read(False)
        except AivenApiError as err:
            raise ReadError(f"cannot read {what}: {err}", err.failure()) from None

    @property
    def warnings(self) -> list[str]:
        return [f"the API token may not read secrets of {what} (include_secrets=true was answered HTTP 403: {printable(refusal.message)}): "
                "the pools were read without secrets, so their connection_uri carry no usable password"
                for what, refusal in self._refusals.values()]
