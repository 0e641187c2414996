#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aiven_connection_pool_info
short_description: Read PgBouncer connection pools of Aiven for PostgreSQL services, with how to connect to them
version_added: 1.0.0
description:
  - Returns the connection pools of one Aiven for PostgreSQL service, or of every PostgreSQL service of
    a project (O(service_name) left out), all of them or the ones named, with their identity, settings and
    connection details and their secrets (C(uri), C(connection_uri), C(password)); reading those is this
    module's purpose. To manage pools without handling secrets, use M(dbpools.aiven.aiven_connection_pool).
  - The connection fields (C(host), C(port), C(dbname), C(user), C(password), C(sslmode), C(uri)) are the
    ones the lookup P(dbpools.aiven.connection_info#lookup) returns, computed the same way.
  - One API request per call, for one service or a whole project (the project's service list), two when
    the token may not read secrets, one more with O(ca_cert=true). Never changes anything.
  - A reply that is not what the API promises (C(connection_pools) not a list, an entry that is not an
    object, a pool without a usable C(pool_name), a pool listed twice) fails the task, naming the
    service and the problem.
author:
  - dbpools.aiven maintainers (@dbpools)
extends_documentation_fragment:
  - dbpools.aiven.aiven
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so returns no diff.
  action_group:
    support: full
    description: Use C(group/dbpools.aiven.aiven) in C(module_defaults) to set the options of this module.
    membership:
      - dbpools.aiven.aiven
options:
  project:
    description:
      - Name of the Aiven project, 1 to 63 characters of V(a-z), V(A-Z), V(0-9), V(_) and V(-).
    type: str
    required: true
  service_name:
    description:
      - Name of the Aiven for PostgreSQL service, 1 to 64 characters without control characters.
      - Left out, the pools of every PostgreSQL service (C(service_type) V(pg)) of the project, service by
        service in the order of the API's service list, read with one request. Other services are skipped.
    type: str
  pool_name:
    description:
      - Return only these pools (one name or a list), in the order given (within each service when
        O(service_name) is left out). Each name has 1 to 63 characters.
      - Names that do not exist are left out of the result, which is not an error.
    type: list
    elements: str
  ca_cert:
    description:
      - Also return RV(ca_cert), the PEM certificate of the project's CA, which signs the services'
        certificates, for clients that connect with C(sslmode=verify-full). One more request.
    type: bool
    default: false
  unpinned_user:
    description:
      - A pool that is not pinned to a user has no credentials of its own, so its C(user) and C(password)
        are empty strings and its C(uri) carries no credentials. Name a service user here to fill in that
        user and its password for the unpinned pools instead (never the admin unless named).
      - A name that is not a user of a service read fails the task, listing the service's users.
      - Pinned pools always get their own user.
    type: str
notes:
  - The result holds secrets (C(uri), C(connection_uri) and C(password)), so use C(no_log) on the task and never print it.
  - A client connects to the pool's name as the database (RV(connection_pools[].dbname)), not to
    RV(connection_pools[].database_name) - PgBouncer routes by the pool name.
  - The service is read with C(include_secrets=true), which needs the permission C(service:secrets:read).
    A token without it (the API answers 403) gets the pools read without secrets and a warning, and their
    C(connection_uri) then holds C(<redacted>) where the password goes. A C(<redacted>) password in a
    reply to C(include_secrets=true) is warned about too.
seealso:
  - module: dbpools.aiven.aiven_connection_pool
  - plugin: dbpools.aiven.connection_info
    plugin_type: lookup
  - plugin: dbpools.aiven.pool_definitions
    plugin_type: filter
"""

EXAMPLES = r"""
- name: All pools of a service
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
  register: all_pools
  no_log: true

- name: Connection details of one pool
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
    pool_name: app-pool
  register: app_pool
  no_log: true

- name: Show where the pool listens (no secret)
  ansible.builtin.debug:
    msg: "{{ app_pool.connection_pools[0].host }}:{{ app_pool.connection_pools[0].port }}"
  when: app_pool.connection_pools | length > 0

- name: Every pool of every PostgreSQL service of the project, in one request
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
  register: project_pools
  no_log: true

- name: List them (no secret)
  ansible.builtin.debug:
    msg: "{{ project_pools.connection_pools | map(attribute='service_name') | zip(project_pools.connection_pools | map(attribute='pool_name'))
             | map('join', '/') | list }}"

- name: Unpinned pools with the credentials of the service user app, and the CA for verify-full
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
    unpinned_user: app
    ca_cert: true
  register: with_app
  no_log: true
