#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aiven_pg_database
short_description: Manage the databases of Aiven for PostgreSQL services
version_added: 1.0.0
description:
  - Creates and deletes the logical databases of Aiven for PostgreSQL services through the Aiven API, so that the databases
    a connection pool needs can be declared beside it (the resource C(aiven_pg_database) of Aiven's Terraform provider).
  - "Three forms, one code path: one database (O(database_name)), the databases of one service (O(databases)), or the
    databases of many services in one call (O(services))."
  - Idempotent. Each service is read first (its document, then every page of its database list) and only the needed
    writes are made; a second identical run makes no write.
  - A database's locales (O(lc_collate), O(lc_ctype)) are fixed when it is created. A declared locale that differs from an
    existing database's is reported and refused; the module never drops a database to change them.
  - Before any write, and in check mode too, the whole declaration is checked against the services; every problem
    (a locale that differs, a delete that pools still need, a powered-off or missing service) is reported at once,
    each naming C(project/service/database).
  - A database is deleted only when declared with O(state=absent); nothing is deleted because it is not declared.
  - How it differs from Terraform is described in
    L(docs/from-terraform.md,https://github.com/dbpools/aiven/blob/main/docs/from-terraform.md).
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
    description: One diff per created or deleted database, headed C(project/service/database), with its locales.
  action_group:
    support: full
    description: Use C(group/dbpools.aiven.aiven) in C(module_defaults) to set the options of this module.
    membership:
      - dbpools.aiven.aiven
options:
  project:
    description:
      - Name of the Aiven project, 1 to 63 characters of V(a-z), V(A-Z), V(0-9), V(_) and V(-).
      - Required with O(database_name) or O(databases). With O(services), the project of every item that does not name its own.
    type: str
  service_name:
    description:
      - Name of the Aiven for PostgreSQL service, 1 to 64 characters without control characters.
      - Required with O(database_name) or O(databases); with O(services), each item names its service instead.
    type: str
  database_name:
    description:
      - Name of the database, 1 to 40 characters without control characters (the API's limit); other characters are sent
        URL-quoted for the API to judge. Aiven's own clients recommend V(a-z), V(A-Z), V(0-9), V(_) and V(-), not starting with V(-).
      - O(database_name), O(databases) and O(services) are mutually exclusive; one of them is required.
    aliases: [name]
    type: str
  lc_collate:
    description:
      - Default string sort order (C(LC_COLLATE)) of a new database, 1 to 128 characters. Left out, the API gives V(en_US.UTF-8).
      - Fixed at creation. For an existing database a declared value is compared with the database's and a difference fails
        before any write; left out, it is not compared.
    type: str
  lc_ctype:
    description:
      - Default character classification (C(LC_CTYPE)) of a new database, 1 to 128 characters. Left out, the API gives V(en_US.UTF-8).
      - Fixed at creation, compared as O(lc_collate) is.
    type: str
  state:
    description: Whether the database should exist. V(absent) deletes it, with every object and row in it.
    type: str
    choices: [present, absent]
    default: present
  databases:
    description:
      - Databases of the service O(service_name) to manage in one call, each with the options of the single form.
        The service's other databases are left as they are.
    type: list
    elements: dict
    suboptions:
      database_name:
        description: Name of the database.
        aliases: [name]
        type: str
        required: true
      lc_collate:
        description: C(LC_COLLATE) of a new database (see O(lc_collate)).
        type: str
      lc_ctype:
        description: C(LC_CTYPE) of a new database (see O(lc_ctype)).
        type: str
      state:
        description: Whether the database should exist.
        type: str
        choices: [present, absent]
        default: present
  allow_in_use:
    description:
      - Delete a database declared V(absent) even when connection pools of the service still use it (the pools are left
        dangling, and their clients fail until the pools are moved or deleted). Without it, such a delete fails before any
        write, naming the pools.
      - Named for what it allows rather than C(force), which would read as overriding every check (the locales' included).
    type: bool
    default: false
  services:
    description:
      - The databases of many services, in one call. Each item declares one service; a service may appear once.
      - With O(services), O(service_name), O(allow_in_use) and the database options go inside the items.
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
      allow_in_use:
        description: Delete databases of this service that pools still use (see O(allow_in_use)).
        type: bool
        default: false
      databases:
        description: The databases of this service, each with the options of the single form.
        type: list
        elements: dict
        default: []
        suboptions:
          database_name:
            description: Name of the database.
            aliases: [name]
            type: str
            required: true
          lc_collate:
            description: C(LC_COLLATE) of a new database.
            type: str
          lc_ctype:
            description: C(LC_CTYPE) of a new database.
            type: str
          state:
            description: Whether the database should exist.
            type: str
            choices: [present, absent]
            default: present
notes:
  - The database list of a service is read with pagination (250 per page); a list that repeats its cursor or runs past
    400 pages stops the run with an error rather than looping.
  - A powered-off service cannot list its databases (Aiven answers 503); the module fails at once naming it, instead of
    spending its retries.
  - A create whose reply was lost is sent again by the client's retries and answered 409 "already exists"; that counts as
    this run's create. A 409 on a first try means the database was there already (another writer, or a list that lagged
    behind), which is a warning and no change, and its locales are checked.
  - Aiven's database list lags behind writes. After its writes the module reads each service's list again, waiting 1, 2, 4,
    8 and 15 s between reads (30 s at most), until it shows them, so that the next run sees them and makes no write; a list
    that still does not show them fails the run, naming the databases.
  - Ownership and grants of a database are PostgreSQL's, not the API's; manage them with C(community.postgresql).
seealso:
  - module: dbpools.aiven.aiven_connection_pool
    description: The pools that connect to these databases.
"""

EXAMPLES = r"""
- name: A database for the app
  dbpools.aiven.aiven_pg_database:
    project: demo-project
    service_name: pg-demo
    database_name: appdb

- name: The databases of one service, one of them with the C locale, an old one removed
  dbpools.aiven.aiven_pg_database:
    project: demo-project
    service_name: pg-demo
    databases:
      - {database_name: orders}
      - {database_name: search, lc_collate: C, lc_ctype: C}
      - {database_name: legacy, state: absent}

- name: Databases of several services in one call, then their pools
  dbpools.aiven.aiven_pg_database:
    project: demo-project
    services:
      - service_name: pg-orders
        databases: [{database_name: orders}]
      - project: other-project
        service_name: pg-billing
        databases: [{database_name: billing}]

- name: What would change, with a diff per database (run with --check --diff)
  dbpools.aiven.aiven_pg_database:
    project: demo-project
    service_name: pg-demo
    databases:
      - {database_name: orders}
  check_mode: true
  diff: true
  register: planned

- name: Remove a database that a pool still uses (the pool is deleted next)
  dbpools.aiven.aiven_pg_database:
    project: demo-project
    service_name: pg-demo
    database_name: old-reports
    state: absent
    allow_in_use: true
"""

RETURN = r"""
database:
  description:
    - With O(database_name), the database after the run (predicted in check mode), with the keys of RV(databases);
      empty when it does not exist.
  returned: success and O(database_name) is given
  type: dict
  sample: {project: demo-project, service_name: pg-demo, database_name: appdb, lc_collate: en_US.UTF-8, lc_ctype: en_US.UTF-8}
databases:
  description:
    - The databases declared present, after the run (predicted in check mode), in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    project:
      description: Project of the service.
      type: str
    service_name:
      description: Service of the database.
      type: str
    database_name:
      description: Name of the database.
      type: str
    lc_collate:
      description: C(LC_COLLATE) of the database; V(en_US.UTF-8) where the API does not say.
      type: str
    lc_ctype:
      description: C(LC_CTYPE) of the database; V(en_US.UTF-8) where the API does not say.
      type: str
  sample:
    - {project: demo-project, service_name: pg-demo, database_name: appdb, lc_collate: en_US.UTF-8, lc_ctype: en_US.UTF-8}
check_mode:
  description: Whether the task ran in check mode, so RV(changes) lists writes that would be made.
  returned: success
  type: bool
  sample: false
changes:
  description:
    - One entry per write made (in check mode, that would be made), in order, with C(action) V(create) or V(delete);
      C(before) and C(after) hold the locales, V(null) for a side where the database does not exist.
  returned: success
  type: list
  elements: dict
  sample:
    - {project: demo-project, service_name: pg-demo, database_name: orders, action: create, before: null,
       after: {lc_collate: en_US.UTF-8, lc_ctype: en_US.UTF-8}}
diff:
  description:
    - With C(--diff), one entry per created or deleted database, headed C(project/service/database), one line per locale;
      the empty string for a side where the database does not exist.
  returned: success, in diff mode
  type: list
  elements: dict
  sample:
    - before_header: demo-project/pg-demo/orders
      after_header: demo-project/pg-demo/orders
      before: ""
      after: "lc_collate: en_US.UTF-8\nlc_ctype: en_US.UTF-8\n"
summary:
  description: The number of declared services, of databases in RV(databases), and of writes per action in RV(changes).
  returned: success
  type: dict
  sample: {services: 1, databases: 2, created: 1, deleted: 0}
failure:
  description:
    - Machine-readable details of the failure. C(status) is null when no HTTP reply came (or no request was made,
      C(attempts) V(0)); C(attempts) counts the HTTP attempts. C(message) and C(errors) hold the API's text as sent
      (in C(msg) control characters are escaped and texts cut to a bounded length).
    - When the declaration does not fit the services, or breaks a rule, C(problems) lists every problem; nothing was written.
  returned: failed
  type: dict
  sample:
    {status: 403, message: Not a project member, errors: [{message: Not a project member, status: 403}],
     method: POST, path: /v1/project/demo-project/service/pg-demo/db, error_code: null, attempts: 1}
applied:
  description: On a run that failed during its writes, the writes the API accepted, with the keys of RV(changes).
  returned: failed during writes
  type: list
  elements: dict
not_attempted:
  description: On a run that failed during its writes, the writes not attempted, with the keys of RV(changes).
  returned: failed during writes
  type: list
  elements: dict
"""

import time
from typing import Any, NoReturn

from ansible_collections.dbpools.aiven.plugins.module_utils._ansible_module import AivenModule, project_clients
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient, local_failure
from ansible_collections.dbpools.aiven.plugins.module_utils._connection_options import common_argument_spec
from ansible_collections.dbpools.aiven.plugins.module_utils._databases_api import create_database, delete_database, list_databases
from ansible_collections.dbpools.aiven.plugins.module_utils._databases_planning import (
    LOCALES,
    DatabaseChange,
    current_databases,
    database_state,
    declared_problems,
    diff_of,
    plan_service,
    pools_by_database,
    powered_off_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import STATES
from ansible_collections.dbpools.aiven.plugins.module_utils._item_forms import Declared, fail_with_problems, lists_taken_as_given
from ansible_collections.dbpools.aiven.plugins.module_utils._item_forms import declarations as item_declarations
from ansible_collections.dbpools.aiven.plugins.module_utils._item_reading import service_documents
from ansible_collections.dbpools.aiven.plugins.module_utils._module_args import given_arguments
from ansible_collections.dbpools.aiven.plugins.module_utils._project_tokens import ProjectClients
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_TOTAL, read_until_shown
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, listed, printable, shown

# The wait between reads of a list that does not show this run's writes yet (tests replace it).
SLEEP = time.sleep

DATABASE_OPTIONS = {
    "database_name": {"type": "str", "required": True, "aliases": ["name"]},
    "lc_collate": {"type": "str"},
    "lc_ctype": {"type": "str"},
    "state": {"type": "str", "choices": list(STATES), "default": "present"},
}
# The options that declare one service: with services, they go inside each item.
SERVICE_LEVEL = ("service_name", "database_name", "databases") + LOCALES


def argument_spec() -> dict:
    spec = common_argument_spec()
    spec.update(
        project={"type": "str"},
        service_name={"type": "str"},
        database_name={"type": "str", "aliases": ["name"]},
        lc_collate={"type": "str"},
        lc_ctype={"type": "str"},
        state={"type": "str", "choices": list(STATES), "default": "present"},
        databases={"type": "list", "elements": "dict", "options": DATABASE_OPTIONS},
        allow_in_use={"type": "bool", "default": False},
        services={
            "type": "list",
            "elements": "dict",
            "options": {
                "project": {"type": "str"},
                "service_name": {"type": "str", "required": True},
                "allow_in_use": {"type": "bool", "default": False},
                "databases": {"type": "list", "elements": "dict", "default": [], "options": DATABASE_OPTIONS},
            },
        },
    )
    return spec


def safe_argument_spec() -> dict:
    """The argument spec, with databases or services taken as they are when an item is no dict (see lists_taken_as_given)."""
    # {} where the module is only introspected (ansible-test validate-modules).
    return lists_taken_as_given(argument_spec(), given_arguments(), "databases")


def _form_problems(params: dict) -> list[str]:
    """Options given beside the form that does not take them."""
    if params["services"] is not None:
        beside = [key for key in SERVICE_LEVEL if params[key] is not None]
        beside += ["allow_in_use"] if params["allow_in_use"] else []
        beside += ["state"] if params["state"] != "present" else []
        if beside:
            return [f"with services, {', '.join(beside)} go inside each item of services (top level: project only, "
                    "as the default project of the items)"]
        return []
    problems = [f"{key} required with {'databases' if params['databases'] is not None else 'database_name'}"
                for key in ("project", "service_name") if params[key] is None]
    if params["databases"] is not None:
        beside = [key for key in LOCALES if params[key] is not None] + (["state"] if params["state"] != "present" else [])
        if beside:
            problems.append(f"{', '.join(beside)} go inside each item of databases, not beside it")
    return problems


def declarations(params: dict) -> tuple[list[Declared], list[str]]:
    """The three forms as one list of service declarations, and every rule they break (checked before any request)."""
    single = {key: params[key] for key in ("database_name", "state") + LOCALES}
    return item_declarations(params, "databases", _form_problems(params), single, declared_problems)


class ServiceState:
    """One service as read: its databases by name, and the pools by the database they use."""

    def __init__(self, declared: Declared, current: dict[str, dict[str, str]], pools_using: dict[str, list[str]]) -> None:
        self.declared = declared
        self.current = current
        self.pools_using = pools_using


def read_service(module: AivenModule, client: AivenClient, declared: Declared, document: dict[str, Any], problems: list[str]) -> ServiceState | None:
    """The service as its document (read for its project) and its database list say; a powered-off service is a problem (None)."""
    label = declared.label
    powered_off = powered_off_problem(label, document)
    if powered_off:
        problems.append(powered_off)
        return None
    return ServiceState(declared, read_databases(module, client, declared), pools_by_database(document))


def read_databases(module: AivenModule, client: AivenClient, declared: Declared) -> dict[str, dict[str, str]]:
    label = declared.label
    try:
        return current_databases(list_databases(client, declared.project, declared.service_name))
    except AivenApiError as err:
        module.fail_json(msg=printable(f"{label}: cannot read the databases: {err}", MESSAGE_MAX), failure=err.failure())
    except ReplyError as err:
        message = f"{label}: the database list is not what the Aiven API promises: {err}"
        module.fail_json(msg=printable(message, MESSAGE_MAX), failure=local_failure(message, status=200, attempts=1))


def apply(module: AivenModule, clients: ProjectClients, changes: list[DatabaseChange]) -> list[DatabaseChange]:
    """Make the writes, service by service, each service's read back until it shows them; the ones this run made.

    A failure stops the run naming what was and was not applied.
    """
    applied: list[DatabaseChange] = []
    position = 0
    while position < len(changes):
        service = (changes[position].project, changes[position].service_name)
        end = position
        while end < len(changes) and (changes[end].project, changes[end].service_name) == service:
            end += 1
        client = clients.client(service[0])
        made: list[DatabaseChange] = []
        existing: list[DatabaseChange] = []
        for index in range(position, end):
            change = changes[index]
            try:
                if change.action == "create":
                    ours = create_database(client, change.project, change.service_name, change.body)
                else:
                    ours = delete_database(client, change.project, change.service_name, change.database_name)
            except AivenApiError as err:
                fail_during_writes(module, f"{change.label}: {change.action} failed: {err}", err.failure(), applied + made, changes[index + 1:])
            if ours:
                made.append(change)
                continue
            # There already when the service was read (the list lagged) or made by another writer since: not this run's change.
            what = "already exists" if change.action == "create" else "already deleted"
            module.warn(printable(f"{change.label}: {what} (another writer, or the database list lagged behind); no change by this run",
                                  MESSAGE_MAX))
            if change.action == "create":
                existing.append(change)  # its locales are checked when read back
        read_back(module, client, made + existing, made, applied, changes[end:])
        applied.extend(made)
        position = end
    return applied


def read_back(module: AivenModule, client: AivenClient, changes: list[DatabaseChange], made: list[DatabaseChange],
              applied: list[DatabaseChange], rest: list[DatabaseChange]) -> None:
    """Read the service's list again until it shows every change (the list lags behind writes), with a bounded backoff.

    A created database must show with the declared locales: one that was already there with others fails the run.
    """
    if not changes:
        return
    project, service = changes[0].project, changes[0].service_name
    current: dict[str, dict[str, str]] = {}

    def read() -> None:
        current.clear()
        current.update(current_databases(list_databases(client, project, service)))

    def all_shown() -> bool:
        return all((change.database_name in current) == (change.action == "create") for change in changes)

    try:
        settled = read_until_shown(read, all_shown, SLEEP)
    except (AivenApiError, ReplyError) as err:
        failure = err.failure() if isinstance(err, AivenApiError) else local_failure(str(err), status=200, attempts=1)
        fail_during_writes(module, f"{project}/{service}: the database list could not be read back after the writes: {err}",
                           failure, applied + made, rest)
    if not settled:
        missing = [change.label for change in changes if (change.database_name in current) != (change.action == "create")]
        message = (f"{project}/{service}: the database list still does not show {listed(missing)} after {READ_LAG_TOTAL:g} s; "
                   "run again to re-read it")
        fail_during_writes(module, message, local_failure(message, status=200, attempts=1), applied + made, rest)
    for change in changes:
        has = current.get(change.database_name)
        if change.action != "create" or has is None:
            continue
        declared = {locale: change.body[locale] for locale in LOCALES if locale in change.body}
        if any(has.get(locale) != value for locale, value in declared.items()):
            message = f"{change.label}: exists with other locales ({shown(has)}) than declared; it was not created by this run"
            fail_during_writes(module, message, local_failure(message, status=409, attempts=1), applied + made, rest)
        change.after = dict(has)


def fail_during_writes(module: AivenModule, message: str, failure: dict, applied: list[DatabaseChange], rest: list[DatabaseChange]) -> NoReturn:
    if applied:
        message += f"; applied before it: {listed([item.label for item in applied])}"
    if rest:
        message += f"; not attempted: {listed([item.label for item in rest])}"
    module.fail_json(msg=printable(message, MESSAGE_MAX), failure=failure, changed=bool(applied),
                     applied=[item.entry() for item in applied], not_attempted=[item.entry() for item in rest])


def declared_present(states: dict[str, ServiceState], changes: list[DatabaseChange]) -> list[dict[str, Any]]:
    """The databases declared present, as they are after the changes (predicted in check mode), in declared order."""
    created = {(change.project, change.service_name, change.database_name): change.after for change in changes if change.action == "create"}
    result = []
    for state in states.values():
        declared = state.declared
        for entry in declared.items:
            name = entry["database_name"]
            locales = state.current.get(name) or created.get((declared.project, declared.service_name, name))
            if database_state(entry) == "present" and locales:
                result.append({"project": declared.project, "service_name": declared.service_name, "database_name": name, **locales})
    return result


def main() -> None:
    module = AivenModule(
        argument_spec=safe_argument_spec(),
        mutually_exclusive=[("database_name", "databases", "services")],
        required_one_of=[("database_name", "databases", "services")],
        supports_check_mode=True,
    )
    params = module.params
    declared, problems = declarations(params)
    if problems:
        fail_with_problems(module, problems)
    clients = project_clients(module, [item.project for item in declared])
    try:
        states: dict[str, ServiceState] = {}
        problems = []
        documents = service_documents(module, clients, declared, problems)
        for item in declared:
            state = read_service(module, clients.client(item.project), item, documents[item.label], problems) if item.label in documents else None
            if state is not None:
                states[item.label] = state
        changes: list[DatabaseChange] = []
        for state in states.values():
            plan = plan_service(state.declared.project, state.declared.service_name, state.current, state.declared.items,
                                state.pools_using, state.declared.allow_in_use, state.declared.option)
            changes.extend(plan.changes)
            problems.extend(plan.problems)
        if problems:
            fail_with_problems(module, problems)
        if not module.check_mode:
            changes = apply(module, clients, changes)
    finally:
        clients.close()
    databases = declared_present(states, changes)
    output: dict[str, Any] = {
        "changed": bool(changes), "check_mode": module.check_mode, "changes": [change.entry() for change in changes], "databases": databases,
        "summary": {"services": len(declared), "databases": len(databases), "created": sum(1 for c in changes if c.action == "create"),
                    "deleted": sum(1 for c in changes if c.action == "delete")},
    }
    if params["database_name"] is not None:
        output["database"] = databases[0] if databases else {}
    if module._diff:
        output["diff"] = [diff_of(change) for change in changes]
    module.exit_json(**output)


if __name__ == "__main__":
    main()
