"""Handlers of the Aiven API routes the collection uses (see shared/contract)."""

from __future__ import annotations

import copy
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiohttp import web

from . import database_rules, read_lag, rules
from .api_databases_users import DatabaseUserApi
from .backends import Backend
from .delayed_sync import DelayedSyncs
from .documents import Renderer
from .errors import SERVER_ERROR_TEXT, ApiError
from .model import Project, Service, Token, World
from .options import Options
from .validation import json_object

LOG = logging.getLogger("emulator.api")
PROJECT_PATH = "/v1/project/{project}"
SERVICE_PATH = PROJECT_PATH + "/service/{service}"
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
        self.token_key = TOKEN_KEY
        self.databases_users = DatabaseUserApi(self)

    def routes(self) -> list:
        return [
            web.get(PROJECT_PATH + "/kms/ca", self.get_project_ca),
            web.get(PROJECT_PATH + "/service", self.list_services),
            web.get(SERVICE_PATH, self.get_service),
            *self.databases_users.routes(),
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
        return rules.service_of(self._project(request).services, request.match_info["service"])

    def service_of(self, request: web.Request) -> Service:
        """The request's service, after the project membership check."""
        return self._service(request)

    def renderer(self, request: web.Request) -> Renderer:
        """Documents for this request: secrets in clear only when it asked, with the right to."""
        return self._renderer(request)

    def _renderer(self, request: web.Request) -> Renderer:
        show = rules.show_secrets(request.query.get("include_secrets", ""), request[TOKEN_KEY])
        return Renderer(self.options, show_secrets=show)

    # -- reads -----------------------------------------------------------------

    async def get_project_ca(self, request: web.Request) -> web.Response:
        """The CA that signed the project's service certificates (aiven-client get_project_ca)."""
        project = self._project(request)
        rules.may_read_project_ca(request[TOKEN_KEY], self.options)
        return web.json_response({"certificate": self.backend.project_ca(project.name)})

    async def list_services(self, request: web.Request) -> web.Response:
        """Every service of the project, each exactly as GET service renders it."""
        project = self._project(request)
        renderer = self._renderer(request)
        documents = [renderer.service(self._as_read(service), self.backend.endpoint(service)) for service in project.services.values()]
        for service in project.services.values():
            database_rules.count_list_read(service)
        return web.json_response({"services": documents})

    async def get_service(self, request: web.Request) -> web.Response:
        service = self._service(request)
        document = self._renderer(request).service(self._as_read(service), self.backend.endpoint(service))
        # Its databases list lags as the /db list does, and catches up with the reads the same way.
        database_rules.count_list_read(service)
        return web.json_response({"service": document})

    def as_read(self, service: Service) -> Service:
        return self._as_read(service)

    def _as_read(self, service: Service) -> Service:
        """The service as reads show it: with the read_lag option, its pools of that many seconds ago."""
        return read_lag.as_read(service, self.options.read_lag)

    # -- writes ----------------------------------------------------------------

    async def create_pool(self, request: web.Request) -> web.Response:
        service = self._service(request)
        rules.settled(service, self.options)
        fields = rules.create_checked(service, await json_object(request), self.options)
        async with self._write(service):
            rules.add_pool(service, fields)
        return _ok("created")

    async def update_pool(self, request: web.Request) -> web.Response:
        service = self._service(request)
        rules.settled(service, self.options)
        fields = rules.update_checked(service, await json_object(request), self.options)
        async with self._write(service):
            rules.change_pool(service, request.match_info["pool_name"], fields)
        return _ok("updated")

    async def delete_pool(self, request: web.Request) -> web.Response:
        service = self._service(request)
        rules.settled(service, self.options)
        rules.writable(service, self.options)
        async with self._write(service):
            rules.remove_pool(service, request.match_info["pool_name"])
        return _ok("deleted")

    @asynccontextmanager
    async def _write(self, service: Service) -> AsyncIterator[None]:
        """One write: serialised per service, applied to the backend, undone if that fails."""
        async with service.lock:
            saved = copy.deepcopy(service.pools)
            yield
            service.touch()
            read_lag.record(service, saved, self.options.read_lag)
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
                raise ApiError(500, SERVER_ERROR_TEXT) from None