"""

RETURN = r"""
connection_pools:
  description:
    - The pools; V([]) when there are none (or none of the names exist).
    - Without O(service_name), the pools of every PostgreSQL service of the project, service by service.
  returned: success
  type: list
  elements: dict
  contains:
    project:
      description: Project of the service.
      type: str
    service_name:
      description: Service of the pool.
      type: str
    pool_name:
      description: Name of the pool.
      type: str
    database_name:
      description: Database the pool connects to.
      type: str
    username:
      description: User the pool is pinned to; V(null) for an unpinned pool.
      type: str
    pool_mode:
      description: PgBouncer pool mode.
      type: str
    pool_size:
      description: Server connections of the pool.
      type: int
    connection_uri:
      description:
        - URI to connect through the pool, as the API gives it. Contains a password, a secret.
        - For an unpinned pool the API puts the admin's credentials in it; use RV(connection_pools[].uri) instead.
        - The password reads C(<redacted>) when the API did not give it out; a warning then says so.
      type: str
    host:
      description: Host to connect to (PgBouncer).
      type: str
    port:
      description: PgBouncer port to connect to.
      type: int
    sslmode:
      description: C(sslmode) the API gives for the pool, V(require) when it gives none.
      type: str
    dbname:
      description: Database name a client connects to, the pool's name (not RV(connection_pools[].database_name)).
      type: str
    user:
      description:
        - User a client connects as - the pinned user, or O(unpinned_user) for an unpinned pool.
        - V("") for an unpinned pool without O(unpinned_user).
      type: str
    password:
      description:
        - Password of RV(connection_pools[].user), a secret; V("") when RV(connection_pools[].user) is V("").
        - V(null) when the API did not give it out (a warning then says so).
      type: str
    uri:
      description:
        - C(postgres://USER:PASSWORD@HOST:PORT/POOL?sslmode=...) built from the fields above, each URL-quoted;
          without credentials when RV(connection_pools[].user) is V(""). A secret.
      type: str
  sample:
    - project: demo-project
      service_name: pg-demo
      pool_name: app-pool
      database_name: appdb
      username: null
      pool_mode: transaction
      pool_size: 10
      connection_uri: postgres://avnadmin:SECRET@pg-demo-demo-project.aivencloud.com:12692/app-pool?sslmode=require
      host: pg-demo-demo-project.aivencloud.com
      port: 12692
      dbname: app-pool
      user: ""
      sslmode: require
      password: ""
      uri: postgres://pg-demo-demo-project.aivencloud.com:12692/app-pool?sslmode=require
ca_cert:
  description: PEM certificate of the project's CA, for C(sslmode=verify-full). Not a secret.
  returned: O(ca_cert=true)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
failure:
  description:
    - Machine-readable details of the API failure.
    - C(status) is null when no HTTP reply came (connection or TLS error); C(attempts) counts the
      HTTP attempts, more than 1 when the request was retried until O(api_retries) ran out.
  returned: failed on an API error
  type: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._common import common_argument_spec, make_client
from ansible_collections.dbpools.aiven.plugins.module_utils._pools import DetailsError, connection_details, public_pool, select
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import ReadError, ServiceReader, pools_of, redacted_warning
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import (
    NAME_MAX,
    USERNAME_MAX,
    project_problem,
    service_label,
    service_problem,
    text_problem,
)

# service_type of Aiven for PostgreSQL in the service list; only those services have pools.
POSTGRES = "pg"


def option_problems(params: dict[str, Any]) -> list[str]:
    """Every option the API cannot take, found before any request."""
    # An empty name is the usual slip (an unset variable): say so plainly.
    empty = [f"{key} must not be empty" for key in ("project", "service_name") if params[key] == ""]
    if empty:
        return empty
    problems = [project_problem(params["project"])]
    if params["service_name"] is not None:
        problems.append(service_problem(params["service_name"]))
    problems += [text_problem(f"pool_name[{index}]", name, NAME_MAX) for index, name in enumerate(params["pool_name"] or [])]
    if params["unpinned_user"] is not None:
        problems.append(text_problem("unpinned_user", params["unpinned_user"], USERNAME_MAX))
    return [problem for problem in problems if problem]


def read_documents(reader: ServiceReader, project: str, service_name: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(service name, document) of the service asked for, or of every PostgreSQL service of the project; one request either way."""
    if service_name is not None:
        return [(service_name, reader.service(project, service_name))]
    return [(str(document.get("service_name")), document) for document in reader.services(project)
            if document.get("service_type") == POSTGRES]


def service_pools(project: str, service_name: str, document: dict[str, Any], names: list[str] | None,
                  unpinned_user: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The pools of one service as this module returns them, and the warning for URIs without a password."""
    label = service_label(project, service_name)
    pools = select(pools_of(label, document), names)
    results = []
    for pool in pools:
        result = public_pool(project, service_name, pool, include_secrets=True)
        try:
            # The same fields as the lookup connection_info, from the same function.
            result.update(connection_details(pool, document, unpinned_user))
        except DetailsError as err:
            raise ReadError(f"{label}/{pool['pool_name']}: {err}") from None
        results.append(result)
    return results, redacted_warning(label, pools)


def read(client: AivenClient, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The module's result (without changed) and its warnings."""
    reader = ServiceReader(client, include_secrets=True)
    project = params["project"]
    pools: list[dict[str, Any]] = []
    redacted: list[str] = []
    for service_name, document in read_documents(reader, project, params["service_name"]):
        found, warning = service_pools(project, service_name, document, params["pool_name"], params["unpinned_user"])
        pools += found
        if warning:
            redacted.append(warning)
    result: dict[str, Any] = {"connection_pools": pools}
    if params["ca_cert"]:
        try:
            result["ca_cert"] = client.get_project_ca(project)
        except AivenApiError as err:
            raise ReadError(f"cannot read the CA certificate of project {project}: {err}", err.failure()) from None
    # A refused secrets read already explains every missing password.
    return result, reader.warnings or redacted


def main() -> None:
    spec = common_argument_spec()
    spec.update(
        project={"type": "str", "required": True},
        service_name={"type": "str"},
        pool_name={"type": "list", "elements": "str"},
        ca_cert={"type": "bool", "default": False},
        unpinned_user={"type": "str"},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    problems = option_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    client = make_client(module)
    try:
        result, warnings = read(client, module.params)
    except ReadError as err:
        if err.failure:
            module.fail_json(msg=err.message, failure=err.failure)
        module.fail_json(msg=err.message)
    finally:
        client.close()
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
