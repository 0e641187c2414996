# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible glue shared by the modules: common options, the client, failures."""

from __future__ import annotations

import os
from typing import Any, Mapping, NoReturn

from ansible.module_utils.basic import AnsibleModule, _load_params, missing_required_lib
from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenClient, local_failure
from ansible_collections.dbpools.aiven.plugins.module_utils._local_files import LocalFileError, check_ca_files, pem_certificates
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import (
    DEFAULT_API_URL,
    TOKEN_VARIABLES,
    URL_VARIABLE,
    VALIDATE_CERTS_OFF,
    connection_problem,
    first_set,
    plain_http_warning,
    project_problem,
    service_problem,
    url_user_info,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR


class AivenModule(AnsibleModule):
    """AnsibleModule whose every failure carries ``failure``, those of Ansible's own argument checks included.

    A failure without one (a bad option, a missing library) gets ``status`` null,
    ``attempts`` 0 (no request was made) and the message.
    """

    def fail_json(self, msg: Any, **kwargs: Any) -> NoReturn:
        if not kwargs.get("failure"):
            kwargs["failure"] = local_failure(str(msg))
        super().fail_json(msg, **kwargs)


def env_if_set(*names: str) -> str:
    """Ansible fallback: the first of ``names`` set to a non-blank value (see first_set)."""
    value = first_set(os.environ, names)
    if value is None:
        raise AnsibleFallbackNotFound
    return value


def common_argument_spec() -> dict[str, Any]:
    """Options of doc fragment dbpools.aiven.aiven, in one place."""
    spec: dict[str, Any] = {
        # Not required here: check_common_options says where a token can come from, Ansible's message would not.
        "api_token": {"type": "str", "no_log": True, "fallback": (env_if_set, list(TOKEN_VARIABLES))},
        # Fallbacks apply before defaults: AIVEN_WEB_URL, as Aiven's own tools read it, then the public API.
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_if_set, [URL_VARIABLE])},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        # "timeout" until 1.0.0: api_timeout says which timeout it is, beside wait_timeout (as cloudscale and vultr name it).
        "api_timeout": {"type": "float", "default": 30.0, "aliases": ["timeout"]},
        "api_retries": {"type": "int", "default": 6},
    }
    if url_user_info(_given_api_url()):
        # Such a URL is refused (api_url_problem), but the result's invocation would still show it,
        # also when another check fails first, Ansible's own included: as a no_log value it is masked.
        spec["api_url"]["no_log"] = True
    return spec


def _given_api_url() -> object:
    """The api_url this run will get: the module argument, else AIVEN_WEB_URL (before any check)."""
    raw = _load_params()  # None where the module is only introspected (ansible-test validate-modules)
    if isinstance(raw, Mapping) and "api_url" in raw:
        return raw["api_url"]
    return first_set(os.environ, [URL_VARIABLE])


def check_common_options(module: AnsibleModule) -> None:
    """Reject unusable connection options before any request."""
    params = module.params
    api_url = params["api_url"] or DEFAULT_API_URL
    problem = connection_problem(params["api_token"], api_url, params["api_timeout"], params["api_retries"])
    if problem:
        module.fail_json(msg=problem)
    warning = plain_http_warning(api_url)
    if warning:
        module.warn(warning)
    try:
        check_ca_files(params["ca_path"], params["validate_certs"], os.environ)
    except LocalFileError as err:
        module.fail_json(msg=err.message)
    if not params["validate_certs"]:
        module.warn(VALIDATE_CERTS_OFF)


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
    return AivenClient(
        token=params["api_token"],
        api_url=params["api_url"] or DEFAULT_API_URL,
        timeout=params["api_timeout"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
        max_retries=params["api_retries"],
        pool_connections=max(concurrency, 1),
    )


def project_ca_from_file(module: AnsibleModule) -> str | None:
    """The PEM certificates of the file project_ca_path names (read before any request), or None when it is not given."""
    path = module.params["project_ca_path"]
    if path is None:
        return None
    if not module.params["ca_cert"]:
        module.fail_json(msg="project_ca_path applies to ca_cert: set ca_cert: true, or leave project_ca_path out")
    try:
        return pem_certificates("project_ca_path", path)
    except LocalFileError as err:
        module.fail_json(msg=err.message)
