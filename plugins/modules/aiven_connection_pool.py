#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aiven_connection_pool
short_description: Manage PgBouncer connection pools of an Aiven for PostgreSQL service
version_added: 1.0.0
description:
  - Creates, updates and deletes PgBouncer connection pools of one Aiven for PostgreSQL service
    through the Aiven API.
  - Manages one pool (O(pool_name) and its settings) or a batch of pools of one service (O(pools)),
    optionally deleting the pools the batch does not name (O(purge)).
  - Idempotent. The service is read once, and only the writes that are needed are made.
    A second identical run reports no change and makes no write request.
  - Settings left out are left as they are on an existing pool; on a new pool the API's defaults
    apply (O(pool_mode=transaction), O(pool_size=10), unpinned).
  - The service's reply is checked before anything is decided. A reply that is not what the API
    promises (C(connection_pools) not a list, an entry that is not an object, a pool without a usable
    C(pool_name), a pool listed twice) fails the task before any write, naming the service and the problem.
  - After the writes the service is read back. A write the API accepted but the read back does not show
    (a setting it did not take) is not repeated; the task fails naming the pool and the setting, with
    RV(applied). A 404 on an update means the pool was deleted meanwhile only when the read back no
    longer lists it (the pool is then created again if O(database_name) is given); otherwise the task fails
    with Aiven's answer. When the read back itself fails, the task fails with C(changed=true) and RV(applied).
author:
  - dbpools.aiven maintainers (@dbpools)
extends_documentation_fragment:
  - dbpools.aiven.aiven
attributes:
  check_mode:
    support: full
    description: Reads the service and predicts the result; makes no write request.
  diff_mode:
    support: full
    description: Shows each touched pool before and after, without connection URIs or passwords.
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
      - Name of the pool (the database name clients connect to through PgBouncer).
      - 1 to 63 characters, no control characters. Other characters (such as C(/), C(..), C(%)
        or non-ASCII letters) are sent URL-quoted and the API decides whether it accepts them.
      - A pool cannot be renamed.
      - Mutually exclusive with O(pools); one of them is required.
    type: str
  database_name:
    description:
      - Database of the service the pool connects to. Required to create a pool.
    type: str
  username:
    description:
      - Service user the pool is pinned to; clients then share that user's server connections.
      - V("") (empty string) unpins the pool, so clients connect with their own credentials.
      - Left out, an existing pool keeps its user and a new pool is unpinned.
    type: str
  pool_mode:
    description: PgBouncer pool mode.
    type: str
    choices: [session, transaction, statement]
  pool_size:
    description: Number of server connections of the pool, 1 to 10000.
    type: int
  state:
    description: Whether the pool should exist.
    type: str
    choices: [present, absent]
    default: present
  pools:
    description:
      - Pools of the service to manage in one call, each with the options of the single form.
      - One read of the service, then only the writes that are needed, at most O(concurrency) at once.
    type: list
    elements: dict
    suboptions:
      pool_name:
        description: Name of the pool.
        type: str
        required: true
      database_name:
        description: Database the pool connects to. Required to create the pool.
        type: str
      username:
        description: Service user to pin the pool to; V("") unpins it.
        type: str
      pool_mode:
        description: PgBouncer pool mode.
        type: str
        choices: [session, transaction, statement]
      pool_size:
        description: Number of server connections, 1 to 10000.
        type: int
      state:
        description: Whether the pool should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - With O(pools), delete every pool of the service that O(pools) does not name.
      - Only the pools of the first read of the service are deleted, the ones check mode and diff
        show. A pool another writer creates during the run is left for the next run, and a warning names it.
    type: bool
    default: false
  concurrency:
    description: Most writes sent at once in a batch.
    type: int
    default: 4
  wait:
    description:
      - Wait until the service is C(RUNNING) or C(REBALANCING) before writing.
      - A powered-off service fails at once either way.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the service with O(wait=true).
    type: int
    default: 600
notes:
  - The returned C(connection_uri) of a pinned pool contains that user's password, and an unpinned
    pool's URI may contain the service's admin password. Treat results as secrets, use C(no_log) on
    tasks whose results could be logged, and never print them.
  - The service is read with C(include_secrets=true), which needs the permission C(service:secrets:read).
    A token without it (the API answers 403) gets the pools read without secrets and a warning, and their
    C(connection_uri) then holds C(<redacted>) where the password goes. A C(<redacted>) password in a
    reply to C(include_secrets=true) is warned about too.
