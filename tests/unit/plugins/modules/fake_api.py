# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small stateful Aiven API on 127.0.0.1 for running the modules in-process.

Built on the scripted StubServer (scripted replies win; every request is recorded
with its raw path), it keeps pools per project and service so that creates,
updates, deletes and the read-backs after them behave like the real API. Any
project and service exist, RUNNING, unless listed in ``missing``.
``pool_name_pattern`` mimics the emulator's unconfirmed name rule (400 on create).
Passwords in the URIs read ``<redacted>`` unless the read asks for ``include_secrets``;
``secrets`` plays a token that may not ask (``forbidden``: 403), an API that redacts
anyway (``redacted``) or one that never redacts pool URIs (``unredacted``, which the
contract leaves open). ``ignored_fields`` are answered 200 on a write but not stored.
``service_fields`` adds fields (state, plan, databases, users) to a service's document;
GET of the project's service list answers every service that has pools or fields.
Every service is PostgreSQL (``service_type`` pg) unless its fields say otherwise;
GET of the project's CA answers ``CA_CERTIFICATE``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import Recorded, Reply, StubServer

PASSWORD = "fake-P00L-secret"
CA_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nZmFrZSBwcm9qZWN0IENB\n-----END CERTIFICATE-----\n"


def aiven_error(status: int, message: str) -> tuple[int, dict, dict]:
    return (status, {}, {"message": message, "errors": [{"message": message, "status": status}]})


class FakeAivenApi(StubServer):
    def __init__(self, pool_name_pattern: str | None = None) -> None:
        super().__init__()
        self.pool_name_pattern = pool_name_pattern
        self.missing: set[tuple[str, str]] = set()
        self.pools: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.secrets = "readable"
        self.ignored_fields: set[str] = set()
        self.service_fields: dict[tuple[str, str], dict[str, Any]] = {}

    def reset(self, pool_name_pattern: str | None = None) -> None:
        """Forget requests, scripts and pools, as a new server would."""
        with self._lock:
            self.requests.clear()
            self._scripts.clear()
            self.pools.clear()
            self.missing.clear()
            self.pool_name_pattern = pool_name_pattern
            self.secrets = "readable"
            self.ignored_fields = set()
            self.service_fields.clear()

    def calls(self) -> list[str]:
        """``METHOD /raw/path`` of every request, in order (query strings left out)."""
        return [f"{item.method} {item.path.split('?', 1)[0]}" for item in self.requests]

    def add_pool(self, project: str, service: str, pool_name: str, **settings: Any) -> None:
        pool = {"pool_name": pool_name, "database": "appdb", "pool_mode": "transaction", "pool_size": 10}
        pool.update(settings)
        self.pools.setdefault((project, service), {})[pool_name] = pool

    def _answer(self, recorded: Recorded) -> Reply:
        target = urlsplit(recorded.path)
        raw = target.path.split("/")
        segments = [unquote(segment) for segment in raw[1:]]
        include_secrets = "include_secrets=true" in target.query.split("&")
        if recorded.method == "GET" and len(segments) == 4 and segments[:2] == ["v1", "project"] and segments[3] == "service":
            return self._list(segments[2], include_secrets)
        if recorded.method == "GET" and segments[:2] == ["v1", "project"] and segments[3:] == ["kms", "ca"]:
            return (200, {}, {"certificate": CA_CERTIFICATE})
        if len(segments) < 5 or segments[:2] != ["v1", "project"] or segments[3] != "service":
            return aiven_error(404, "Not found")
        project, service = segments[2], segments[4]
        if (project, service) in self.missing:
            return aiven_error(404, f"Service {service} does not exist")
        pools = self.pools.setdefault((project, service), {})
        rest = segments[5:]
        if recorded.method == "GET" and not rest:
            return self._read(project, service, pools, include_secrets)
        if rest[:1] != ["connection_pool"] or len(rest) > 2:
            return aiven_error(404, "Not found")
        body = {key: value for key, value in (recorded.json() or {}).items() if key not in self.ignored_fields}
        if recorded.method == "POST" and len(rest) == 1:
            return self._create(pools, body)
        name = rest[1] if len(rest) == 2 else None
        if name is None or name not in pools:
            return aiven_error(404, f"Connection pool {name} does not exist")
        if recorded.method == "PUT":
            pools[name].update({key: value for key, value in body.items() if key != "username"})
            if "username" in body:
                pools[name]["username"] = body["username"]
            return (200, {}, {"message": "updated"})
        if recorded.method == "DELETE":
            del pools[name]
            return (200, {}, {"message": "deleted"})
        return aiven_error(405, "Method not allowed")

    def _create(self, pools: dict[str, dict[str, Any]], body: dict[str, Any]) -> Reply:
        name = body.get("pool_name")
        if not isinstance(name, str) or (self.pool_name_pattern and not re.search(self.pool_name_pattern, name)):
            return aiven_error(400, f"Invalid value for 'pool_name': must match {self.pool_name_pattern}")
        if name in pools:
            return aiven_error(409, f"Connection pool {name} already exists")
        pool = {"pool_name": name, "pool_mode": "transaction", "pool_size": 10}
        pool.update(body)
        pools[name] = pool
        return (200, {}, {"message": "created"})

    def _password(self, include_secrets: bool) -> str:
        given = self.secrets == "unredacted" or (include_secrets and self.secrets == "readable")
        return PASSWORD if given else "<redacted>"

    def _read(self, project: str, service: str, pools: dict[str, dict[str, Any]], include_secrets: bool) -> Reply:
        if include_secrets and self.secrets == "forbidden":
            return aiven_error(403, "Permission denied: the token lacks service:secrets:read")
        return (200, {}, {"service": self._document(project, service, pools, self._password(include_secrets))})

    def _list(self, project: str, include_secrets: bool) -> Reply:
        if include_secrets and self.secrets == "forbidden":
            return aiven_error(403, "Permission denied: the token lacks service:secrets:read")
        names = sorted({service for (owner, service) in list(self.pools) + list(self.service_fields)
                        if owner == project and (owner, service) not in self.missing})
        password = self._password(include_secrets)
        return (200, {}, {"services": [self._document(project, name, self.pools.setdefault((project, name), {}), password) for name in names]})

    def _document(self, project: str, service: str, pools: dict[str, dict[str, Any]], password: str) -> dict[str, Any]:
        listed = []
        for pool in pools.values():
            entry = {key: value for key, value in pool.items() if value is not None}
            user = quote(entry.get("username") or "avnadmin", safe="")
            entry["connection_uri"] = f"postgres://{user}:{password}@pg.example.com:12692/{quote(entry['pool_name'], safe='')}?sslmode=require"
            listed.append(entry)
        document = {"service_name": service, "service_type": "pg", "state": "RUNNING", "plan": "startup-4", "connection_pools": listed}
        document.update(self.service_fields.get((project, service), {}))
        return document
