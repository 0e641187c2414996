#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aiven_connection_pool_info
short_description: Read PgBouncer connection pools of an Aiven for PostgreSQL service
version_added: 1.0.0
description:
  - Returns the connection pools of one Aiven for PostgreSQL service, all of them or the ones named,
    with their connection details and their secrets (C(connection_uri), C(password)); reading those is
    this module's purpose. To manage pools without handling secrets, use M(dbpools.aiven.aiven_connection_pool).
  - One API request per call (two when the token may not read secrets). Never changes anything.
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
    type: str
    required: true
  pool_name:
    description:
      - Return only these pools (one name or a list), in the order given. Each name has 1 to
        63 characters.
      - Names that do not exist are left out of the result, which is not an error.
    type: list
    elements: str
notes:
  - The result holds secrets (C(connection_uri) and C(password)), so use C(no_log) on the task and never print it.
  - The service is read with C(include_secrets=true), which needs the permission C(service:secrets:read).
    A token without it (the API answers 403) gets the pools read without secrets and a warning, and their
    C(connection_uri) then holds C(<redacted>) where the password goes. A C(<redacted>) password in a
    reply to C(include_secrets=true) is warned about too.
seealso:
  - module: dbpools.aiven.aiven_connection_pool
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
"""

RETURN = r"""
connection_pools:
  description: The pools; V([]) when there are none (or none of the names exist).
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
        - URI to connect through the pool. Contains a password, a secret.
        - The password reads C(<redacted>) when the API did not give it out; a warning then says so.
      type: str
    host:
      description: Host of the URI.
      type: str
    port:
      description: PgBouncer port of the URI.
      type: int
    sslmode:
      description: C(sslmode) of the URI.
      type: str
    dbname:
      description: Database name a client connects to, the pool's name.
      type: str
    user:
      description: User a client connects as for a pinned pool; V(null) for an unpinned pool.
      type: str
    password:
      description: Password inside the URI, a secret; V(null) when the API did not give it out (a warning then says so).
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
      user: null
      sslmode: require
      password: SECRET
failure:
  description:
    - Machine-readable details of the API failure.
    - C(status) is null when no HTTP reply came (connection or TLS error); C(attempts) counts the
      HTTP attempts, more than 1 when the request was retried until O(api_retries) ran out.
  returned: failed on an API error
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbpools.aiven.plugins.module_utils._common import check_identity, common_argument_spec, make_client
from ansible_collections.dbpools.aiven.plugins.module_utils._pools import public_pool
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import ReadError, read_service_pools
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import NAME_MAX, text_problem


def main() -> None:
    spec = common_argument_spec()
    spec.update(
        project={"type": "str", "required": True},
        service_name={"type": "str", "required": True},
        pool_name={"type": "list", "elements": "str"},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    check_identity(module)
    for index, name in enumerate(params["pool_name"] or []):
        problem = text_problem(f"pool_name[{index}]", name, NAME_MAX)
        if problem:
            module.fail_json(msg=problem)
    client = make_client(module)
    try:
        pools, warnings = read_service_pools(client, params["project"], params["service_name"], params["pool_name"])
    except ReadError as err:
        module.fail_json(msg=err.message, **({"failure": err.failure} if err.failure else {}))
    finally:
        client.close()
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, connection_pools=[public_pool(params["project"], params["service_name"], pool, include_secrets=True)
                                                      for pool in pools])


if __name__ == "__main__":
    main()
