#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aiven_connection_pool
short_description: Manage PgBouncer connection pools of Aiven for PostgreSQL services
version_added: 1.0.0
description:
  - Creates, updates and deletes PgBouncer connection pools of Aiven for PostgreSQL services through the Aiven API.
  - "Four forms, one code path: one pool (O(pool_name) and its settings), the pools of one service
    (O(pools), optionally with O(purge)), the pools of many services in one call (O(services)), or flat
    lists of pools that each name their service (O(definitions), the shape of an inventory)."
  - Idempotent. Each project is read once and only the needed writes are made; a second identical run
    makes no write. Settings left out are kept on an existing pool; a new pool gets the API's defaults.
  - Before any write, and in check mode too, the whole declaration is checked against the services (databases,
    users, plan, power state); every problem is reported at once, each naming C(project/service/pool).
  - Per service, deletes start only once its creates and updates succeeded, so a purge never leaves a service
    without the pools it was to keep. A run that fails part way says what was applied and what was not.
  - O(select) acts on part of the declaration (projects, services); O(purge_max_deletions) bounds how many pools
    a purge may delete in one run.
  - The results carry no secret unless O(include_secrets=true), so a task can print its result and C(--diff).
  - Write order, retries, read lag and other writers are described in
    L(docs/reliability.md,https://github.com/dbpools/aiven/blob/main/docs/reliability.md).
author:
  - dbpools.aiven maintainers (@dbpools)
extends_documentation_fragment:
  - dbpools.aiven.aiven
attributes:
  check_mode:
    support: full
    description: Reads the services, checks the declaration against them and predicts the result; makes no write request.
  diff_mode:
    support: full
    description: One diff per touched pool, headed C(project/service/pool), with its settings only; never a URI or password.
  action_group:
    support: full
    description: Use C(group/dbpools.aiven.aiven) in C(module_defaults) to set the options of this module.
    membership:
      - dbpools.aiven.aiven
options:
  project:
    description:
      - Name of the Aiven project, 1 to 63 characters of V(a-z), V(A-Z), V(0-9), V(_) and V(-).
      - Required with O(pool_name) or O(pools). With O(services), the project of every item that does not name its own.
    type: str
  service_name:
    description:
      - Name of the Aiven for PostgreSQL service, 1 to 64 characters without control characters.
      - Required with O(pool_name) or O(pools); with O(services), each item names its service instead.
    type: str
  pool_name:
    description:
      - Name of the pool (the database name clients connect to through PgBouncer), 1 to 63 characters
        without control characters; other characters are sent URL-quoted for the API to judge. A pool cannot be renamed.
      - O(pool_name), O(pools), O(services) and O(definitions) are mutually exclusive; one of them is required.
    aliases: [name]
    type: str
  database_name:
    description:
      - Database of the service the pool connects to, one of the service's databases. Required to create a pool.
    type: str
  username:
    description:
      - Service user the pool is pinned to (one of the service's users); clients then share its server connections.
      - V("") unpins the pool, so clients connect with their own credentials. Left out, a new pool is unpinned.
    type: str
  pool_mode:
    description: PgBouncer pool mode; a new pool gets V(transaction).
    type: str
    choices: [session, transaction, statement]
  pool_size:
    description: Number of server connections of the pool, 1 to 10000; a new pool gets 10.
    type: int
  state:
    description: Whether the pool should exist.
    type: str
    choices: [present, absent]
    default: present
  pools:
    description:
      - Pools of the service O(service_name) to manage in one call, each with the options of the single form.
    type: list
    elements: dict
    suboptions:
      pool_name:
        description: Name of the pool.
        aliases: [name]
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
      - With O(pools), delete every pool of the service that O(pools) does not name (the ones check mode and diff show).
      - A purge that would leave the service without any pool fails before any write unless O(allow_empty=true).
    type: bool
    default: false
  allow_empty:
    description:
      - With O(purge=true), allow the purge to delete every pool of the service; without it such a purge fails, naming them.
    type: bool
    default: false
  services:
    description:
      - The pools of many services, in one call. Each item declares one service; a service may appear once.
      - With O(services), O(service_name), O(purge), O(allow_empty) and the pool settings go inside the items.
    type: list
    elements: dict
    suboptions:
      project:
        description:
          - Project of the service; left out (or V(null)), O(project). V("") is refused, never taken for O(project).
        type: str
      service_name:
        description: Name of the service.
        type: str
        required: true
      purge:
        description: Delete the pools of this service that O(services[].pools) does not name (see O(purge)).
        type: bool
        default: false
      allow_empty:
        description: With O(services[].purge=true), allow the purge to delete every pool of this service.
        type: bool
        default: false
      pools:
        description: The pools of this service, each with the options of the single form.
        type: list
        elements: dict
        default: []
        suboptions:
          pool_name:
            description: Name of the pool.
            aliases: [name]
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
      databases:
        description:
          - The databases the pools of this service need, created before any pool is written when missing (as
            O(database_definitions) does).
        type: list
        elements: dict
        default: []
        suboptions:
          database_name:
            description: Name of the database, 1 to 40 characters.
            type: str
            required: true
          lc_collate:
            description: Collation of a database to create; one that exists with another is a problem, never changed.
            type: str
          lc_ctype:
            description: Character classification of a database to create, as O(services[].databases[].lc_collate).
            type: str
      users:
        description:
          - The service users the pools of this service need, created before any pool is written when missing (as
            O(user_definitions) does).
        type: list
        elements: dict
        default: []
        suboptions:
          username:
            description: Name of the user, 1 to 64 characters.
            type: str
            required: true
          pg_allow_replication:
            description: Whether the user may replicate; set where it differs.
            type: bool
  definitions:
    description:
      - The pools of many services as flat lists, one entry per pool, each naming its service (the declaration shape of
        the role C(dbpools.aiven.connection_pools)).
      - Each key names a list of definitions, as messages call it (such as the variable it came from); its entries
        are named C(KEY[i]). Each entry has C(service_name), C(pool_name), optionally C(project) (else O(project))
        and the settings and C(state) of O(pools). A pool may be declared once across all lists.
      - The entries are grouped by service into one call, in the order given; unset (V(null)) settings are left out.
        Every problem is reported at once, before any request.
    type: dict
  database_definitions:
    description:
      - With O(definitions), the databases the pools need, as flat lists by name like O(definitions) (entries named
        C(KEY[i])). Each entry has C(service_name), C(database_name) (1 to 40 characters), optionally C(project) (else
        O(project)), C(lc_collate) and C(lc_ctype) (see M(dbpools.aiven.aiven_pg_database)).
      - A declared database that does not exist is created before any pool is written, so a pool may name it in the same
        call (check mode says it would be created). A database that exists is left as it is; declared locales that differ
        from its own are a problem (they are fixed when a database is created).
      - The service documents read for the pools tell which databases exist; the service's database list is read as well
        only for a declared database that the document does not list or that declares locales.
      - No C(state); a database is never deleted here, not even by a purge (use M(dbpools.aiven.aiven_pg_database) with
        C(state=absent)). A service named only here is declared without pools, and V(all) in O(purge_services) does not
        purge it.
    type: dict
  user_definitions:
    description:
      - With O(definitions), the service users the pools need, as flat lists by name like O(definitions). Each entry has
        C(service_name), C(username) (1 to 64 characters), optionally C(project) and C(pg_allow_replication) (see
        M(dbpools.aiven.aiven_pg_user)).
      - A declared user that does not exist is created (its password generated by Aiven; read it with
        M(dbpools.aiven.aiven_pg_user) and O(include_secrets), or through a pool pinned to it), and C(pg_allow_replication)
        is set where it differs, before any pool is written. Nothing else of an existing user is changed, and a user is
        never deleted here.
    type: dict
  purge_services:
    description:
      - With O(definitions), the services whose undeclared pools are deleted (see O(purge)), each V(service_name)
        (in O(project)) or V(project/service_name). A service named here without definitions loses all its pools.
      - The string V(all) (not in a list) purges every service the definitions declare, so that a purge of all of
        them need not list each again; C([all]) names a service called C(all).
    type: raw
  allow_empty_services:
    description:
      - With O(definitions), the services of O(purge_services) whose purge may delete every pool (see O(allow_empty)).
    type: raw
  variable_names:
    description:
      - With O(definitions), what messages call O(project), O(purge_services) and O(allow_empty_services), for example the
        variables a role sets them from.
      - With any form, what messages call O(api_token) and O(api_tokens) (the no-token error, a 401).
    type: dict
    suboptions:
      api_token:
        description: Name of O(api_token) in messages.
        type: str
      api_tokens:
        description: Name of O(api_tokens) in messages.
        type: str
      project:
        description: Name of O(project) in messages.
        type: str
      purge_services:
        description: Name of O(purge_services) in messages.
        type: str
      allow_empty_services:
        description: Name of O(allow_empty_services) in messages.
        type: str
      select:
        description: Name of O(select) in messages.
        type: str
      purge_max_deletions:
        description: Name of O(purge_max_deletions) in messages.
        type: str
      capacity_reserve:
        description: Name of O(capacity_reserve) in messages.
        type: str
      capacity_unpinned_users:
        description: Name of O(capacity_unpinned_users) in messages.
        type: str
      capacity_expected_clients:
        description: Name of O(capacity_expected_clients) in messages.
        type: str
  select:
    description:
      - Act on part of the declaration, in any form; a list of entries, each V(project) (every declared service of the
        project) or V(project/service_name). Only the declared services an entry matches are read and written; the others
        are not read at all, so a purge is confined to the selection and a change of one service waits for no other.
      - The whole declaration is still checked by its rules first; a typo in any entry, selected or not, fails before
        any request. The checks against a service (databases, users, plan, power state) are made for the selected ones.
      - An entry that matches no declared service fails before any request, so that a typo here never makes a run that
        does nothing. A service of O(purge_services) without definitions is declared, and may be selected.
      - Left out or V([]), every declared service.
    type: raw
  purge_max_deletions:
    description:
      - Most pools the purges of one call may delete, counted across all its (selected) services; a plan over it fails
        before any write, in check mode too, naming the pools. A list that lost entries (a merge mistake, a template that
        rendered half) would otherwise delete every pool it no longer names.
      - Per call rather than per service, because a mistake in a shared template hits every service at once. Pools
        whose C(state) is V(absent) are named by the user and do not count. Raise it for the run whose deletes are meant.
    type: int
    default: 10
  role_result:
    description:
      - Return the result in the shape of the fact C(connection_pools_result) of the role C(dbpools.aiven.connection_pools),
        which registers it as it is (no template walks a result that grows with the estate) - RV(connection_pools)
        as RV(pools), and RV(by_name) - and, on a failure after the declaration was checked, RV(changes),
        RV(summary), RV(pools) and RV(by_name) too.
      - With O(definitions), the result's C(invocation) (shown at C(-vvv)) gives the number of entries of each list
        instead of the entries, which the result already holds.
    type: bool
    default: false
  fail_on_drift:
    description:
      - In check mode, fail when anything differs from the declaration (a pool missing, undeclared or differing, as
        RV(report) lists them), naming every difference as C(project/service/pool) once; for scheduled drift checks.
        The result is returned as on success. Ignored outside check mode.
    type: bool
    default: false
  include_secrets:
    description:
      - Add each pool's C(connection_uri) and C(password) to the results; only then is the API asked for secrets
        (permission C(service:secrets:read); without it, a warning and V(null) passwords). Use C(no_log) on the task.
    type: bool
    default: false
  concurrency:
    description:
      - Most writes in flight at once, across all the services of the call, 1 to 32.
    type: int
    default: 8
  wait:
    description:
      - Wait until each service with writes to make is C(RUNNING) or C(REBALANCING). A powered-off service fails at once.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a service with O(wait=true).
    type: int
    default: 600
  unavailable:
    description:
      - What to do with a declared service that cannot take its pool changes now, so that one sleeping service does
        not hold back the others (a nightly job over many projects, for example).
      - A service is unavailable when it is powered off and has writes pending (Aiven may drop a powered-off
        service's pools, so it often has), is not C(RUNNING) or C(REBALANCING) after O(wait_timeout), or does not
        exist (HTTP 404; a misspelt service name looks the same to the API).
      - V(fail) stops the run before any write, naming the service. V(skip) sets the service aside (no write to it, not
        even a purge's delete), applies the other services, names it in a warning and in RV(set_aside), and succeeds.
        V(skip_then_fail) does the same and then fails naming the set-aside services, keeping RV(changes) and
        C(applied), so a scheduled job alerts without holding back the services that could be changed.
      - Problems of the declaration itself (a rule broken, a database or user a running service does not have) fail
        the run before any write whatever this says. Check mode predicts the same, but does not wait for a service.
    type: str
    choices: [fail, skip, skip_then_fail]
    default: fail
  capacity:
    description:
      - Whether the pools of each service, as they will be after the run (predicted in check mode), fit the server
        connections the service can give; from the service documents already read, no extra request.
      - A pool may open O(pool_size) server connections, an unpinned one that many per user connecting through it (see
        O(capacity_unpinned_users)); automatic pools (C(user_config.pgbouncer.autodb_pool_size)) count for each
        database without a pool. The budget is C(metadata.max_connections) (else C(user_config.pg.max_connections), else
        the plan's default), minus 3 connections reserved for superusers and O(capacity_reserve).
      - Not counted, because Aiven does not publish them, are its own connections to the service and how a pool is
        split between several PgBouncer processes; the figures are the most the pools may open, not a forecast.
      - V(warn) warns for each service over its budget, and with advisories (transaction pools while
        C(max_prepared_statements) is 0, a O(pool_size) above 1000, transaction pools far above the CPU count).
        V(fail) fails before any write when a service is over its budget. V(ignore) skips the check and its results
        (a word YAML keeps as it is, where an unquoted C(off) would become V(false)).
      - The guide U(https://github.com/dbpools/aiven/blob/main/docs/sizing-pools.md) says what counts and how to set
        O(capacity_reserve) and O(capacity_unpinned_users).
    type: str
    choices: [warn, fail, ignore]
    default: warn
  capacity_reserve:
    description:
      - Connections of each service's C(max_connections) kept for direct connections (migrations, administration,
        monitoring), which the pools may not count on.
    type: int
    default: 0
  capacity_unpinned_users:
    description:
      - How many users may connect through each unpinned pool (PgBouncer opens a pool per connecting user); left out,
        the service's users other than its admin user, at least one.
    type: int
  capacity_expected_clients:
    description:
      - Client connections expected per service, compared with PgBouncer's limit, C(min(max(500 x RAM in GB, 5000), 50000))
        from C(node_memory_mb); more is over budget.
    type: int
notes:
  - Connecting through a new or just changed pool may work only minutes after the API shows it; a client should
    retry its first connection.
  - On the controller (connection C(local), for example C(delegate_to=localhost), with the controller's own Python as
    C(ansible_python_interpreter), no C(async) and no C(become)), the module's work runs in Ansible's worker process
    through the collection's action plugin of the same name, with the same checks, messages and result. Its arguments
    are then not sent to a module process, which at thousands of pools costs more than the work. Anywhere else it runs
    as any module does. C(-vvv) says which.
seealso:
  - module: dbpools.aiven.aiven_connection_pool_info
    description: Read pools with their connection URIs (secrets).
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
  register: app_pool

- name: Show how to connect (the result holds no password)
  ansible.builtin.debug:
    msg: "{{ app_pool.connection_pool.host }}:{{ app_pool.connection_pool.port }}/{{ app_pool.connection_pool.dbname }}"

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
      - {pool_name: app-pool, database_name: appdb, pool_size: 20}
      - {pool_name: reports, database_name: appdb, pool_mode: session}
      - {pool_name: legacy, state: absent}

- name: Pools of several services in one call (each project read once)
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    services:
      - service_name: pg-orders
        purge: true
        pools:
          - {pool_name: orders, database_name: orders, pool_size: 30}
          - {pool_name: orders-reports, database_name: orders, pool_mode: session}
      - service_name: pg-scratch
        purge: true
        allow_empty: true  # this purge may delete every pool of the service
        pools: []
      - project: other-project
        service_name: pg-billing
        pools:
          - {pool_name: billing, database_name: billing}

- name: Two projects in one call, each with its own least-privilege token (others would use api_token)
  dbpools.aiven.aiven_connection_pool:
    api_tokens:
      prod-project: "{{ vault_aiven_prod_token }}"
      dev-project: "{{ vault_aiven_dev_token }}"
    services:
      - {project: prod-project, service_name: pg-orders, pools: [{pool_name: orders, database_name: orders}]}
      - {project: dev-project, service_name: pg-orders, pools: [{pool_name: orders, database_name: orders}]}

- name: Flat lists from inventory, each pool naming its service; errors name the lists
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    definitions:
      team_a_pools:
        - {service_name: pg-orders, pool_name: orders, database_name: orders}
      team_b_pools:
        - {service_name: pg-billing, pool_name: billing, database_name: billing, pool_size: 5}
    purge_services: [pg-orders]

- name: A new service's databases, users and pools in one call; the databases and users are created first
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    definitions:
      shop_pools:
        - {service_name: pg-shop, pool_name: shop-web, database_name: shop, username: shop_app}
        - {service_name: pg-shop, pool_name: shop-reports, database_name: shop}
    database_definitions:
      shop_databases:
        - {service_name: pg-shop, database_name: shop}
    user_definitions:
      shop_users:
        - {service_name: pg-shop, username: shop_app}

- name: Purge every declared service, acting on one project only; this run may delete up to 30 pools
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    definitions:
      team_a_pools:
        - {service_name: pg-orders, pool_name: orders, database_name: orders}
        - {project: other-project, service_name: pg-billing, pool_name: billing, database_name: billing}
    purge_services: all
    select: [demo-project]  # other-project is not read nor written
    purge_max_deletions: 30

- name: What would change, with a diff per pool (run with --check --diff)
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    pools:
      - {pool_name: app-pool, pool_size: 25}
  check_mode: true
  diff: true
  register: planned

- name: Pool with its connection URI and password, for a secret store
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    pool_name: app-pool
    database_name: appdb
    include_secrets: true
  no_log: true  # the result now holds the password
  register: app_pool_secret

- name: Remove a pool
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    service_name: pg-demo
    pool_name: reports
    state: absent

- name: Nightly run; a powered-off dev service is set aside, the others are applied, and the job still fails to alert
  dbpools.aiven.aiven_connection_pool:
    project: demo-project
    services:
      - service_name: pg-prod
        pools:
          - {pool_name: app-pool, database_name: appdb, pool_size: 25}
      - service_name: pg-dev
        pools:
          - {pool_name: app-pool, database_name: appdb}
    unavailable: skip_then_fail
  register: nightly  # nightly.set_aside: [{project, service_name, reason: powered_off, message}]
"""

RETURN = r"""
connection_pool:
  description:
    - With O(pool_name), the pool after the run (predicted in check mode), with the keys of RV(connection_pools);
      empty when it does not exist.
  returned: success and O(pool_name) is given
  type: dict
  sample: {project: demo-project, service_name: pg-demo, pool_name: app-pool, database_name: appdb, username: app,
           pool_mode: transaction, pool_size: 20, host: pg-demo-demo-project.aivencloud.com, port: 12692,
           dbname: app-pool, user: app, sslmode: require}
connection_pools:
  description:
    - The pools declared present, after the run (predicted in check mode), in the order given.
      No secret unless O(include_secrets=true).
  returned: success, unless O(role_result=true) (then as RV(pools))
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
      description: The user the pool is pinned to, as in RV(changes); V(null) for an unpinned pool.
      type: str
    pool_mode:
      description: PgBouncer pool mode.
      type: str
    pool_size:
      description: Server connections of the pool.
      type: int
    host:
      description: Host to connect to; V(null) in check mode for a pool not created yet.
      type: str
    port:
      description: PgBouncer port to connect to; V(null) in check mode for a pool not created yet.
      type: int
    dbname:
      description: Database name a client connects to, the pool's name.
      type: str
    user:
      description:
        - User a client connects as, the pinned user; V("") for an unpinned pool (clients bring their own credentials).
      type: str
    sslmode:
      description: C(sslmode) the pool's URI names, V(require) when none; V(null) in check mode for a pool not created yet.
      type: str
    connection_uri:
      description:
        - URI to connect through the pool, as the API gives it; a pinned pool's holds that user's password.
        - An unpinned pool's has the admin's credentials removed (V(null) when they cannot be told apart).
          V(null) in check mode for a pool not created yet.
      returned: O(include_secrets=true)
      type: str
    password:
      description:
        - Password inside RV(connection_pools[].connection_uri); V(null) when the API did not give it out (with a
          warning), V("") for an unpinned pool.
      returned: O(include_secrets=true)
      type: str
  sample:
    - {project: demo-project, service_name: pg-demo, pool_name: app-pool, database_name: appdb, username: null,
       pool_mode: transaction, pool_size: 10, host: pg-demo-demo-project.aivencloud.com, port: 12692,
       dbname: app-pool, user: "", sslmode: require}
check_mode:
  description:
    - Whether the task ran in check mode, so RV(changes) lists writes that would be made.
  returned: success
  type: bool
  sample: false
changes:
  description:
    - One entry per write made (in check mode, that would be made), in order. C(fields) (updates only) names the
      settings changed; C(before) and C(after) hold the settings, V(null) for a pool that does not exist.
  returned: success; with O(role_result=true) also a failure after the declaration was checked (then the writes applied
    before it, as RV(applied))
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, pool_name: app-pool, action: update, fields: [pool_size],
       before: {database_name: appdb, username: null, pool_mode: transaction, pool_size: 10},
       after: {database_name: appdb, username: null, pool_mode: transaction, pool_size: 20}}
    - {project: demo-project, service_name: pg-demo, pool_name: legacy, action: delete,
       before: {database_name: appdb, username: null, pool_mode: session, pool_size: 5}, after: null}
diff:
  description:
    - With C(--diff), one entry per touched pool, headed C(project/service/pool), one line per setting;
      the empty string for a side where the pool does not exist.
    - Before them, one per database or user of RV(database_changes) and RV(user_changes), headed
      C(database project/service/name) or C(user project/service/name); never a password.
  returned: success, in diff mode
  type: list
  elements: dict
  sample:
    - before_header: demo-project/pg-demo/app-pool
      after_header: demo-project/pg-demo/app-pool
      before: "database_name: appdb\nusername: null\npool_mode: transaction\npool_size: 10\n"
      after: "database_name: appdb\nusername: null\npool_mode: transaction\npool_size: 20\n"
failure:
  description:
    - Machine-readable details of the failure. C(status) is null when no HTTP reply came (or no request was made,
      C(attempts) V(0)); C(attempts) counts the HTTP attempts. C(message) and C(errors) hold the API's text as sent
      (in C(msg) and warnings control characters are escaped and texts cut to a bounded length).
    - When the declaration does not fit the services, C(problems) lists every problem; nothing was written.
  returned: failed
  type: dict
  sample:
    {status: 403, message: Current service plan does not include the connection pooling option.,
     errors: [{message: "Current service plan does not include the connection pooling option.", status: 403}],
     method: POST, path: /v1/project/demo-project/service/pg-demo/connection_pool, error_code: null, attempts: 1}
applied:
  description:
    - On a failed run, the writes the API accepted (C(project), C(service_name), C(pool_name), C(action));
      C(changed) is V(true) when it is not empty.
  returned: failed during or after writes
  type: list
  elements: dict
failed_changes:
  description:
    - On a failed run, the writes that failed, with the HTTP status and Aiven's message (no C(status) for an
      accepted write the read back does not show; C(message) then names the setting and both values).
  returned: failed during or after writes
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, pool_name: reports, action: create, status: 403,
       message: Service database username ghost does not exist}
not_attempted:
  description:
    - On a failed run, the writes not attempted, with the same keys, including the deletes of a service whose
      creates or updates did not all succeed.
  returned: failed during or after writes
  type: list
  elements: dict
undeclared_pools:
  description:
    - Per declared service, the pools it has that the declaration does not name (whether or not O(purge) is on),
      as the service was read before any write; with O(purge) these are the pools the purge deletes.
    - Names only. Pool names are as the API sent them.
  returned: success
  type: list
  elements: dict
  sample:
    - project: demo-project
      service_name: pg-demo
      pool_name: legacy
report:
  description:
    - In check mode, the declared pools as C(project/service/pool), sorted, in three lists; names read from the API
      have their control characters escaped. C(missing) are declared and do not exist, C(undeclared) exist and are not
      declared (RV(undeclared_pools)), C(differing) exist with other settings or although declared C(absent).
    - The databases and users of O(database_definitions) and O(user_definitions) as C(project/service database NAME) and
      C(project/service user NAME) in C(missing) (to create) and C(differing) (C(pg_allow_replication) to set).
  returned: success, in check mode
  type: dict
  sample:
    missing: [demo-project/pg-demo/reports]
    undeclared: [demo-project/pg-demo/legacy]
    differing: [demo-project/pg-demo/app-pool]
summary:
  description:
    - The number of declared services (those O(select) keeps), of pools in RV(connection_pools), and of writes per action
      in RV(changes).
    - When databases or users are declared (O(database_definitions), O(user_definitions), O(services[].databases),
      O(services[].users)), also C(databases_created), C(users_created) and C(users_updated) (RV(database_changes),
      RV(user_changes)).
  returned: success; with O(role_result=true) also a failure after the declaration was checked
  type: dict
  sample: {services: 1, pools: 2, created: 1, updated: 1, deleted: 0}
database_changes:
  description:
    - With O(definitions) or O(services), the databases of O(database_definitions) or O(services[].databases) created
      (in check mode, that would be created), each with its locales after the create.
  returned: with O(definitions) or O(services), on success and on a failure after a database was created
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, database_name: shop, action: create, before: null,
       after: {lc_collate: en_US.UTF-8, lc_ctype: en_US.UTF-8}}
user_changes:
  description:
    - With O(definitions) or O(services), the users of O(user_definitions) or O(services[].users) created or whose
      C(pg_allow_replication) was set (in check mode, that would be), each with its type and flag before and after.
      Never a password.
  returned: with O(definitions) or O(services), on success and on a failure after a user was created or changed
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, username: shop_app, action: create, before: null,
       after: {type: normal, pg_allow_replication: false}, password_change: null}
