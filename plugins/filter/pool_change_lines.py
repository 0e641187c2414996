# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pool_change_lines: the changes of aiven_connection_pool as lines a person reads.

Documentation: pool_change_lines.yml beside this file (ansible-doc -t filter).
The changes hold settings only (no URI, no password), so the lines may be printed as they are.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

ACTIONS = ("create", "update", "delete")


def _value(value: Any) -> str:
    return "null" if value is None else str(value)


def _update(change: dict) -> str:
    """'pool: field before -> after, ...' for one update."""
    before = change.get("before") or {}
    after = change.get("after") or {}
    fields = ", ".join(f"{field} {_value(before.get(field))} -> {_value(after.get(field))}" for field in change.get("fields") or [])
    return f"{change.get('pool_name')}: {fields}" if fields else str(change.get("pool_name"))


def _service_line(label: str, changes: list[dict], check_mode: bool) -> str:
    parts = []
    for action in ACTIONS:
        done = [change for change in changes if change.get("action") == action]
        if done:
            # Every pool is named, deletions above all: a purge must never delete a pool unseen.
            names = "; ".join(_update(change) for change in done) if action == "update" else ", ".join(str(change.get("pool_name")) for change in done)
            parts.append(f"{action} {len(done)} ({names})")
    return f"{label}: {'would ' if check_mode else ''}{', '.join(parts)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pool_change_lines(changes: Any, services: int | None = None, check_mode: bool = False) -> list[str]:
    """One line per service with changes, in first-seen order, then a total line; see pool_change_lines.yml."""
    if changes is None:
        changes = []
    if not isinstance(changes, (list, tuple)) or not all(isinstance(change, dict) for change in changes):
        raise AnsibleFilterError(f"pool_change_lines expects the list of changes of aiven_connection_pool, got {type(changes).__name__}")
    by_service: dict[str, list[dict]] = {}
    for change in changes:
        by_service.setdefault(f"{change.get('project')}/{change.get('service_name')}", []).append(change)
    lines = [_service_line(label, service_changes, check_mode) for label, service_changes in by_service.items()]
    counted = _plural(len(by_service) if services is None else int(services), "service")
    if not changes:
        return lines + [f"total: {counted}, no change"]
    counts = ", ".join(f"{action} {sum(1 for change in changes if change.get('action') == action)}" for action in ACTIONS)
    return lines + [f"total: {counted}, {'would ' if check_mode else ''}{counts}"]


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_change_lines": pool_change_lines}
