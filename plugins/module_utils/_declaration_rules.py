# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a declaration: names, identities, pool settings and the services form.

The modules and the lookup read these, so a limit changed here changes everywhere (the
connection options have their own rules, in _connection_options; how values show in
messages is _text's). Pure: no I/O, no Ansible. A ``*_problem``
function returns why a value breaks its rule, or None when it keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable, shown, unusable_character

POOL_MODES = ("session", "transaction", "statement")
STATES = ("present", "absent")
POOL_SIZE_MIN = 1
POOL_SIZE_MAX = 10000
NAME_MAX = 63
USERNAME_MAX = 64
SERVICE_MAX = 64
PROJECT_MAX = 63
# Writes in flight at once, across every service of one call.
CONCURRENCY_MIN = 1
CONCURRENCY_MAX = 32
CONCURRENCY_DEFAULT = 8
WAIT_TIMEOUT_MIN = 0
# The one confirmed name pattern: projects are 1 to PROJECT_MAX of these. Pool, database,
# user and service names have only lengths; they are sent URL-quoted, whatever they hold.
PROJECT_CHARACTERS = "a-z, A-Z, 0-9, '_' and '-'"
_PROJECT_NAME = re.compile(rf"[a-zA-Z0-9_-]{{1,{PROJECT_MAX}}}")
# Control characters (NUL, newline, ...) cannot be part of a PostgreSQL or PgBouncer name,
# and unpaired surrogates cannot be encoded for the URL or the JSON body.


class PlanError(ValueError):
    """The user's request cannot be planned; the message names the pool and says why."""


def text_problem(option: str, value: Any, max_len: int, allow_empty: bool = False) -> str | None:
    """Why ``value`` cannot be a name for ``option``, or None when it can."""
    low = 0 if allow_empty else 1
    if not isinstance(value, str) or not low <= len(value) <= max_len:
        return f"{option} must be a string of {low} to {max_len} characters, got {shown(value)}"
    position = unusable_character(value)
    if position is not None:
        return f"{option} must not contain control characters or unpaired surrogates, got {shown(value)} ({value[position]!r} at position {position})"
    return None


def project_problem(value: Any, option: str = "project") -> str | None:
    """Why ``value`` cannot be an Aiven project name, or None when it can."""
    if isinstance(value, str) and _PROJECT_NAME.fullmatch(value):
        return None
    return f"{option} must be 1 to {PROJECT_MAX} characters of {PROJECT_CHARACTERS}, got {shown(value)}"


def service_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an Aiven service name, or None when it can."""
    return text_problem("service_name", value, SERVICE_MAX)


def identity_problems(project: Any, service_name: Any) -> list[str]:
    """Why the options ``project`` and ``service_name`` cannot name an Aiven service, [] when they can; service_name None is not given.

    An empty one is said plainly: it is the usual slip, a variable that rendered empty.
    """
    problems: list[str | None] = []
    for option, value, problem_of in (("project", project, project_problem), ("service_name", service_name, service_problem)):
        if value == "":
            problems.append(f"{option} must not be empty")
        elif value is not None or option == "project":
            problems.append(problem_of(value))
    return [problem for problem in problems if problem]


def pool_size_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a pool_size, or None when it can."""
    # bool is an int subclass; True must not pass as a pool size of 1.
    if isinstance(value, bool) or not isinstance(value, int) or not POOL_SIZE_MIN <= value <= POOL_SIZE_MAX:
        return f"pool_size must be an integer from {POOL_SIZE_MIN} to {POOL_SIZE_MAX}, got {shown(value)}"
    return None


def concurrency_problem(value: Any) -> str | None:
    """Why ``value`` cannot be the number of writes in flight at once, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, int) or not CONCURRENCY_MIN <= value <= CONCURRENCY_MAX:
        return f"concurrency must be from {CONCURRENCY_MIN} to {CONCURRENCY_MAX}, got {shown(value)}"
    return None


def wait_timeout_problem(value: Any) -> str | None:
    """Why ``value`` cannot be wait_timeout, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, int) or value < WAIT_TIMEOUT_MIN:
        return f"wait_timeout must be {WAIT_TIMEOUT_MIN} or more seconds, got {shown(value)}"
    return None


