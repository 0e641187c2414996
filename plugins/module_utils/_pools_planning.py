# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure connection pool logic: normalise, plan, predict, check against the service, and shape results.

Nothing here does I/O or imports Ansible: the modules feed in what the API returned
and what the user asked for, and get back the writes to make and the results to
report. Keeping it pure is what lets idempotency, check mode and diff be tested
without a server.

Shapes used throughout:

- a *pool* is the module's view of one pool (see ``normalise_pool``);
- a *desired entry* is one user item: ``pool_name``, ``state`` and the settings in
  ``SETTINGS``, where ``None`` means "not given, leave as it is" and ``username: ""``
  means "unpin".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from ansible_collections.dbpools.aiven.plugins.module_utils._rules import PlanError, listed, pool_state, shown, validate_desired
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

SETTINGS = ("database_name", "username", "pool_mode", "pool_size")
API_FIELD = {"database_name": "database", "username": "username", "pool_mode": "pool_mode", "pool_size": "pool_size"}
API_DEFAULTS = {"pool_mode": "transaction", "pool_size": 10}

# Keys of a pool that are not settings but come from the API's connection_uri.
_CONNECTION_KEYS = ("connection_uri", "host", "port", "sslmode")
# What the API writes in place of a secret it does not give out.
REDACTED = "<redacted>"
# Aiven's TLS mode for pools: what a pool's URI that names none means.
DEFAULT_SSLMODE = "require"


class ReplyError(ValueError):
    """The API's service document is not what the contract promises; the message says where."""


@dataclass
class Change:
    """One write to make against the API, with what it does to the pool."""

    action: str  # "create" | "update" | "delete"
    pool_name: str
    body: dict[str, Any]  # JSON body for the API call ({} for delete)
    before: dict[str, Any] | None  # public_view of the current pool, None for create
    after: dict[str, Any] | None  # predicted public_view, None for delete


# --- reading what the API returns -------------------------------------------------


def parse_connection_uri(uri: str | None) -> dict[str, Any]:
    """Return host, port and sslmode of a pool URI; None for any part that cannot be read.

    Never raises: the URI may be missing, "<redacted>" (secrets hidden by the API)
    or otherwise odd, and none of that should fail a read-only module.
    """
    result: dict[str, Any] = {"host": None, "port": None, "sslmode": None}
    if not isinstance(uri, str) or "://" not in uri:
        return result
    try:
        parts = urlsplit(uri)
        result["host"] = parts.hostname or None
        result["port"] = parts.port
        values = parse_qs(parts.query).get("sslmode")
        result["sslmode"] = values[0] if values else None
    except ValueError:
        # urlsplit/port raise ValueError for bad brackets or a non-numeric port;
        # keep whatever was read before the failure.
        pass
    return result


def _as_int(value: Any) -> Any:
    """Turn a numeric string into an int so comparisons with user input work; leave anything else alone."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    return value


def normalise_pool(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one item of ``service["connection_pools"]`` to the module's shape."""
    uri = entry.get("connection_uri")
    pool: dict[str, Any] = {
        "pool_name": entry.get("pool_name"),
        "database_name": entry.get("database"),
        # Absent, null and "" all mean an unpinned pool; one spelling makes comparisons simple.
        "username": entry.get("username") or None,
        "pool_mode": entry.get("pool_mode"),
        "pool_size": _as_int(entry.get("pool_size")),
        "connection_uri": uri if isinstance(uri, str) and uri else None,
    }
    pool.update(parse_connection_uri(pool["connection_uri"]))
    # A pool read from the API exists, so it has a TLS mode; only a pool not created yet (check mode) has none.
    pool["sslmode"] = pool["sslmode"] or DEFAULT_SSLMODE
    return pool


def _entry_problem(entry: Any, index: int) -> str | None:
    """Why one item of ``connection_pools`` cannot be read as a pool, or None when it can."""
    item = f"connection_pools[{index}]"
    if not isinstance(entry, Mapping):
        return f"{item} must be an object, got {shown(entry)}"
    if "pool_name" not in entry:
        return f"{item} has no pool_name"
    name = entry["pool_name"]
    if not isinstance(name, str) or not name:
        return f"{item}: pool_name must be a non-empty string, got {shown(name)}"
    return None


