# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a service's pools fit its connection budget: the arithmetic, from the service document alone.

Pure: no I/O, no Ansible. A pool's ``pool_size`` is the most server connections PgBouncer opens per
database/user pair, and they all come out of PostgreSQL's ``max_connections`` (facts and sources:
the contract's "Capacity" section). So:

- a pinned pool may open ``pool_size``; an unpinned one ``pool_size`` per user that connects through it
  (``fan_out``: the service's non-admin users unless the caller says how many);
- automatic pools (``user_config.pgbouncer.autodb_pool_size`` > 0) add that size per user for each
  database no declared pool uses, capped by ``autodb_max_db_connections`` when set;
- the budget is ``metadata.max_connections`` (else ``user_config.pg.max_connections``, else the plan's
  default), minus 3 superuser connections and the caller's reserve for direct connections.

What is not published is said, never guessed: how Aiven splits a pool between several PgBouncer
processes, and how many connections Aiven itself uses.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable

# superuser_reserved_connections on Aiven (aiven-docs PR #267).
SUPERUSER_RESERVED = 3
# max_connections by plan when the document does not say (aiven-docs pg-connection-limits.md): by the plan's
# size suffix (the memory in GB), and for the small plans by name.
MAX_CONNECTIONS_BY_SIZE = ((64, 1000), (32, 800), (16, 400), (8, 200), (4, 100))
MAX_CONNECTIONS_BY_PLAN = {"hobbyist": 25, "free": 20, "developer": 15}
# PgBouncer's client connections per service: min(max(500 x RAM GB, 5000), 50000) (aiven-docs pg-connection-pooling.md).
CLIENTS_PER_GB, CLIENTS_MIN, CLIENTS_MAX = 500, 5000, 50000
# The aiven-operator's cap on poolSize: a size above it is almost surely a typo or a misunderstanding.
POOL_SIZE_ADVISED_MAX = 1000
# Transaction and statement pools rarely gain from more server connections than a few per CPU; advised when they may open
# far more: above this many per CPU (two pools of the default size on one CPU stay under it).
TRANSACTION_CONNECTIONS_PER_CPU = 25
UNKNOWN_NOTE = ("not counted: Aiven's own connections to the service, and how a pool is split between several PgBouncer "
                "processes (not published)")


@dataclass
class Capacity:
    """One service's figures; None where the document does not tell."""

    label: str
    max_connections: int | None
    max_connections_from: str          # "metadata", "user_config", "plan" or "unknown"
    reserve: int
    pinned: int = 0                    # server connections of the pinned pools
    unpinned: int = 0                  # of the unpinned pools, each times fan_out
    fan_out: int = 1                   # users counted per unpinned pool
    automatic: int = 0                 # of the automatic pools (autodb)
    idle_floor: int = 0                # kept open even when idle (min_pool_size)
    client_limit: int | None = None    # PgBouncer's client connections per service
    expected_clients: int | None = None
    advisories: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.pinned + self.unpinned + self.automatic

    @property
    def usable(self) -> int | None:
        if self.max_connections is None:
            return None
        return max(self.max_connections - SUPERUSER_RESERVED - self.reserve, 0)

    @property
    def over(self) -> bool:
        """Whether the pools may open more server connections than the service can give, or clients exceed PgBouncer's limit."""
        usable = self.usable
        clients_over = self.expected_clients is not None and self.client_limit is not None and self.expected_clients > self.client_limit
        return (usable is not None and self.total > usable) or clients_over

    def line(self) -> str:
        """One line a person can act on: the figures, what they assume."""
        if self.usable is None:
            text = (f"{self.label}: pools may open {self.total} server connections; the service's max_connections is not known "
                    "(no metadata.max_connections, no user_config.pg.max_connections, a plan without a known default)")
        else:
            reserved = f"{SUPERUSER_RESERVED} reserved" + (f", {self.reserve} kept for direct connections" if self.reserve else "")
            text = (f"{self.label}: pools may open {self.total} server connections of {self.usable} usable "
                    f"(max_connections {self.max_connections}, {reserved})")
        if self.unpinned:
            text += f"; unpinned pools counted for {self.fan_out} user{'' if self.fan_out == 1 else 's'} each"
        if self.expected_clients is not None and self.client_limit is not None:
            text += f"; {self.expected_clients} expected clients of PgBouncer's {self.client_limit}"
        return text

    def entry(self) -> dict[str, Any]:
        """The figures as the module returns them."""
        return {"max_connections": self.max_connections, "max_connections_from": self.max_connections_from,
                "superuser_reserved": SUPERUSER_RESERVED, "reserve": self.reserve, "usable": self.usable,
                "pinned": self.pinned, "unpinned": self.unpinned, "fan_out": self.fan_out, "automatic": self.automatic,
                "total": self.total, "idle_floor": self.idle_floor, "client_limit": self.client_limit,
                "expected_clients": self.expected_clients, "over": self.over, "advisories": list(self.advisories),
                "not_counted": UNKNOWN_NOTE}


def _count(value: Any) -> int | None:
    """A non-negative integer of the document, else None (the API is untrusted: a string, a bool or a float is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _section(document: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    current: Any = document
    for key in path:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def plan_max_connections(plan: Any) -> int | None:
    """The plan's default max_connections, or None for a plan whose default is not known."""
    if not isinstance(plan, str):
        return None
    name, _sep, size = plan.partition("-")
    if name in MAX_CONNECTIONS_BY_PLAN:
        return MAX_CONNECTIONS_BY_PLAN[name]
    match = re.fullmatch(r"(\d+)", size.split("-")[0]) if size else None
    if match is None:
        return None
    gigabytes = int(match.group(1))
    return next((connections for smallest, connections in MAX_CONNECTIONS_BY_SIZE if gigabytes >= smallest), None)


def max_connections_of(document: Mapping[str, Any]) -> tuple[int | None, str]:
    """The effective max_connections and where it came from."""
    for value, source in ((_section(document, "metadata").get("max_connections"), "metadata"),
                          (_section(document, "user_config", "pg").get("max_connections"), "user_config")):
        if _count(value):
            return value, source
    from_plan = plan_max_connections(document.get("plan"))
    return (from_plan, "plan") if from_plan is not None else (None, "unknown")


def client_limit_of(document: Mapping[str, Any]) -> int | None:
    memory_mb = _count(document.get("node_memory_mb"))
    if not memory_mb:
        return None
    return min(max(CLIENTS_PER_GB * memory_mb // 1024, CLIENTS_MIN), CLIENTS_MAX)


def non_admin_users(document: Mapping[str, Any]) -> int:
    users = document.get("users")
    return sum(1 for user in users if isinstance(user, Mapping) and user.get("type") != "primary") if isinstance(users, list) else 0


def _size(pool: Mapping[str, Any]) -> int:
    return _count(pool.get("pool_size")) or 0


def _automatic(document: Mapping[str, Any], pools: Sequence[Mapping[str, Any]], users: int) -> int:
    settings = _section(document, "user_config", "pgbouncer")
    size = _count(settings.get("autodb_pool_size")) or 0
    if not size:
        return 0
    databases = document.get("databases")
    pooled = {pool.get("database_name") for pool in pools}
    unpooled = [name for name in databases if isinstance(name, str) and name not in pooled] if isinstance(databases, list) else []
    per_database = size * users
    cap = _count(settings.get("autodb_max_db_connections")) or 0
    return len(unpooled) * (min(per_database, cap) if cap else per_database)


def _advisories(label: str, document: Mapping[str, Any], pools: Sequence[Mapping[str, Any]]) -> list[str]:
    advisories = []
    settings = _section(document, "user_config", "pgbouncer")
    sharing = [pool for pool in pools if pool.get("pool_mode") in ("transaction", "statement")]
    if sharing and settings.get("max_prepared_statements") == 0:
        names = ", ".join(printable(str(pool.get("pool_name"))) for pool in sharing[:5])
        advisories.append(f"{label}: transaction or statement pools ({names}) while max_prepared_statements is 0: clients that "
                          "prepare statements fail through them")
    for pool in pools:
        if _size(pool) > POOL_SIZE_ADVISED_MAX:
            advisories.append(f"{label}/{printable(str(pool.get('pool_name')))}: pool_size {_size(pool)} is above {POOL_SIZE_ADVISED_MAX}, "
                              "the most the Aiven operator allows")
    cpus = _count(document.get("node_cpu_count"))
    shared = sum(_size(pool) for pool in sharing)
    if cpus and shared > TRANSACTION_CONNECTIONS_PER_CPU * cpus:
        advisories.append(f"{label}: transaction and statement pools may open {shared} server connections on {cpus} CPU"
                          f"{'' if cpus == 1 else 's'}; such pools rarely gain from more than a few per CPU")
    return advisories


def capacity(label: str, document: Mapping[str, Any], pools: Sequence[Mapping[str, Any]], reserve: int = 0,
             fan_out: int | None = None, expected_clients: int | None = None) -> Capacity:
    """The figures of one service with ``pools`` (the pools after the run, or predicted), as its ``document`` tells.

    ``fan_out``: the users counted per unpinned pool; None: the service's non-admin users (at least one).
    """
    users = non_admin_users(document)
    fan_out = fan_out if fan_out is not None else max(users, 1)
    max_connections, source = max_connections_of(document)
    floor = _count(_section(document, "user_config", "pgbouncer").get("min_pool_size")) or 0
    figures = Capacity(label, max_connections, source, reserve, fan_out=fan_out, client_limit=client_limit_of(document),
                       expected_clients=expected_clients, advisories=_advisories(label, document, pools))
    for pool in pools:
        size, pinned = _size(pool), bool(pool.get("username"))
        if pinned:
            figures.pinned += size
        else:
            figures.unpinned += size * fan_out
        figures.idle_floor += min(floor, size) * (1 if pinned else fan_out)
    # Automatic pools are for every user that connects, the admin user too.
    figures.automatic = _automatic(document, pools, users + 1)
    return figures


MODES = ("warn", "fail", "ignore")


@dataclass
class CapacityCheck:
    """What the caller asked of the check: ``mode`` (warn, fail, ignore) and the assumptions it may set."""

    mode: str = "warn"
    reserve: int = 0                    # connections kept for direct use (migrations, admin, monitoring)
    fan_out: int | None = None          # users per unpinned pool; None: each service's non-admin users
    expected_clients: int | None = None  # client connections expected per service, against PgBouncer's limit

    def problems(self, names: Mapping[str, str]) -> list[str]:
        """Why the options cannot be used, each named as ``names`` calls it (option -> name)."""
        problems = []
        for option, value, least in (("reserve", self.reserve, 0), ("fan_out", self.fan_out, 1), ("expected_clients", self.expected_clients, 0)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
                problems.append(f"{names[option]} must be a whole number of {least} or more, got {value!r}")
        return problems

    def measure(self, label: str, document: Mapping[str, Any], pools: Sequence[Mapping[str, Any]]) -> Capacity:
        return capacity(label, document, pools, self.reserve, self.fan_out, self.expected_clients)


# The options of both modules that set the check's assumptions: option -> the CapacityCheck field it sets.
OPTION_FIELDS = {"capacity_reserve": "reserve", "capacity_unpinned_users": "fan_out", "capacity_expected_clients": "expected_clients"}


def option_spec() -> dict[str, dict[str, Any]]:
    """The argument spec of the options of OPTION_FIELDS, the same in both modules."""
    return {"capacity_reserve": {"type": "int", "default": 0}, "capacity_unpinned_users": {"type": "int"},
            "capacity_expected_clients": {"type": "int"}}


def check_of(params: Mapping[str, Any], mode: str = "warn") -> CapacityCheck:
    """The check a module's ``params`` ask for, in ``mode``."""
    return CapacityCheck(mode, **{field: params[option] for option, field in OPTION_FIELDS.items()})


def option_problems(params: Mapping[str, Any], variable_names: Mapping[str, str] | None = None) -> list[str]:
    """Why a module's options of OPTION_FIELDS cannot be used, each named as ``variable_names`` says, else as the option."""
    given = variable_names or {}
    return check_of(params).problems({field: given.get(option) or option for option, field in OPTION_FIELDS.items()})


def over_message(figures: Capacity) -> str:
    """Why a service's pools do not fit, and what to do."""
    # What the figures cannot know is said where a person decides, not only in the docs.
    return (f"{figures.line()}: over the service's budget; lower pool_size, pin unpinned pools to a user, or raise the service's "
            f"max_connections (a larger plan or user_config.pg.max_connections); {UNKNOWN_NOTE}")


def report_lines(measured: Sequence[Capacity], touched: Collection[str]) -> list[str]:
    """What a person reads after a run: a line for each service over its budget or whose pools the run changes (or would),
    then one line counting the others, so a converged estate prints one line, not one per service.

    ``touched``: the labels (``project/service``) of the services with changes.
    """
    shown = [figures for figures in measured if figures.over or figures.label in touched]
    lines = [figures.line() + (": over budget" if figures.over else "") for figures in shown]
    rest = len(measured) - len(shown)
    if rest:
        counted = f"{rest} {'other ' if shown else ''}service{'' if rest == 1 else 's'}"
        lines.append(f"capacity: {counted} with unchanged pools within {'its' if rest == 1 else 'their'} connection budget "
                     "(every service's figures are in the result's capacity)")
    return lines
