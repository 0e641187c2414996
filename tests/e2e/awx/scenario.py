"""The job template of the AWX suite: the emulator's seed, the inventory a user keeps in AWX, and what its runs must do."""

from __future__ import annotations

from typing import Any, Dict, List

PROJECT = "awx-project"
HOST = "localhost"
PUBLIC_API = "https://api.aiven.io"
APPLY_TASK = "Apply the connection pools of every service"
REPORT_TASK = "Report the changes, one line per service (no secret)"
API_401_MESSAGE = "Missing (expired) db token"

SEED: Dict[str, Any] = {
    "projects": [{"name": PROJECT, "services": [
        {"name": "pg-awx-a", "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "appdb"], "users": ["avnadmin", "app"],
         "pools": [{"pool_name": "resize-me", "database": "appdb", "pool_mode": "transaction", "pool_size": 10}]},
        {"name": "pg-awx-b", "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "reports"], "users": ["avnadmin", "analyst"],
         "pools": [{"pool_name": "stray", "database": "reports"}]},
    ]}],
}
# The job template's inventory: group vars of aiven_pools, as a user would keep them in AWX.
DEFINITIONS: List[Dict[str, Any]] = [
    {"service_name": "pg-awx-a", "pool_name": "app-pool", "database_name": "appdb", "username": "app", "pool_size": 20},
    {"service_name": "pg-awx-a", "pool_name": "admin-pool", "database_name": "defaultdb", "username": "avnadmin", "pool_mode": "session", "pool_size": 2},
    {"service_name": "pg-awx-a", "pool_name": "resize-me", "database_name": "appdb", "pool_size": 15},
    {"service_name": "pg-awx-b", "pool_name": "reports", "database_name": "reports", "username": "analyst", "pool_mode": "session", "pool_size": 5},
    {"service_name": "pg-awx-b", "pool_name": "batch", "database_name": "reports", "pool_mode": "statement"},
]
INVENTORY: Dict[str, Any] = {"all": {"children": {"aiven_pools": {
    "hosts": {HOST: {"ansible_connection": "local"}},
    "vars": {"connection_pools_project": PROJECT, "connection_pools_purge": ["pg-awx-b"], "connection_pools_definitions": DEFINITIONS},
}}}}
SERVICES = sorted({item["service_name"] for item in DEFINITIONS})

# What the first run must send: 4 new pools, resize-me resized, stray purged.
FIRST_RUN_WRITES = {"POST": 4, "PUT": 1, "DELETE": 1}
# Both services are in one project: the module reads them with one request (the project's
# service list), before the writes and again after them.
SERVICE_LIST = f"/v1/project/{PROJECT}/service"
# The pools the first run touches (its --diff shows one entry per pool).
FIRST_RUN_TOUCHED = sorted([f"{PROJECT}/pg-awx-a/{name}" for name in ("app-pool", "admin-pool", "resize-me")]
                           + [f"{PROJECT}/pg-awx-b/{name}" for name in ("reports", "batch", "stray")])
# A converged run's capacity line, whatever the number of services within their budget.
UNCHANGED_WITHIN_BUDGET = "capacity: 2 services with unchanged pools within their connection budget (every service's figures are in the result's capacity)"
# The change report of the first run (the role prints it at default verbosity).
FIRST_RUN_REPORT = [
    f"{PROJECT}/pg-awx-a: create 2 (app-pool, admin-pool), update 1 (resize-me: pool_size 10 -> 15)",
    f"{PROJECT}/pg-awx-b: create 2 (reports, batch), delete 1 (stray)",
    "total: 2 services, create 4, update 1, delete 1",
    # Then how they fit the connection budget of a startup-4 (max_connections 100): unpinned pools count once per user
    # other than the admin (app on pg-awx-a, analyst on pg-awx-b).
    f"{PROJECT}/pg-awx-a: pools may open 37 server connections of 97 usable (max_connections 100, 3 reserved); unpinned pools counted for 1 user each",
    f"{PROJECT}/pg-awx-b: pools may open 15 server connections of 97 usable (max_connections 100, 3 reserved); unpinned pools counted for 1 user each",
]
SECOND_RUN_REPORT = ["total: 2 services, no change", UNCHANGED_WITHIN_BUDGET]