seealso:
  - module: dbpools.aiven.aiven_connection_pool_info
"""

EXAMPLES = r"""
- name: Pool for the app, pinned to its user
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    pool_name: app-pool
    database_name: appdb
    username: app
    pool_mode: transaction
    pool_size: 20
  no_log: true  # the result holds the pool's connection URI

- name: Unpin a pool (clients use their own credentials)
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    pool_name: app-pool
    username: ""

- name: Exactly these pools on the service, others removed
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    purge: true
    pools:
      - pool_name: app-pool
        database_name: appdb
        pool_size: 20
      - pool_name: reports
        database_name: appdb
        pool_mode: session
      - pool_name: legacy
        state: absent

- name: Remove a pool
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    pool_name: reports
    state: absent
"""

RETURN = r"""
connection_pool:
  description:
    - The pool after the run (the prediction in check mode); empty when it does not exist.
    - Only with O(pool_name).
  returned: success and O(pool_name) is given
  type: dict
  sample:
    project: demo-project
    service_name: pg-demo
    pool_name: app-pool
    database_name: appdb
    username: app
    pool_mode: transaction
    pool_size: 20
    connection_uri: postgres://app:SECRET@pg-demo-demo-project.aivencloud.com:12692/app-pool?sslmode=require
    host: pg-demo-demo-project.aivencloud.com
    port: 12692
    sslmode: require
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
        - URI to connect through the pool. It contains a password, so it is a secret.
        - V(null) in check mode for a pool that is not created yet.
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
connection_pools:
  description:
    - The pools the call declares present, after the run (the prediction in check mode),
      in the order given, with the keys of RV(connection_pool).
  returned: success
  type: list
  elements: dict
changes:
  description: What was done (or would be done in check mode), one entry per pool touched.
  returned: success
  type: list
  elements: dict
  sample:
    - pool_name: app-pool
      action: update
      fields: [pool_size]
    - pool_name: legacy
      action: delete
failure:
  description:
    - Machine-readable details of the API failure.
    - C(status) is null when no HTTP reply came (connection or TLS error); C(attempts) counts the
      HTTP attempts, more than 1 when the request was retried until O(api_retries) ran out.
  returned: failed on an API error
  type: dict
  sample:
    status: 403
    message: Current service plan does not include the connection pooling option.
    errors: [{message: "Current service plan does not include the connection pooling option.", status: 403}]
    method: POST
    path: /v1/project/demo-project/service/pg-demo/connection_pool
    error_code: null
    attempts: 1
applied:
  description:
    - On a failed run, the changes the API accepted before it stopped, also when the read after
      the writes failed. C(changed) is V(true) when it is not empty.
  returned: failed during or after writes
  type: list
  elements: dict
failed_changes:
  description:
    - On a failed run, the changes that failed, with the HTTP status and Aiven's message.
    - A write the API accepted but the read back does not show has no C(status); its C(message) names
      the setting, its value read back and the value written.
  returned: failed during or after writes
  type: list
  elements: dict
  sample:
    - pool_name: reports
      action: create
      status: 403
      message: Service database username ghost does not exist
    - pool_name: app-pool
      action: update
      fields: [pool_size]
      message: pool_size is 10, not 20
not_attempted:
  description: On a failed run, the changes not attempted after the failure.
  returned: failed during or after writes
  type: list
  elements: dict