def service_pools(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pools of a service document, normalised; raises ReplyError for a shape the contract does not allow.

    Every later step keys pools by name, so a pool without a usable name, or one
    listed twice, must stop the run here: planned on, it would become a write to the
    wrong pool (a purge of ``None``) or a write that never converges.
    """
    if "connection_pools" not in document:
        raise ReplyError("the service has no connection_pools (is it a PostgreSQL service?)")
    entries = document["connection_pools"]
    if not isinstance(entries, list):
        raise ReplyError(f"connection_pools must be a list, got {shown(entries)}")
    pools: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        problem = _entry_problem(entry, index)
        if problem:
            raise ReplyError(problem)
        if entry["pool_name"] in seen:
            raise ReplyError(f"pool {shown(entry['pool_name'])} is listed twice in connection_pools")
        seen.add(entry["pool_name"])
        pools.append(normalise_pool(entry))
    return pools


def password_redacted(pool: Mapping[str, Any]) -> bool:
    """True when the pool's URI holds the API's placeholder where the password goes."""
    uri = pool.get("connection_uri")
    return isinstance(uri, str) and REDACTED in unquote(uri)


def public_view(pool: Mapping[str, Any]) -> dict[str, Any]:
    """The pool without secrets: the URI may carry a password, so it never goes into diffs or logs."""
    return {key: value for key, value in pool.items() if key != "connection_uri"}


def select(pools: Sequence[dict[str, Any]], names: Sequence[str] | None) -> list[dict[str, Any]]:
    """Pools named in ``names`` in that order (missing names skipped, repeats once); all pools when None."""
    if names is None:
        return list(pools)
    by_name = {pool["pool_name"]: pool for pool in pools}
    chosen: list[dict[str, Any]] = []
    seen = set()
    for name in names:
        if name in by_name and name not in seen:
            chosen.append(by_name[name])
            seen.add(name)
    return chosen


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
    after.update(dict.fromkeys(_CONNECTION_KEYS[1:]))  # unknown until the API creates the pool
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
    keys = ("pool_name",) + SETTINGS + _CONNECTION_KEYS
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


# --- results -----------------------------------------------------------------------


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
            created.update(dict.fromkeys(_CONNECTION_KEYS))
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


# --- checking a plan against the service it is for --------------------------------

# Plans whose names start so have no connection pooling (Aiven answers a create with 403).
_PLANS_WITHOUT_POOLING = ("hobbyist", "free")


def creation_problems(label: str, current: Sequence[Mapping[str, Any]], desired: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every present entry that would create a pool without the database_name a create needs."""
    existing = {pool["pool_name"] for pool in current}
    return [f"{label}/{entry['pool_name']}: pool does not exist and database_name is required to create it"
            for entry in desired
            if pool_state(entry) == "present" and entry["pool_name"] not in existing and entry.get("database_name") is None]


def _names(items: Any, key: str | None = None) -> list[str] | None:
    """The names a service document lists under ``databases`` or ``users``; None when it lists none to check against."""
    if not isinstance(items, list):
        return None
    if key is None:
        return [item for item in items if isinstance(item, str)]
    return [item[key] for item in items if isinstance(item, Mapping) and isinstance(item.get(key), str)]


def powered_off_problem(label: str, document: Mapping[str, Any]) -> str | None:
    """Why a powered-off service cannot take pool changes, or None when it is not powered off."""
    if document.get("state") == "POWEROFF":
        return f"{label}: the service is powered off (state POWEROFF); power it on before changing its pools"
    return None


def document_problems(label: str, document: Mapping[str, Any], changes: Sequence[Change]) -> list[str]:
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
    databases = _names(document.get("databases"))
    users = _names(document.get("users"), "username")
    for change in changes:
        database, username = change.body.get("database"), change.body.get("username")
        if databases is not None and database is not None and database not in databases:
            problems.append(f"{label}/{change.pool_name}: database_name {shown(database)} does not exist on the service "
                            f"(databases: {_some(databases)})")
        if users is not None and username is not None and username not in users:
            problems.append(f"{label}/{change.pool_name}: username {shown(username)} is not a user of the service "
                            f"(users: {_some(users)})")
    return problems


def _some(names: Sequence[str]) -> str:
    """Names read from the API for a problem: a bounded few, each printable, so that one problem cannot crowd out the others."""
    return listed([printable(name) for name in names]) or "none"


def emptying_problem(label: str, current: Sequence[dict[str, Any]], changes: Sequence[Change]) -> str | None:
    """Why a purge may not run: it would leave the service without pools (unless the caller allows that)."""
    deleted = [change.pool_name for change in changes if change.action == "delete"]
    if not deleted or predict(current, changes):
        return None
    return f"{label}: purge would delete every pool ({', '.join(deleted)}): set allow_empty: true if the service should have no pools"


# --- results for the user: changes, diff and pools, without secrets ----------------------


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


def pool_password(pool: Mapping[str, Any]) -> str | None:
    """The password inside the pool's URI; None when there is none or the API hid it."""
    uri = pool.get("connection_uri")
    if not isinstance(uri, str) or password_redacted(pool):
        return None
    try:
        password = urlsplit(uri).password
    except ValueError:
        return None
    return unquote(password) if password else None


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


# --- connection details: what an application needs to connect through a pool -----------


class DetailsError(ValueError):
    """The connection details asked for cannot be given; the message says why (never a secret)."""


def _user_password(document: Mapping[str, Any], username: str) -> str | None:
    """The password of ``username`` from the service document's users; None when absent or hidden."""
    users = document.get("users")
    if not isinstance(users, list):
        return None
    for user in users:
        if isinstance(user, Mapping) and user.get("username") == username:
            password = user.get("password")
            if isinstance(password, str) and password and REDACTED not in password:
                return password
            return None
    return None


# The PgBouncer addresses a caller may ask for (a service document's pgbouncer components, contract
# "More of the service document"); not giving either means the pool's own address (its connection_uri).
ROUTES = ("dynamic", "public", "private", "privatelink")
USAGES = ("primary", "replica")
# What the other one means when only one of route and usage is given.
DEFAULT_ROUTE = "dynamic"
DEFAULT_USAGE = "primary"


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
            return component.get("host"), _as_int(component.get("port"))
    have = [f"route {component.get('route')} usage {component.get('usage')}" for component in components]
    raise DetailsError(f"the service lists no PgBouncer address with route {route} and usage {usage} "
                       f"(it has: {_some(have)})")


def connection_uri(host: str | None, port: int | None, dbname: str, user: str, password: str | None,
                   sslmode: str | None) -> str:
    """A ``postgres://`` URI built from its parts, each URL-quoted; no credentials for an empty user."""
    credentials = ""
    if user:
        credentials = quote(user, safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        credentials += "@"
    # An IPv6 address must be bracketed, or its colons read as the port.
    where = f"[{host}]" if host and ":" in host else (host or "")
    if port is not None:
        where += f":{port}"
    query = f"?sslmode={quote(sslmode, safe='')}" if sslmode else ""
    return f"postgres://{credentials}{where}/{quote(dbname, safe='')}{query}"


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
        port = pool.get("port") if pool.get("port") is not None else _as_int(first.get("port"))
    else:
        host, port = _routed_address(document, route or DEFAULT_ROUTE, usage or DEFAULT_USAGE)
    sslmode = pool.get("sslmode") or DEFAULT_SSLMODE
    dbname = str(pool.get("pool_name"))
    pinned = pool.get("username")
    password: str | None
    if pinned:
        user = pinned
        password = _user_password(document, pinned) or pool_password(pool)
    elif unpinned_user is None:
        user, password = "", ""
    else:
        users = _names(document.get("users"), "username")
        if users is None:
            raise DetailsError(f"unpinned_user {shown(unpinned_user)} cannot be checked: the service lists no users")
        if unpinned_user not in users:
            raise DetailsError(f"unpinned_user {shown(unpinned_user)} is not a user of the service (users: {_some(users)})")
        user, password = unpinned_user, _user_password(document, unpinned_user)
    if not include_secrets:
        return {"host": host, "port": port, "dbname": dbname, "user": user, "sslmode": sslmode,
                "uri": connection_uri(host, port, dbname, user, None, sslmode)}
    return {"host": host, "port": port, "dbname": dbname, "user": user, "password": password, "sslmode": sslmode,
            "uri": connection_uri(host, port, dbname, user, password, sslmode)}


def without_credentials(uri: str | None) -> str | None:
    """``uri`` without its ``user:password@``: an unpinned pool's URI from the API holds the admin's.

    None when it is not a string, cannot be read, or still holds an ``@`` once the
    credentials urlsplit finds are gone (an unquoted ``/`` in a password hides the rest
    of them from it): no URI rather than one that may carry a password.
    """
    if not isinstance(uri, str):
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    stripped = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return None if "@" in stripped else stripped
