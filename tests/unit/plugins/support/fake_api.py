# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's API in-process, on 127.0.0.1, for running the modules and the lookup without a subprocess.

It holds the emulator's model (emulator/aiven_emulator/model.py) and answers with the emulator's
rules, texts and documents (rules.py, validation.py, documents.py): creates, updates,
deletes, their errors, the pools' defaults, redaction and the URIs are the emulator's.
What the fake adds is a world that needs no seed, and knobs the emulator does not have:

- any project and service exist, RUNNING, unless listed in ``missing``; a service has
  every database and user a pool names (every password ``PASSWORD``, avnadmin the
  primary user), and its document lists neither unless ``add_service`` sets them;
- ``secrets`` plays a token that may not ask for them (``forbidden``: 403), an API that
  redacts anyway (``redacted``) or one that never redacts pool URIs (``unredacted``);
- ``ignored_fields`` are answered 200 on a write but not stored;
- the emulator's pool name pattern applies only after ``reset(pool_name_rule=True)``
  (the contract leaves it unconfirmed); ``script`` replies win over all of it, as in
  StubServer, which records every request.

GET of the project's service list answers every service a test or a request touched;
GET of the project's CA answers ``CA_CERTIFICATE``.
"""

from __future__ import annotations

import dataclasses
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from aiven_emulator import rules
from aiven_emulator.documents import Renderer
from aiven_emulator.errors import NOT_FOUND_TEXT, ApiError
from aiven_emulator.model import Pool, Project, Service
from aiven_emulator.options import Options
from aiven_emulator.validation import parse_json_object
from ansible_collections.dbpools.aiven.tests.unit.plugins.support import emulated_service as emulated
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Recorded, Reply, StubServer

CA_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nZmFrZSBwcm9qZWN0IENB\n-----END CERTIFICATE-----\n"
# The project CA as a project_ca_path file holds it (the unit conftest writes it after a private key).
PROJECT_CA_PEM = "-----BEGIN CERTIFICATE-----\nZmlsZSBwcm9qZWN0IENB\n-----END CERTIFICATE-----"
# Pools are seeded in this database unless a test names another.
SEED_DATABASE = "appdb"
# What a pool write answers, by method.
WRITE_MESSAGES = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}


def error_reply(status: int, message: str) -> Reply:
    """Aiven's error, as a reply to script."""
    return (status, {}, ApiError(status, message).body())


class FakeAivenApi(StubServer):
    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self, pool_name_rule: bool = False) -> None:
        """Forget requests, scripts, services and knobs, as a new server would."""
        with self._lock:
            self.requests.clear()
            self._scripts.clear()
            self.projects: dict[str, Project] = {}
            self.missing: set[tuple[str, str]] = set()
            self.secrets = "readable"
            self.ignored_fields: set[str] = set()
            self._document_fields: dict[tuple[str, str], dict[str, Any]] = {}
            # An empty pattern matches every name.
            self._pool_name_pattern = Options().pool_name_pattern if pool_name_rule else ""

    def calls(self) -> list[str]:
        """``METHOD /raw/path`` of every request, in order (query strings left out)."""
        return [f"{item.method} {item.path.split('?', 1)[0]}" for item in self.requests]

    def add_service(self, project: str, name: str, **fields: Any) -> None:
        """Set fields of the service's document (state and plan are the model's, and the rules see them)."""
        service = self._service(project, name)
        for key in ("state", "plan"):
            if key in fields:
                setattr(service, key, fields.pop(key))
        self._document_fields.setdefault((project, name), {}).update(fields)

    def add_pool(self, project: str, service: str, pool_name: str, **settings: Any) -> None:
        """A pool that was there before, stored as the emulator's seed stores one."""
        settings.setdefault("database", SEED_DATABASE)
        self._service(project, service).pools[pool_name] = Pool(pool_name=pool_name, **settings)

    def stored_pools(self, project: str, service: str) -> dict[str, dict[str, Any]]:
        """The pools the fake holds for a service, by name."""
        return {name: dataclasses.asdict(pool) for name, pool in self._service(project, service).pools.items()}

    def _service(self, project: str, name: str) -> Service:
        if (project, name) in self.missing:
            raise rules.service_missing(name)
        services = self.projects.setdefault(project, Project(project)).services
        if name not in services:
            services[name] = emulated.new_service(project, name)
        return services[name]

    def _options(self) -> Options:
        return Options(pool_name_pattern=self._pool_name_pattern, redact_pool_uris=self.secrets != "unredacted")

    def _renderer(self, include_secrets: str) -> Renderer:
        return emulated.renderer(include_secrets, self.secrets)

    def _answer(self, recorded: Recorded) -> Reply:
        try:
            return 200, {}, self._route(recorded)
        except ApiError as error:
            return error.status, {}, error.body()

    def _route(self, recorded: Recorded) -> dict[str, Any]:
        target = urlsplit(recorded.path)
        include_secrets = parse_qs(target.query).get("include_secrets", [""])[-1]
        segments = [unquote(segment) for segment in target.path.split("/")[1:]]
        if segments[:2] != ["v1", "project"] or len(segments) < 4:
            raise ApiError(404, NOT_FOUND_TEXT)
        method, project, rest = recorded.method, segments[2], segments[3:]
        if rest == ["kms", "ca"] and method == "GET":
            return {"certificate": CA_CERTIFICATE}
        if rest == ["service"] and method == "GET":
            renderer = self._renderer(include_secrets)
            return {"services": [self._document(service, renderer) for service in self._listed(project)]}
        if rest[:1] != ["service"] or len(rest) < 2 or len(rest) > 4 or rest[2:3] not in ([], ["connection_pool"]):
            raise ApiError(404, NOT_FOUND_TEXT)
        return self._service_route(method, self._service(project, rest[1]), rest[2:], include_secrets, recorded.body)

    def _service_route(self, method: str, service: Service, rest: list[str], include_secrets: str, raw: bytes) -> dict[str, Any]:
        allowed = {0: ("GET",), 1: ("POST",), 2: ("PUT", "DELETE")}[len(rest)]
        if method not in allowed:
            raise ApiError(405, HTTPStatus.METHOD_NOT_ALLOWED.phrase)
        if method == "GET":
            return {"service": self._document(service, self._renderer(include_secrets))}
        body = {} if method == "DELETE" else parse_json_object(raw)
        stored = {key: value for key, value in body.items() if key not in self.ignored_fields}
        pool_name = rest[1] if len(rest) == 2 else ""
        emulated.write(service, method, pool_name, stored, self._options())
        return {"message": WRITE_MESSAGES[method]}

    def _listed(self, project: str) -> list[Service]:
        services = self.projects.get(project, Project(project)).services.values()
        return [service for service in services if (project, service.name) not in self.missing]

    def _document(self, service: Service, renderer: Renderer) -> dict[str, Any]:
        return emulated.document(service, renderer, self._document_fields.get((service.project, service.name)))