change_lines:
  description:
    - RV(changes) for a person to read, without any secret; one line per service with changes, then a total line.
      Each line names every pool; in check mode the lines say C(would). Names read from the API have their control
      characters escaped.
    - The databases and users created or changed (RV(database_changes), RV(user_changes)) come first on their service's
      line, as they are written first, and are counted at the end of the total line.
  returned: success; with O(role_result=true) also a failure after the declaration was checked (the writes applied before it)
  type: list
  elements: str
  sample:
    - "demo-project/pg-demo: create 1 (reports), update 1 (app-pool: pool_size 10 -> 20)"
    - "demo-project/pg-shop: create database 1 (shop), create user 1 (shop_app), create 1 (shop-pool)"
    - "total: 2 services, create 2, update 1, delete 0, create database 1, create user 1"
pools:
  description:
    - With O(role_result=true), RV(connection_pools) under this name; empty after a failure.
  returned: with O(role_result=true), on success and on a failure after the declaration was checked
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, pool_name: app-pool, database_name: appdb, username: null,
       pool_mode: transaction, pool_size: 10, host: pg-demo-demo-project.aivencloud.com, port: 12692,
       dbname: app-pool, user: "", sslmode: require}
by_name:
  description:
    - With O(role_result=true), each pool of RV(pools) under C(project/service/pool) (the names as the API has them, for
      lookups; never printed); empty after a failure.
  returned: with O(role_result=true), on success and on a failure after the declaration was checked
  type: dict
  sample:
    demo-project/pg-demo/app-pool: {project: demo-project, service_name: pg-demo, pool_name: app-pool, database_name: appdb,
                                    username: null, pool_mode: transaction, pool_size: 10,
                                    host: pg-demo-demo-project.aivencloud.com, port: 12692, dbname: app-pool, user: "",
                                    sslmode: require}
