"""What a plan gives a service: CPUs and memory per node, and PostgreSQL's default max_connections.

max_connections per plan is the contract's ("Capacity", aiven-docs pg-connection-limits.md). The CPUs
and memory are the EMULATOR'S ASSUMPTION: the contract has no table, so they follow Aiven's published
plan sizes as we know them (a -N plan has N GB of memory and N/4 CPUs; the small tiers one CPU). A seed
can set node_cpu_count and node_memory_mb per service where a test needs other figures.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class PlanSize(NamedTuple):
    cpu_count: int
    memory_mb: int
    max_connections: int


# Tiers without a size in their name: hobbyist, free-*, developer-* (the last an assumption, see rules.py).
_TIERS = {
    "hobbyist": PlanSize(1, 2048, 25),
    "free": PlanSize(1, 1024, 20),
    "developer": PlanSize(1, 1024, 15),  # the contract: "another page says 20"; 15 is the plan table's
}
# -N plans of the sized families: N GB; max_connections by the contract's table, 1000 from -64 up.
_SIZED_FAMILIES = ("startup", "business", "premium")
_CONNECTIONS_BY_SIZE = {4: 100, 8: 200, 16: 400, 32: 800}
_LARGEST_TABLE_SIZE = 64
_SIZED_PLAN = re.compile(r"^(?P<family>[a-z]+)-(?P<size>[0-9]{1,4})$")


class UnknownPlan(ValueError):
    """A plan the emulator has no size for: the message names it and what it knows."""


def plan_size(plan: str) -> PlanSize:
    """The plan's size; UnknownPlan for a plan that is not hobbyist, free-*, developer-* or startup/business/premium-N."""
    tier = plan.split("-", 1)[0]
    if tier in _TIERS:
        return _TIERS[tier]
    match = _SIZED_PLAN.match(plan)
    if match and match["family"] in _SIZED_FAMILIES:
        size = int(match["size"])
        if size in _CONNECTIONS_BY_SIZE or size >= _LARGEST_TABLE_SIZE:
            connections = _CONNECTIONS_BY_SIZE.get(size, 1000)
            return PlanSize(max(1, size // 4), size * 1024, connections)
    known = ", ".join(f"{family}-N" for family in _SIZED_FAMILIES)
    raise UnknownPlan(f"plan {plan!r} has no known size: use hobbyist, free-*, developer-* or {known} "
                      f"(N one of 4, 8, 16, 32, or 64 and larger)")
