"""The emulator's in-memory model of Aiven projects, services, users and pools."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, FrozenSet, List, Optional

POOL_MODES = ("session", "transaction", "statement")
# What a seed token may do; a token without "secrets" gets 403 for include_secrets=true.
PERMISSIONS = ("read", "write", "secrets")
SERVICE_STATES = ("POWEROFF", "REBALANCING", "REBUILDING", "RUNNING")


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
    type: str = "regular"  # "primary" for the service's admin user

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
    # time.monotonic() when the service was created or last set RUNNING: the service-lag
    # option refuses pool writes for a while after it.
    running_since: float = field(default_factory=time.monotonic, repr=False, compare=False)
    # Serialises writes to one service, as the backend must apply them in order.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)

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
