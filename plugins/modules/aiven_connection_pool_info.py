#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aiven_connection_pool_info
short_description: Read PgBouncer connection pools of Aiven for PostgreSQL services, with how to connect to them
version_added: 1.0.0
description:
  - Returns the connection pools of one Aiven for PostgreSQL service, or of every PostgreSQL service of a project
    (O(service_name) left out), with their settings, how to connect to them, and the state of each service read.
  - No secret by default, so listing needs neither the permission to read secrets nor C(no_log).
  - One API request per call (one more for O(ca_cert=true) without O(project_ca_path), and with
    O(include_secrets=true) one more when the token may not read secrets). Never changes anything.
  - A service that is not running is warned about, since a powered-off service may list no pools although it
    had some. A reply that is not what the API promises fails the task, naming the service and the problem.
  - The connection fields are those of the lookup P(dbpools.aiven.connection_info#lookup); recipes for them are in
    L(docs/connection-details.md,https://github.com/dbpools/aiven/blob/main/docs/connection-details.md).
  - Also returns, per service, whether its pools fit the server connections it can give (RV(capacity)), the same
    figures as P(dbpools.aiven.aiven_connection_pool#module) returns, from the same read (no extra request). The guide
    L(docs/sizing-pools.md,https://github.com/dbpools/aiven/blob/main/docs/sizing-pools.md) says what counts and how
    to set O(capacity_reserve) and O(capacity_unpinned_users).
author:
  - dbpools.aiven maintainers (@dbpools)
extends_documentation_fragment:
  - dbpools.aiven.aiven
  - dbpools.aiven.pgbouncer_address
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
      - Left out, the pools of every PostgreSQL service of the project, in the order of the API's service list.
    type: str
  pool_name:
    description:
      - Return only these pools (one name or a list of names of 1 to 63 characters), in the order given.
        Names that do not exist are left out of the result, which is not an error.
    type: list
    elements: str
  include_secrets:
    description:
      - Also return each pool's RV(connection_pools[].password) and RV(connection_pools[].connection_uri), and put
        the password into RV(connection_pools[].uri). Set C(no_log) on such a task.
      - Only then is the API asked for secrets (permission C(service:secrets:read); without it, a warning and no
        secrets). V(false) returns no password, whatever the API sends.
    type: bool
    default: false
  ca_cert:
    description:
      - Also return RV(ca_cert), the project's CA certificate, for clients that connect with C(sslmode=verify-full).
      - Reading it needs the permission C(organization:projects:write) (else the task fails naming it); without
        that permission, give the CA with O(project_ca_path).
    type: bool
    default: false
  project_ca_path:
    description:
      - A PEM file with the project's CA certificate (from the Aiven console or C(avn project ca-get)), returned as
        RV(ca_cert) instead of reading it from the API. Only with O(ca_cert=true).
      - A regular file of at most 1 MiB with at least one certificate; only its certificates are returned.
    type: path
  unpinned_user:
    description:
      - A service user to connect as through unpinned pools (with O(include_secrets=true) its password too);
        without it, an unpinned pool's C(user) and C(password) are V("") and its C(uri) has no credentials.
      - The admin's credentials are never returned unless this names the admin. A name that is not a user of the
        service fails, listing its users. Pinned pools always get their own user.
    type: str
  capacity_reserve:
    description:
      - Connections of each service's C(max_connections) kept for direct connections (migrations, administration,
        monitoring), which the pools may not count on; subtracted in RV(capacity).
    type: int
    default: 0
  capacity_unpinned_users:
    description:
      - How many users may connect through each unpinned pool (PgBouncer opens a pool per connecting user), for
        RV(capacity); left out, the service's users other than its admin user, at least one.
    type: int
  capacity_expected_clients:
    description:
      - Client connections expected per service, compared in RV(capacity) with PgBouncer's limit,
        C(min(max(500 x RAM in GB, 5000), 50000)) from C(node_memory_mb); more is over budget.
    type: int
notes:
  - O(route) and O(usage) pick the address RV(connection_pools[].host), RV(connection_pools[].port) and
    RV(connection_pools[].uri) name; RV(connection_pools[].connection_uri) stays as the API gives it.
  - A client connects to the pool's name as the database (RV(connection_pools[].dbname)), not to
    RV(connection_pools[].database_name).
  - A new or just changed pool may be listed, and connect, only a while after the write; a client should retry its
    first connection.
seealso:
  - module: dbpools.aiven.aiven_connection_pool
  - plugin: dbpools.aiven.connection_info
    plugin_type: lookup
  - plugin: dbpools.aiven.pool_definitions
    plugin_type: filter
"""

EXAMPLES = r"""
- name: All pools of a service (no secret, no no_log needed)
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
  register: all_pools

- name: Show where each pool listens and who connects
  ansible.builtin.debug:
    msg: "{{ item.pool_name }}: {{ item.uri }}"
  loop: "{{ all_pools.connection_pools }}"

- name: Connection details of one pool, with its password
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
    pool_name: app-pool
    include_secrets: true
  register: app_pool
  no_log: true

- name: The pools through the public address of the standby nodes
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
    route: public
    usage: replica
  register: replica_pools

- name: Every pool of every PostgreSQL service of the project, in one request
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
  register: project_pools

- name: The state of each service read
  ansible.builtin.debug:
    msg: "{{ project_pools.services | items2dict(key_name='service_name', value_name='state') }}"

- name: The CA for verify-full from a file, for a token that may not read it from the API
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
    ca_cert: true
    project_ca_path: files/demo-project-ca.pem
  register: with_ca_from_file

- name: Unpinned pools with the credentials of the service user app, and the CA for verify-full
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    service_name: pg-demo
    unpinned_user: app
    include_secrets: true
    ca_cert: true
  register: with_app
  no_log: true

- name: The pools of every PostgreSQL service of the project, 10 connections of each kept for migrations
  dbpools.aiven.aiven_connection_pool_info:
    project: demo-project
    capacity_reserve: 10
  register: sizing

- name: Fail when the pools of a service may open more server connections than it can give
  ansible.builtin.assert:
    that: not (sizing.capacity | selectattr('over') | list)
    fail_msg: "{{ sizing.capacity_lines }}"
"""

RETURN = r"""
connection_pools:
  description:
    - The pools; V([]) when there are none (or none of the names exist, or the service is powered off).
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
      description:
        - The user the pool is pinned to, as P(dbpools.aiven.aiven_connection_pool#module) returns it; V(null) if unpinned.
      type: str
    pool_mode:
      description: PgBouncer pool mode.
      type: str
    pool_size:
      description: Server connections of the pool.
      type: int
    host:
      description: Host to connect to (PgBouncer) - the pool's own, or that of the O(route) and O(usage) asked for.
      type: str
    port:
      description: PgBouncer port to connect to, of the same address as RV(connection_pools[].host).
      type: int
    sslmode:
      description: C(sslmode) the pool's URI names, pinned or not; V(require) (Aiven's) when it names none.
      type: str
    dbname:
      description: Database name a client connects to, the pool's name (not RV(connection_pools[].database_name)).
      type: str
    user:
      description:
        - User a client connects as, the pinned user or O(unpinned_user); V("") for an unpinned pool without it.
      type: str
    uri:
      description:
        - C(postgres://USER@HOST:PORT/POOL?sslmode=...) built from the fields above, URL-quoted; without credentials
          when RV(connection_pools[].user) is V(""), with the password (a secret) when O(include_secrets=true).
      type: str
    password:
      description:
        - Password of RV(connection_pools[].user), a secret; V("") without a user, V(null) (and a warning) when the
          API did not give it out.
      returned: O(include_secrets=true)
      type: str
    connection_uri:
      description:
        - URI to connect through the pool, as the API gives it; a pinned pool's holds that user's password.
        - An unpinned pool's has the admin's credentials removed (V(null) when they cannot be told apart). The
          password reads C(<redacted>), with a warning, when the API did not give it out.
      returned: O(include_secrets=true)
      type: str
  sample:
    - {project: demo-project, service_name: pg-demo, pool_name: app-pool, database_name: appdb, username: app,
       pool_mode: transaction, pool_size: 10, host: pg-demo-demo-project.aivencloud.com, port: 12692,
       dbname: app-pool, user: app, sslmode: require,
       uri: "postgres://app@pg-demo-demo-project.aivencloud.com:12692/app-pool?sslmode=require"}
services:
  description:
    - Each service read, in the order of RV(connection_pools), with its state. A service that is not
      V(RUNNING) is also warned about; a V(POWEROFF) one may list no pools.
  returned: success
  type: list
  elements: dict
  contains:
    project:
      description: Project of the service.
      type: str
    service_name:
      description: Name of the service.
      type: str
    state:
      description: The service's state as the API gives it (V(RUNNING), V(POWEROFF), V(REBUILDING), V(REBALANCING)); V(null) when it gives none.
      type: str
  sample:
    - project: demo-project
      service_name: pg-demo
      state: RUNNING
capacity:
  description:
    - Per service of RV(services) whose pools are listed, in the same order, the capacity figures of all its pools as
      they are now, whatever O(pool_name) returns (the pools share the service's connections, so a part of them would
      not tell whether they fit). The same figures as RV(dbpools.aiven.aiven_connection_pool#module:capacity).
    - A pool may open RV(connection_pools[].pool_size) server connections, an unpinned one that many per user connecting
      through it (see O(capacity_unpinned_users)); automatic pools (C(user_config.pgbouncer.autodb_pool_size)) count for each
      database without a pool. The budget is C(metadata.max_connections) (else C(user_config.pg.max_connections), else
      the plan's default), minus 3 connections reserved for superusers and O(capacity_reserve).
    - Not counted, because Aiven does not publish them, are its own connections to the service and how a pool is
      split between several PgBouncer processes; the figures are the most the pools may open, not a forecast.
    - No entry for a service that is not running and lists no pools (its pools are not known; it is warned about).
      V(null) where the document does not tell. Nothing is warned about; test RV(capacity[].over).
  returned: success
  type: list
  elements: dict
  contains:
    project:
      description: Project of the service.
      type: str
    service_name:
      description: Name of the service.
      type: str
    max_connections:
      description: The service's C(max_connections); V(null) when neither the document nor its plan tells.
      type: int
    max_connections_from:
      description: Where RV(capacity[].max_connections) comes from.
      type: str
      choices: [metadata, user_config, plan, unknown]
    superuser_reserved:
      description: Connections PostgreSQL keeps for superusers on Aiven (3).
      type: int
    reserve:
      description: O(capacity_reserve).
      type: int
    usable:
      description:
        - Server connections the pools may count on, RV(capacity[].max_connections) less the reserved ones;
          V(null) without a known C(max_connections).
      type: int
    pinned:
      description: Server connections the pools pinned to a user may open.
      type: int
    unpinned:
      description: Server connections the unpinned pools may open, each counted RV(capacity[].fan_out) times.
      type: int
    fan_out:
      description: Users counted per unpinned pool (O(capacity_unpinned_users), else the service's users but the admin, at least one).
      type: int
    automatic:
      description: Server connections of the automatic pools (C(user_config.pgbouncer.autodb_pool_size)).
      type: int
    total:
      description: The most server connections the pools may open, pinned, unpinned and automatic.
      type: int
    idle_floor:
      description: Server connections kept open even when idle (C(user_config.pgbouncer.min_pool_size)).
      type: int
    client_limit:
      description: PgBouncer's client connections per service, from C(node_memory_mb); V(null) without it.
      type: int
    expected_clients:
      description: O(capacity_expected_clients).
      type: int
    over:
      description:
        - Whether RV(capacity[].total) is above RV(capacity[].usable), or RV(capacity[].expected_clients) above
          RV(capacity[].client_limit).
      type: bool
    advisories:
      description:
        - Sizes worth a look though within budget (transaction pools while C(max_prepared_statements) is 0, a
          pool size above 1000, transaction pools far above the CPU count); names read from the API have their
          control characters escaped.
      type: list
      elements: str
    not_counted:
      description: What the figures cannot count.
      type: str
  sample:
    - {project: acme-prod, service_name: pg-orders, max_connections: 400, max_connections_from: metadata,
       superuser_reserved: 3, reserve: 0, usable: 397, pinned: 300, unpinned: 120, fan_out: 2, automatic: 0, total: 420,
       idle_floor: 0, client_limit: 8000, expected_clients: null, over: true, advisories: [],
       not_counted: "not counted: Aiven's own connections to the service, and how a pool is split between several
         PgBouncer processes (not published)"}
capacity_lines:
  description:
    - RV(capacity) for a person to read, one line per entry, in the same order; names read from the API have their
      control characters escaped.
  returned: success
  type: list
  elements: str
  sample:
    - "acme-prod/pg-orders: pools may open 420 server connections of 397 usable (max_connections 400, 3 reserved);
       unpinned pools counted for 2 users each"
ca_cert:
  description:
    - PEM certificate of the project's CA, for C(sslmode=verify-full). Not a secret.
    - With O(project_ca_path), the certificates of that file.
  returned: O(ca_cert=true)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
failure:
  description:
    - Machine-readable details of the failure, with the keys C(status), C(message), C(errors), C(method),
      C(path), C(error_code) and C(attempts) (the HTTP attempts made).
    - C(status) is null when no HTTP reply came or no request was made (C(attempts) V(0)), and V(200) for a reply
      that is not what the API promises.
  returned: failed
  type: dict
  sample:
    {status: 403, message: Not a project member, errors: [{message: Not a project member, status: 403}],
     method: GET, path: /v1/project/demo-project/kms/ca, error_code: null, attempts: 1}
"""

from typing import Any, NamedTuple

from ansible_collections.dbpools.aiven.plugins.module_utils._ansible_module import (
    AivenModule,
    project_ca_from_path,
    project_clients,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import Capacity
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import check_of as capacity_check_of
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import option_problems as capacity_option_problems
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import option_spec as capacity_option_spec
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_details import ROUTES, USAGES, DetailsError, connection_details
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import common_argument_spec
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import NAME_MAX, USERNAME_MAX, identity_problems, service_label, text_problem
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_results import public_pool
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import (
    RUNNING,
    ReadError,
    ServiceReader,
    pools_of,
    project_ca,
    redacted_warning,
    service_state,
    state_warning,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import select
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, printable

# service_type of Aiven for PostgreSQL in the service list; only those services have pools.
POSTGRES = "pg"


class ServiceRead(NamedTuple):
    """What one service adds to the result: its pools as returned, its capacity figures, and the warnings about it."""

    pools: list[dict[str, Any]]
    capacity: Capacity | None       # None when its pools are not known (not running, none listed)
    state_warning: str | None
    redacted_warning: str | None


def option_problems(params: dict[str, Any]) -> list[str]:
    """Every option the API cannot take, found before any request."""
    problems: list[str | None] = list(identity_problems(params["project"], params["service_name"]))
    problems += [text_problem(f"pool_name[{index}]", name, NAME_MAX) for index, name in enumerate(params["pool_name"] or [])]
    if params["unpinned_user"] is not None:
        problems.append(text_problem("unpinned_user", params["unpinned_user"], USERNAME_MAX))
    problems += capacity_option_problems(params)
    return [problem for problem in problems if problem]


def read_documents(reader: ServiceReader, project: str, service_name: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(service name, document) of the service asked for, or of every PostgreSQL service of the project; one request either way."""
    if service_name is not None:
        return [(service_name, reader.service(project, service_name))]
    return [(str(document.get("service_name")), document) for document in reader.services(project)
            if document.get("service_type") == POSTGRES]


def pool_result(project: str, service_name: str, pool: dict[str, Any], document: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """One pool as this module returns it: the same connection fields as the lookup connection_info, from the same function."""
    # public_pool's connection_uri of an unpinned pool holds no credentials, whoever unpinned_user names.
    result = public_pool(project, service_name, pool, params["include_secrets"])
    try:
        result.update(connection_details(pool, document, params["unpinned_user"], params["include_secrets"],
                                         params["route"], params["usage"]))
    except DetailsError as err:
        raise ReadError(f"{service_label(project, service_name)}/{pool['pool_name']}: {err}") from None
    return result


def service_pools(project: str, service_name: str, document: dict[str, Any], params: dict[str, Any]) -> ServiceRead:
    """The pools of one service as this module returns them, its capacity figures, and the warnings about it."""
    label = service_label(project, service_name)
    state = service_state(document)
    # A service that is not running may come without connection_pools (the contract): none, and the state warning says why.
    listed = [] if "connection_pools" not in document and state not in (None, RUNNING) else pools_of(label, document)
    pools = select(listed, params["pool_name"])
    results = [pool_result(project, service_name, pool, document, params) for pool in pools]
    # Only a pinned pool's URI is returned with a password, so only those can lack it.
    redacted = redacted_warning(label, [pool for pool in pools if pool["username"]]) if params["include_secrets"] else None
    # Every pool of the service, not only those pool_name keeps: they all share its connections. Not running with none
    # listed, its pools are not known (a powered-off service may list none although it has some): no figures.
    pools_known = bool(listed) or state in (None, RUNNING)
    # The label is in the figures' advisories and line, texts for a person: printable (and bounded), as the service's
    # name may be read from the API; all else in them is numbers or printable already.
    # Only measured here: the info module neither warns nor fails on the figures.
    figures = capacity_check_of(params).measure(printable(label), document, listed) if pools_known else None
    return ServiceRead(results, figures, state_warning(label, state, len(listed)), redacted)


def read(client: AivenClient, params: dict[str, Any], ca_from_file: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The module's result (without changed) and its warnings; ``ca_from_file`` is the CA project_ca_path gave."""
    reader = ServiceReader(client, include_secrets=params["include_secrets"])
    project = params["project"]
    pools: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    capacity: list[dict[str, Any]] = []
    lines: list[str] = []
    not_running: list[str] = []
    redacted: list[str] = []
    for service_name, document in read_documents(reader, project, params["service_name"]):
        found = service_pools(project, service_name, document, params)
        pools += found.pools
        services.append({"project": project, "service_name": service_name, "state": service_state(document)})
        if found.capacity is not None:
            capacity.append(dict(project=project, service_name=service_name, **found.capacity.entry()))
            lines.append(found.capacity.line())
        not_running += [found.state_warning] if found.state_warning else []
        redacted += [found.redacted_warning] if found.redacted_warning else []
    result: dict[str, Any] = {"connection_pools": pools, "services": services, "capacity": capacity, "capacity_lines": lines}
    if params["ca_cert"]:
        result["ca_cert"] = ca_from_file if ca_from_file is not None else project_ca(client, project)
    # A refused secrets read already explains every missing password.
    return result, not_running + (reader.warnings or redacted)


def main() -> None:
    spec = common_argument_spec()
    spec.update(
        project={"type": "str", "required": True},
        service_name={"type": "str"},
        pool_name={"type": "list", "elements": "str"},
        include_secrets={"type": "bool", "default": False},
        ca_cert={"type": "bool", "default": False},
        project_ca_path={"type": "path"},
        unpinned_user={"type": "str"},
        route={"type": "str", "choices": list(ROUTES)},
        usage={"type": "str", "choices": list(USAGES)},
        **capacity_option_spec(),
    )
    module = AivenModule(argument_spec=spec, supports_check_mode=True)
    problems = option_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    ca_from_file = project_ca_from_path(module)
    # The project's own token (api_tokens), else api_token; every connection option checked before any request.
    clients = project_clients(module, [module.params["project"]])
    try:
        result, warnings = read(clients.client(module.params["project"]), module.params, ca_from_file)
    except ReadError as err:
        # Names and texts read from the API are in it: shown printable (failure keeps them as sent; without one,
        # as for a pool whose details cannot be built, AivenModule adds it).
        module.fail_json(msg=printable(err.message, MESSAGE_MAX), failure=err.failure)
    finally:
        clients.close()
    # Warnings name services and pools and quote texts read from the API; Ansible prints them as they are.
    for warning in warnings:
        module.warn(printable(warning, MESSAGE_MAX))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