changed_by_others:
  description:
    - Pools this run meant to delete that another writer changed meanwhile, each with C(project), C(service_name),
      C(pool_name) and C(what) (V(deleted) or V(re-created)); not in RV(changes). A warning names each.
  returned: success, and failed runs where it is not empty
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, pool_name: legacy, what: deleted}
capacity:
  description:
    - Unless O(capacity=ignore), per service read, the capacity figures of its pools after the run (predicted in check
      mode); see O(capacity). V(null) where the document does not tell (C(usable) without a known C(max_connections)).
  returned: success, unless O(capacity=ignore)
  type: list
  elements: dict
  sample:
    - {project: acme-prod, service_name: pg-orders, max_connections: 400, max_connections_from: metadata,
       superuser_reserved: 3, reserve: 0, usable: 397, pinned: 300, unpinned: 120, fan_out: 2, automatic: 0, total: 420,
       idle_floor: 0, client_limit: 8000, expected_clients: null, over: true, advisories: [],
       not_counted: "Aiven's own connections to the service, how a pool is split between PgBouncer processes"}
capacity_lines:
  description:
    - RV(capacity) for a person to read, as the role P(dbpools.aiven.connection_pools#role) prints them after its change
      lines. A line for each service whose pools are over its budget (ending in C(over budget)) or change in this run
      (would change in check mode), then one line counting the other services, so that a converged estate prints one line
      whatever its size. Names read from the API have their control characters escaped.
  returned: success, unless O(capacity=ignore)
  type: list
  elements: str
  sample:
    - "acme-prod/pg-orders: pools may open 420 server connections of 397 usable (max_connections 400, 3 reserved): over budget"
    - "capacity: 12 other services with unchanged pools within their connection budget (every service's figures are in the result's capacity)"
set_aside:
  description:
    - The declared services left unchanged because they were unavailable (see O(unavailable)), each with C(project),
      C(service_name), C(reason) (V(powered_off), V(not_running) or V(not_found)) and C(message), which says what is
      wrong and what to do. A warning names each. Empty with O(unavailable=fail).
  returned: success, and failed runs where it is not empty
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-dev, reason: powered_off,
       message: "demo-project/pg-dev: the service is powered off (state POWEROFF); power it on before changing its pools"}
