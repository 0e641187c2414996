# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible glue shared by the modules: common options, the client, failures."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.dbpools.aiven.plugins.module_utils._api import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    AivenApiError,
    AivenClient,
)


def common_argument_spec() -> dict[str, Any]:
    """Options of doc fragment dbpools.aiven.aiven, in one place."""
    return {
        "api_token": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, ["AIVEN_TOKEN", "AIVEN_AUTH_TOKEN"])},
        # Fallbacks apply before defaults: AIVEN_WEB_URL, as Aiven's own tools read it, then the public API.
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_fallback, ["AIVEN_WEB_URL"])},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "timeout": {"type": "float", "default": 30.0},
        "api_retries": {"type": "int", "default": 6},
    }


def check_common_options(module: AnsibleModule) -> None:
    """Reject unusable connection options before any request."""
    params = module.params
    url = params["api_url"] or DEFAULT_API_URL
    if not url.startswith(("https://", "http://")):
        module.fail_json(msg=f"api_url must start with https:// or http://, got {url!r}")
    if params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be a positive number of seconds, got {params['timeout']}")
    if not 0 <= params["api_retries"] <= 20:
        module.fail_json(msg=f"api_retries must be from 0 to 20, got {params['api_retries']}")
    if not params["validate_certs"]:
        module.warn("validate_certs is false: the Aiven API's TLS certificate is not checked")


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
