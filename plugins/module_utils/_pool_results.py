# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' results: changes, diff and pools, without secrets unless asked for.

Pure: no I/O, no Ansible. Values read from the API are made printable where they
become text (a diff), and a pool's URI is never part of a change or a diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

from ansible_collections.dbpools.aiven.plugins.module_utils._pool_uri import pool_password, without_credentials
from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import Change
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import API_FIELD, SETTINGS
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable


# The overloads tell the type checker that a pool in gives settings out: None only for no pool.
@overload
def settings_of(view: Mapping[str, Any]) -> dict[str, Any]:
    pass


@overload
def settings_of(view: None) -> None:
    pass


@overload
def settings_of(view: Mapping[str, Any] | None) -> dict[str, Any] | None:
    pass


def settings_of(view: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Only the settings of a pool (no connection details, no secret), None for no pool."""
    if view is None:
        return None
    return {option: view.get(option) for option in SETTINGS}


def change_entry(project: str, service_name: str, change: Change) -> dict[str, Any]:
    """One item of the result's ``changes``: who, what, and the settings before and after."""
    entry: dict[str, Any] = {"project": project, "service_name": service_name, "pool_name": change.pool_name, "action": change.action}
    if change.action == "update":
        entry["fields"] = sorted(option for option in SETTINGS if API_FIELD[option] in change.body)
    entry["before"] = settings_of(change.before)
    entry["after"] = settings_of(change.after)
    return entry


def settings_text(view: Mapping[str, Any] | None) -> str:
    """A pool's settings as YAML-like lines in a fixed order, so that unified diffs read well; "" for no pool."""
    settings = settings_of(view)
    if settings is None:
        return ""
    lines = []
    for option, value in settings.items():
        # Values read from the API: a newline in one would forge a line of the diff.
        shown_value = "null" if value is None else ("''" if value == "" else printable(str(value)))
        lines.append(f"{option}: {shown_value}\n")
    return "".join(lines)


def diff_entry(label: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, str]:
    """One item of the result's diff list, for the pool ``label`` (``project/service/pool``, the pool's name maybe read from the API)."""
    header = printable(label)
    return {"before_header": header, "after_header": header, "before": settings_text(before), "after": settings_text(after)}


def public_pool(project: str, service_name: str, pool: Mapping[str, Any], include_secrets: bool = False) -> dict[str, Any]:
    """A pool as the modules return it: identity, settings, how to connect; the secrets only when asked for.

    ``username`` is the setting (None for an unpinned pool, as in ``changes``); ``user`` is
    who a client connects as, "" for an unpinned pool, which has no credentials of its own.
    The API's URI of an unpinned pool carries the admin's credentials: they are never
    returned (see without_credentials), and its ``password`` is "".
    """
    pinned = pool.get("username")
    result: dict[str, Any] = {"project": project, "service_name": service_name, "pool_name": pool.get("pool_name")}
    result.update(settings_of(pool) or {})
    result.update(host=pool.get("host"), port=pool.get("port"), dbname=pool.get("pool_name"),
                  user=pinned or "", sslmode=pool.get("sslmode"))
    if include_secrets:
        uri = pool.get("connection_uri")
        if pinned:
            result.update(connection_uri=uri, password=pool_password(pool))
        else:
            result.update(connection_uri=without_credentials(uri), password="")
    return result
