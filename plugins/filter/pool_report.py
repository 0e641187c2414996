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


def _label(change: Mapping[str, Any]) -> str:
    return f"{change.get('project')}/{change.get('service_name')}/{change.get('pool_name')}"


def _declarations(services: Any) -> tuple[set[tuple[str | None, str | None]], set[tuple[str | None, str | None, str | None]]]:
    """The services the user purges, and every pool the user declares (present or absent)."""
    if not isinstance(services, (list, tuple)):
        raise AnsibleFilterError(f"pool_report: services must be the list pools_by_service returns, got {type(services).__name__}")
    # Names as the mappings hold them, None where one is missing, so that they compare with a change's names.
    purged: set[tuple[str | None, str | None]] = set()
    declared: set[tuple[str | None, str | None, str | None]] = set()
    for service in services:
        if not isinstance(service, Mapping):
            raise AnsibleFilterError(f"pool_report: each service must be a dictionary, got {type(service).__name__}")
        key = (service.get("project"), service.get("service_name"))
        if service.get("purge"):
            purged.add(key)
        declared.update((*key, pool.get("pool_name")) for pool in service.get("pools") or [])
    return purged, declared


def pool_report(changes: Any, services: Any) -> dict[str, Any]:
    """``{report: {missing, undeclared, differing}, changes}``; see pool_report.yml."""
    if not isinstance(changes, (list, tuple)):
        raise AnsibleFilterError(f"pool_report: changes must be a list, got {type(changes).__name__}")
    purged, declared = _declarations(services)
    report: dict[str, list[str]] = {"missing": [], "undeclared": [], "differing": []}
    kept = []
    for change in changes:
        if not isinstance(change, Mapping):
            raise AnsibleFilterError(f"pool_report: each change must be a dictionary, got {type(change).__name__}")
        identity = (change.get("project"), change.get("service_name"), change.get("pool_name"))
        action = change.get("action")
        if action == "create":
            report["missing"].append(_label(change))
        elif action == "delete" and identity not in declared:
            report["undeclared"].append(_label(change))
            if identity[:2] not in purged:
                continue  # only the report's purge deletes it; the declaration as written keeps it
        else:
            # An update, or a pool declared absent that exists: either way its settings are not the declared ones.
            report["differing"].append(_label(change))
        kept.append(change)
    return {"report": {key: sorted(labels) for key, labels in report.items()}, "changes": kept}


class FilterModule:
    """dbpools.aiven filters."""

    def filters(self) -> dict:
        return {"pool_report": pool_report}
