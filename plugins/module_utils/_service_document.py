# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service document from the API read into the collection's shapes: its pools (checked), databases and users.

Pure: no I/O, no Ansible. The document is untrusted: a shape the contract does not
allow stops the run here (ReplyError), and names read from it are made printable
before a message shows them.

A *pool* is the modules' view of one pool (see ``normalise_pool``); its settings are
``SETTINGS``, named in the API as ``API_FIELD`` says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._pool_uri import DEFAULT_SSLMODE, REDACTED, parse_connection_uri
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed, printable, shown

SETTINGS = ("database_name", "username", "pool_mode", "pool_size")
API_FIELD = {"database_name": "database", "username": "username", "pool_mode": "pool_mode", "pool_size": "pool_size"}
API_DEFAULTS = {"pool_mode": "transaction", "pool_size": 10}
# Keys of a pool that are not settings but come from the API's connection_uri.
CONNECTION_KEYS = ("connection_uri", "host", "port", "sslmode")


class ReplyError(ValueError):
    """The API's service document is not what the contract promises; the message says where."""


def as_int(value: Any) -> Any:
    """Turn a numeric string into an int so comparisons with user input work; leave anything else alone."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    return value


def normalise_pool(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one item of ``service["connection_pools"]`` to the module's shape."""
    uri = entry.get("connection_uri")
    pool: dict[str, Any] = {
        "pool_name": entry.get("pool_name"),
        "database_name": entry.get("database"),
        # Absent, null and "" all mean an unpinned pool; one spelling makes comparisons simple.
        "username": entry.get("username") or None,
        "pool_mode": entry.get("pool_mode"),
        "pool_size": as_int(entry.get("pool_size")),
        "connection_uri": uri if isinstance(uri, str) and uri else None,
    }
    pool.update(parse_connection_uri(pool["connection_uri"]))
    # A pool read from the API exists, so it has a TLS mode; only a pool not created yet (check mode) has none.
    pool["sslmode"] = pool["sslmode"] or DEFAULT_SSLMODE
    return pool


def _entry_problem(entry: Any, index: int) -> str | None:
    """Why one item of ``connection_pools`` cannot be read as a pool, or None when it can."""
    item = f"connection_pools[{index}]"
    if not isinstance(entry, Mapping):
        return f"{item} must be an object, got {shown(entry)}"
    if "pool_name" not in entry:
        return f"{item} has no pool_name"
    name = entry["pool_name"]
    if not isinstance(name, str) or not name:
        return f"{item}: pool_name must be a non-empty string, got {shown(name)}"
    return None


def service_pools(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pools of a service document, normalised; raises ReplyError for a shape the contract does not allow.

    Every later step keys pools by name, so a pool without a usable name, or one
    listed twice, must stop the run here: planned on, it would become a write to the
    wrong pool (a purge of ``None``) or a write that never converges.
    """
    if "connection_pools" not in document:
        raise ReplyError("the service has no connection_pools (is it a PostgreSQL service?)")
    entries = document["connection_pools"]
    if not isinstance(entries, list):
        raise ReplyError(f"connection_pools must be a list, got {shown(entries)}")
    pools: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        problem = _entry_problem(entry, index)
        if problem:
            raise ReplyError(problem)
        if entry["pool_name"] in seen:
            raise ReplyError(f"pool {shown(entry['pool_name'])} is listed twice in connection_pools")
        seen.add(entry["pool_name"])
        pools.append(normalise_pool(entry))
    return pools


def public_view(pool: Mapping[str, Any]) -> dict[str, Any]:
    """The pool without secrets: the URI may carry a password, so it never goes into diffs or logs."""
    return {key: value for key, value in pool.items() if key != "connection_uri"}


def select(pools: Sequence[dict[str, Any]], names: Sequence[str] | None) -> list[dict[str, Any]]:
    """Pools named in ``names`` in that order (missing names skipped, repeats once); all pools when None."""
    if names is None:
        return list(pools)
    by_name = {pool["pool_name"]: pool for pool in pools}
    chosen: list[dict[str, Any]] = []
    seen = set()
    for name in names:
        if name in by_name and name not in seen:
            chosen.append(by_name[name])
            seen.add(name)
    return chosen


def names_listed(items: Any, key: str | None = None) -> list[str] | None:
    """The names a service document lists under ``databases`` or ``users``; None when it lists none to check against."""
    if not isinstance(items, list):
        return None
    if key is None:
        return [item for item in items if isinstance(item, str)]
    return [item[key] for item in items if isinstance(item, Mapping) and isinstance(item.get(key), str)]


def user_password(document: Mapping[str, Any], username: str) -> str | None:
    """The password of ``username`` from the service document's users; None when absent or hidden."""
    users = document.get("users")
    if not isinstance(users, list):
        return None
    for user in users:
        if isinstance(user, Mapping) and user.get("username") == username:
            password = user.get("password")
            if isinstance(password, str) and password and REDACTED not in password:
                return password
            return None
    return None


def some_names(names: Sequence[str]) -> str:
    """Names read from the API for a message: a bounded few, each printable, so that one problem cannot crowd out the others."""
    return listed([printable(name) for name in names]) or "none"