"""

from collections.abc import Mapping

from ansible.module_utils.basic import AnsibleModule, _load_params
from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.dbpools.aiven.plugins.module_utils._common import check_identity, common_argument_spec, make_client
from ansible_collections.dbpools.aiven.plugins.module_utils._executor import PoolSync, SyncError
from ansible_collections.dbpools.aiven.plugins.module_utils._pools import POOL_MODES, STATES

SETTING_OPTIONS = {
    "database_name": {"type": "str"},
    "username": {"type": "str"},
    "pool_mode": {"type": "str", "choices": list(POOL_MODES)},
    "pool_size": {"type": "int"},
}


def argument_spec() -> dict:
    spec = common_argument_spec()
    spec.update(
        project={"type": "str", "required": True},
        service_name={"type": "str", "required": True},
        pool_name={"type": "str"},
        state={"type": "str", "choices": list(STATES), "default": "present"},
        pools={
            "type": "list",
            "elements": "dict",
            "options": dict(SETTING_OPTIONS, pool_name={"type": "str", "required": True},
                            state={"type": "str", "choices": list(STATES), "default": "present"}),
        },
        purge={"type": "bool", "default": False},
        concurrency={"type": "int", "default": 4},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 600},
        **SETTING_OPTIONS,
    )
    return spec


def items_are_dicts(pools: object) -> bool:
    """True when every item of ``pools`` is a dict, or a string Ansible turns into one."""
    for item in pools if isinstance(pools, list) else [pools]:
        if isinstance(item, str):
            try:
                item = check_type_dict(item)
            except (TypeError, ValueError):
                return False
        if not isinstance(item, Mapping):
            return False
    return True


def safe_argument_spec() -> dict:
    """The argument spec, with pools taken as it is when an item is no dict.

    ansible-core gives up collecting the no_log values when an item of a list of
    sub-options is no dict, and its failure then shows api_token in clear in the
    result's invocation. Taken as it is, such a value reaches validate_desired,
    which names the item, and the token stays masked.
    """
    spec = argument_spec()
    raw = _load_params()  # None where the module is only introspected (ansible-test validate-modules)
    pools = raw.get("pools") if isinstance(raw, Mapping) else None
    if pools is not None and not items_are_dicts(pools):
        spec["pools"] = {"type": "raw"}
    return spec


def desired_pools(params: dict) -> list:
    """The single form is a batch of one: one code path."""
    if params["pools"] is not None:
        return params["pools"]
    entry = {key: params[key] for key in SETTING_OPTIONS}
    entry.update(pool_name=params["pool_name"], state=params["state"])
    return [entry]


def check_options(module: AnsibleModule) -> None:
    params = module.params
    if params["pools"] is not None and any(params[key] is not None for key in SETTING_OPTIONS):
        module.fail_json(msg="database_name, username, pool_mode and pool_size go inside each item of pools, not beside it")
    if params["purge"] and params["pools"] is None:
        module.fail_json(msg="purge needs the batch form (pools)")
    if not 1 <= params["concurrency"] <= 32:
        module.fail_json(msg=f"concurrency must be from 1 to 32, got {params['concurrency']}")
    if params["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout must be 0 or more seconds, got {params['wait_timeout']}")
    check_identity(module)


def warn_all(module: AnsibleModule, warnings: list) -> None:
    for warning in warnings:
        module.warn(warning)


def with_identity(pool: dict, params: dict) -> dict:
    return dict(pool, project=params["project"], service_name=params["service_name"])


def main() -> None:
    module = AnsibleModule(
        argument_spec=safe_argument_spec(),
        mutually_exclusive=[("pool_name", "pools")],
        required_one_of=[("pool_name", "pools")],
        supports_check_mode=True,
    )
    params = module.params
    check_options(module)
    desired = desired_pools(params)
    client = make_client(module, params["concurrency"])
    sync = PoolSync(client, params["project"], params["service_name"], params["concurrency"])
    try:
        result = sync.run(desired, purge=params["purge"], check_mode=module.check_mode,
                          wait=params["wait"], wait_timeout=params["wait_timeout"],
                          # The single form's options are named alone in messages.
                          list_name="pools" if params["pools"] is not None else None)
    except SyncError as err:
        warn_all(module, sync.warnings)
        module.fail_json(msg=err.message, changed=bool(err.applied), **err.details())
    finally:
        client.close()
    warn_all(module, sync.warnings)

    by_name = {pool["pool_name"]: with_identity(pool, params) for pool in result.pools}
    declared = [by_name[entry["pool_name"]] for entry in desired if entry["state"] == "present" and entry["pool_name"] in by_name]
    output = {"changed": result.changed, "changes": result.changes, "connection_pools": declared}
    if params["pools"] is None:
        output["connection_pool"] = by_name.get(params["pool_name"], {})
    if module._diff:
        output["diff"] = result.diff
    module.exit_json(**output)


if __name__ == "__main__":
    main()
