# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service-user routes of the Aiven API in-process, on 127.0.0.1, for aiven_pg_user's tests.

As the contract (AIVEN_DATABASES_USERS.md sections 4 to 8) describes them, in memory:

- ``GET …/service/S``: the service document (``state``, ``users`` with ``type`` and ``access_control``, their
  passwords ``<redacted>``, ``connection_pools`` with the user each is pinned to); any other service answers
  404 "Service S does not exist";
- ``POST …/user``: ``username`` (1 to 64) and ``access_control`` only; 409 "already exists" for a user the
  service has; ``commit_then_fail`` creates the next user and answers 500, as a lost reply would;
- ``GET …/user/U``: 404 for ``create_404_reads`` reads after a create; the password ``""`` for
  ``empty_password_reads`` reads after a create or reset, and for good once ``overridden`` (changed inside
  PostgreSQL); ``<redacted>`` without ``include_secrets=true`` or when ``redact_always`` (a token that may not
  read secrets); a deleted user still read ``delete_lag_reads`` times;
- ``PUT …/user/U``: ``reset-credentials`` (``new_password`` 8 to 256, else a generated one) or ``set-access-control``;
- ``DELETE …/user/U``: 404 for an unknown user, 403 for the primary user.

StubServer's ``script`` replies win over all of it, and every request is recorded.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qs

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.service_routes import ServiceRoutedFake, error
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Recorded, Reply

REDACTED = "<redacted>"


@dataclass
class FakeUser:
    username: str
    password: str
    type: str = "normal"
    replication: bool = False
    hidden_reads: int = 0
    empty_reads: int = 0
    overridden: bool = False

    def document(self, secrets: bool) -> dict[str, Any]:
        password: Any = self.password
        if self.overridden or self.empty_reads > 0:
            password = ""
        elif not secrets:
            password = REDACTED
        return {"username": self.username, "password": password, "type": self.type,
                "access_control": {"pg_allow_replication": self.replication}}


class FakeUsersApi(ServiceRoutedFake):
    def __init__(self) -> None:
        super().__init__()
        self._serial = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripts.clear()
            self.services: dict[tuple[str, str], dict[str, Any]] = {}
            self.create_404_reads = 0
            self.empty_password_reads = 0
            self.delete_lag_reads = 0
            self.redact_always = False
            self.commit_then_fail = False

    def add_service(self, project: str, service: str, state: str = "RUNNING", pools: dict[str, str] | None = None,
                    users: dict[str, bool] | None = None, admin: str = "avnadmin") -> None:
        """A service with its admin user (``admin``, type primary), ``users`` (name -> replication) and ``pools`` (pool -> user)."""
        found = {admin: FakeUser(admin, self._generated(), "primary", True)}
        for name, replication in (users or {}).items():
            found[name] = FakeUser(name, self._generated(), replication=replication)
        self.services[(project, service)] = {"state": state, "pools": dict(pools or {}), "users": found, "deleted": {}}

    def _generated(self) -> str:
        return f"AVNS_generated{next(self._serial):06d}"

    def users(self, project: str, service: str) -> dict[str, FakeUser]:
        return self.services[(project, service)]["users"]

    def _route(self, service: dict[str, Any], rest: list[str], recorded: Recorded, target: SplitResult) -> Reply:
        if rest[:1] != ["user"] or len(rest) > 2:
            return error(404, "Not found")
        if len(rest) == 1:
            return self._create(service, recorded.json() or {}) if recorded.method == "POST" else error(405, "Method Not Allowed")
        secrets = parse_qs(target.query).get("include_secrets") == ["true"]
        handlers = {"GET": lambda: self._get(service, rest[1], secrets), "PUT": lambda: self._modify(service, rest[1], recorded.json() or {}),
                    "DELETE": lambda: self._delete(service, rest[1])}
        handler = handlers.get(recorded.method)
        return handler() if handler else error(405, "Method Not Allowed")

    @staticmethod
    def _document(name: str, service: dict[str, Any]) -> dict[str, Any]:
        return {"service_name": name, "service_type": "pg", "state": service["state"],
                "users": [user.document(secrets=False) for user in service["users"].values()],
                "connection_pools": [{"pool_name": pool, "database": "defaultdb", "username": user, "pool_mode": "transaction", "pool_size": 10}
                                     for pool, user in service["pools"].items()]}

    def _create(self, service: dict[str, Any], body: dict[str, Any]) -> Reply:
        name = body.get("username")
        if not isinstance(name, str) or not 1 <= len(name) <= 64:
            return error(400, "Invalid input: username")
        if set(body) - {"username", "access_control"}:
            return error(400, f"Invalid input: unknown fields {sorted(set(body) - {'username', 'access_control'})}")
        if name in service["users"]:
            return error(409, f"Service user {name} already exists")
        replication = bool((body.get("access_control") or {}).get("pg_allow_replication"))
        user = FakeUser(name, self._generated(), replication=replication, hidden_reads=self.create_404_reads,
                        empty_reads=self.empty_password_reads)
        service["users"][name] = user
        service["deleted"].pop(name, None)
        if self.commit_then_fail:
            self.commit_then_fail = False
            return error(500, "Internal server error")
        return (200, {}, {"user": dict(user.document(secrets=False), password=REDACTED)})

    def _get(self, service: dict[str, Any], name: str, secrets: bool) -> Reply:
        user = service["users"].get(name)
        if user is None:
            left = service["deleted"].get(name)
            if not left:
                return error(404, f"Service user {name} does not exist")
            service["deleted"][name] = left[0], left[1] - 1
            if left[1] <= 1:
                del service["deleted"][name]
            return (200, {}, {"user": left[0].document(secrets and not self.redact_always)})
        if user.hidden_reads > 0:
            user.hidden_reads -= 1
            return error(404, f"Service user {name} does not exist")
        document = user.document(secrets and not self.redact_always)
        user.empty_reads = max(user.empty_reads - 1, 0)
        return (200, {}, {"user": document})

    def _modify(self, service: dict[str, Any], name: str, body: dict[str, Any]) -> Reply:
        user = service["users"].get(name)
        if user is None:
            return error(404, f"Service user {name} does not exist")
        operation = body.get("operation")
        if operation == "reset-credentials":
            password = body.get("new_password")
            if password is not None and not (isinstance(password, str) and 8 <= len(password) <= 256):
                return error(400, "Invalid value for 'new_password'")
            user.password = password or self._generated()
            user.overridden = False
            user.empty_reads = self.empty_password_reads
        elif operation == "set-access-control":
            user.replication = bool(body["access_control"]["pg_allow_replication"])
        else:
            return error(400, "Invalid value for 'operation'")
        return (200, {}, {"service": {"users": [item.document(secrets=False) for item in service["users"].values()]}})

    def _delete(self, service: dict[str, Any], name: str) -> Reply:
        user = service["users"].get(name)
        if user is None:
            return error(404, f"Service user {name} does not exist")
        if user.type == "primary":
            return error(403, f"Service user {name} is the primary user and cannot be deleted")
        del service["users"][name]
        if self.delete_lag_reads:
            service["deleted"][name] = (user, self.delete_lag_reads)
        return (200, {}, {"message": "deleted"})
