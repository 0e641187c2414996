# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run of aiven_connection_pool tells a person: undeclared pools, the report, the change lines, the counts.

Names only, never a setting that could carry a secret. Pool names of undeclared pools
and of deletes come from the API: the texts meant to be printed (labels and lines) show
them printable; the lists of names keep them as sent, like the rest of the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

ACTIONS = ("create", "update", "delete")
IDENTITY = ("project", "service_name", "pool_name")
# The writes of the databases and users the pools need (entries of database_changes and user_changes), in the order made.
PREREQUISITE_ACTIONS = (("create", "database"), ("create", "user"), ("update", "user"))


def _kind(entry: Mapping[str, Any]) -> str:
    return "database" if "database_name" in entry else "user"


def _name(entry: Mapping[str, Any]) -> str:
    return printable(str(entry["database_name"] if "database_name" in entry else entry["username"]))


def _prerequisite_label(entry: Mapping[str, Any]) -> str:
    """``project/service database NAME``, printable."""
    return f"{printable(str(entry['project']))}/{printable(str(entry['service_name']))} {_kind(entry)} {_name(entry)}"


def undeclared_pools(project: str, service_name: str, names: Sequence[str]) -> list[dict[str, str]]:
    """One entry per pool of the service that its declaration does not name."""
    return [{"project": project, "service_name": service_name, "pool_name": name} for name in names]


def label(entry: Mapping[str, Any]) -> str:
    """``project/service/pool``, printable."""
    return "/".join(printable(str(entry[key])) for key in IDENTITY)


def report(changes: Sequence[Mapping[str, Any]], undeclared: Sequence[Mapping[str, Any]],
           prerequisites: Sequence[Mapping[str, Any]] = ()) -> dict[str, list[str]]:
    """The check-mode read in three sorted lists of labels.

    ``missing``: declared, do not exist (creates). ``undeclared``: exist, not declared.
    ``differing``: exist with other settings (updates) or although declared absent (deletes of declared pools).
    The databases and users declared beside the pools are labelled ``project/service database NAME`` (or ``user``).
    """
    undeclared_labels = {label(entry) for entry in undeclared}
    missing = [label(change) for change in changes if change["action"] == "create"]
    missing += [_prerequisite_label(entry) for entry in prerequisites if entry["action"] == "create"]
    # A purge's deletes are of undeclared pools: they are reported as such, not as differing.
    differing = [label(change) for change in changes if change["action"] != "create" and label(change) not in undeclared_labels]
    differing += [_prerequisite_label(entry) for entry in prerequisites if entry["action"] != "create"]
    return {"missing": sorted(missing), "undeclared": sorted(undeclared_labels), "differing": sorted(differing)}


def summary(services: int, pools: int, changes: Sequence[Mapping[str, Any]],
            prerequisites: Sequence[Mapping[str, Any]] | None = None) -> dict[str, int]:
    """How many services were declared, declared pools returned, and writes per action.

    With ``prerequisites`` (databases or users were declared): the writes of those too, as ``databases_created``,
    ``users_created`` and ``users_updated``.
    """
    counts = {f"{action}d": sum(1 for change in changes if change["action"] == action) for action in ACTIONS}
    if prerequisites is not None:
        counts.update({f"{kind}s_{action}d": _count(prerequisites, action, kind) for action, kind in PREREQUISITE_ACTIONS})
    return {"services": services, "pools": pools, **counts}


def _count(prerequisites: Sequence[Mapping[str, Any]], action: str, kind: str) -> int:
    return sum(1 for entry in prerequisites if entry["action"] == action and _kind(entry) == kind)


def _update_text(change: Mapping[str, Any]) -> str:
    """``pool: field before -> after, ...`` for one update."""
    before = change.get("before") or {}
    after = change.get("after") or {}
    fields = ", ".join(f"{printable(field)} {_value(before.get(field))} -> {_value(after.get(field))}" for field in change.get("fields") or [])
    name = printable(change["pool_name"])
    return f"{name}: {fields}" if fields else name