"""

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.dbpools.aiven.plugins.module_utils._ansible_module import AivenModule, check_identity, project_clients
from ansible_collections.dbpools.aiven.plugins.module_utils._availability import CHOICES as UNAVAILABLE_CHOICES
from ansible_collections.dbpools.aiven.plugins.module_utils._availability import FAIL, fails_after, failure_details, failure_message
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import MODES as CAPACITY_MODES
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import OPTION_FIELDS as CAPACITY_OPTION_FIELDS
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import check_of as capacity_check_of
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import option_problems as capacity_option_problems
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import option_spec as capacity_option_spec
from ansible_collections.dbpools.aiven.plugins.module_utils._capacity import report_lines as capacity_report
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import common_argument_spec
from ansible_collections.dbpools.aiven.plugins.module_utils._databases_planning import declared_problems as databases_problems
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import (
    CONCURRENCY_DEFAULT,
    POOL_MODES,
    STATES,
    concurrency_problem,
    item_project,
    pool_state,
    service_label,
    services_project_problem,
    wait_timeout_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import EngineResult, PoolEngine, ServiceDeclaration, SyncError
from ansible_collections.dbpools.aiven.plugins.module_utils._flat_definitions import FlatDeclaration, Names, grouped, problems_message
from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_arguments
from ansible_collections.dbpools.aiven.plugins.module_utils._module_like import ModuleLike
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_results import public_pool
from ansible_collections.dbpools.aiven.plugins.module_utils._prerequisites import change_entries
from ansible_collections.dbpools.aiven.plugins.module_utils._purge_limit import DEFAULT as PURGE_MAX_DELETIONS_DEFAULT
from ansible_collections.dbpools.aiven.plugins.module_utils._purge_limit import PurgeLimit, value_problem
from ansible_collections.dbpools.aiven.plugins.module_utils._run_report import change_lines, drift_message, report, role_result, summary
from ansible_collections.dbpools.aiven.plugins.module_utils._selection import Selection, parsed
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, printable, shown
from ansible_collections.dbpools.aiven.plugins.module_utils._users_planning import declared_problems as users_problems

SETTING_OPTIONS = {
    "database_name": {"type": "str"},
    "username": {"type": "str"},
    "pool_mode": {"type": "str", "choices": list(POOL_MODES)},
    "pool_size": {"type": "int"},
}
POOL_ITEM_OPTIONS = dict(SETTING_OPTIONS, pool_name={"type": "str", "required": True, "aliases": ["name"]},
                         state={"type": "str", "choices": list(STATES), "default": "present"})
# The databases and users of a service of services (the rules of aiven_pg_database and aiven_pg_user, no state).
DATABASE_ITEM_OPTIONS = {"database_name": {"type": "str", "required": True}, "lc_collate": {"type": "str"}, "lc_ctype": {"type": "str"}}
USER_ITEM_OPTIONS = {"username": {"type": "str", "required": True}, "pg_allow_replication": {"type": "bool"}}
# The options of flat lists by name, whose entries invocation counts rather than echoes with role_result.
DEFINITION_LISTS = ("definitions", "database_definitions", "user_definitions")
# The lists of an item of services.
SERVICE_LISTS = ("pools", "databases", "users")
# The options that declare one service: with services, they go inside each item.
SERVICE_LEVEL = ("service_name", "pool_name", "pools") + tuple(SETTING_OPTIONS)
# The options of the definitions form besides definitions itself.
DEFINITIONS_NAMES = ("project", "purge_services", "allow_empty_services")
# What variable_names may rename with any form.
TOKEN_NAMES = ("api_token", "api_tokens")
# Options of every form that variable_names may name too.
NAMED_OPTIONS = DEFINITIONS_NAMES + ("select", "purge_max_deletions") + tuple(CAPACITY_OPTION_FIELDS)


def argument_spec() -> dict:
    spec = common_argument_spec()
    spec.update(
        project={"type": "str"},
        service_name={"type": "str"},
        pool_name={"type": "str", "aliases": ["name"]},
        state={"type": "str", "choices": list(STATES), "default": "present"},
        pools={"type": "list", "elements": "dict", "options": POOL_ITEM_OPTIONS},
        purge={"type": "bool", "default": False},
        allow_empty={"type": "bool", "default": False},
        services={
            "type": "list",
            "elements": "dict",
            "options": {
                "project": {"type": "str"},
                "service_name": {"type": "str", "required": True},
                "purge": {"type": "bool", "default": False},
                "allow_empty": {"type": "bool", "default": False},
                "pools": {"type": "list", "elements": "dict", "default": [], "options": POOL_ITEM_OPTIONS},
                "databases": {"type": "list", "elements": "dict", "default": [], "options": DATABASE_ITEM_OPTIONS},
                "users": {"type": "list", "elements": "dict", "default": [], "options": USER_ITEM_OPTIONS},
            },
        },
        definitions={"type": "dict"},
        # Lists by name like definitions; checked by _prerequisite_definitions, which names each entry as the caller does.
        database_definitions={"type": "dict"},
        user_definitions={"type": "dict"},
        # Raw: their own checks name them as variable_names says.
        purge_services={"type": "raw"},
        allow_empty_services={"type": "raw"},
        # Names of variables, not secrets: no_log false for api_token and api_tokens says so.
        variable_names={"type": "dict", "options": dict({key: {"type": "str"} for key in NAMED_OPTIONS},
                                                        **{key: {"type": "str", "no_log": False} for key in TOKEN_NAMES})},
        # Raw: its own check names it as variable_names says.
        select={"type": "raw"},
        purge_max_deletions={"type": "int", "default": PURGE_MAX_DELETIONS_DEFAULT},
        role_result={"type": "bool", "default": False},
        fail_on_drift={"type": "bool", "default": False},
        include_secrets={"type": "bool", "default": False},
        concurrency={"type": "int", "default": CONCURRENCY_DEFAULT},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 600},
        unavailable={"type": "str", "choices": list(UNAVAILABLE_CHOICES), "default": FAIL},
        capacity={"type": "str", "choices": list(CAPACITY_MODES), "default": "warn"},
        **capacity_option_spec(),
        **SETTING_OPTIONS,
    )
    return spec


def items_are_dicts(items: object) -> bool:
    """True when every item of ``items`` is a dict, or a string Ansible turns into one."""
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, str):
            try:
                item = check_type_dict(item)
            except (TypeError, ValueError):
                return False
        if not isinstance(item, Mapping):
            return False
    return True


def _services_are_dicts(services: object) -> bool:
    if not items_are_dicts(services) or not isinstance(services, list):
        return False
    return all(not isinstance(item, Mapping) or item.get(key) is None or items_are_dicts(item[key])
               for item in services for key in SERVICE_LISTS)


def safe_argument_spec() -> dict:
    """The argument spec, with pools or services taken as they are when an item is no dict.

    ansible-core gives up collecting the no_log values when an item of a list of
    sub-options is no dict, and its failure then shows api_token in clear in the
    result's invocation. Taken as it is, such a value reaches our own checks, which
    name the item, and the token stays masked.
    """
    spec = argument_spec()
    raw = given_arguments()  # {} where the module is only introspected (ansible-test validate-modules)
    if raw.get("pools") is not None and not items_are_dicts(raw["pools"]):
        spec["pools"] = {"type": "raw"}
    if raw.get("services") is not None and not _services_are_dicts(raw["services"]):
        spec["services"] = {"type": "raw"}
    return spec


def _shape_problem(services: object) -> str | None:
    """Why ``services`` taken as it is (see safe_argument_spec) is no list of dicts with lists of dicts."""
    if not isinstance(services, list):
        return f"services must be a list, got {shown(services)}"
    for index, item in enumerate(services):
        if not isinstance(item, Mapping):
            return f"services[{index}] must be a dictionary, got {shown(item)}"
        for key in SERVICE_LISTS:
            entries = item.get(key)
            if entries is not None and not isinstance(entries, list):
                return f"services[{index}].{key} must be a list, got {shown(entries)}"
            for position, entry in enumerate(entries or []):
                if not isinstance(entry, Mapping):
                    return f"services[{index}].{key}[{position}] must be a dictionary, got {shown(entry)}"
    return None


def check_options(module: ModuleLike) -> list[dict[str, Any]] | None:
    """Every option of the form given checked before any request; the definitions' services, grouped once, else None."""
    params = module.params
    groups = None
    only_with_definitions = [key for key in ("purge_services", "allow_empty_services", "database_definitions", "user_definitions")
                             if params[key] is not None]
    names = params["variable_names"] or {}
    only_with_definitions += [f"variable_names.{key}" for key in DEFINITIONS_NAMES if names.get(key) is not None]
    if only_with_definitions and params["definitions"] is None:
        module.fail_json(msg=f"{', '.join(only_with_definitions)} only go with definitions")
    if params["definitions"] is not None:
        groups = check_definitions_options(module)
    elif params["services"] is not None:
        check_services_options(module)
    else:
        missing = [key for key in ("project", "service_name") if params[key] is None]
        if missing:
            form = "pools" if params["pools"] is not None else "pool_name"
            module.fail_json(msg=f"{' and '.join(missing)} required with {form}")
        if params["pools"] is not None and any(params[key] is not None for key in SETTING_OPTIONS):
            module.fail_json(msg="database_name, username, pool_mode and pool_size go inside each item of pools, not beside it")
        if params["purge"] and params["pools"] is None:
            module.fail_json(msg="purge needs the batch form (pools)")
        if params["allow_empty"] and not params["purge"]:
            module.fail_json(msg="allow_empty applies to purge: set purge: true, or leave allow_empty out")
        check_identity(module)
    problem = concurrency_problem(params["concurrency"]) or wait_timeout_problem(params["wait_timeout"])
    if problem:
        module.fail_json(msg=problem)
    check_selection_and_limit(module)
    return groups


