# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flat pool definitions (one entry per pool, each naming its service) grouped into service declarations.

This is the declaration shape of the role connection_pools, taken by aiven_connection_pool's
``definitions`` form. Identity is checked here (which project, service and pool an entry names,
each pool once, the purge and allow_empty lists), and the settings with the rules of every form
(``_declaration_rules.entry_problems``). Messages name each entry, list and option as the caller calls it
(``names``), so that a role's user reads the variable they set; each pool keeps the label of the
entry it came from (``origins``), for the problems found later against its service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import (
    NAME_MAX,
    PROJECT_MAX,
    SERVICE_MAX,
    entry_problems,
    named_lists_entries,
    project_problem,
    service_problem,
    text_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._prerequisite_definitions import DATABASES, USERS, add_definitions
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable, shown

IDENTITY_KEYS = ("project", "service_name", "pool_name")
SETTING_KEYS = ("database_name", "username", "pool_mode", "pool_size", "state")
KNOWN_KEYS = IDENTITY_KEYS + SETTING_KEYS
# Longest usable project, service_name and pool_name: longer ones are left out of an entry's label.
_NAME_LIMITS = (PROJECT_MAX, SERVICE_MAX, NAME_MAX)
# purge_services given as this string (not in a list, where it names a service): every declared service.
PURGE_ALL = "all"


@dataclass
class Names:
    """What messages call the options: the module's own names unless the caller gives its own (a role its variables)."""

    project: str = "project"
    purge_services: str = "purge_services"
    allow_empty_services: str = "allow_empty_services"
    select: str = "select"
    purge_max_deletions: str = "purge_max_deletions"

    @classmethod
    def given(cls, names: Mapping[str, Any] | None) -> Names:
        # Names for messages, which Ansible prints as they are; names of other options (api_token) are not these.
        own = {item.name for item in fields(cls)}
        given = {key: printable(value) for key, value in (names or {}).items() if key in own and isinstance(value, str) and value}
        return cls(**given)


@dataclass
class FlatDeclaration:
    """The definitions form as the module receives it."""

    lists: Mapping[str, Any]           # list name (for messages) -> its definitions, in the order given
    project: str | None = None         # the default project of the entries
    purge_services: Any = None
    allow_empty_services: Any = None
    names: Names = field(default_factory=Names)
    # The databases and users the pools need, as lists by name like ``lists`` (see _prerequisite_definitions).
    databases: Mapping[str, Any] | None = None
    users: Mapping[str, Any] | None = None


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _describe(source: str, index: int, entry: Mapping[str, Any]) -> str:
    """Name an entry in an error message: its position and whatever usable names it has."""
    names = [f"{key} {printable(entry[key])}" for key, max_len in zip(IDENTITY_KEYS, _NAME_LIMITS) if text_problem(key, entry.get(key), max_len) is None]
    return f"{source}[{index}]" + (f" ({', '.join(names)})" if names else "")


class Origins(Mapping[str, str]):
    """pool_name -> the label of the entry that declared it (``list[i] (project ..., ...)``), made when a message asks for it.

    Only a problem found against a service names an entry this way: building every label up front
    cost more than all the rest of the checks of a large estate.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, int, dict[str, Any]]] = {}

    def add(self, pool_name: str, source: str, index: int, identity: dict[str, Any]) -> None:
        self._entries[pool_name] = (source, index, identity)

    def __getitem__(self, pool_name: str) -> str:
        return _describe(*self._entries[pool_name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return repr(dict(self))


def _identity_problems(entry: Mapping[str, Any]) -> list[str]:
    """Why an entry names no usable project, service or pool, or names a key that does not exist."""
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


def _settings_problems(entry: Mapping[str, Any], index: int, source: str) -> list[str]:
    """The rules of every form for the entry's settings, without their ``pool NAME:`` label: the entry's label says more."""
    prefix = f"pool {entry['pool_name']}: "
    return [problem[len(prefix):] if problem.startswith(prefix) else problem for problem in entry_problems(entry, index, source)]


def _service_key(item: Any, index: int, project: str, option: str, project_option: str) -> tuple[tuple[str, str] | None, str | None]:
    """(project, service_name) of one purge or allow_empty item, "service" or "project/service"; else why not."""
    place = f"{option}[{index}]"
    if not _text(item):
        return None, f"{place} must be a non-empty string (service_name or project/service_name), got {shown(item)}"
    parts = item.split("/")
    if len(parts) == 2 and all(parts):
        key = (parts[0], parts[1])
    elif len(parts) == 1:
        if not project:
            return None, f"{place} ({printable(item)}) names no project and {project_option} is not set; write it as project/{printable(item)}"
        key = (project, item)
    else:
        return None, f"{place} must be service_name or project/service_name, got {shown(item)}"
    problem = project_problem(key[0]) or service_problem(key[1])
    return (None, f"{place}: {problem}") if problem else (key, None)


def _service_keys(items: Any, option: str, project: str, project_option: str, problems: list[str]) -> list[tuple[str, str]]:
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        problems.append(f"{option} must be a list of service names (service_name or project/service_name), got {shown(items)}")
        return []
    keys = []
    for index, item in enumerate(items):
        key, problem = _service_key(item, index, project, option, project_option)
        if problem:
            problems.append(problem)
        elif key is not None:
            keys.append(key)
    return keys


def _purge_keys(items: Any, declared: list[tuple[str, str]], names: Names, project: str, problems: list[str]) -> list[tuple[str, str]]:
    """The services to purge: those named, or with the string PURGE_ALL every service the definitions declare."""
    if items == PURGE_ALL:
        return declared
    if isinstance(items, str):
        problems.append(f"{names.purge_services} must be a list of service names (service_name or project/service_name) or the string "
                        f"{PURGE_ALL} (every declared service), got {shown(items)}")
        return []
    return _service_keys(items, names.purge_services, project, names.project, problems)


def _service(project: str, service_name: str) -> dict[str, Any]:
    return {"project": project, "service_name": service_name, "purge": False, "allow_empty": False, "pools": [], "origins": Origins(),
            "databases": [], "users": []}


def grouped(declaration: FlatDeclaration) -> tuple[list[dict[str, Any]], list[str]]:
    """The services of the definitions, in first-seen order (items of the services form), and every identity problem.

    Unset (null) settings are left out of the pools: the module keeps an existing pool's value for them.
    Each group's ``origins`` maps its pool names to the label of their entry (``list[i] (project ..., ...)``).
    """
    names = declaration.names
    default_project = declaration.project or ""
    problems: list[str] = []
    if declaration.project is not None:
        problems.append(project_problem(declaration.project, option=f"{names.project} (the default project)") or "")
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    declared_by: dict[tuple[str, str, str], str] = {}
    for source, index, entry in named_lists_entries(declaration.lists, problems):
        entry_problems = _identity_problems(entry)
        problems.extend(f"{_describe(source, index, entry)}: {problem}" for problem in entry_problems)
        if entry_problems:
            continue
        project = entry.get("project") or default_project
        if not project:
            problems.append(f"{_describe(source, index, entry)}: no project; set project on the entry or {names.project} (the default project)")
            continue
        # Named with the project it resolved to: the messages name the pool in full.
        identity = {"project": project, "service_name": entry["service_name"], "pool_name": entry["pool_name"]}
        settings_problems = _settings_problems(entry, index, source)
        problems.extend(f"{_describe(source, index, identity)}: {problem}" for problem in settings_problems)
        if settings_problems:
            continue
        pool_key = (project, entry["service_name"], entry["pool_name"])
        if pool_key in declared_by:
            problems.append(f"{_describe(source, index, entry)}: pool {printable(pool_key[2])} of {project}/{printable(pool_key[1])}"
                            f" is already declared by {declared_by[pool_key]}; declare each pool once")
            continue
        declared_by[pool_key] = f"{source}[{index}]"
        group = groups.setdefault(pool_key[:2], _service(*pool_key[:2]))
        group["pools"].append({key: entry[key] for key in ("pool_name",) + SETTING_KEYS if entry.get(key) is not None})
        group["origins"].add(entry["pool_name"], source, index, identity)
    for key in _purge_keys(declaration.purge_services, list(groups), names, default_project, problems):
        groups.setdefault(key, _service(*key))["purge"] = True
    # After the purge's "all": a service declared only by its databases or users keeps its pools.
    problems += add_definitions(groups, declaration.databases, DATABASES, default_project, names.project, _service)
    problems += add_definitions(groups, declaration.users, USERS, default_project, names.project, _service)
    for key in _service_keys(declaration.allow_empty_services, names.allow_empty_services, default_project, names.project, problems):
        # Only for services of the call: a service named only here has nothing a purge could empty.
        if key in groups:
            groups[key]["allow_empty"] = True
    return list(groups.values()), [problem for problem in problems if problem]


def problems_message(problems: Sequence[str]) -> str:
    """All identity problems in one message, before any request."""
    if len(problems) == 1:
        return f"{problems[0]}; nothing was changed"
    return f"{len(problems)} problems in the pool definitions, nothing was changed: " + "; ".join(problems)
