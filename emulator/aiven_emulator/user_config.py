"""A seeded service's capacity settings: ``user_config`` (pg, pgbouncer) and the node size overrides, checked.

Keys and ranges are the contract's ("Capacity": max_connections 25 to 60000; the pgbouncer keys of
aiven-docs config-pg.md). The contract gives no upper bounds for the pgbouncer numbers, so only their
type and sign are checked. A bad value fails the seed at start, naming the service and the key.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from .model import POOL_MODES

MAX_CONNECTIONS_MIN, MAX_CONNECTIONS_MAX = 25, 60000
IGNORABLE_STARTUP_PARAMETERS = ("extra_float_digits", "search_path")


class UserConfigError(ValueError):
    """A capacity setting of the seed is not usable; the message names the key."""


def _count(minimum: int, maximum: Optional[int] = None) -> Callable[[Any], bool]:
    # bool is an int in Python: true must not pass for 1.
    return lambda value: (isinstance(value, int) and not isinstance(value, bool) and value >= minimum
                          and (maximum is None or value <= maximum))


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(item in IGNORABLE_STARTUP_PARAMETERS for item in value)


# key -> (check, what the seed must give)
_PG_KEYS = {
    "max_connections": (_count(MAX_CONNECTIONS_MIN, MAX_CONNECTIONS_MAX), f"an integer {MAX_CONNECTIONS_MIN} to {MAX_CONNECTIONS_MAX}"),
}
_PGBOUNCER_KEYS = {
    "autodb_pool_mode": (lambda value: value in POOL_MODES, "one of " + ", ".join(POOL_MODES)),
    "autodb_pool_size": (_count(0), "an integer, 0 or more (0: no automatic pools)"),
    "autodb_max_db_connections": (_count(0), "an integer, 0 or more (0: unlimited)"),
    "autodb_idle_timeout": (_count(0), "seconds, 0 or more"),
    "min_pool_size": (_count(0), "an integer, 0 or more"),
    "server_idle_timeout": (_count(0), "seconds, 0 or more"),
    "server_lifetime": (_count(0), "seconds, 0 or more"),
    "server_reset_query_always": (lambda value: isinstance(value, bool), "true or false"),
    "ignore_startup_parameters": (_string_list, "a list of " + ", ".join(IGNORABLE_STARTUP_PARAMETERS)),
    "max_prepared_statements": (_count(0), "an integer, 0 or more (0: none in transaction and statement pools)"),
}
_SECTIONS = {"pg": _PG_KEYS, "pgbouncer": _PGBOUNCER_KEYS}


def _section(name: str, raw: Any, where: str) -> Dict[str, Any]:
    keys = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise UserConfigError(f"{where}.user_config.{name}: a mapping of {', '.join(keys)}")
    for key, value in raw.items():
        if key not in keys:
            raise UserConfigError(f"{where}.user_config.{name}.{key}: not a setting the emulator knows ({', '.join(keys)})")
        check, wanted = keys[key]
        if not check(value):
            raise UserConfigError(f"{where}.user_config.{name}.{key}: {value!r} is not {wanted}")
    return dict(raw)


def seeded_user_config(raw: Any, where: str) -> Dict[str, Dict[str, Any]]:
    """The service's ``user_config`` sections as the seed sets them (pg, pgbouncer); empty when it sets none."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UserConfigError(f"{where}.user_config: a mapping with pg and/or pgbouncer")
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise UserConfigError(f"{where}.user_config.{sorted(unknown)[0]}: the emulator knows only pg and pgbouncer")
    return {name: _section(name, section, where) for name, section in raw.items() if section}


def node_override(raw: Dict[str, Any], key: str, where: str) -> Optional[int]:
    """``node_cpu_count`` / ``node_memory_mb`` of a seeded service: a positive integer, or None to take the plan's."""
    value = raw.get(key)
    if value is None:
        return None
    if not _count(1)(value):
        raise UserConfigError(f"{where}.{key}: {value!r} is not a positive integer")
    return int(value)