def check_selection_and_limit(module: ModuleLike) -> None:
    """select, purge_max_deletions and the capacity check's numbers, named as variable_names says; before any request."""
    names = Names.given(module.params["variable_names"])
    problems = parsed(module.params["select"], names.select)[1]
    limit_problem = value_problem(module.params["purge_max_deletions"], names.purge_max_deletions)
    problems += [limit_problem] if limit_problem else []
    problems += capacity_option_problems(module.params, module.params["variable_names"])
    if problems:
        module.fail_json(msg=printable("; ".join(problems) + "; nothing was changed", MESSAGE_MAX), failure={"problems": problems})


def selection_of(params: dict) -> Selection | None:
    """The services select keeps (None: all), once check_selection_and_limit has passed."""
    return parsed(params["select"], Names.given(params["variable_names"]).select)[0]


def purge_limit_of(params: dict) -> PurgeLimit:
    return PurgeLimit(params["purge_max_deletions"], Names.given(params["variable_names"]).purge_max_deletions)


def check_services_options(module: ModuleLike) -> None:
    params = module.params
    problem = _shape_problem(params["services"])
    if problem:
        module.fail_json(msg=problem)
    beside = [key for key in SERVICE_LEVEL if params[key] is not None]
    beside += [key for key in ("purge", "allow_empty") if params[key]]
    if params["state"] != "present":
        beside.append("state")
    if beside:
        module.fail_json(msg=f"with services, {', '.join(beside)} go inside each item of services (top level: project only, "
                             "as the default project of the items)")
    problem = services_project_problem(params["services"], params["project"])
    if problem:
        module.fail_json(msg=problem)
    problems = []
    for index, item in enumerate(params["services"]):
        label = f"{item_project(item, params['project'])}/{printable(str(item['service_name']))}"
        problems += databases_problems(item.get("databases") or [], f"services[{index}].databases", label)
        problems += users_problems(item.get("users") or [], f"services[{index}].users", label)
    if problems:
        module.fail_json(msg=printable("; ".join(problems) + "; nothing was changed", MESSAGE_MAX), failure={"problems": problems})


