# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible glue of the modules: AivenModule (every failure with ``failure``), the checks before any request, the clients."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dbpools.aiven.plugins.module_utils._api import local_failure
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import (
    OptionError,
    check_options,
    client_for,
    project_ca_from_file,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import identity_problems
from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_arguments
from ansible_collections.dbpools.aiven.plugins.module_utils._module_like import ModuleLike
from ansible_collections.dbpools.aiven.plugins.module_utils._project_tokens import ProjectClients, TokenNames, project_tokens
from ansible_collections.dbpools.aiven.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR


class AivenModule(AnsibleModule):
    """AnsibleModule whose every failure carries ``failure``, those of Ansible's own argument checks included.

    A failure without one (a bad option, a missing library) gets ``status`` null,
    ``attempts`` 0 (no request was made) and the message.
    """

    def _load_params(self) -> None:
        # The arguments the module read already (safe_argument_spec, the connection options), not parsed and copied again:
        # at 10,000 definitions that is a twentieth of a second. A copy of the top level: AnsibleModule adds, replaces and
        # removes options there, and validates a deep copy of its own.
        self.params = dict(given_arguments())

    def fail_json(self, msg: Any, **kwargs: Any) -> NoReturn:
        if not kwargs.get("failure"):
            kwargs["failure"] = local_failure(str(msg))
        super().fail_json(msg, **kwargs)


def project_clients(module: ModuleLike, projects: Iterable[str], concurrency: int = 1,
                    names: Mapping[str, Any] | None = None) -> ProjectClients:
    """The clients of ``projects``, each with its project's token (api_tokens, else api_token); checks every connection option first.

    ``names``: what messages call api_token and api_tokens (variable_names). Fails before any request.
    """
    projects = list(projects)
    try:
        tokens = project_tokens(module.params, given_arguments(), os.environ, TokenNames.given(names))
        # Masked wherever they could show; Ansible masks only the whole string of an api_tokens given as JSON text.
        module.no_log_values.update(tokens.values())
        # The token problem first: without one, nothing else matters.
        # No project (nothing declared) still needs a token, as before api_tokens.
        for project in projects or ([] if tokens.own else [""]):
            tokens.token_for(project)
        check_options(module.params, os.environ, module.warn, token_checked=True)
    except OptionError as err:
        module.fail_json(msg=err.message)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    return ProjectClients(tokens, projects, lambda token, sources: client_for(module.params, concurrency, token, sources))


def check_identity(module: ModuleLike) -> None:
    """Fail on a project or service_name the API cannot have, before any request."""
    problems = identity_problems(module.params["project"], module.params["service_name"])
    if problems:
        module.fail_json(msg=problems[0])


def project_ca_from_path(module: AnsibleModule) -> str | None:
    """The certificates of project_ca_path (read before any request), None when it is not given."""
    try:
        return project_ca_from_file(module.params["project_ca_path"], module.params["ca_cert"], "ca_cert: true")
    except OptionError as err:
        module.fail_json(msg=err.message)
