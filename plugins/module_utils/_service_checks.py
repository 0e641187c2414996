# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A declaration and its plan checked against the service they are for, before any write.

Pure: no I/O, no Ansible. Each ``*_problem(s)`` function names ``project/service[/pool]``
and says what to do; the engine collects them all and fails once. ``origins`` (pool_name ->
label) names a pool by the entry it came from instead, as the caller names its definitions
(``connection_pools_definitions[3] (project ..., service_name ..., pool_name ...)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import pool_state
from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import Change, predict
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import names_listed, some_names
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown

# Plans whose names start so have no connection pooling (Aiven answers a create with 403).
_PLANS_WITHOUT_POOLING = ("hobbyist", "free")


def _pool_named(label: str, pool_name: str, origins: Mapping[str, str] | None) -> str:
    """``project/service/pool``, or the label of the entry the pool came from."""
    return (origins or {}).get(pool_name) or f"{label}/{pool_name}"


def creation_problems(label: str, current: Sequence[Mapping[str, Any]], desired: Sequence[Mapping[str, Any]],
                      origins: Mapping[str, str] | None = None) -> list[str]:
    """Every present entry that would create a pool without the database_name a create needs."""
    existing = {pool["pool_name"] for pool in current}
    return [f"{_pool_named(label, entry['pool_name'], origins)}: pool does not exist and database_name is required to create it"
            for entry in desired
            if pool_state(entry) == "present" and entry["pool_name"] not in existing and entry.get("database_name") is None]


def powered_off_problem(label: str, document: Mapping[str, Any]) -> str | None:
    """Why a powered-off service cannot take pool changes, or None when it is not powered off."""
    if document.get("state") == "POWEROFF":
        return f"{label}: the service is powered off (state POWEROFF); power it on before changing its pools"
    return None


def document_problems(label: str, document: Mapping[str, Any], changes: Sequence[Change], origins: Mapping[str, str] | None = None) -> list[str]:
    """What in the service document makes ``changes`` fail, each naming ``project/service[/pool]``.

    A powered-off service is reported as that alone: it may list no databases, and
    "missing database" would send its owner the wrong way.
    """
    if not changes:
        return []
    powered_off = powered_off_problem(label, document)
    if powered_off:
        return [powered_off]
    problems = []
    service_plan = document.get("plan")
    if isinstance(service_plan, str) and service_plan.startswith(_PLANS_WITHOUT_POOLING) and any(c.action == "create" for c in changes):
        problems.append(f"{label}: plan {service_plan} does not include connection pooling (needs startup or larger)")
    databases = names_listed(document.get("databases"))
    users = names_listed(document.get("users"), "username")
    for change in changes:
        database, username = change.body.get("database"), change.body.get("username")
        named = _pool_named(label, change.pool_name, origins)
        if databases is not None and database is not None and database not in databases:
            problems.append(f"{named}: database_name {shown(database)} does not exist on the service "
                            f"(databases: {some_names(databases)})")
        if users is not None and username is not None and username not in users:
            problems.append(f"{named}: username {shown(username)} is not a user of the service "
                            f"(users: {some_names(users)})")
    return problems


def emptying_problem(label: str, current: Sequence[dict[str, Any]], changes: Sequence[Change], hint: str = "set allow_empty: true") -> str | None:
    """Why a purge may not run: it would leave the service without pools (unless the caller allows that)."""
    deleted = [change.pool_name for change in changes if change.action == "delete"]
    if not deleted or predict(current, changes):
        return None
    return f"{label}: purge would delete every pool ({', '.join(deleted)}): {hint} if the service should have no pools"
