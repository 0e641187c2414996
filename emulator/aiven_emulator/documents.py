"""JSON documents the API returns for a service, its pools, databases and users."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from . import service_size
from .backends import Endpoint
from .database_rules import visible_databases
from .model import Pool, Service, ServiceUser
from .options import Options

REDACTED = "<redacted>"
# The major version the service documents name (the PgBouncer backend runs PostgreSQL 15 too).
PG_VERSION = "15"


def _uri(user: Optional[ServiceUser], password: Optional[str], host: str, port: int, path: str) -> str:
    credentials = ""
    if user is not None:
        # Aiven writes the placeholder as it is, not URL-encoded.
        secret = REDACTED if password == REDACTED else quote(password or "", safe="")
        credentials = quote(user.username, safe="") + ":" + secret + "@"
    return f"postgres://{credentials}{host}:{port}/{quote(path, safe='')}?sslmode=require"


class Renderer:
    """Renders documents for one request: redaction depends on the request."""

    def __init__(self, options: Options, show_secrets: bool) -> None:
        self.options = options
        self.redact = options.redact_secrets and not show_secrets

    def _password(self, user: ServiceUser) -> str:
        return REDACTED if self.redact else user.password

    def _user_password(self, user: ServiceUser) -> Optional[str]:
        """A user's password as its user document shows it: unknown after a change inside PostgreSQL, empty for a
        while after a create or a reset (user_empty_password_reads)."""
        if self.redact:
            return REDACTED
        if user.password_overridden:
            return None if self.options.overridden_password == "null" else ""
        return "" if user.empty_password_reads > 0 else user.password

    def pool(self, service: Service, pool: Pool, endpoint: Endpoint) -> Dict[str, Any]:
        user: Optional[ServiceUser]
        if pool.username:
            # A pool can outlive its user (delete_user_with_pools "dangle"): the URI names the user, no password.
            try:
                user = service.users[pool.username]
            except KeyError:
                user = ServiceUser(pool.username, "")
        elif self.options.unpinned_uri_user == "primary":
            user = service.primary_user
        else:
            user = None
        password = None
        if user is not None:
            password = REDACTED if self.redact and self.options.redact_pool_uris else user.password
        host, port = pool_address(endpoint, self.options)
        uri = _uri(user, password, host, port, pool.pool_name)
        doc: Dict[str, Any] = {
            "pool_name": pool.pool_name,
            "database": pool.database,
            "pool_mode": pool.pool_mode,
            "pool_size": pool.pool_size,
            "connection_uri": uri,
        }
        if pool.username:
            doc["username"] = pool.username
        return doc

    def user(self, user: ServiceUser) -> Dict[str, Any]:
        return {
            "username": user.username,
            "password": self._user_password(user),
            "type": user.type,
            "access_control": {"pg_allow_replication": user.replication},
            "password_updated_time": user.password_updated_time,
        }

    def service(self, service: Service, endpoint: Endpoint) -> Dict[str, Any]:
        admin = service.primary_user
        password = self._password(admin)
        uri_params = {
            "host": endpoint.host,
            "port": str(endpoint.pg_port),
            "user": admin.username,
            "password": password,
            "dbname": _default_db(service),
            "sslmode": "require",
        }
        return {
            "service_name": service.name,
            "service_type": "pg",
            "service_type_description": "PostgreSQL - Object-Relational Database Management System",
            "state": service.state,
            "plan": service.plan,
            "cloud_name": "google-europe-west1",
            "cloud_description": "Europe, Belgium - Google Cloud: Belgium",
            "create_time": service.create_time,
            "update_time": service.update_time,
            "group_list": ["default"],
            "project_vpc_id": service.vpc_id,
            "termination_protection": False,
            **capacity_fields(service),
            "disk_space_mb": 81920,
            "service_integrations": [],
            "tags": {},
            "features": {},
            "service_uri": _uri(admin, password, endpoint.host, endpoint.pg_port, _default_db(service)),
            "service_uri_params": uri_params,
            # aiven-docs howto/pgbouncer-stats.md, go-client-codegen ServiceGetOut.ConnectionInfo.
            "connection_info": {
                "pg": [_uri(admin, password, endpoint.host, endpoint.pg_port, _default_db(service))],
                "pg_params": [dict(uri_params)],
                "pgbouncer": _uri(admin, password, endpoint.host, endpoint.pgbouncer_port, "pgbouncer"),
            },
            "components": components(service, endpoint),
            "databases": visible_databases(service),
            "users": [self.user(user) for user in service.users.values()],
            "connection_pools": [self.pool(service, pool, endpoint) for pool in service.pools.values()],
            "node_states": [{"name": f"{service.name}-1", "role": "master", "state": "running" if service.state != "POWEROFF" else "leaving"}],
        }


def capacity_fields(service: Service) -> Dict[str, Any]:
    """What bounds the service's connections, where production puts it (contract, "Capacity"): the node
    size, the effective max_connections in ``metadata``, and the user_config the seed set (pg, pgbouncer)."""
    user_config: Dict[str, Any] = {"pg_version": PG_VERSION}
    user_config.update({section: dict(settings) for section, settings in service.user_config.items()})
    return {
        "node_count": 1 + standbys(service.plan),
        "node_cpu_count": service_size.cpu_count(service),
        "node_memory_mb": service_size.memory_mb(service),
        "user_config": user_config,
        "metadata": {"max_connections": service_size.max_connections(service), "pg_version": PG_VERSION},
    }


def standbys(plan: str) -> int:
    """Standby nodes of a plan: Aiven's business plans have one, premium plans two."""
    return {"business": 1, "premium": 2}.get(plan.split("-", 1)[0], 0)


def _routes(endpoint: Endpoint) -> Dict[str, str]:
    return {"dynamic": endpoint.host, "public": endpoint.public_host or endpoint.host}


def pool_address(endpoint: Endpoint, options: Options) -> Tuple[str, int]:
    """Host and port a pool's connection_uri carries: those of the pgbouncer component of ``options.pool_uri_route``."""
    return _routes(endpoint)[options.pool_uri_route], endpoint.pgbouncer_port


def components(service: Service, endpoint: Endpoint) -> List[Dict[str, Any]]:
    """The service's addresses: PostgreSQL and PgBouncer on every route, and on the standbys (hosts ``replica-...``).

    The dynamic primary pair comes first, as before the others were listed; ``pg`` comes before
    ``pgbouncer`` in each pair, since aiven-client takes the first entry of a route and usage.
    """
    listed = []
    for usage in ["primary"] + (["replica"] if standbys(service.plan) else []):
        for route, host in _routes(endpoint).items():
            for component, port in (("pg", endpoint.pg_port), ("pgbouncer", endpoint.pgbouncer_port)):
                listed.append({"component": component, "host": host if usage == "primary" else f"replica-{host}",
                               "port": port, "route": route, "usage": usage, "ssl": True})
    return listed


def _default_db(service: Service) -> str:
    return "defaultdb" if "defaultdb" in service.databases or not service.databases else service.databases[0]
