# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pools_by_service: a flat list of pool definitions, grouped by service.

Documentation: pools_by_service.yml beside this file (ansible-doc -t filter).
Pure Python on plain data, so the role can validate everything before any API call.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

# The modules' own rules, so that the role rejects before its first request what a module would.
from ansible_collections.dbpools.aiven.plugins.module_utils._pools import (
    NAME_MAX,
    POOL_MODES,
    PROJECT_MAX,
    SERVICE_MAX,
    STATES,
    USERNAME_MAX,
    pool_size_problem,
    project_problem,
    service_problem,
    text_problem,
)

IDENTITY_KEYS = ("project", "service_name")
POOL_KEYS = ("pool_name", "database_name", "username", "pool_mode", "pool_size", "state")
KNOWN_KEYS = IDENTITY_KEYS + POOL_KEYS
# Longest usable project, service_name and pool_name: longer ones are left out of an entry's label.
_NAME_LIMITS = (PROJECT_MAX, SERVICE_MAX, NAME_MAX)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _describe(variable: str, index: int, entry: dict) -> str:
    """Name an entry in an error message: its position and whatever usable names it has."""
    names = [f"{key} {entry[key]}" for key, max_len in zip(KNOWN_KEYS[:3], _NAME_LIMITS) if text_problem(key, entry.get(key), max_len) is None]
    return f"{variable}[{index}]" + (f" ({', '.join(names)})" if names else "")


def _check(label: str, problem: str | None) -> None:
    if problem:
        raise AnsibleFilterError(f"{label}: {problem}")


def _check_entry(entry: Any, index: int, variable: str) -> None:
    if not isinstance(entry, dict):
        raise AnsibleFilterError(f"{variable}[{index}] must be a dictionary, got {type(entry).__name__}: {entry!r}")
    label = _describe(variable, index, entry)
    unknown = sorted(str(key) for key in entry if key not in KNOWN_KEYS)
    if unknown:
        raise AnsibleFilterError(f"{label}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KNOWN_KEYS)}")
    for key in ("service_name", "pool_name"):
        if not _text(entry.get(key)):
            raise AnsibleFilterError(f"{label}: {key} is required and must be a non-empty string, got {entry.get(key)!r}")
    _check(label, service_problem(entry["service_name"]))
    _check(label, text_problem("pool_name", entry["pool_name"], NAME_MAX))
    project = entry.get("project")
    if project is not None:
        if not _text(project):
            raise AnsibleFilterError(f"{label}: project must be a non-empty string when given, got {project!r}")
        _check(label, project_problem(project))
    for key, max_len in (("database_name", NAME_MAX), ("username", USERNAME_MAX)):
        if entry.get(key) is not None:
            if not isinstance(entry[key], str):
                raise AnsibleFilterError(f"{label}: {key} must be a string, got {entry[key]!r}")
            # username "" unpins the pool; an empty database_name names nothing.
            _check(label, text_problem(key, entry[key], max_len, allow_empty=key == "username"))
    if entry.get("pool_mode") is not None and entry["pool_mode"] not in POOL_MODES:
        raise AnsibleFilterError(f"{label}: pool_mode must be one of {', '.join(POOL_MODES)}, got {entry['pool_mode']!r}")
    if entry.get("pool_size") is not None:
        _check(label, pool_size_problem(_pool_size(entry["pool_size"], label)))
    if entry.get("state") is not None and entry["state"] not in STATES:
        raise AnsibleFilterError(f"{label}: state must be one of {', '.join(STATES)}, got {entry['state']!r}")


def _pool_size(value: Any, label: str) -> int:
    """An int, or a string of digits as the argument spec accepts it ("20" from a template or an extra var)."""
    # bool is an int subclass: true must not pass as a pool size of 1.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value)
    raise AnsibleFilterError(f"{label}: pool_size must be an integer, got {value!r}")


def _purge_key(item: Any, index: int, project: str, variable: str) -> tuple:
    """(project, service_name) of one purge entry: "service" or "project/service"."""
    if not _text(item):
        raise AnsibleFilterError(f"{variable}[{index}] must be a non-empty string (service_name or project/service_name), got {item!r}")
    parts = item.split("/")
    if len(parts) == 2 and all(parts):
        key = (parts[0], parts[1])
    elif len(parts) == 1:
        if not project:
            raise AnsibleFilterError(f"{variable}[{index}] ({item}) names no project and there is no default project; write it as project/{item}")
        key = (project, item)
    else:
        raise AnsibleFilterError(f"{variable}[{index}] must be service_name or project/service_name, got {item!r}")
    _check(f"{variable}[{index}]", project_problem(key[0]) or service_problem(key[1]))
    return key


def pools_by_service(definitions: Any, project: str | None = "", purge: Any = None, variable: str = "definitions",
                     purge_variable: str = "purge", present_only: bool = False) -> list:
    """Group pool definitions by (project, service_name), in first-seen order; see pools_by_service.yml."""
    if definitions is None:
        definitions = []
    if not isinstance(definitions, (list, tuple)):
        raise AnsibleFilterError(f"{variable} must be a list of dictionaries, got {type(definitions).__name__}")
    if project is not None and not isinstance(project, str):
        raise AnsibleFilterError(f"project must be a string, got {project!r}")
    default_project = project or ""
    if default_project:
        problem = project_problem(default_project, option="project (the default project, connection_pools_project in the role)")
        if problem:
            raise AnsibleFilterError(problem)
    if purge is None:
        purge = []
    if not isinstance(purge, (list, tuple)):
        raise AnsibleFilterError(f"{purge_variable} must be a list of service names, got {type(purge).__name__}")

    groups: dict = {}
    first_seen: dict = {}
    for index, entry in enumerate(definitions):
        _check_entry(entry, index, variable)
        key_project = entry.get("project") or default_project
        if not key_project:
            raise AnsibleFilterError(
                f"{_describe(variable, index, entry)}: no project; set project on the entry or a default project"
                " (connection_pools_project in the role)")
        service_key = (key_project, entry["service_name"])
        pool_key = service_key + (entry["pool_name"],)
        if pool_key in first_seen:
            raise AnsibleFilterError(
                f"{_describe(variable, index, entry)}: pool {entry['pool_name']} of {key_project}/{entry['service_name']}"
                f" is already declared by {variable}[{first_seen[pool_key]}]; declare each pool once")
        first_seen[pool_key] = index
        pool = {key: entry[key] for key in POOL_KEYS if entry.get(key) is not None}
        pool.setdefault("state", "present")
        if "pool_size" in pool:
            pool["pool_size"] = _pool_size(pool["pool_size"], "")
        if present_only and pool["state"] != "present":
            continue
        group = groups.setdefault(service_key, {"project": key_project, "service_name": entry["service_name"], "purge": False, "pools": []})
        group["pools"].append(pool)

    for index, item in enumerate(purge):
        service_key = _purge_key(item, index, default_project, purge_variable)
        group = groups.setdefault(service_key, {"project": service_key[0], "service_name": service_key[1], "purge": False, "pools": []})
        group["purge"] = True
    return list(groups.values())


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pools_by_service": pools_by_service}
