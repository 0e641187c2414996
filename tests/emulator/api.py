"""Handlers of the Aiven API routes the collection uses (see shared/contract)."""

from __future__ import annotations

import copy
import logging
import re
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict

from aiohttp import web

from .backends import Backend
from .delayed_sync import DelayedSyncs
from .documents import Renderer
from .errors import ApiError, bad_request
from .model import Pool, Project, Service, Token, World
from .options import Options
from .validation import create_fields, json_object, update_fields

LOG = logging.getLogger("emulator.api")
PROJECT_PATH = "/v1/project/{project}"
SERVICE_PATH = PROJECT_PATH + "/service/{service}"
# PgBouncer's own admin console database.
RESERVED_POOL_NAME = "pgbouncer"
NO_POOLING_PLANS = ("hobbyist", "free")
NO_POOLING_TEXT = (
    "Current service plan does not include the connection pooling option. "
    "Please consider migrating to another PostgreSQL service plan."
)
TRUE_WORDS = ("1", "true", "yes")
# Where the auth middleware leaves the request's Token (model.Token).
TOKEN_KEY = web.RequestKey("aiven_token", Token)


def _ok(message: str) -> web.Response:
    return web.json_response({"message": message})


class AivenApi:
    def __init__(self, world: World, backend: Backend, options: Options) -> None:
        self.world = world
        self.backend = backend
        self.options = options
        self.delayed_syncs = DelayedSyncs(backend)

    def routes(self) -> list:
        return [
            web.get(PROJECT_PATH + "/kms/ca", self.get_project_ca),
            web.get(PROJECT_PATH + "/service", self.list_services),
            web.get(SERVICE_PATH, self.get_service),
            web.get(SERVICE_PATH + "/db", self.list_databases),
            web.get(SERVICE_PATH + "/user/{username}", self.get_user),
            web.post(SERVICE_PATH + "/connection_pool", self.create_pool),
            web.put(SERVICE_PATH + "/connection_pool/{pool_name}", self.update_pool),
            web.delete(SERVICE_PATH + "/connection_pool/{pool_name}", self.delete_pool),
        ]

    # -- lookups ---------------------------------------------------------------

    def _project(self, request: web.Request) -> Project:
        name = request.match_info["project"]
        project = self.world.projects.get(name)
        if project is None:
            raise ApiError(404, f"Project {name} does not exist", "project_not_found")
        if not request[TOKEN_KEY].member_of(name):
            raise ApiError(403, "Not a project member")
        return project

    def _service(self, request: web.Request) -> Service:
        project = self._project(request)
        service = project.services.get(request.match_info["service"])
        if service is None:
            raise ApiError(404, f"Service {request.match_info['service']} does not exist")
        return service

    def _renderer(self, request: web.Request) -> Renderer:
        """Secrets in clear only when asked for, by a token that may read them (else 403)."""
        show = request.query.get("include_secrets", "").lower() in TRUE_WORDS
        if show and not request[TOKEN_KEY].may("secrets"):
            raise ApiError(403, "Insufficient permissions: include_secrets requires the permission service:secrets:read")
        return Renderer(self.options, show_secrets=show)

    def _writable(self, service: Service) -> None:
        """Refuse writes the way Aiven does for a service that cannot take them."""
        if service.state == "POWEROFF":
            if self.options.poweroff_status == 503:
                raise ApiError(503, "An error occurred. Please try again later.")
            raise ApiError(409, "Database not powered on", "not_powered")
        if service.plan.startswith(NO_POOLING_PLANS):
            raise ApiError(403, NO_POOLING_TEXT)

    def _settled(self, service: Service) -> None:
        """Aiven's pool API does not know a service for a while after it was created or powered on."""
        if time.monotonic() - service.running_since < self.options.service_lag:
            raise ApiError(404, f"Service {service.name} does not exist")

    def _check_pool_name(self, name: str) -> None:
        if name == RESERVED_POOL_NAME:
            raise bad_request(f"Invalid value for 'pool_name': {name} is reserved")
        if not re.search(self.options.pool_name_pattern, name):
            raise bad_request(f"Invalid value for 'pool_name': must match {self.options.pool_name_pattern}")

    def _check_references(self, service: Service, fields: Dict[str, Any]) -> None:
        database = fields.get("database")
        if database is not None and database not in service.databases:
            raise ApiError(self.options.missing_database_status, f"Service database {database} does not exist")
        username = fields.get("username")
        if username is not None and username not in service.users:
            raise ApiError(403, f"Service database username {username} does not exist")

    # -- reads -----------------------------------------------------------------

    async def get_project_ca(self, request: web.Request) -> web.Response:
        """The CA that signed the project's service certificates (aiven-client get_project_ca)."""
        project = self._project(request)
        return web.json_response({"certificate": self.backend.project_ca(project.name)})

    async def list_services(self, request: web.Request) -> web.Response:
        """Every service of the project, each exactly as GET service renders it."""
        project = self._project(request)
        renderer = self._renderer(request)
        documents = [renderer.service(service, self.backend.endpoint(service)) for service in project.services.values()]
        return web.json_response({"services": documents})

    async def get_service(self, request: web.Request) -> web.Response:
        service = self._service(request)
        document = self._renderer(request).service(service, self.backend.endpoint(service))
        return web.json_response({"service": document})

    async def list_databases(self, request: web.Request) -> web.Response:
        service = self._service(request)
        if service.state == "POWEROFF" and self.options.poweroff_db_status == 503:
            # Production lists databases from the running server, so a powered-off one fails.
            raise ApiError(503, "An error occurred. Please try again later.")
        return web.json_response({"databases": [{"database_name": name} for name in service.databases]})

    async def get_user(self, request: web.Request) -> web.Response:
        service = self._service(request)
        user = service.users.get(request.match_info["username"])
        if user is None:
            raise ApiError(404, f"Service user {request.match_info['username']} does not exist")
        return web.json_response({"user": self._renderer(request).user(user)})

    # -- writes ----------------------------------------------------------------

    async def create_pool(self, request: web.Request) -> web.Response:
        service = self._service(request)
        self._settled(service)
        fields = create_fields(await json_object(request))
        self._check_pool_name(fields["pool_name"])
        self._writable(service)
        self._check_references(service, fields)
        async with self._write(service):
            if fields["pool_name"] in service.pools:
                raise ApiError(409, f"Connection pool {fields['pool_name']} already exists")
            pool = Pool(**{key: value for key, value in fields.items() if value is not None})
            service.pools[pool.pool_name] = pool
        return _ok("created")

    async def update_pool(self, request: web.Request) -> web.Response:
        service = self._service(request)
        self._settled(service)
        fields = update_fields(await json_object(request))
        self._writable(service)
        self._check_references(service, fields)
        async with self._write(service):
            pool = self._pool(service, request)
            for key, value in fields.items():
                setattr(pool, key, value)
        return _ok("updated")

    async def delete_pool(self, request: web.Request) -> web.Response:
        service = self._service(request)
        self._settled(service)
        self._writable(service)
        async with self._write(service):
            pool = self._pool(service, request)
            del service.pools[pool.pool_name]
        return _ok("deleted")

    def _pool(self, service: Service, request: web.Request) -> Pool:
        name = request.match_info["pool_name"]
        pool = service.pools.get(name)
        if pool is None:
            raise ApiError(404, f"Connection pool {name} does not exist")
        return pool

    @asynccontextmanager
    async def _write(self, service: Service) -> AsyncIterator[None]:
        """One write: serialised per service, applied to the backend, undone if that fails."""
        async with service.lock:
            saved = copy.deepcopy(service.pools)
            yield
            service.touch()
            if self.options.backend_apply_delay > 0:
                # Production shows the change at once and serves it minutes later; a
                # failure then has nobody to answer to, so nothing is undone.
                self.delayed_syncs.schedule(service, self.options.backend_apply_delay)
                return
            try:
                await self.backend.sync_pools(service)
            except Exception:
                LOG.exception("backend failed to apply pools of %s/%s; change undone", service.project, service.name)
                service.pools = saved
                await self.backend.sync_pools(service)
                raise ApiError(500, "An error occurred. Please try again later.") from None
