# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible glue shared by the modules: common options, the client, failures."""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any, Mapping
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, _load_params, missing_required_lib
from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.dbpools.aiven.plugins.module_utils._api import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    AivenApiError,
    AivenClient,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import (
    project_problem,
    retries_problem,
    service_problem,
    shown,
    timeout_problem,
    unusable_character,
)

TOKEN_VARIABLES = ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN")
NO_TOKEN = f"no API token: set api_token, or the environment variable {TOKEN_VARIABLES[0]} or {TOKEN_VARIABLES[1]}"
URL_VARIABLE = "AIVEN_WEB_URL"


def env_if_set(*names: str) -> str:
    """Ansible fallback: the first of ``names`` set to a non-blank value.

    Ansible's own env_fallback takes the first one set, even to "": an empty
    AIVEN_TOKEN would then hide a valid AIVEN_AUTH_TOKEN.
    """
    for name in names:
        value = os.environ.get(name, "")
        if value.strip():
            return value
    raise AnsibleFallbackNotFound


def common_argument_spec() -> dict[str, Any]:
    """Options of doc fragment dbpools.aiven.aiven, in one place."""
    spec: dict[str, Any] = {
        # Not required here: check_common_options says where a token can come from, Ansible's message would not.
        "api_token": {"type": "str", "no_log": True, "fallback": (env_if_set, list(TOKEN_VARIABLES))},
        # Fallbacks apply before defaults: AIVEN_WEB_URL, as Aiven's own tools read it, then the public API.
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_if_set, [URL_VARIABLE])},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "timeout": {"type": "float", "default": 30.0},
        "api_retries": {"type": "int", "default": 6},
    }
    if _user_info(_given_api_url()):
        # Such a URL is refused (api_url_problem), but the result's invocation would still show it,
        # also when another check fails first, Ansible's own included: as a no_log value it is masked.
        spec["api_url"]["no_log"] = True
    return spec


def _given_api_url() -> object:
    """The api_url this run will get: the module argument, else AIVEN_WEB_URL (before any check)."""
    raw = _load_params()  # None where the module is only introspected (ansible-test validate-modules)
    if isinstance(raw, Mapping) and "api_url" in raw:
        return raw["api_url"]
    try:
        return env_if_set(URL_VARIABLE)
    except AnsibleFallbackNotFound:
        return None


def _user_info(url: object) -> str | None:
    """What stands before ``@`` in the host part of ``url`` (``user:password``), with or without a scheme."""
    if not isinstance(url, str):
        return None
    rest = url.split("//", 1)[1] if "//" in url else url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    user_info, at, _host = authority.rpartition("@")
    return user_info if at else None


def _shown_url(url: str) -> str:
    """The URL for a message, without what could hold a secret: user info, query and fragment."""
    user_info = _user_info(url)
    if user_info is not None:
        url = url.replace(user_info + "@", "<redacted>@", 1)
    return shown(re.sub(r"[?#].*", "?<redacted>", url, flags=re.DOTALL))


def _plain_http_host(url: str) -> str | None:
    """The host of an ``http://`` URL that is not loopback (where the token could be read on the way), else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "http" or host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return None if address.is_loopback or (mapped is not None and mapped.is_loopback) else host


def api_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the API's origin, or None when it can (checked before any request)."""
    if not url.startswith(("https://", "http://")):
        return f"api_url must start with https:// or http://, got {_shown_url(url)}"
    if unusable_character(url) is not None or any(char.isspace() for char in url):
        return f"api_url must not contain spaces or control characters, got {_shown_url(url)}"
    if "?" in url or "#" in url:
        return f"api_url must not contain a query string or fragment: give the API's origin, such as {DEFAULT_API_URL}"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 raises ValueError
    except ValueError as err:
        return f"api_url is not a valid URL ({err}), got {_shown_url(url)}"
    if parts.username is not None or parts.password is not None:
        return "api_url must not contain a user name or password (the API token authenticates)"
    if not parts.hostname:
        return f"api_url has no host name, got {_shown_url(url)}"
    if port == 0:
        return f"api_url must have a port from 1 to 65535, got {_shown_url(url)}"
    return None


def check_common_options(module: AnsibleModule) -> None:
    """Reject unusable connection options before any request."""
    params = module.params
    if not (params["api_token"] or "").strip():
        module.fail_json(msg=NO_TOKEN)
    api_url = params["api_url"] or DEFAULT_API_URL
    problem = api_url_problem(api_url)
    if problem:
        module.fail_json(msg=problem)
    host = _plain_http_host(api_url)
    if host is not None:
        module.warn(f"api_url is plain http: the API token goes over plain http to {host}, readable on the way; use https:// "
                    "(plain http is only safe to 127.0.0.0/8, ::1 or localhost)")
    problem = timeout_problem(params["timeout"]) or retries_problem(params["api_retries"])
    if problem:
        module.fail_json(msg=problem)
    ca_path = params["ca_path"]
    if ca_path is not None and not os.path.exists(ca_path):
        module.fail_json(msg=f"ca_path {shown(ca_path)} does not exist")
    if not params["validate_certs"]:
        module.warn("validate_certs is false: the Aiven API's TLS certificate is not checked")


def check_identity(module: AnsibleModule) -> None:
    """Fail on a project or service_name the API cannot have, before any request."""
    for key, problem_of in (("project", project_problem), ("service_name", service_problem)):
        value = module.params[key]
        if value == "":
            module.fail_json(msg=f"{key} must not be empty")
        problem = problem_of(value)
        if problem:
            module.fail_json(msg=problem)


def make_client(module: AnsibleModule, concurrency: int = 1) -> AivenClient:
    """The API client for this module's connection options."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    check_common_options(module)
    params = module.params
    try:
        return AivenClient(
            token=params["api_token"],
            api_url=params["api_url"] or DEFAULT_API_URL,
            timeout=params["timeout"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
            max_retries=params["api_retries"],
            pool_connections=max(concurrency, 1),
        )
    except AivenApiError as err:
        module.fail_json(msg=str(err), failure=err.failure())
        raise  # not reached: fail_json exits


def fail_api(module: AnsibleModule, err: AivenApiError, doing: str, **extra: Any) -> None:
    """Fail with the HTTP status, Aiven's message and the machine-readable failure."""
    module.fail_json(msg=f"{doing}: {err}", failure=err.failure(), **extra)
