"""What the HTTP layer needs from a backend, and the in-memory backend."""

from __future__ import annotations

from typing import List, NamedTuple, Optional

from .model import Service, ServiceUser
from .pki import ProjectCas


class Endpoint(NamedTuple):
    """Where clients reach a service: PostgreSQL directly, and its PgBouncer."""

    host: str
    pg_port: int
    pgbouncer_port: int
    # The public route's host (a service lists it beside the dynamic one); "" for the same host.
    public_host: str = ""


class Backend:
    """Interface of a backend. Methods are coroutines so a backend may do real I/O.

    ``sync_pools`` is called after every accepted pool write, with the service's
    lock held, and must make the backend's pools equal ``service.pools``. The
    database and user methods are called the same way, after the model has the change.
    """

    name = "abstract"

    async def start(self, services: List[Service]) -> None:
        raise NotImplementedError

    def endpoint(self, service: Service) -> Endpoint:
        raise NotImplementedError

    async def sync_pools(self, service: Service) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def resize(self, service: Service) -> None:
        """The service's plan changed (with the lock held): servers take its new size. Without servers, nothing to do."""
        return None

    async def create_database(self, service: Service, name: str) -> None:
        """A database the API created: owned by the primary user, every user may use it."""
        raise NotImplementedError

    async def drop_database(self, service: Service, name: str) -> None:
        raise NotImplementedError

    async def create_user(self, service: Service, user: ServiceUser) -> None:
        """A role that logs in with ``user.password``, on every database."""
        raise NotImplementedError

    async def alter_user(self, service: Service, user: ServiceUser) -> None:
        """The role's password and REPLICATION as the model has them now."""
        raise NotImplementedError

    async def drop_user(self, service: Service, name: str) -> None:
        raise NotImplementedError

    def admin_conninfo(self, service: Service) -> Optional[dict]:
        """Connection parameters of PgBouncer's admin console, where there is one."""
        return None

    def project_ca(self, project: str) -> str:
        """PEM of the CA that signs the project's service certificates (same for every call)."""
        raise NotImplementedError


class MemoryBackend(Backend):
    """Pools live only in the model; hosts look like Aiven's but resolve nowhere."""

    name = "memory"

    def __init__(self) -> None:
        # Nothing serves TLS here, but clients still fetch and store a real CA.
        self._cas = ProjectCas()

    async def start(self, services: List[Service]) -> None:
        return None

    def endpoint(self, service: Service) -> Endpoint:
        # Aiven's pattern: <service>-<project>.<suffix>, PgBouncer on the port after PostgreSQL.
        return Endpoint(f"{service.name}-{service.project}.emulator.invalid", 12691, 12692,
                        f"public-{service.name}-{service.project}.emulator.invalid")

    async def sync_pools(self, service: Service) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def create_database(self, service: Service, name: str) -> None:
        return None

    async def drop_database(self, service: Service, name: str) -> None:
        return None

    async def create_user(self, service: Service, user: ServiceUser) -> None:
        return None

    async def alter_user(self, service: Service, user: ServiceUser) -> None:
        return None

    async def drop_user(self, service: Service, name: str) -> None:
        return None

    def project_ca(self, project: str) -> str:
        return self._cas.get(project).pem