def flat_declaration(params: dict) -> FlatDeclaration:
    return FlatDeclaration(params["definitions"], params["project"], params["purge_services"], params["allow_empty_services"],
                           Names.given(params["variable_names"]), params["database_definitions"], params["user_definitions"])


def check_definitions_options(module: ModuleLike) -> list[dict[str, Any]]:
    """The definitions form: alone but for project; every identity problem at once, named as the caller names it.

    Returns the services the definitions declare: grouping them is most of the checks' cost, done once.
    """
    params = module.params
    beside = [key for key in SERVICE_LEVEL if params[key] is not None] + [key for key in ("purge", "allow_empty") if params[key]]
    if params["state"] != "present":
        beside.append("state")
    if beside:
        module.fail_json(msg=f"with definitions, {', '.join(beside)} go inside each definition (top level: project only, "
                             "as the default project of the definitions)")
    groups, problems = grouped(flat_declaration(params))
    if problems:
        module.fail_json(msg=problems_message(problems), failure={"problems": problems})
    return groups


def purge_item(item: dict[str, Any], default_project: str | None) -> str:
    """How purge_services and allow_empty_services name the service of a group: service_name, or project/service_name."""
    return item["service_name"] if item["project"] == default_project else f"{item['project']}/{item['service_name']}"


