# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flat database and user definitions (one entry each, naming its service), grouped by service beside the pools.

The shape of the role connection_pools' ``connection_pools_databases`` and ``connection_pools_users``, taken by
aiven_connection_pool's ``database_definitions`` and ``user_definitions``. An entry's settings follow the
rules of aiven_pg_database and aiven_pg_user; it has no ``state``: a pool run creates what its pools need and
never deletes a database or a user. Messages name each entry by its list and position, as the caller calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils import _databases_planning, _users_planning
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import named_lists_entries, project_problem, service_problem
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable, shown


@dataclass(frozen=True)
class Kind:
    """One kind of definition: its name key, the keys it may have, and the rules of its settings."""

    list_key: str                # where the service's group keeps them: "databases", "users"
    name_key: str                # "database_name", "username"
    settings: tuple[str, ...]
    deleted_with: str            # the module that deletes one, for the message refusing a state
    rules: Callable[[Any, int, str | None, str], list[str]]

    @property
    def keys(self) -> tuple[str, ...]:
        return ("project", "service_name", self.name_key) + self.settings


DATABASES = Kind("databases", "database_name", _databases_planning.LOCALES, "aiven_pg_database", _databases_planning.entry_problems)
USERS = Kind("users", "username", ("pg_allow_replication",), "aiven_pg_user", _users_planning.entry_problems)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _label(source: str, index: int, entry: Mapping[str, Any], kind: Kind) -> str:
    names = [f"{key} {printable(entry[key])}" for key in ("project", "service_name", kind.name_key) if _text(entry.get(key))]
    return f"{source}[{index}]" + (f" ({', '.join(names)})" if names else "")


def _identity_problems(entry: Mapping[str, Any], kind: Kind) -> list[str]:
    problems: list[str | None] = []
    if entry.get("state") is not None:
        problems.append(f"state cannot be declared here: the role creates what its pools need and never deletes one "
                        f"(delete with dbpools.aiven.{kind.deleted_with} and state: absent)")
    unknown = sorted(printable(str(key)) for key in entry if key not in kind.keys and key != "state")
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(kind.keys)}")
    service = entry.get("service_name")
    problems.append(service_problem(service) if _text(service) else f"service_name is required and must be a non-empty string, got {shown(service)}")
    project = entry.get("project")
    if project is not None:
        problems.append(project_problem(project) if _text(project) else f"project must be a non-empty string when given, got {shown(project)}")
    return [problem for problem in problems if problem]


def add_definitions(groups: dict[tuple[str, str], dict[str, Any]], lists: Mapping[str, Any] | None, kind: Kind, default_project: str,
                    project_option: str, new_group: Callable[[str, str], dict[str, Any]]) -> list[str]:
    """Add each entry of ``lists`` (list name -> entries) to its service's group (made with ``new_group``); every problem."""
    problems: list[str] = []
    declared_by: dict[tuple[str, str, str], str] = {}
    # An item that is no dictionary is not shown: a user's may be a password put in the wrong place.
    for source, index, entry in named_lists_entries(lists, problems, show_items=False):
        label = _label(source, index, entry, kind)
        identity = _identity_problems(entry, kind)
        project = entry.get("project") or default_project
        if not identity and not project:
            identity.append(f"no project; set project on the entry or {project_option} (the default project)")
        if identity:
            problems.extend(f"{label}: {problem}" for problem in identity)
            continue
        settings = {key: entry[key] for key in (kind.name_key,) + kind.settings if entry.get(key) is not None}
        # The rules name the item project/service/name; the entry's label names it as the caller wrote it
        # (not given to the rules too: a name they refuse would be labelled by the list and index twice).
        rules = kind.rules(settings, index, None, f"{project}/{printable(entry['service_name'])}")
        if rules:
            problems.extend(f"{source}[{index}]: {problem}" for problem in rules)
            continue
        key = (project, entry["service_name"], entry[kind.name_key])
        if key in declared_by:
            problems.append(f"{label}: {kind.name_key} {printable(key[2])} of {project}/{printable(key[1])} is already declared by "
                            f"{declared_by[key]}; declare each once")
            continue
        declared_by[key] = f"{source}[{index}]"
        groups.setdefault(key[:2], new_group(*key[:2]))[kind.list_key].append(settings)
    return problems
