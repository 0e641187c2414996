# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pool_change_lines: the changes of aiven_connection_pool as lines a person reads.

Documentation: pool_change_lines.yml beside this file (ansible-doc -t filter).
The changes hold settings only (no URI, no password), so the lines may be printed; names
and values in them are shown printable (module_utils/_text.py), since some come from the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dbpools.aiven.plugins.module_utils._rules import shown
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

ACTIONS = ("create", "update", "delete")
NAME_KEYS = ("project", "service_name", "pool_name")


def _fail(problem: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"pool_change_lines: {problem}")


def _checked(index: int, change: Any) -> Mapping[str, Any]:
    """One change, its shape checked, so that the lines are built without surprises."""
    place = f"changes[{index}]"
    if not isinstance(change, Mapping):
        raise _fail(f"{place} must be a dictionary (a change of aiven_connection_pool), got {type(change).__name__}")
    for key in NAME_KEYS:
        if not isinstance(change.get(key), str):
            raise _fail(f"{place}.{key} must be a string, got {type(change.get(key)).__name__}")
    if change.get("action") not in ACTIONS:
        raise _fail(f"{place}.action must be one of {', '.join(ACTIONS)}, got {shown(change.get('action'))}")
    for key in ("before", "after"):
        if change.get(key) is not None and not isinstance(change[key], Mapping):
            raise _fail(f"{place}.{key} must be a dictionary or null, got {type(change[key]).__name__}")
    fields = change.get("fields")
    if fields is not None and (not isinstance(fields, (list, tuple)) or not all(isinstance(field, str) for field in fields)):
        raise _fail(f"{place}.fields must be a list of setting names, got {type(fields).__name__}")
    return change


def _services(services: Any) -> int | None:
    """The count of services for the total line: an integer, or digits (ansible-core before 2.19 templates a string)."""
    if services is None:
        return None
    if isinstance(services, str) and re.fullmatch(r"\s*[0-9]{1,9}\s*", services):
        return int(services)
    if isinstance(services, int) and not isinstance(services, bool) and services >= 0:
        return services
    raise _fail(f"services must be a count of services, got {shown(services)}")


def _check_mode(check_mode: Any) -> bool:
    try:
        return boolean(check_mode)
    except TypeError:
        raise _fail(f"check_mode must be a boolean, got {type(check_mode).__name__}") from None


def _value(value: Any) -> str:
    return "null" if value is None else printable(str(value))


def _update(change: Mapping[str, Any]) -> str:
    """'pool: field before -> after, ...' for one update."""
    before = change.get("before") or {}
    after = change.get("after") or {}
    fields = ", ".join(f"{printable(field)} {_value(before.get(field))} -> {_value(after.get(field))}" for field in change.get("fields") or [])
    name = printable(change["pool_name"])
    return f"{name}: {fields}" if fields else name


def _service_line(label: str, changes: list[Mapping[str, Any]], check_mode: bool) -> str:
    parts = []
    for action in ACTIONS:
        done = [change for change in changes if change["action"] == action]
        if done:
            # Every pool is named, deletions above all: a purge must never delete a pool unseen.
            names = "; ".join(_update(change) for change in done) if action == "update" else ", ".join(printable(change["pool_name"]) for change in done)
            parts.append(f"{action} {len(done)} ({names})")
    return f"{label}: {'would ' if check_mode else ''}{', '.join(parts)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pool_change_lines(changes: Any, services: Any = None, check_mode: Any = False) -> list[str]:
    """One line per service with changes, in first-seen order, then a total line; see pool_change_lines.yml."""
    if changes is None:
        changes = []
    if not isinstance(changes, (list, tuple)):
        raise _fail(f"changes must be the list of changes of aiven_connection_pool, got {type(changes).__name__}")
    checked = [_checked(index, change) for index, change in enumerate(changes)]
    count = _services(services)
    would = _check_mode(check_mode)
    by_service: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for change in checked:
        by_service.setdefault((change["project"], change["service_name"]), []).append(change)
    # Names may come from the API (the pools a purge deletes), and the lines are printed.
    lines = [_service_line(f"{printable(project)}/{printable(service)}", service_changes, would)
             for (project, service), service_changes in by_service.items()]
    counted = _plural(len(by_service) if count is None else count, "service")
    if not checked:
        return lines + [f"total: {counted}, no change"]
    counts = ", ".join(f"{action} {sum(1 for change in checked if change['action'] == action)}" for action in ACTIONS)
    return lines + [f"total: {counted}, {'would ' if would else ''}{counts}"]


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_change_lines": pool_change_lines}
