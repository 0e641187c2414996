# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter dbpools.aiven.pool_report: the report-only read of the role connection_pools, sorted into what it means.

Documentation: pool_report.yml beside this file (ansible-doc -t filter).
The role reads in check mode with purge on for every declared service, so that the
changes name the undeclared pools too; this filter splits them into the report and
keeps as ``changes`` only what a real run of the declaration would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.dbpools.aiven.plugins.module_utils._rules import shown
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

ACTIONS = ("create", "update", "delete")


def _fail(problem: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"pool_report: {problem}")


def _mapping(place: str, value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(f"{place} must be a dictionary ({what}), got {type(value).__name__}")
    return value


def _list(place: str, value: Any, what: str) -> list | tuple:
    if not isinstance(value, (list, tuple)):
        raise _fail(f"{place} must be a list ({what}), got {type(value).__name__}")
    return value


def _names(place: str, item: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, ...]:
    for key in keys:
        if not isinstance(item.get(key), str):
            raise _fail(f"{place}.{key} must be a string, got {type(item.get(key)).__name__}")
    return tuple(item[key] for key in keys)


def _label(identity: tuple[str, ...]) -> str:
    # The report is printed by the role, and undeclared pools are named by the API.
    return "/".join(printable(name) for name in identity)


def _declarations(services: Any) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """The services the user purges, and every pool the user declares (present or absent)."""
    purged: set[tuple[str, ...]] = set()
    declared: set[tuple[str, ...]] = set()
    for index, item in enumerate(_list("services", services, "the output of pools_by_service")):
        place = f"services[{index}]"
        service = _mapping(place, item, "a service of pools_by_service")
        key = _names(place, service, ("project", "service_name"))
        purge = service.get("purge", False)
        if not isinstance(purge, bool):
            raise _fail(f"{place}.purge must be a boolean, got {shown(purge)}")
        if purge:
            purged.add(key)
        pools = service.get("pools")
        for position, pool in enumerate(_list(f"{place}.pools", [] if pools is None else pools, "of pool definitions")):
            declared.add(key + _names(f"{place}.pools[{position}]", _mapping(f"{place}.pools[{position}]", pool, "a pool definition"),
                                      ("pool_name",)))
    return purged, declared


def pool_report(changes: Any, services: Any) -> dict[str, Any]:
    """``{report: {missing, undeclared, differing}, changes}``; see pool_report.yml."""
    _list("changes", changes, "the changes of aiven_connection_pool")
    purged, declared = _declarations(services)
    report: dict[str, list[str]] = {"missing": [], "undeclared": [], "differing": []}
    kept = []
    for index, item in enumerate(changes):
        place = f"changes[{index}]"
        change = _mapping(place, item, "a change of aiven_connection_pool")
        identity = _names(place, change, ("project", "service_name", "pool_name"))
        action = change.get("action")
        if action not in ACTIONS:
            raise _fail(f"{place}.action must be one of {', '.join(ACTIONS)}, got {shown(action)}")
        label = _label(identity)
        if action == "create":
            report["missing"].append(label)
        elif action == "delete" and identity not in declared:
            report["undeclared"].append(label)
            if identity[:2] not in purged:
                continue  # only the report's purge deletes it; the declaration as written keeps it
        else:
            # An update, or a pool declared absent that exists: either way its settings are not the declared ones.
            report["differing"].append(label)
        kept.append(change)
    return {"report": {key: sorted(labels) for key, labels in report.items()}, "changes": kept}


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_report": pool_report}
