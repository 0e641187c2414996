"""The emulator's in-memory model of Aiven projects, services, users and pools."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

POOL_MODES = ("session", "transaction", "statement")
# What a seed token may do: "secrets" is service:secrets:read (include_secrets=true needs it);
# "organization" is organization:projects:write, which Aiven's permission map asks for the project CA.
PERMISSIONS = ("read", "write", "secrets", "organization")
SERVICE_STATES = ("POWEROFF", "REBALANCING", "REBUILDING", "RUNNING")


DEFAULT_LOCALE = "en_US.UTF-8"


def generate_password() -> str:
    # Aiven's generated service passwords carry an AVNS_ prefix; URL-safe characters
    # keep the connection URIs simple.
    return "AVNS_" + secrets.token_urlsafe(18)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ServiceUser:
    username: str
    password: str
    type: str = "normal"  # "primary" for the service's admin user; a created user reads "normal"
    # access_control.pg_allow_replication; the admin user always has it (read as True for "primary").
    allow_replication: bool = False
    password_updated_time: str = field(default_factory=now_iso)
    # Set as if the password was changed inside PostgreSQL: the API no longer knows it.
    password_overridden: bool = False
    # Read-after-write windows (user_create_404_reads, user_empty_password_reads): GETs of the
    # user still to answer 404, and GETs still to show an empty password.
    hidden_reads: int = 0
    empty_password_reads: int = 0

    @property
    def replication(self) -> bool:
        return self.allow_replication or self.type == "primary"

    def to_api(self) -> dict:
        return {"username": self.username, "password": self.password, "type": self.type}


@dataclass
class Pool:
    pool_name: str
    database: str
    pool_mode: str = "transaction"
    pool_size: int = 10
    username: Optional[str] = None  # None: unpinned ("reuse inbound user")


@dataclass
class Service:
    project: str
    name: str
    state: str = "RUNNING"
    plan: str = "startup-4"
    databases: List[str] = field(default_factory=lambda: ["defaultdb"])
    users: Dict[str, ServiceUser] = field(default_factory=dict)
    pools: Dict[str, Pool] = field(default_factory=dict)
    create_time: str = field(default_factory=now_iso)
    update_time: str = field(default_factory=now_iso)
    vpc_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # The seed's user_config sections ("pg", "pgbouncer"; user_config.py checked them) and node size
    # overrides; None takes the plan's size (plans.py).
    user_config: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    node_cpu_count: Optional[int] = None
    node_memory_mb: Optional[int] = None
    # time.monotonic() when the service was created or last set RUNNING: the service-lag
    # option refuses pool writes for a while after it.
    running_since: float = field(default_factory=time.monotonic, repr=False, compare=False)
    # Serialises writes to one service, as the backend must apply them in order.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)
    # (monotonic time of a write, the pools after it), oldest first: what the read_lag option
    # shows to reads (read_lag.py). Empty while the option is off.
    pool_history: List[Tuple[float, Dict[str, "Pool"]]] = field(default_factory=list, repr=False, compare=False)
    # (lc_collate, lc_ctype) of each database: fixed at creation, en_US.UTF-8 unless it said otherwise.
    locales: Dict[str, Tuple[str, str]] = field(default_factory=dict, repr=False, compare=False)
    # database_lag_reads: name -> [True if created (hidden) / False if deleted (still listed), list reads left].
    database_lag: Dict[str, List] = field(default_factory=dict, repr=False, compare=False)
    # user_delete_lag_reads: deleted users GET still answers, with the reads left.
    deleted_users: Dict[str, Tuple["ServiceUser", int]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def primary_user(self) -> ServiceUser:
        for user in self.users.values():
            if user.type == "primary":
                return user
        return next(iter(self.users.values()))

    def touch(self) -> None:
        self.update_time = now_iso()


@dataclass
class Project:
    name: str
    services: Dict[str, Service] = field(default_factory=dict)


@dataclass
class Token:
    """An API token of the seed: what it may do, and where."""

    permissions: FrozenSet[str] = frozenset(PERMISSIONS)
    # Projects the token's user is a member of; None: every project of the seed.
    projects: Optional[FrozenSet[str]] = None
    # The user the token belongs to: Aiven limits requests per user, so the user's tokens share one allowance.
    user: str = ""

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    def member_of(self, project: str) -> bool:
        return self.projects is None or project in self.projects


@dataclass
class World:
    """Everything the emulator serves: tokens and projects."""

    tokens: Dict[str, Token]
    projects: Dict[str, Project]

    def services(self) -> List[Service]:
        return [svc for project in self.projects.values() for svc in project.services.values()]
