# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pool planning: the writes that turn the pools a service has into the declared ones, and their predicted result.

Nothing here does I/O or imports Ansible: the engine feeds in the pools the API
returned (see ``_service_document.normalise_pool``) and what the user declared, and
gets back the writes to make. Keeping it pure is what lets idempotency, check mode
and diff be tested without a server.

A *desired entry* is one user item: ``pool_name``, ``state`` and the settings in
``SETTINGS``, where ``None`` means "not given, leave as it is" and ``username: ""``
means "unpin".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import PlanError, pool_state, validate_desired
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import (
    API_DEFAULTS,
    API_FIELD,
    CONNECTION_KEYS,
    SETTINGS,
    public_view,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown


@dataclass
class Change:
    """One write to make against the API, with what it does to the pool."""

    action: str  # "create" | "update" | "delete"
    pool_name: str
    body: dict[str, Any]  # JSON body for the API call ({} for delete)
    before: dict[str, Any] | None  # public_view of the current pool, None for create
    after: dict[str, Any] | None  # predicted public_view, None for delete


# --- planning ----------------------------------------------------------------------


def _wanted_username(value: str | None) -> str | None:
    """The user writes "" to unpin; the pool shape and the API both say None."""
    return value or None


def _plan_create(entry: Mapping[str, Any]) -> Change:
    name = entry["pool_name"]
    if entry.get("database_name") is None:
        raise PlanError(f"pool {name} does not exist and database_name is required to create it")
    body: dict[str, Any] = {"pool_name": name}
    after: dict[str, Any] = {"pool_name": name, "username": None}
    after.update(API_DEFAULTS)
    for option in SETTINGS:
        value = entry.get(option)
        if option == "username":
            value = _wanted_username(value)
        if value is None:
            continue  # not given: the API applies its default (or leaves the pool unpinned)
        body[API_FIELD[option]] = value
        after[option] = value
    after.update(dict.fromkeys(CONNECTION_KEYS[1:]))  # unknown until the API creates the pool
    return Change("create", name, body, None, _ordered(after))


def _plan_update(entry: Mapping[str, Any], pool: dict[str, Any]) -> Change | None:
    body: dict[str, Any] = {}
    after = public_view(pool)
    for option in SETTINGS:
        value = entry.get(option)
        if value is None:
            continue  # not given: leave as it is
        if option == "username":
            value = _wanted_username(value)
        if value != pool.get(option):
            body[API_FIELD[option]] = value  # username None in the body unpins
            after[option] = value
    if not body:
        return None
    return Change("update", pool["pool_name"], body, public_view(pool), after)


def _plan_delete(pool: dict[str, Any]) -> Change:
    return Change("delete", pool["pool_name"], {}, public_view(pool), None)


def _ordered(pool: dict[str, Any]) -> dict[str, Any]:
    """Same key order as normalise_pool, so created and read pools print alike."""
    keys = ("pool_name",) + SETTINGS + CONNECTION_KEYS
    result = {key: pool[key] for key in keys if key in pool}
    result.update((key, value) for key, value in pool.items() if key not in result)
    return result


def undeclared(current: Sequence[Mapping[str, Any]], desired: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the pools of ``current`` that ``desired`` does not name, sorted: what purge deletes."""
    named = {entry["pool_name"] for entry in desired}
    return sorted({pool["pool_name"] for pool in current} - named)


def plan(current: Sequence[dict[str, Any]], desired: Sequence[Mapping[str, Any]], purge: bool = False,
         purgeable: Collection[str] | None = None) -> list[Change]:
    """Decide the writes that turn ``current`` into what ``desired`` asks for.

    Order: one change per desired entry that needs one, in the order of ``desired``
    (so results read like the user's list), then the purge deletions sorted by
    pool_name. An empty list means there is nothing to do.

    With ``purge``, the pools ``desired`` does not name are deleted; ``purgeable``
    limits that to these names. A plan made after writes passes the undeclared pools
    of the first plan, the one shown, so that a pool another writer creates meanwhile
    is never deleted unseen.
    """
    validate_desired(desired)
    by_name = {pool["pool_name"]: pool for pool in current}
    changes: list[Change] = []
    for entry in desired:
        pool = by_name.get(entry["pool_name"])
        change = _plan_entry(entry, pool)
        if change is not None:
            changes.append(change)
    if purge:
        for name in undeclared(current, desired):
            if purgeable is None or name in purgeable:
                changes.append(_plan_delete(by_name[name]))
    return changes


def _plan_entry(entry: Mapping[str, Any], pool: dict[str, Any] | None) -> Change | None:
    if pool_state(entry) == "absent":
        return _plan_delete(pool) if pool is not None else None
    if pool is None:
        return _plan_create(entry)
    return _plan_update(entry, pool)


# --- what the writes lead to ------------------------------------------------------


def predict(current: Sequence[dict[str, Any]], changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The pool list after ``changes``, for check mode results.

    Kept pools keep their connection details (the API cannot be asked what a new URI
    would be); created pools are appended with connection_uri, host, port and sslmode
    None because they are unknown until the API creates the pool.
    """
    # Keyed by name (a dict keeps the order): one lookup per change, linear in the batch.
    pools = {pool["pool_name"]: dict(pool) for pool in current}
    for change in changes:
        name = change.pool_name
        if change.action == "delete":
            pools.pop(name, None)
        elif change.action == "update":
            if name in pools and change.after is not None:
                pools[name].update((option, change.after[option]) for option in SETTINGS if option in change.after)
        elif change.action == "create" and change.after is not None:
            created = dict(change.after)
            created.update(dict.fromkeys(CONNECTION_KEYS))
            pools[name] = _ordered(created)
    return list(pools.values())


def write_not_reflected(change: Change, pool: Mapping[str, Any] | None) -> str | None:
    """Why ``pool``, read back after the API accepted ``change``, does not show it; None when it does.

    Only what the change wrote is compared: a default the API chose for a setting
    left out is no write it ignored. An updated pool that is gone is None as well:
    another writer deleted it, and the next plan sees to that.
    """
    if change.action == "delete":
        return None if pool is None else "the service still lists the pool"
    if pool is None:
        return "the service does not list the pool" if change.action == "create" else None
    wanted = change.after or {}
    differing = [option for option in SETTINGS if API_FIELD[option] in change.body and pool.get(option) != wanted.get(option)]
    if not differing:
        return None
    return "; ".join(f"{option} is {shown(pool.get(option))}, not {shown(wanted.get(option))}" for option in differing)