# --- one declared pool (an item of pools, or the single form's options) --------------


def pool_state(entry: Mapping[str, Any]) -> Any:
    """A missing or null state means present, as in the module's argument spec."""
    state = entry.get("state")
    return "present" if state is None else state


def _label(entry: Mapping[str, Any], index: int, where: str | None, service: str | None = None) -> str:
    """How to name an entry in an error: by a usable pool_name, else by position in ``where`` (or not at all).

    With ``service`` (``project/service``), a named pool reads ``project/service/pool``.
    """
    name = entry.get("pool_name")
    if text_problem("pool_name", name, NAME_MAX) is None:
        return f"{service}/{name}" if service else f"pool {name}"
    position = f"{where}[{index}]" if where else ""
    if service:
        return f"{service}: {position}" if position else service
    return position


def _prefixed(label: str, text: str) -> str:
    return f"{label}: {text}" if label else text


def _choice_problem(option: str, value: Any, choices: Sequence[str]) -> str | None:
    if value not in choices:
        return f"{option} must be one of {', '.join(choices)}, got {shown(value)}"
    return None


def entry_problems(entry: Any, index: int, where: str | None, service: str | None = None) -> list[str]:
    """Every rule one desired entry breaks, each message naming the entry (within ``service`` when given)."""
    if not isinstance(entry, Mapping):
        return [_prefixed(service or "", f"{where or 'pools'}[{index}] must be a dictionary, got {shown(entry)}")]
    label = _label(entry, index, where, service)
    problems = [
        text_problem("pool_name", entry.get("pool_name"), NAME_MAX),
        _choice_problem("state", pool_state(entry), STATES),
    ]
    if entry.get("database_name") is not None:
        problems.append(text_problem("database_name", entry["database_name"], NAME_MAX))
    if entry.get("username") is not None:
        # "" is the explicit unpin request, so it is allowed here.
        problems.append(text_problem("username", entry["username"], USERNAME_MAX, allow_empty=True))
    if entry.get("pool_mode") is not None:
        problems.append(_choice_problem("pool_mode", entry["pool_mode"], POOL_MODES))
    if entry.get("pool_size") is not None:
        problems.append(pool_size_problem(entry["pool_size"]))
    return [_prefixed(label, problem) for problem in problems if problem]