def declarations(params: dict, groups: list[dict[str, Any]] | None = None) -> list[ServiceDeclaration]:
    """The four forms as one list of service declarations: one code path.

    ``groups``: the definitions' services as check_options returned them, so that they are not grouped twice.
    """
    if params["definitions"] is not None:
        if groups is None:
            groups = grouped(flat_declaration(params))[0]
        allow_empty_option = Names.given(params["variable_names"]).allow_empty_services
        return [ServiceDeclaration(item["project"], item["service_name"], item["pools"], purge=item["purge"], allow_empty=item["allow_empty"],
                                   allow_empty_hint=f"add {purge_item(item, params['project'])} to {allow_empty_option}",
                                   origins=item["origins"], databases=item["databases"], users=item["users"])
                for item in groups]
    if params["services"] is not None:
        return [ServiceDeclaration(item_project(item, params["project"]), item["service_name"], item.get("pools") or [],
                                   purge=bool(item.get("purge")), allow_empty=bool(item.get("allow_empty")),
                                   databases=item.get("databases") or [], users=item.get("users") or [])
                for item in params["services"]]
    if params["pools"] is not None:
        return [ServiceDeclaration(params["project"], params["service_name"], params["pools"],
                                   purge=params["purge"], allow_empty=params["allow_empty"])]
    entry = {key: params[key] for key in SETTING_OPTIONS}
    entry.update(pool_name=params["pool_name"], state=params["state"])
    # The single form's options are named alone in messages.
    return [ServiceDeclaration(params["project"], params["service_name"], [entry], list_name=None)]