def _prerequisite_parts(prerequisites: Sequence[Mapping[str, Any]]) -> list[str]:
    """``create database 1 (app)``, ``update user 1 (app: pg_allow_replication false -> true)``: the service line's first parts."""
    parts = []
    for action, kind in PREREQUISITE_ACTIONS:
        done = [entry for entry in prerequisites if entry["action"] == action and _kind(entry) == kind]
        if done:
            names = "; ".join(_prerequisite_text(entry) for entry in done) if action == "update" else ", ".join(_name(entry) for entry in done)
            parts.append(f"{action} {kind} {len(done)} ({names})")
    return parts


def _prerequisite_text(entry: Mapping[str, Any]) -> str:
    before, after = entry.get("before") or {}, entry.get("after") or {}
    fields = [key for key in ("pg_allow_replication",) if before.get(key) != after.get(key)]
    changed = ", ".join(f"{key} {_value(before.get(key))} -> {_value(after.get(key))}" for key in fields)
    return f"{_name(entry)}: {changed}" if changed else _name(entry)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else printable(str(value))


def _service_line(service: str, changes: Sequence[Mapping[str, Any]], would: str, prerequisites: Sequence[Mapping[str, Any]] = ()) -> str:
    # Databases and users first: they are written first.
    parts = _prerequisite_parts(prerequisites)
    for action in ACTIONS:
        done = [change for change in changes if change["action"] == action]
        if done:
            # Every pool is named, deletions above all: a purge must never delete a pool unseen.
            names = "; ".join(_update_text(change) for change in done) if action == "update" else ", ".join(printable(change["pool_name"]) for change in done)
            parts.append(f"{action} {len(done)} ({names})")
    return f"{service}: {would}{', '.join(parts)}"


def change_lines(changes: Sequence[Mapping[str, Any]], services: int, check_mode: bool,
                 prerequisites: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """One line per service with changes, in first-seen order, then a total line.

    ``prerequisites``: the database and user changes, named first on their service's line and counted at the end of the total.
    """
    would = "would " if check_mode else ""
    by_service: dict[tuple[str, str], tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]] = {}
    for entry in prerequisites:
        by_service.setdefault((entry["project"], entry["service_name"]), ([], []))[0].append(entry)
    for change in changes:
        by_service.setdefault((change["project"], change["service_name"]), ([], []))[1].append(change)
    lines = [_service_line(f"{printable(project)}/{printable(service)}", service_changes, would, made)
             for (project, service), (made, service_changes) in by_service.items()]
    counted = f"{services} service{'' if services == 1 else 's'}"
    if not changes and not prerequisites:
        return lines + [f"total: {counted}, no change"]
    counts = ", ".join(f"{action} {sum(1 for change in changes if change['action'] == action)}" for action in ACTIONS)
    counts += "".join(f", {action} {kind} {count}" for action, kind in PREREQUISITE_ACTIONS
                      for count in [_count(prerequisites, action, kind)] if count)
    return lines + [f"total: {counted}, {would}{counts}"]


def role_result(pools: list[dict[str, Any]], changes: list[dict[str, Any]], counts: Mapping[str, int],
                check_report: Mapping[str, list[str]] | None, set_aside: list[dict[str, str]] | None = None,
                database_changes: list[dict[str, Any]] | None = None, user_changes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The keys the role connection_pools publishes (it registers the module's result as its fact, untemplated).

    ``by_name`` keys are the names as given and read (not made printable): a lookup key, never printed.
    """
    shaped: dict[str, Any] = {"pools": pools, "changes": changes, "summary": dict(counts),
                              "by_name": {"/".join(str(pool[key]) for key in IDENTITY): pool for pool in pools},
                              "set_aside": set_aside or [], "database_changes": database_changes or [], "user_changes": user_changes or []}
    if check_report is not None:
        shaped["report"] = check_report
    return shaped


DRIFT_KINDS = (("missing", "declared, do not exist"), ("undeclared", "exist, not declared"),
               ("differing", "exist with other settings"))


def drift_message(check_report: Mapping[str, Sequence[str]]) -> str | None:
    """One message naming every difference of the report once, by kind; None when nothing differs."""
    total = sum(len(check_report.get(kind) or []) for kind, _meaning in DRIFT_KINDS)
    if not total:
        return None
    parts = [f"{kind} ({meaning}): {', '.join(check_report[kind])}" for kind, meaning in DRIFT_KINDS if check_report.get(kind)]
    return f"drift: {total} difference{'' if total == 1 else 's'} from the declaration; " + "; ".join(parts)
