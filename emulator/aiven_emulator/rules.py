"""What the API lets a request do to a service and its pools, and the error it answers otherwise.

Free of HTTP and of the event loop, so that one set of rules serves both the emulator
(api.py applies them to its requests) and the unit tests' in-process API
(tests/unit/plugins/modules/fake_api.py), which needs neither aiohttp nor a subprocess.
"""

from __future__ import annotations

import re
import time
from typing import Any, Dict, List, Optional

from .errors import SERVER_ERROR_TEXT, ApiError, bad_request
from .model import Pool, Service, Token
from .options import Options
from .validation import create_fields, update_fields

# PgBouncer's own admin console database.
RESERVED_POOL_NAME = "pgbouncer"
# Plans without pooling. Developer-tier plan names are unpublished: "developer-*" is an assumption.
NO_POOLING_PLANS = ("hobbyist", "free", "developer")
NO_POOLING_TEXT = (
    "Current service plan does not include the connection pooling option. "
    "Please consider migrating to another PostgreSQL service plan."
)
# Values of include_secrets that ask for secrets.
TRUE_WORDS = ("1", "true", "yes")


def service_missing(name: str) -> ApiError:
    return ApiError(404, f"Service {name} does not exist")


def service_of(services: Dict[str, Service], name: str) -> Service:
    service = services.get(name)
    if service is None:
        raise service_missing(name)
    return service


def show_secrets(include_secrets: str, token: Token) -> bool:
    """Secrets in clear only when asked for, by a token that may read them (else 403)."""
    show = include_secrets.lower() in TRUE_WORDS
    if show and not token.may("secrets"):
        raise ApiError(403, "Insufficient permissions: include_secrets requires the permission service:secrets:read")
    return show


PROJECT_CA_PERMISSION = "organization:projects:write"
PROJECT_CA_DENIED_TEXT = (
    f"Insufficient permissions: reading the project CA certificate requires the permission {PROJECT_CA_PERMISSION}"
)


def page_start(names: List[str], after: Optional[str]) -> int:
    """Index of a list page's first item: the one after the item named ``after`` (400 for a name not listed)."""
    if after is None:
        return 0
    if after not in names:
        raise bad_request(f"Invalid value for 'after': {after} is not in the list")
    return names.index(after) + 1


def may_read_project_ca(token: Token, options: Options) -> None:
    """Aiven's permission map asks organization:projects:write for the project CA (ProjectKmsGetCA)."""
    if options.project_ca_access == "organization" and not token.may("organization"):
        raise ApiError(403, PROJECT_CA_DENIED_TEXT)


def settled(service: Service, options: Options) -> None:
    """Aiven's pool API does not know a service for a while after it was created or powered on."""
    if time.monotonic() - service.running_since < options.service_lag:
        raise service_missing(service.name)


def writable(service: Service, options: Options) -> None:
    """Refuse writes the way Aiven does for a service that cannot take them."""
    if service.state == "POWEROFF":
        if options.poweroff_status == 503:
            raise ApiError(503, SERVER_ERROR_TEXT)
        raise ApiError(409, "Database not powered on", "not_powered")
    if service.plan.startswith(NO_POOLING_PLANS):
        raise ApiError(403, NO_POOLING_TEXT)


def _check_pool_name(name: str, options: Options) -> None:
    if name == RESERVED_POOL_NAME:
        raise bad_request(f"Invalid value for 'pool_name': {name} is reserved")
    if not re.search(options.pool_name_pattern, name):
        raise bad_request(f"Invalid value for 'pool_name': must match {options.pool_name_pattern}")


def _check_references(service: Service, fields: Dict[str, Any], options: Options) -> None:
    database = fields.get("database")
    if database is not None and database not in service.databases:
        raise ApiError(options.missing_database_status, f"Service database {database} does not exist")
    username = fields.get("username")
    if username is not None and username not in service.users:
        raise ApiError(403, f"Service database username {username} does not exist")


def create_checked(service: Service, body: Dict[str, Any], options: Options) -> Dict[str, Any]:
    """The fields of a create the service accepts, before it looks at its pools."""
    fields = create_fields(body)
    _check_pool_name(fields["pool_name"], options)
    writable(service, options)
    _check_references(service, fields, options)
    return fields


def update_checked(service: Service, body: Dict[str, Any], options: Options) -> Dict[str, Any]:
    """The fields of an update the service accepts, before it looks at its pools."""
    fields = update_fields(body)
    writable(service, options)
    _check_references(service, fields, options)
    return fields


def pool_of(service: Service, name: str) -> Pool:
    pool = service.pools.get(name)
    if pool is None:
        raise ApiError(404, f"Connection pool {name} does not exist")
    return pool


def add_pool(service: Service, fields: Dict[str, Any]) -> None:
    """Apply a checked create; absent fields take the model's defaults."""
    if fields["pool_name"] in service.pools:
        raise ApiError(409, f"Connection pool {fields['pool_name']} already exists")
    pool = Pool(**{key: value for key, value in fields.items() if value is not None})
    service.pools[pool.pool_name] = pool


def change_pool(service: Service, name: str, fields: Dict[str, Any]) -> None:
    """Apply a checked update."""
    pool = pool_of(service, name)
    for key, value in fields.items():
        setattr(pool, key, value)


def remove_pool(service: Service, name: str) -> None:
    del service.pools[pool_of(service, name).pool_name]