def expected_pools() -> Dict[str, Dict[str, tuple]]:
    """Per service, pool name -> (database, username, mode, size) after a converged run (API defaults: transaction, 10)."""
    pools: Dict[str, Dict[str, tuple]] = {service: {} for service in SERVICES}
    for item in DEFINITIONS:
        pools[item["service_name"]][item["pool_name"]] = (
            item["database_name"], item.get("username"), item.get("pool_mode", "transaction"), item.get("pool_size", 10))
    return pools


# What docs/awx.md hands to awx.awx.credential_type.
TYPE_KEYS = ("name", "kind", "description", "inputs", "injectors")
GUIDE_LOOKUP_TASK = "The credential type as the guide passes it to awx.awx.credential_type"
GUIDE_URL_TASK = "The AIVEN_WEB_URL the job sees"


def guide_play(installed: str) -> Dict[str, Any]:
    """docs/awx.md's play vars and module arguments, handed to debug instead of awx.awx.credential_type, then the role with nothing declared."""
    return {
        "name": "The AWX guide's steps", "hosts": HOST, "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}", "dbpools_aiven_path": installed,
                 "aiven_credential_type": "{{ lookup('ansible.builtin.file', dbpools_aiven_path ~ '/extensions/awx/credential_type_aiven.yml')"
                                          " | ansible.builtin.from_yaml }}"},
        "tasks": [
            {"name": GUIDE_LOOKUP_TASK, "ansible.builtin.debug": {"msg": {key: f"{{{{ aiven_credential_type.{key} }}}}" for key in TYPE_KEYS}}},
            {"name": "The role, nothing declared", "ansible.builtin.import_role": {"name": "dbpools.aiven.connection_pools"}},
            {"name": GUIDE_URL_TASK, "ansible.builtin.debug": {"msg": "{{ lookup('ansible.builtin.env', 'AIVEN_WEB_URL') }}"}},
        ],
    }


# --- the job with the credential type "Aiven API tokens by project" ------------------------------
# Two team projects, each token a member of its own project only; the job's "Aiven API token" credential holds a
# token of PROJECT only. A project written with any token but its own would be refused (403 "Not a project member").
TEAM_SERVICES = {"awx-team-a": "pg-team-a", "awx-team-b": "pg-team-b"}
TEAM_SEED_PROJECTS: List[Dict[str, Any]] = [
    {"name": project, "services": [{"name": service, "state": "RUNNING", "plan": "startup-4", "databases": ["defaultdb", "appdb"],
                                    "users": ["avnadmin", "app"], "pools": []}]}
    for project, service in TEAM_SERVICES.items()]
# One host for every project: each definition names its project (no connection_pools_project).
TEAM_DEFINITIONS: List[Dict[str, Any]] = [
    {"project": project, "service_name": service, "pool_name": "team-pool", "database_name": "appdb", "username": "app", "pool_size": 5}
    for project, service in TEAM_SERVICES.items()]
TEAM_INVENTORY: Dict[str, Any] = {"all": {"children": {"aiven_pools": {
    "hosts": {HOST: {"ansible_connection": "local"}},
    "vars": {"connection_pools_project": "", "connection_pools_definitions": TEAM_DEFINITIONS},
}}}}
TEAM_REPORT = [f"{project}/{service}: create 1 (team-pool)" for project, service in TEAM_SERVICES.items()] + [
    "total: 2 services, create 2, update 0, delete 0"] + [
    f"{project}/{service}: pools may open 5 server connections of 97 usable (max_connections 100, 3 reserved)" for project, service in TEAM_SERVICES.items()]
