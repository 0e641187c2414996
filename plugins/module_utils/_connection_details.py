# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an application needs to connect through a pool: host, port, dbname, user, password, sslmode, uri.

Pure: no I/O, no Ansible. Used by aiven_connection_pool_info and the lookup
connection_info; the address is the pool's own or the PgBouncer component a caller
picks with ``route`` and ``usage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._pool_uri import DEFAULT_SSLMODE, connection_uri, pool_password
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import as_int, names_listed, some_names, user_password
from ansible_collections.dbpools.aiven.plugins.module_utils._text import shown

# The PgBouncer addresses a caller may ask for (a service document's pgbouncer components, contract
# "More of the service document"); not giving either means the pool's own address (its connection_uri).
ROUTES = ("dynamic", "public", "private", "privatelink")
USAGES = ("primary", "replica")
# What the other one means when only one of route and usage is given.
DEFAULT_ROUTE = "dynamic"
DEFAULT_USAGE = "primary"


class DetailsError(ValueError):
    """The connection details asked for cannot be given; the message says why (never a secret)."""


def address_problem(route: Any, usage: Any) -> str | None:
    """Why ``route`` or ``usage`` (None: not given) cannot pick a PgBouncer address; None when both can."""
    for name, value, choices in (("route", route, ROUTES), ("usage", usage, USAGES)):
        if value is not None and value not in choices:
            return f"{name} must be one of {', '.join(choices)}, got {shown(value)}"
    return None


def _pgbouncer_components(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The service's ``pgbouncer`` components in the document's order; [] when it lists none."""
    components = document.get("components")
    if not isinstance(components, list):
        return []
    return [component for component in components
            if isinstance(component, Mapping) and component.get("component") == "pgbouncer"]


def _routed_address(document: Mapping[str, Any], route: str, usage: str) -> tuple[Any, Any]:
    """Host and port of the pgbouncer component with ``route`` and ``usage``; DetailsError listing the ones there are."""
    components = _pgbouncer_components(document)
    for component in components:
        if component.get("route") == route and component.get("usage") == usage:
            return component.get("host"), as_int(component.get("port"))
    have = [f"route {component.get('route')} usage {component.get('usage')}" for component in components]
    raise DetailsError(f"the service lists no PgBouncer address with route {route} and usage {usage} "
                       f"(it has: {some_names(have)})")


def connection_details(pool: Mapping[str, Any], document: Mapping[str, Any], unpinned_user: str | None = None,
                       include_secrets: bool = True, route: str | None = None, usage: str | None = None) -> dict[str, Any]:
    """How an application connects through ``pool`` (normalised) of the service ``document``.

    Returns host, port, dbname (the pool name: PgBouncer routes by it, not by the
    database), user, password, sslmode and uri. A pinned pool gives its user and that
    user's password (from the document's users, else from the pool's URI). An unpinned
    pool has no credentials of its own: user and password are "" unless the caller names
    a service user in ``unpinned_user``, which then must be one; never silently the admin.
    ``password`` is None when the API did not give it out (secrets refused or redacted).
    ``unpinned_user`` does not apply to a pinned pool. Without ``include_secrets`` there is
    no ``password`` key and ``uri`` has none, whatever the document holds (an API that does
    not redact still gives passwords).

    The address is the pool's own (its URI's host and port, else the first ``pgbouncer``
    component's) unless ``route`` or ``usage`` is given: then that ``pgbouncer`` component's,
    the other one taken as DEFAULT_ROUTE or DEFAULT_USAGE (pools exist on every node; a
    standby's host is the one the component names). Raises DetailsError.
    """
    if route is None and usage is None:
        first = next(iter(_pgbouncer_components(document)), {})
        host = pool.get("host") or first.get("host")
        port = pool.get("port") if pool.get("port") is not None else as_int(first.get("port"))
    else:
        host, port = _routed_address(document, route or DEFAULT_ROUTE, usage or DEFAULT_USAGE)
    sslmode = pool.get("sslmode") or DEFAULT_SSLMODE
    dbname = str(pool.get("pool_name"))
    pinned = pool.get("username")
    password: str | None
    if pinned:
        user = pinned
        password = user_password(document, pinned) or pool_password(pool)
    elif unpinned_user is None:
        user, password = "", ""
    else:
        users = names_listed(document.get("users"), "username")
        if users is None:
            raise DetailsError(f"unpinned_user {shown(unpinned_user)} cannot be checked: the service lists no users")
        if unpinned_user not in users:
            raise DetailsError(f"unpinned_user {shown(unpinned_user)} is not a user of the service (users: {some_names(users)})")
        user, password = unpinned_user, user_password(document, unpinned_user)
    if not include_secrets:
        return {"host": host, "port": port, "dbname": dbname, "user": user, "sslmode": sslmode,
                "uri": connection_uri(host, port, dbname, user, None, sslmode)}
    return {"host": host, "port": port, "dbname": dbname, "user": user, "password": password, "sslmode": sslmode,
            "uri": connection_uri(host, port, dbname, user, password, sslmode)}
