"""What the API lets a request do to a service's databases (../shared/contract/AIVEN_DATABASES_USERS.md, sections 1-3).

Free of HTTP and of the event loop, like rules.py: api_databases_users.py applies these rules.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from .errors import SERVER_ERROR_TEXT, ApiError, bad_request
from .model import DEFAULT_LOCALE, Service
from .options import Options
from .validation import PAGE_MAX, string_field

DATABASE_MAX = 40
LOCALE_MAX = 128
# The Go client's 2026-06-25 failure, word for word (terraform-provider-aiven#2951).
LARGE_LIMIT_TEXT = "Invalid value for limit parameter: maximum allowed value is 250"


def poweroff_refused(service: Service, options: Options) -> None:
    """Database and user writes on a powered-off service (unconfirmed status, see the option)."""
    if service.state != "POWEROFF":
        return
    if options.poweroff_db_user_write_status == 503:
        raise ApiError(503, SERVER_ERROR_TEXT)
    raise ApiError(409, "Database not powered on", "not_powered")


def checked_limit(raw: Optional[str], options: Options) -> None:
    """``limit`` is ignored (the Go client sends limit=999), unless the #2951 incident is replayed."""
    if options.database_reject_large_limit and raw is not None and raw.isascii() and raw.isdigit() and int(raw) > PAGE_MAX:
        raise bad_request(LARGE_LIMIT_TEXT)


def locales(service: Service, name: str) -> Tuple[str, str]:
    return service.locales.get(name, (DEFAULT_LOCALE, DEFAULT_LOCALE))


def visible_databases(service: Service) -> List[str]:
    """The names reads show: without those created a moment ago, with those deleted a moment ago (at the end)."""
    shown = [name for name in service.databases if not (name in service.database_lag and service.database_lag[name][0])]
    shown += [name for name, (created, _left) in service.database_lag.items() if not created and name not in service.databases]
    return shown


def count_list_read(service: Service) -> None:
    """One read that lists the databases happened (GET .../db, GET service, the project's service list): every lagging
    database is one read closer to showing as it is."""
    for name in list(service.database_lag):
        entry = service.database_lag[name]
        entry[1] -= 1
        if entry[1] <= 0:
            del service.database_lag[name]


def _lag(service: Service, name: str, created: bool, options: Options) -> None:
    if options.database_lag_reads > 0:
        service.database_lag[name] = [created, options.database_lag_reads]
    else:
        service.database_lag.pop(name, None)


def _reserved(name: str, options: Options) -> None:
    if any(name.startswith(prefix) for prefix in options.reserved_database_prefixes):
        raise ApiError(403, f"Service database '{name}' cannot be deleted, reserved name pattern")


def create_fields(body: Dict[str, Any], options: Options) -> Dict[str, Any]:
    """The checked body of POST .../db: database (1 to 40, the name pattern), lc_collate and lc_ctype (1 to 128)."""
    name = string_field(body, "database", DATABASE_MAX, required=True)
    assert name is not None
    if not re.search(options.database_name_pattern, name):
        raise bad_request(f"Invalid value for 'database': must match {options.database_name_pattern}")
    return {
        "database": name,
        "lc_collate": string_field(body, "lc_collate", LOCALE_MAX, required=False) or DEFAULT_LOCALE,
        "lc_ctype": string_field(body, "lc_ctype", LOCALE_MAX, required=False) or DEFAULT_LOCALE,
    }


def add_database(service: Service, fields: Dict[str, Any], options: Options) -> None:
    """Apply a checked create: 409 for a name the service has, 403 for a reserved one; the locales are fixed here."""
    name = fields["database"]
    _reserved(name, options)
    if name in service.databases:
        raise ApiError(409, f"Service database '{name}' already exists")
    service.databases.append(name)
    service.locales[name] = (fields["lc_collate"], fields["lc_ctype"])
    _lag(service, name, True, options)


def pools_over(service: Service, name: str) -> List[str]:
    return [pool.pool_name for pool in service.pools.values() if pool.database == name]


def remove_database(service: Service, name: str, options: Options) -> List[str]:
    """Apply a delete; answers the pools it removed with it (delete_database_with_pools "cascade")."""
    if name not in service.databases:
        raise ApiError(404, f"Service database {name} does not exist")
    _reserved(name, options)
    using = pools_over(service, name)
    if using and options.delete_database_with_pools == "refuse":
        raise ApiError(409, f"Service database '{name}' is used by connection pools: {', '.join(using)}")
    if options.delete_database_with_pools == "cascade":
        for pool_name in using:
            del service.pools[pool_name]
    else:
        using = []
    service.databases.remove(name)
    service.locales.pop(name, None)
    _lag(service, name, False, options)
    return using


def list_item(service: Service, name: str, options: Options) -> Dict[str, str]:
    item = {"database_name": name}
    if options.database_list_locales:
        item["lc_collate"], item["lc_ctype"] = locales(service, name)
    return item
