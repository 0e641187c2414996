"""What a service's PgBouncer runs with beside its pools: Aiven's ``user_config.pgbouncer`` and client limit.

The keys are the contract's ("Capacity", aiven-docs config-pg.md); each maps onto the pgbouncer.ini setting of
the same meaning. Only what the installed PgBouncer knows is written: ``max_prepared_statements`` came with
PgBouncer 1.21, so an older one runs without it (the document still shows the seed's value).
"""

from __future__ import annotations

import re
import resource
import subprocess
from typing import Any, Dict, Mapping, Optional, Set, Tuple

from . import service_size
from .model import Service

# Settings of every service's PgBouncer that user_config does not change (the emulator's choices).
BASE = {
    "pool_mode": "transaction",
    "default_pool_size": "10",
    "ignore_startup_parameters": "extra_float_digits,options",
    "server_reset_query": "DISCARD ALL",
    "log_connections": "0",
    "log_disconnections": "0",
}
# user_config.pgbouncer key -> pgbouncer.ini key, for the numbers written as they are.
SAME_MEANING = {
    "min_pool_size": "min_pool_size",
    "server_idle_timeout": "server_idle_timeout",
    "server_lifetime": "server_lifetime",
    "autodb_idle_timeout": "autodb_idle_timeout",
}
PREPARED_STATEMENTS_SINCE = (1, 21)
# Aiven's default when the user sets none (contract: max_prepared_statements 100).
PREPARED_STATEMENTS_DEFAULT = 100
# Descriptors PgBouncer needs beside its clients: listening sockets, log, pid file, console (its own check adds 10).
OWN_DESCRIPTORS = 10
VERSION = re.compile(r"PgBouncer (\d+)\.(\d+)")

Version = Tuple[int, int]


def installed_version(binary: str) -> Optional[Version]:
    """``pgbouncer --version`` as (major, minor); None when it does not say."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = VERSION.search(out)
    return (int(match[1]), int(match[2])) if match else None


def descriptor_limit() -> Optional[int]:
    """The open-files limit PgBouncer inherits from us; None when unlimited."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def max_client_conn(service: Service, server_connections: int, fd_limit: Optional[int]) -> int:
    """Aiven's client limit for the service's memory, capped so clients, every server connection PostgreSQL
    allows and PgBouncer's own descriptors fit the open-files limit (PgBouncer only warns when they do not)."""
    wanted = service_size.client_limit(service)
    if fd_limit is None:
        return wanted
    return max(1, min(wanted, fd_limit - server_connections - OWN_DESCRIPTORS))


def general(service: Service, server_connections: int, version: Optional[Version], fd_limit: Optional[int]) -> Dict[str, str]:
    """The ``[pgbouncer]`` settings of the service apart from addresses, files and TLS."""
    config = service.user_config.get("pgbouncer", {})
    settings = dict(BASE)
    settings["max_client_conn"] = str(max_client_conn(service, server_connections, fd_limit))
    for key, ini_key in SAME_MEANING.items():
        if key in config:
            settings[ini_key] = str(int(config[key]))
    if config.get("server_reset_query_always"):
        settings["server_reset_query_always"] = "1"
    ignored = settings["ignore_startup_parameters"].split(",")
    ignored += [name for name in config.get("ignore_startup_parameters", []) if name not in ignored]
    settings["ignore_startup_parameters"] = ",".join(ignored)
    if version is not None and version >= PREPARED_STATEMENTS_SINCE:
        settings["max_prepared_statements"] = str(int(config.get("max_prepared_statements", PREPARED_STATEMENTS_DEFAULT)))
    return settings


def autodb_line(service: Service, pg_port: int) -> str:
    """PgBouncer's fallback database (``*``): with ``autodb_pool_size`` above 0, a client naming a database that has
    no pool gets a pool of that size per user, in ``autodb_pool_mode``, with ``autodb_max_db_connections`` per
    database when above 0; without it (Aiven's default) such a client is refused."""
    config = service.user_config.get("pgbouncer", {})
    size = int(config.get("autodb_pool_size", 0))
    if size <= 0:
        return ""
    parts = ["host=127.0.0.1", "port=%d" % pg_port, "pool_size=%d" % size, "pool_mode=%s" % config.get("autodb_pool_mode", "transaction")]
    cap = int(config.get("autodb_max_db_connections", 0))
    if cap > 0:
        parts.append("max_db_connections=%d" % cap)
    return "* = %s\n" % " ".join(parts)


def is_automatic(row: Mapping[str, Any], service: Service, declared: Set[str]) -> bool:
    """Whether a ``SHOW DATABASES`` row is a pool PgBouncer made from the ``*`` line for a client, not a declared one.

    PgBouncer 1.18 lists such pools beside the configured ones and does not mark them: one is recognised as
    a name no pool declares, served unpinned from the database of its name with the automatic size and mode.
    """
    config = service.user_config.get("pgbouncer", {})
    size = int(config.get("autodb_pool_size", 0))
    return (size > 0 and row["name"] not in declared and row["database"] == row["name"] and not row["force_user"]
            and row["pool_size"] == size and row["pool_mode"] == config.get("autodb_pool_mode", "transaction"))
