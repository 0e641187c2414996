"""What the API lets a request do to a service's users (../shared/contract/AIVEN_DATABASES_USERS.md, sections 4-7).

Free of HTTP and of the event loop, like rules.py: api_databases_users.py applies these rules.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from .errors import ApiError, bad_request
from .model import Service, ServiceUser, generate_password, now_iso
from .options import Options
from .validation import USERNAME_MAX, string_field

PASSWORD_MIN, PASSWORD_MAX = 8, 256
OPERATIONS = ("acknowledge-renewal", "reset-credentials", "set-access-control")
# The fields that belong to one operation of PUT .../user/{u} (the legacy Go client's pairing).
OPERATION_FIELDS = {"reset-credentials": ("new_password", "authentication"), "set-access-control": ("access_control",)}
# PostgreSQL reserves role names starting pg_; the PgBouncer backend keeps two names of its own.
RESERVED_PREFIX = "pg_"
RESERVED_NAMES = ("emulator_superuser", "emulator_admin")


def missing_user(name: str) -> ApiError:
    return ApiError(404, f"Service user {name} does not exist")


def _authentication(body: Dict[str, Any], options: Options) -> None:
    if body.get("authentication") is not None and options.reject_pg_authentication:
        raise bad_request("Invalid value for 'authentication': not supported for PostgreSQL service users")


def _replication(body: Dict[str, Any], required: bool) -> Optional[bool]:
    """access_control.pg_allow_replication, the only access control of a PG user (other services' keys are ignored)."""
    control = body.get("access_control")
    if control is None:
        if required:
            raise bad_request("Missing required field 'access_control'")
        return None
    if not isinstance(control, dict):
        raise bad_request("Invalid value for 'access_control': expected an object")
    value = control.get("pg_allow_replication")
    if value is not None and not isinstance(value, bool):
        raise bad_request("Invalid value for 'access_control.pg_allow_replication': expected a boolean")
    if value is None and required:
        raise bad_request("Missing required field 'access_control.pg_allow_replication'")
    return value


def create_fields(body: Dict[str, Any], options: Options) -> Dict[str, Any]:
    """The checked body of POST .../user: username (1 to 64, the username pattern), access_control; no password field exists."""
    name = string_field(body, "username", USERNAME_MAX, required=True)
    assert name is not None
    if not re.search(options.username_pattern, name):
        raise bad_request(f"Invalid value for 'username': must match {options.username_pattern}")
    if name.startswith(RESERVED_PREFIX) or name in RESERVED_NAMES:
        raise bad_request(f"Invalid value for 'username': {name} is reserved")
    _authentication(body, options)
    return {"username": name, "allow_replication": bool(_replication(body, required=False))}


def add_user(service: Service, fields: Dict[str, Any], options: Options) -> ServiceUser:
    """Apply a checked create: a generated password, type normal; not readable (404, then empty) for a few reads."""
    name = fields["username"]
    if name in service.users:
        raise ApiError(409, f"Service user {name} already exists")
    user = ServiceUser(name, generate_password(), "normal", allow_replication=fields["allow_replication"],
                       hidden_reads=options.user_create_404_reads, empty_password_reads=options.user_empty_password_reads)
    service.users[name] = user
    service.deleted_users.pop(name, None)
    return user


def read_user(service: Service, name: str) -> ServiceUser:
    """GET .../user/{u}: counts the read against the user's windows (a new user's 404s, a deleted one's lag)."""
    user = service.users.get(name)
    if user is not None:
        if user.hidden_reads > 0:
            user.hidden_reads -= 1
            raise missing_user(name)
        return user
    ghost = service.deleted_users.get(name)
    if ghost is None:
        raise missing_user(name)
    deleted, left = ghost
    if left <= 1:
        del service.deleted_users[name]
    else:
        service.deleted_users[name] = (deleted, left - 1)
    return deleted


def user_of(service: Service, name: str) -> ServiceUser:
    user = service.users.get(name)
    if user is None:
        raise missing_user(name)
    return user


def modify_fields(body: Dict[str, Any], options: Options) -> Dict[str, Any]:
    """The checked body of PUT .../user/{u}: one operation and its own fields."""
    operation = body.get("operation")
    if operation is None:
        raise bad_request("Missing required field 'operation'")
    if operation not in OPERATIONS:
        raise bad_request(f"Invalid value for 'operation': must be one of {', '.join(OPERATIONS)}")
    own = OPERATION_FIELDS.get(operation, ())
    foreign = [key for fields in OPERATION_FIELDS.values() for key in fields if key not in own and body.get(key) is not None]
    if foreign and options.user_mismatched_fields == "reject":
        raise bad_request(f"Invalid value for 'operation': {', '.join(foreign)} cannot be set with {operation}")
    fields: Dict[str, Any] = {"operation": operation}
    if operation == "reset-credentials":
        password = body.get("new_password")
        if password is not None and (not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
            raise bad_request(f"Invalid value for 'new_password': length must be between {PASSWORD_MIN} and {PASSWORD_MAX}")
        if password is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
            raise bad_request("Invalid value for 'new_password': control characters are not allowed")
        _authentication(body, options)
        fields["new_password"] = password
    elif operation == "set-access-control":
        fields["allow_replication"] = _replication(body, required=True)
    return fields


def modify_user(user: ServiceUser, fields: Dict[str, Any], options: Options) -> bool:
    """Apply a checked modify; answers whether the password changed."""
    if fields["operation"] == "reset-credentials":
        user.password = fields["new_password"] or generate_password()
        user.password_updated_time = now_iso()
        user.password_overridden = False
        user.empty_password_reads = options.user_empty_password_reads
        return True
    if fields["operation"] == "set-access-control":
        user.allow_replication = fields["allow_replication"]
    return False


def pools_pinned_to(service: Service, name: str) -> List[str]:
    return [pool.pool_name for pool in service.pools.values() if pool.username == name]


def remove_user(service: Service, name: str, options: Options) -> List[str]:
    """Apply a delete (the primary user refused); answers the pools it removed with it (delete_user_with_pools "cascade")."""
    user = user_of(service, name)
    if user.type == "primary":
        raise ApiError(options.primary_user_delete_status, f"Service user {name} is the primary user and cannot be deleted")
    pinned = pools_pinned_to(service, name)
    if pinned and options.delete_user_with_pools == "refuse":
        raise ApiError(409, f"Service user {name} is used by connection pools: {', '.join(pinned)}")
    if options.delete_user_with_pools == "cascade":
        for pool_name in pinned:
            del service.pools[pool_name]
    else:
        pinned = []
    del service.users[name]
    if options.user_delete_lag_reads > 0:
        service.deleted_users[name] = (user, options.user_delete_lag_reads)
    return pinned
