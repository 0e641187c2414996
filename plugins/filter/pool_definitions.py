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

IDENTITY_KEYS = ("project", "service_name", "pool_name")
# The settings a definition may give, in the order a person reads them.
SETTING_KEYS = ("database_name", "username", "pool_mode", "pool_size")


def _label(index: int, pool: Mapping[str, Any]) -> str:
    names = [str(pool[key]) for key in IDENTITY_KEYS if isinstance(pool.get(key), str) and pool.get(key)]
    return f"item {index}" + (f" ({'/'.join(names)})" if names else "")


def _definition(index: int, pool: Any, project: str) -> dict[str, Any]:
    if not isinstance(pool, Mapping):
        raise AnsibleFilterError(f"pool_definitions: item {index} must be a dictionary (a pool of the info module), got {type(pool).__name__}")
    missing = [key for key in IDENTITY_KEYS + ("database_name",) if not isinstance(pool.get(key), str) or not pool.get(key)]
    if missing:
        raise AnsibleFilterError(f"pool_definitions: {_label(index, pool)} has no usable {', '.join(missing)}; "
                                 "pass the connection_pools of aiven_connection_pool_info (or connection_pools_result.pools)")
    entry: dict[str, Any] = {} if pool["project"] == project else {"project": pool["project"]}
    entry.update(service_name=pool["service_name"], pool_name=pool["pool_name"])
    for key in SETTING_KEYS:
        # Unpinned pools leave username out: a definition without it keeps the pool as it is.
        if pool.get(key) not in (None, ""):
            entry[key] = pool[key]
    return entry


def pool_definitions(pools: Any, project: str | None = None) -> list[dict[str, Any]]:
    """Definitions for connection_pools_definitions, sorted by project, service and pool; see pool_definitions.yml."""
    if not isinstance(pools, (list, tuple)):
        raise AnsibleFilterError(f"pool_definitions expects a list of pools, got {type(pools).__name__}")
    if project is not None and not isinstance(project, str):
        raise AnsibleFilterError(f"pool_definitions: project must be a string, got {type(project).__name__}")
    definitions = [_definition(index, pool, project or "") for index, pool in enumerate(pools)]
    # Sorted on the full identity, also for entries whose project was left out.
    order = sorted(range(len(definitions)), key=lambda i: tuple(str(pools[i][key]) for key in IDENTITY_KEYS))
    seen: set[tuple[str, ...]] = set()
    result = []
    for i in order:
        identity = tuple(str(pools[i][key]) for key in IDENTITY_KEYS)
        if identity in seen:
            raise AnsibleFilterError(f"pool_definitions: pool {'/'.join(identity)} is listed twice")
        seen.add(identity)
        result.append(definitions[i])
    return result


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_definitions": pool_definitions}
