"""What a service's plan and seed settings give it: max_connections, node size and PgBouncer's client limit.

One place for the figures the service document reports (documents.py) and the PgBouncer backend runs its
servers with (backend_pgbouncer.py), so the two cannot disagree.
"""

from __future__ import annotations

from .model import Service
from .plans import plan_size

# PgBouncer's client connections per service: min(max(500 x RAM in GB, 5000), 50000) (contract, "Capacity").
CLIENTS_PER_GB, CLIENTS_MIN, CLIENTS_MAX = 500, 5000, 50000


def max_connections(service: Service) -> int:
    """The effective max_connections: ``user_config.pg.max_connections`` when set, else the plan's default."""
    return int(service.user_config.get("pg", {}).get("max_connections", plan_size(service.plan).max_connections))


def cpu_count(service: Service) -> int:
    return service.node_cpu_count or plan_size(service.plan).cpu_count


def memory_mb(service: Service) -> int:
    return service.node_memory_mb or plan_size(service.plan).memory_mb


def client_limit(service: Service) -> int:
    """PgBouncer's max_client_conn on Aiven for the service's memory per node."""
    return min(max(CLIENTS_PER_GB * memory_mb(service) // 1024, CLIENTS_MIN), CLIENTS_MAX)
