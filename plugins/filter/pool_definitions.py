# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pool_definitions: pools as read by the modules, turned into the role's definitions.

Documentation: pool_definitions.yml beside this file (ansible-doc -t filter).
Only settings leave this filter (no URI, no password), so its output may be written to a
group_vars file or printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.dbpools.aiven.plugins.module_utils._rules import shown
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

IDENTITY_KEYS = ("project", "service_name", "pool_name")
# The settings a definition may give, in the order a person reads them.
SETTING_KEYS = ("database_name", "username", "pool_mode", "pool_size")
_TEXT_SETTINGS = ("username", "pool_mode")


def _fail(problem: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"pool_definitions: {problem}")


def _label(index: int, pool: Mapping[str, Any]) -> str:
    # The pools come from the API: their names are shown printable.
    names = [printable(pool[key]) for key in IDENTITY_KEYS if isinstance(pool.get(key), str) and pool.get(key)]
    return f"pools[{index}]" + (f" ({'/'.join(names)})" if names else "")


def _settings_problem(pool: Mapping[str, Any]) -> str | None:
    """Why a setting of the pool could not be declared as it is, or None."""
    for key in _TEXT_SETTINGS:
        if pool.get(key) is not None and not isinstance(pool[key], str):
            return f"{key} must be a string or null, got {shown(pool[key])}"
    size = pool.get("pool_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        return f"pool_size must be an integer or null, got {shown(size)}"
    return None


def _definition(index: int, pool: Any, project: str) -> dict[str, Any]:
    if not isinstance(pool, Mapping):
        raise _fail(f"pools[{index}] must be a dictionary (a pool of the info module), got {type(pool).__name__}")
    missing = [key for key in IDENTITY_KEYS + ("database_name",) if not isinstance(pool.get(key), str) or not pool.get(key)]
    if missing:
        raise _fail(f"{_label(index, pool)} has no usable {', '.join(missing)} (each must be a non-empty string); "
                    "pass the connection_pools of aiven_connection_pool_info (or connection_pools_result.pools)")
    problem = _settings_problem(pool)
    if problem:
        raise _fail(f"{_label(index, pool)}: {problem}")
    entry: dict[str, Any] = {} if pool["project"] == project else {"project": pool["project"]}
    entry.update(service_name=pool["service_name"], pool_name=pool["pool_name"])
    for key in SETTING_KEYS:
        # Unpinned pools leave username out: a definition without it keeps the pool as it is.
        if pool.get(key) not in (None, ""):
            entry[key] = pool[key]
    return entry


def pool_definitions(pools: Any, project: Any = None) -> list[dict[str, Any]]:
    """Definitions for connection_pools_definitions, sorted by project, service and pool; see pool_definitions.yml."""
    if not isinstance(pools, (list, tuple)):
        raise _fail(f"pools must be a list (the connection_pools of aiven_connection_pool_info), got {type(pools).__name__}")
    if project is not None and not isinstance(project, str):
        raise _fail(f"project must be a string, got {type(project).__name__}")
    definitions = [_definition(index, pool, project or "") for index, pool in enumerate(pools)]
    # Sorted on the full identity, also for entries whose project was left out.
    order = sorted(range(len(definitions)), key=lambda i: tuple(pools[i][key] for key in IDENTITY_KEYS))
    seen: dict[tuple[str, ...], int] = {}
    result = []
    for i in order:
        identity = tuple(pools[i][key] for key in IDENTITY_KEYS)
        if identity in seen:
            raise _fail(f"{_label(i, pools[i])} is listed twice, also as pools[{seen[identity]}]")
        seen[identity] = i
        result.append(definitions[i])
    return result


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_definitions": pool_definitions}