def desired_problems(desired: Any, where: str | None = "pools", service: str | None = None) -> list[str]:
    """Every rule a list of desired entries breaks: each entry's, then names listed twice.

    Keys other than pool_name, state and the settings are ignored, so callers may pass
    whole argument-spec items. ``where`` names the list in messages about an entry
    without a usable pool_name (``pools[2]: ...``); None for a single pool, whose
    options are named alone. ``service`` (``project/service``) prefixes every message.
    """
    if not isinstance(desired, (list, tuple)):
        return [_prefixed(service or "", f"{where or 'pools'} must be a list, got {shown(desired)}")]
    problems: list[str] = []
    for index, entry in enumerate(desired):
        problems.extend(entry_problems(entry, index, where, service))
    seen: set[Any] = set()
    for entry in desired:
        name = entry.get("pool_name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str):
            continue  # already reported above
        if name in seen:
            label = f"{service}/{name}" if service else f"pool {name}"
            problems.append(f"{label} is listed more than once; each pool_name may appear only once")
        seen.add(name)
    return problems


def validate_desired(desired: Sequence[Mapping[str, Any]]) -> None:
    """Raise PlanError for the first rule ``desired`` breaks (see desired_problems)."""
    problems = desired_problems(desired)
    if problems:
        raise PlanError(problems[0])


# --- the services form: many services in one declaration ---------------------------


def service_label(project: str, service_name: str) -> str:
    """How messages name a service: ``project/service``."""
    return f"{project}/{service_name}"


def item_project(item: Mapping[str, Any], default: Any) -> Any:
    """The project of one item of services: its own when set, even to "" (which services_project_problem refuses), else ``default``.

    Not ``item.get("project") or default``: that would send an item whose project rendered empty
    to the top-level project, its purge included.
    """
    project = item.get("project")
    return default if project is None else project


def _item_label(index: int, item: Mapping[str, Any]) -> str:
    """``services[i]``, with the item's service_name when it is usable."""
    name = item.get("service_name")
    return f"services[{index}] (service_name {shown(name)})" if service_problem(name) is None else f"services[{index}]"


def services_project_problem(services: Sequence[Mapping[str, Any]], default: Any) -> str | None:
    """Why the items of services cannot all be given a project, or None when they can (checked before any request).

    ``default`` is the top-level project. An empty project, at the top level or in an item, is
    refused as in the other forms: it is a variable that rendered empty, not a request for the default.
    """
    if default == "":
        return "project must not be empty: give the default project of the items of services, or leave project out"
    for index, item in enumerate(services):
        project = item.get("project")
        if project == "":
            return (f"{_item_label(index, item)}: project must not be empty (a variable that rendered empty?); "
                    "give the item's project, or leave project out of the item to use the top-level project")
        if project is None and default is None:
            return f"{_item_label(index, item)} has no project: set project in the item or at the top level"
    return None


def services_problems(services: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every rule a list of service declarations breaks: identities, a service declared twice, each pool.

    Items are mappings with ``project``, ``service_name`` and ``pools`` (the desired entries).
    An item whose identity is unusable is named by its position, ``services[i]``.
    """
    problems: list[str] = []
    first_index: dict[tuple[str, str], int] = {}
    for index, item in enumerate(services):
        project, service = item.get("project"), item.get("service_name")
        identity = [problem for problem in (project_problem(project), service_problem(service)) if problem]
        # The isinstance checks only tell the type checker what the rule checks already proved: both are strings.
        if identity or not isinstance(project, str) or not isinstance(service, str):
            problems.extend(f"services[{index}]: {problem}" for problem in identity)
            continue
        label = service_label(project, service)
        if (project, service) in first_index:
            problems.append(f"{label}: declared more than once (services[{first_index[(project, service)]}] and "
                            f"services[{index}]); declare each service once with all its pools")
            continue
        first_index[(project, service)] = index
        problems.extend(desired_problems(item.get("pools"), item.get("list_name", "pools"), service=label))
    return problems


def list_problems(entries: Any, where: str | None, service: str, list_key: str, name_key: str,
                  entry_problems: Callable[[Any, int, str | None, str], list[str]]) -> list[str]:
    """Every rule a service's declared items break: each entry's (``entry_problems``), then names declared twice.

    ``where`` names the list for an entry without a usable name (``databases[2]``); None for the single form.
    Values are never shown whole (an item may hold a password); names are shown printable.
    """
    if not isinstance(entries, (list, tuple)):
        return [f"{service}: {where or list_key} must be a list, got a {type(entries).__name__}"]
    problems: list[str] = []
    for index, entry in enumerate(entries):
        problems.extend(entry_problems(entry, index, where, service))
    seen: set[str] = set()
    noun = list_key[:-1]  # databases -> database, users -> user
    for entry in entries:
        name = entry.get(name_key) if isinstance(entry, Mapping) else None
        if not isinstance(name, str):
            continue  # reported above
        if name in seen:
            problems.append(f"{service}/{printable(name)}: declared more than once; declare each {noun} once")
        seen.add(name)
    return problems


def named_lists_entries(lists: Mapping[str, Any] | None, problems: list[str], show_items: bool = True) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """``(list name printable, index, entry)`` of each dictionary of flat lists by name (the definitions forms).

    A list that is no list, or an item that is no dictionary, goes to ``problems`` instead, named by its place;
    ``show_items``: whether such an item is shown too (not where it may be a secret).
    """
    for name, entries in (lists or {}).items():
        source = printable(str(name))
        if entries is None:
            continue
        if not isinstance(entries, (list, tuple)):
            problems.append(f"{source} must be a list of dictionaries, got {type(entries).__name__}")
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, Mapping):
                yield source, index, entry
            else:
                problems.append(f"{source}[{index}] must be a dictionary, got {type(entry).__name__}" + (f": {shown(entry)}" if show_items else ""))
