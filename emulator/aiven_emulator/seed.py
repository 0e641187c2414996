"""Load the seed file (YAML) that describes what the emulator serves."""

from __future__ import annotations

from typing import Any, Dict, List

import yaml

from .model import PERMISSIONS, SERVICE_STATES, Pool, Project, Service, ServiceUser, Token, World, generate_password
from .plans import UnknownPlan, plan_size
from .user_config import UserConfigError, node_override, seeded_user_config

DEFAULT_SEED = {
    # As seed.yml: the second token has a project role, without the permission the project CA needs.
    "tokens": ["demo-token", {"token": "demo-project-role-token", "user": "demo-developer", "permissions": ["read", "write", "secrets"]}],
    "projects": [
        {
            "name": "demo-project",
            "services": [
                {
                    "name": "pg-demo",
                    "state": "RUNNING",
                    "plan": "startup-4",
                    "databases": ["defaultdb", "appdb"],
                    "users": ["avnadmin", "app"],
                    "pools": [],
                }
            ],
        }
    ],
}


class SeedError(ValueError):
    """The seed file is not usable; the message says where."""


def load_seed_file(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise SeedError(f"{path}: the seed must be a mapping with 'tokens' and 'projects'")
    return data


def _users(raw: List[Any], where: str) -> Dict[str, ServiceUser]:
    users: Dict[str, ServiceUser] = {}
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"username": item}
        if not isinstance(item, dict) or not item.get("username"):
            raise SeedError(f"{where}.users[{index}]: a name or a mapping with 'username'")
        name = item["username"]
        # The first user is the service's admin unless a type says otherwise.
        kind = item.get("type") or ("primary" if not users else "normal")
        replication = item.get("pg_allow_replication", False)
        if not isinstance(replication, bool):
            raise SeedError(f"{where}.users[{index}].pg_allow_replication: true or false")
        users[name] = ServiceUser(name, item.get("password") or generate_password(), kind, allow_replication=replication)
    if not users:
        raise SeedError(f"{where}: a service needs at least one user")
    return users


def _pools(raw: List[Any], service: Service, where: str) -> Dict[str, Pool]:
    pools: Dict[str, Pool] = {}
    for index, item in enumerate(raw):
        try:
            pool = Pool(
                pool_name=item["pool_name"],
                database=item["database"],
                pool_mode=item.get("pool_mode", "transaction"),
                pool_size=int(item.get("pool_size", 10)),
                username=item.get("username") or None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SeedError(f"{where}.pools[{index}]: needs pool_name and database ({exc})") from None
        if pool.database not in service.databases:
            raise SeedError(f"{where}.pools[{index}]: database {pool.database!r} is not in the service's databases")
        if pool.username and pool.username not in service.users:
            raise SeedError(f"{where}.pools[{index}]: user {pool.username!r} is not in the service's users")
        pools[pool.pool_name] = pool
    return pools


def _service(project: str, raw: Dict[str, Any], where: str) -> Service:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise SeedError(f"{where}: a service needs a 'name'")
    state = raw.get("state", "RUNNING")
    if state not in SERVICE_STATES:
        raise SeedError(f"{where}: state must be one of {', '.join(SERVICE_STATES)}")
    plan = raw.get("plan", "startup-4")
    try:
        plan_size(plan if isinstance(plan, str) else repr(plan))
        user_config = seeded_user_config(raw.get("user_config"), where)
        cpu_count = node_override(raw, "node_cpu_count", where)
        memory_mb = node_override(raw, "node_memory_mb", where)
    except UnknownPlan as exc:
        raise SeedError(f"{where}: {exc}") from None
    except UserConfigError as exc:
        raise SeedError(str(exc)) from None
    service = Service(
        project=project,
        name=raw["name"],
        state=state,
        plan=plan,
        databases=list(raw.get("databases") or ["defaultdb"]),
        users=_users(raw.get("users") or ["avnadmin"], where),
        user_config=user_config,
        node_cpu_count=cpu_count,
        node_memory_mb=memory_mb,
    )
    service.pools = _pools(raw.get("pools") or [], service, where)
    return service


def _token(item: Any, where: str) -> tuple:
    """(token string, Token) from a seed entry: a plain string has every permission, and a user of its own.

    A mapping may say ``read_only: true`` (the old form: read only), or list
    ``permissions`` (of read, write, secrets, organization), the ``projects`` it is a
    member of, and the ``user`` it belongs to (tokens of one user share its rate limit).
    """
    if isinstance(item, str) and item:
        return item, Token(user=item)
    if not isinstance(item, dict) or not item.get("token"):
        raise SeedError(f"{where}: a token string or a mapping with 'token' (and read_only, permissions, projects, user)")
    if "permissions" in item:
        permissions = item["permissions"]
        if not isinstance(permissions, list) or not set(permissions) <= set(PERMISSIONS):
            raise SeedError(f"{where}.permissions: a list of {', '.join(PERMISSIONS)}")
        chosen = frozenset(permissions)
    elif item.get("read_only"):
        chosen = frozenset(["read"])
    else:
        chosen = frozenset(PERMISSIONS)
    projects = item.get("projects")
    if projects is not None and (not isinstance(projects, list) or not all(isinstance(p, str) for p in projects)):
        raise SeedError(f"{where}.projects: a list of project names")
    user = item.get("user", item["token"])
    if not isinstance(user, str) or not user:
        raise SeedError(f"{where}.user: a user name")
    return str(item["token"]), Token(chosen, frozenset(projects) if projects is not None else None, user)


def build_world(data: Dict[str, Any]) -> World:
    tokens: Dict[str, Token] = {}
    for index, item in enumerate(data.get("tokens") or []):
        name, token = _token(item, f"tokens[{index}]")
        tokens[name] = token
    if not tokens:
        raise SeedError("seed: 'tokens' must list at least one API token")
    projects: Dict[str, Project] = {}
    for p_index, raw_project in enumerate(data.get("projects") or []):
        where = f"projects[{p_index}]"
        if not isinstance(raw_project, dict) or not raw_project.get("name"):
            raise SeedError(f"{where}: a project needs a 'name'")
        project = Project(raw_project["name"])
        for s_index, raw_service in enumerate(raw_project.get("services") or []):
            service = _service(project.name, raw_service, f"{where}.services[{s_index}]")
            project.services[service.name] = service
        projects[project.name] = project
    return World(tokens=tokens, projects=projects)
