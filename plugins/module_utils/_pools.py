# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure connection pool logic: normalise, validate, plan, predict and diff.

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

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SETTINGS = ("database_name", "username", "pool_mode", "pool_size")
API_FIELD = {"database_name": "database", "username": "username", "pool_mode": "pool_mode", "pool_size": "pool_size"}
API_DEFAULTS = {"pool_mode": "transaction", "pool_size": 10}

POOL_MODES = ("session", "transaction", "statement")
STATES = ("present", "absent")
POOL_SIZE_MIN = 1
POOL_SIZE_MAX = 10000
NAME_MAX = 63
USERNAME_MAX = 64
SERVICE_MAX = 64
PROJECT_MAX = 63
# The one confirmed name pattern: projects are 1 to PROJECT_MAX of these. Pool, database,
# user and service names have only lengths; they are sent URL-quoted, whatever they hold.
PROJECT_CHARACTERS = "a-z, A-Z, 0-9, '_' and '-'"
_PROJECT_NAME = re.compile(rf"[a-zA-Z0-9_-]{{1,{PROJECT_MAX}}}")
# Control characters (NUL, newline, ...) cannot be part of a PostgreSQL or PgBouncer name,
# and unpaired surrogates cannot be encoded for the URL or the JSON body.
_UNUSABLE_CATEGORIES = ("Cc", "Cs")
_SHOWN_MAX = 80

# Keys of a pool that are not settings but come from the API's connection_uri.
_CONNECTION_KEYS = ("connection_uri", "host", "port", "sslmode")
# What the API writes in place of a secret it does not give out.
REDACTED = "<redacted>"


class PlanError(ValueError):
    """The user's request cannot be planned; the message names the pool and says why."""


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


# --- validating what the user asked for --------------------------------------------


def shown(value: Any) -> str:
    """A value for an error message: its repr (control characters escaped), shortened when long."""
    text = repr(value)
    if len(text) <= _SHOWN_MAX:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:_SHOWN_MAX - 20]}...{size}"


def unusable_character(text: str) -> int | None:
    """Position of the first control character or unpaired surrogate in ``text``, or None."""
    for position, char in enumerate(text):
        if unicodedata.category(char) in _UNUSABLE_CATEGORIES:
            return position
    return None


def text_problem(option: str, value: Any, max_len: int, allow_empty: bool = False) -> str | None:
    """Why ``value`` cannot be a name for ``option``, or None when it can."""
    low = 0 if allow_empty else 1
    if not isinstance(value, str) or not low <= len(value) <= max_len:
        return f"{option} must be a string of {low} to {max_len} characters, got {shown(value)}"
    position = unusable_character(value)
    if position is not None:
        return f"{option} must not contain control characters or unpaired surrogates, got {shown(value)} ({value[position]!r} at position {position})"
    return None


def project_problem(value: Any, option: str = "project") -> str | None:
    """Why ``value`` cannot be an Aiven project name, or None when it can."""
    if isinstance(value, str) and _PROJECT_NAME.fullmatch(value):
        return None
    return f"{option} must be 1 to {PROJECT_MAX} characters of {PROJECT_CHARACTERS}, got {shown(value)}"


def service_problem(value: Any, option: str = "service_name") -> str | None:
    """Why ``value`` cannot be an Aiven service name, or None when it can."""
    return text_problem(option, value, SERVICE_MAX)


def _label(entry: Mapping[str, Any], index: int, where: str | None) -> str:
    """How to name an entry in an error: by a usable pool_name, else by position in ``where`` (or not at all)."""
    name = entry.get("pool_name")
    if text_problem("pool_name", name, NAME_MAX) is None:
        return f"pool {name}"
    return f"{where}[{index}]" if where else ""


def _prefixed(label: str, text: str) -> str:
    return f"{label}: {text}" if label else text


def _state(entry: Mapping[str, Any]) -> Any:
    """A missing or null state means present, as in the module's argument spec."""
    state = entry.get("state")
    return "present" if state is None else state


def _check_string(label: str, option: str, value: Any, max_len: int, allow_empty: bool = False) -> None:
    problem = text_problem(option, value, max_len, allow_empty)
    if problem:
        raise PlanError(_prefixed(label, problem))


def pool_size_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a pool_size, or None when it can."""
    # bool is an int subclass; True must not pass as a pool size of 1.
    if isinstance(value, bool) or not isinstance(value, int) or not POOL_SIZE_MIN <= value <= POOL_SIZE_MAX:
        return f"pool_size must be an integer from {POOL_SIZE_MIN} to {POOL_SIZE_MAX}, got {shown(value)}"
    return None


def _check_pool_size(label: str, value: Any) -> None:
    problem = pool_size_problem(value)
    if problem:
        raise PlanError(_prefixed(label, problem))


def _check_choice(label: str, option: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise PlanError(_prefixed(label, f"{option} must be one of {', '.join(choices)}, got {shown(value)}"))


def _validate_entry(entry: Any, index: int, where: str | None) -> None:
    if not isinstance(entry, Mapping):
        raise PlanError(f"{where or 'pools'}[{index}] must be a dictionary, got {shown(entry)}")
    label = _label(entry, index, where)
    _check_string(label, "pool_name", entry.get("pool_name"), NAME_MAX)
    _check_choice(label, "state", _state(entry), STATES)
    if entry.get("database_name") is not None:
        _check_string(label, "database_name", entry["database_name"], NAME_MAX)
    if entry.get("username") is not None:
        # "" is the explicit unpin request, so it is allowed here.
        _check_string(label, "username", entry["username"], USERNAME_MAX, allow_empty=True)
    if entry.get("pool_mode") is not None:
        _check_choice(label, "pool_mode", entry["pool_mode"], POOL_MODES)
    if entry.get("pool_size") is not None:
        _check_pool_size(label, entry["pool_size"])


def _check_unique(desired: Sequence[Mapping[str, Any]]) -> None:
    seen = set()
    for entry in desired:
        name = entry.get("pool_name")
        if name in seen:
            raise PlanError(f"pool {name} is listed more than once; each pool_name may appear only once")
        seen.add(name)


def validate_desired(desired: Sequence[Mapping[str, Any]], where: str | None = "pools") -> None:
    """Raise PlanError for the first entry that the API would reject or that cannot be planned.

    Keys other than pool_name, state and SETTINGS are ignored, so callers may pass
    whole argument-spec items. ``where`` names the list in messages about an entry
    without a usable pool_name (``pools[2]: ...``); None for a single pool, whose
    options are named alone.
    """
    if not isinstance(desired, (list, tuple)):
        raise PlanError(f"{where or 'pools'} must be a list, got {shown(desired)}")
    for index, entry in enumerate(desired):
        _validate_entry(entry, index, where)
    _check_unique(desired)


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
    if _state(entry) == "absent":
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


def diff(changes: Sequence[Change]) -> dict[str, dict[str, dict[str, Any]]]:
    """Ansible's diff dict, keyed by pool_name, for the pools the plan touches only.

    before/after are already public views, but public_view is applied again so a
    hand-built Change can never leak a URI into the output.
    """
    before: dict[str, dict[str, Any]] = {}
    after: dict[str, dict[str, Any]] = {}
    for change in changes:
        if change.before is not None:
            before[change.pool_name] = public_view(change.before)
        if change.after is not None:
            after[change.pool_name] = public_view(change.after)
    return {"before": before, "after": after}
