# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pools_by_service: flat pool definitions, grouped into the services of one module call.

Documentation: pools_by_service.yml beside this file (ansible-doc -t filter).
It only groups and checks identity (which project, service and pool an entry names, and
that each pool is declared once). The module aiven_connection_pool checks the settings,
against the service too, so they are not checked twice.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

# The modules' own rules, so that the role rejects before its first request what a module would.
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import (
    NAME_MAX,
    PROJECT_MAX,
    SERVICE_MAX,
    project_problem,
    service_problem,
    shown,
    text_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

IDENTITY_KEYS = ("project", "service_name", "pool_name")
SETTING_KEYS = ("database_name", "username", "pool_mode", "pool_size", "state")
KNOWN_KEYS = IDENTITY_KEYS + SETTING_KEYS
# Longest usable project, service_name and pool_name: longer ones are left out of an entry's label.
_NAME_LIMITS = (PROJECT_MAX, SERVICE_MAX, NAME_MAX)
_DEFAULT_PROJECT_OPTION = "project (the default project, connection_pools_project in the role)"

ServiceKey = tuple[str, str]


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _describe(variable: str, index: int, entry: dict) -> str:
    """Name an entry in an error message: its position and whatever usable names it has."""
    names = [f"{key} {printable(entry[key])}" for key, max_len in zip(IDENTITY_KEYS, _NAME_LIMITS) if text_problem(key, entry.get(key), max_len) is None]
    return f"{variable}[{index}]" + (f" ({', '.join(names)})" if names else "")


def _identity_problems(entry: dict) -> list[str]:
    """Why an entry names no usable project, service or pool, or names a key that does not exist."""
    # The rule checks give None for no problem; those are dropped on return.
    problems: list[str | None] = []
    unknown = sorted(printable(str(key)) for key in entry if key not in KNOWN_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KNOWN_KEYS)}")
    for key in ("service_name", "pool_name"):
        if not _text(entry.get(key)):
            problems.append(f"{key} is required and must be a non-empty string, got {shown(entry.get(key))}")
    if _text(entry.get("service_name")):
        problems.append(service_problem(entry["service_name"]))
    if _text(entry.get("pool_name")):
        problems.append(text_problem("pool_name", entry["pool_name"], NAME_MAX))
    project = entry.get("project")
    if project is not None:
        problems.append(project_problem(project) if _text(project) else f"project must be a non-empty string when given, got {shown(project)}")
    return [problem for problem in problems if problem]


def _service_key(item: Any, index: int, project: str, variable: str) -> tuple[ServiceKey | None, str | None]:
    """(project, service_name) of one purge or allow_empty item, "service" or "project/service"; else why not."""
    label = f"{variable}[{index}]"
    if not _text(item):
        return None, f"{label} must be a non-empty string (service_name or project/service_name), got {shown(item)}"
    parts = item.split("/")
    if len(parts) == 2 and all(parts):
        key = (parts[0], parts[1])
    elif len(parts) == 1:
        if not project:
            return None, f"{label} ({printable(item)}) names no project and there is no default project; write it as project/{printable(item)}"
        key = (project, item)
    else:
        return None, f"{label} must be service_name or project/service_name, got {shown(item)}"
    problem = project_problem(key[0]) or service_problem(key[1])
    return (None, f"{label}: {problem}") if problem else (key, None)


def _sources(definitions: Any, variable: str, merge: Any) -> list[tuple[str, Any]]:
    """The lists of definitions, named: ``variable`` first, then the merged variables sorted by name."""
    if merge is None:
        merge = {}
    if not isinstance(merge, dict):
        raise _error(f"merge must be a dictionary of variable names to lists of definitions, got {type(merge).__name__}")
    # Sorted on the names alone: two keys may read the same (1 and "1"), and their lists do not compare.
    named = sorted(((str(name), value) for name, value in merge.items()), key=lambda item: item[0])
    return [(variable, definitions)] + [(printable(name), value) for name, value in named]


def _service_list(items: Any, variable: str, project: str, problems: list[str]) -> list[ServiceKey]:
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        problems.append(f"{variable} must be a list of service names, got {type(items).__name__}")
        return []
    keys = []
    for index, item in enumerate(items):
        key, problem = _service_key(item, index, project, variable)
        if problem:
            problems.append(problem)
        elif key is not None:
            keys.append(key)
    return keys


def _error(problem: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"pools_by_service: {problem}")


def _raise_if_any(problems: list[str]) -> None:
    if len(problems) == 1:
        raise _error(problems[0])
    if problems:
        raise _error(f"{len(problems)} problems in the pool definitions: " + "; ".join(problems))


def pools_by_service(definitions: Any, project: str | None = "", purge: Any = None, allow_empty: Any = None, merge: Any = None,
                     variable: str = "definitions", purge_variable: str = "purge", allow_empty_variable: str = "allow_empty") -> list[dict]:
    """Group pool definitions by (project, service_name), in first-seen order; see pools_by_service.yml."""
    if project is not None and not isinstance(project, str):
        raise _error(f"project must be a string, got {shown(project)}")
    for option, name in (("variable", variable), ("purge_variable", purge_variable), ("allow_empty_variable", allow_empty_variable)):
        if not isinstance(name, str):
            raise _error(f"{option} must be a string, got {shown(name)}")
    # Names for messages, which Ansible prints as they are.
    variable, purge_variable, allow_empty_variable = printable(variable), printable(purge_variable), printable(allow_empty_variable)
    default_project = project or ""
    problems: list[str] = []
    if default_project:
        problems.append(project_problem(default_project, option=_DEFAULT_PROJECT_OPTION) or "")

    groups: dict[ServiceKey, dict] = {}
    declared_by: dict[tuple[str, str, str], str] = {}
    for source, entries in _sources(definitions, variable, merge):
        if entries is None:
            continue
        if not isinstance(entries, (list, tuple)):
            problems.append(f"{source} must be a list of dictionaries, got {type(entries).__name__}")
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                problems.append(f"{source}[{index}] must be a dictionary, got {type(entry).__name__}: {shown(entry)}")
                continue
            label = _describe(source, index, entry)
            entry_problems = _identity_problems(entry)
            problems.extend(f"{label}: {problem}" for problem in entry_problems)
            key_project = entry.get("project") or default_project
            if entry_problems:
                continue
            if not key_project:
                problems.append(f"{label}: no project; set project on the entry or a default project (connection_pools_project in the role)")
                continue
            pool_key = (key_project, entry["service_name"], entry["pool_name"])
            if pool_key in declared_by:
                problems.append(f"{label}: pool {entry['pool_name']} of {key_project}/{entry['service_name']} is already declared by"
                                f" {declared_by[pool_key]}; declare each pool once")
                continue
            declared_by[pool_key] = f"{source}[{index}]"
            group = groups.setdefault(pool_key[:2], _service(*pool_key[:2]))
            # Unset (null) settings are left out: the module keeps an existing pool's value for them.
            group["pools"].append({key: entry[key] for key in ("pool_name",) + SETTING_KEYS if entry.get(key) is not None})

    for key in _service_list(purge, purge_variable, default_project, problems):
        groups.setdefault(key, _service(*key))["purge"] = True
    for key in _service_list(allow_empty, allow_empty_variable, default_project, problems):
        # Only for services of the call: a service named only here has nothing a purge could empty.
        if key in groups:
            groups[key]["allow_empty"] = True
    _raise_if_any([problem for problem in problems if problem])
    return list(groups.values())


def _service(project: str, service_name: str) -> dict:
    return {"project": project, "service_name": service_name, "purge": False, "allow_empty": False, "pools": []}


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pools_by_service": pools_by_service}