def declared_pools(result: EngineResult, include_secrets: bool) -> list[dict[str, Any]]:
    """The pools declared present, service by service in the order given, as the module returns them."""
    pools = []
    for service in result.services:
        declaration = service.declaration
        by_name = {pool["pool_name"]: pool for pool in service.pools}
        for entry in declaration.pools:
            if pool_state(entry) == "present" and entry["pool_name"] in by_name:
                pools.append(public_pool(declaration.project, declaration.service_name, by_name[entry["pool_name"]], include_secrets))
    return pools


def entry_counts(lists: dict[str, Any] | None) -> dict[str, str] | None:
    """``{list name: "N entries"}``: what invocation shows of a definitions option instead of its entries."""
    if lists is None:
        return None
    return {name: f"{len(entries) if isinstance(entries, list) else 0} entries" for name, entries in lists.items()}


def declares_prerequisites(declared: list[ServiceDeclaration]) -> bool:
    """Whether any database or user is declared beside the pools: then the summary counts their writes."""
    return any(declaration.databases or declaration.users for declaration in declared)


def warn_all(module: ModuleLike, warnings: list[str]) -> None:
    # Warnings name pools and quote texts read from the API; Ansible prints them as they are.
    for warning in warnings:
        module.warn(printable(warning, MESSAGE_MAX))


# AnsibleModule's rules beside the argument spec; the action plugin's run in the controller's process checks the same.
MODULE_RULES: dict[str, Any] = {
    "mutually_exclusive": [("pool_name", "pools", "services", "definitions")],
    "required_one_of": [("pool_name", "pools", "services", "definitions")],
}


def run(module: ModuleLike) -> dict[str, Any]:
    """The module's work on validated ``module.params``: the result for exit_json; a failure ends through ``module.fail_json``.

    ``module`` is the AnsibleModule of main(), or the stand-in of the action plugin that runs this in the
    controller's process (plugins/action/aiven_connection_pool.py): one code path for both.
    """
    params = module.params
    declared = declarations(params, check_options(module))
    # Each project with its own token (api_tokens), else api_token; every connection option checked before any request.
    client = project_clients(module, [declaration.project for declaration in declared], params["concurrency"], params["variable_names"])
    engine = PoolEngine(client, params["concurrency"], include_secrets=params["include_secrets"])
    try:
        result = engine.run(declared, check_mode=module.check_mode, wait=params["wait"], wait_timeout=params["wait_timeout"],
                            unavailable=params["unavailable"], selection=selection_of(params), purge_limit=purge_limit_of(params),
                            capacity=capacity_check_of(params, params["capacity"]))
    except SyncError as err:
        warn_all(module, engine.warnings)
        # Names and texts read from the API are in it: shown printable (failure keeps them as sent).
        details = err.details()
        if engine.changed_by_others:
            details["changed_by_others"] = engine.changed_by_others
        if engine.set_aside:
            details["set_aside"] = [item.entry() for item in engine.set_aside]
        if params["role_result"]:
            # What was applied before the failure, for the role to publish and print.
            made = details.get("database_changes", []) + details.get("user_changes", [])
            details.update(change_lines=change_lines(err.applied, len(declared), False, made),
                           **role_result([], err.applied, summary(len(declared), 0, err.applied, made if declares_prerequisites(declared) else None),
                                         None, [item.entry() for item in engine.set_aside], details.get("database_changes"),
                                         details.get("user_changes")))
        module.fail_json(msg=printable(err.message, MESSAGE_MAX), changed=bool(err.applied or err.prerequisites), **details)
    finally:
        client.close()
    warn_all(module, engine.warnings)

    pools = declared_pools(result, params["include_secrets"])
    database_changes, user_changes = change_entries(result.prerequisites)
    made = database_changes + user_changes
    # Whether the changes were made or only predicted: a check_mode keyword around a role is invisible to its tasks.
    output: dict[str, Any] = {"changed": result.changed, "changes": result.changes, "connection_pools": pools,
                              "check_mode": module.check_mode, "changed_by_others": result.changed_by_others,
                              "undeclared_pools": result.undeclared_pools,
                              "summary": summary(len(result.services), len(pools), result.changes, made if declares_prerequisites(declared) else None),
                              "change_lines": change_lines(result.changes, len(result.services), module.check_mode, made)}
    if params["definitions"] is not None or params["services"] is not None:
        output.update(database_changes=database_changes, user_changes=user_changes)
    if params["capacity"] != "ignore":
        output["capacity"] = [dict(project=declaration.project, service_name=declaration.service_name, **figures.entry())
                              for declaration, figures in result.capacity]
        touched = {service_label(entry["project"], entry["service_name"]) for entry in result.changes + made}
        output["capacity_lines"] = [printable(line, MESSAGE_MAX) for line in capacity_report([figures for _declaration, figures in result.capacity], touched)]
    if module.check_mode:
        output["report"] = report(result.changes, result.undeclared_pools, made)
    if params["pool_name"] is not None:
        output["connection_pool"] = next((pool for pool in pools if pool["pool_name"] == params["pool_name"]), {})
    if module._diff:
        output["diff"] = result.diff
    output["set_aside"] = [item.entry() for item in result.set_aside]
    if params["role_result"]:
        output.update(role_result(output.pop("connection_pools"), output["changes"], output["summary"], output.get("report"),
                                  output["set_aside"], database_changes, user_changes))
        if params["definitions"] is not None:
            # The definitions are the caller's (the role's variables); echoed back in invocation they would double
            # a result that grows with the estate. Their count stands in for them.
            output["invocation"] = {"module_args": dict(params, **{option: entry_counts(params[option]) for option in DEFINITION_LISTS})}
    drift = drift_message(output["report"]) if params["fail_on_drift"] and module.check_mode else None
    if drift:
        module.fail_json(msg=drift, **output)
    if fails_after(params["unavailable"], result.set_aside):
        # The other services were applied: the failure keeps what was done, as any failure after writes does.
        module.fail_json(msg=printable(failure_message(result.set_aside, len(result.changes), module.check_mode), MESSAGE_MAX),
                         failure=failure_details(result.set_aside), applied=result.applied, **output)
    return output


def main() -> None:
    module = AivenModule(argument_spec=safe_argument_spec(), supports_check_mode=True, **MODULE_RULES)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
