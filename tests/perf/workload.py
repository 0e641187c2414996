"""What the benchmark works on: the emulator seed and the pool definitions."""

from __future__ import annotations

from typing import Any, Dict, List

PROJECT = "bench-project"
TOKEN = "bench-token"
DATABASES = ["defaultdb", "appdb"]
USERS = ["avnadmin", "app"]
POOL_MODES = ["transaction", "session"]


def service_name(index: int) -> str:
    return f"pg-bench-{index}"


def project_name(index: int, projects: int) -> str:
    """PROJECT for a one-project workload (what the per-pool loop and avn work on), else one per index."""
    return PROJECT if projects == 1 else f"{PROJECT}-{index}"


def project_of(service: int, services: int, projects: int) -> str:
    """The project of service number ``service``: the services are split into ``projects`` equal runs."""
    return project_name(service * projects // services, projects)


def seed(services: int, projects: int = 1) -> Dict[str, Any]:
    """S running services with empty pool lists, over P projects."""
    return {
        "tokens": [TOKEN],
        "projects": [{
            "name": project_name(number, projects),
            "services": [{
                "name": service_name(index),
                "state": "RUNNING",
                "plan": "startup-4",
                "databases": list(DATABASES),
                "users": list(USERS),
                "pools": [],
            } for index in range(services) if project_of(index, services, projects) == project_name(number, projects)],
        } for number in range(projects)],
    }


def definitions(pools: int, services: int, projects: int = 1) -> List[Dict[str, Any]]:
    """N pools spread round-robin over the services, every setting given explicitly.

    The same list drives the role, the per-pool loop and the avn loop, so every
    tool leaves the services in the same state. Over more than one project, each entry names its project.
    """
    return [{
        **({"project": project_of(index % services, services, projects)} if projects > 1 else {}),
        "service_name": service_name(index % services),
        "pool_name": f"pool-{index:05d}",
        "database_name": DATABASES[index % len(DATABASES)],
        "username": USERS[(index // 2) % len(USERS)],
        "pool_mode": POOL_MODES[(index // 4) % len(POOL_MODES)],
        "pool_size": 5 + index % 16,
    } for index in range(pools)]


def prerequisites(pools: List[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    """The role's connection_pools_databases and connection_pools_users for ``pools``: per service, each database and user
    its pools use, once, in first-use order. The seed gives every service all of them, so declaring them writes nothing."""
    databases: Dict[tuple, Dict[str, Any]] = {}
    users: Dict[tuple, Dict[str, Any]] = {}
    for pool in pools:
        service = {key: pool[key] for key in ("project", "service_name") if key in pool}
        databases.setdefault((pool.get("project"), pool["service_name"], pool["database_name"]),
                             dict(service, database_name=pool["database_name"]))
        users.setdefault((pool.get("project"), pool["service_name"], pool["username"]), dict(service, username=pool["username"]))
    return {"connection_pools_databases": list(databases.values()), "connection_pools_users": list(users.values())}


def resized(pools: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The same pools with every pool_size changed: what role_check previews."""
    return [dict(pool, pool_size=pool["pool_size"] + 1) for pool in pools]
