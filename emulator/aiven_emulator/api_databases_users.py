"""Handlers of the database and service-user routes (../shared/contract/AIVEN_DATABASES_USERS.md)."""

from __future__ import annotations

import copy
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, AsyncIterator, Dict, Optional

from aiohttp import web

from . import database_rules, rules, user_rules
from .documents import Renderer
from .errors import SERVER_ERROR_TEXT, ApiError
from .model import Service, ServiceUser
from .validation import json_object, page_size

if TYPE_CHECKING:
    from .api import AivenApi

LOG = logging.getLogger("emulator.api")
SERVICE_PATH = "/v1/project/{project}/service/{service}"


def _ok(message: str) -> web.Response:
    return web.json_response({"message": message})


class DatabaseUserApi:
    """The /db and /user routes of a service; lookups, tokens and the backend are those of ``api``."""

    def __init__(self, api: AivenApi) -> None:
        self.api = api
        self.options = api.options
        self.backend = api.backend

    def routes(self) -> list:
        return [
            web.get(SERVICE_PATH + "/db", self.list_databases),
            web.post(SERVICE_PATH + "/db", self.create_database),
            web.delete(SERVICE_PATH + "/db/{dbname}", self.delete_database),
            web.post(SERVICE_PATH + "/user", self.create_user),
            web.get(SERVICE_PATH + "/user/{username}", self.get_user),
            web.put(SERVICE_PATH + "/user/{username}", self.modify_user),
            web.delete(SERVICE_PATH + "/user/{username}", self.delete_user),
        ]

    # -- databases -------------------------------------------------------------

    async def list_databases(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        if service.state == "POWEROFF" and self.options.poweroff_db_status == 503:
            # Production lists databases from the running server, so a powered-off one fails.
            raise ApiError(503, SERVER_ERROR_TEXT)
        database_rules.checked_limit(request.query.get("limit"), self.options)
        raw_size = request.query.get("maxItems")
        size = page_size(raw_size) if raw_size is not None else self.options.database_page_size
        names = database_rules.visible_databases(service)
        database_rules.count_list_read(service)
        # Paginated since 2026 (maxItems 1-250, after, next): a page starts after the database named by ``after``,
        # and ``next`` is the cursor to pass as ``after`` (the last name of the page).
        names = names[rules.page_start(names, request.query.get("after")):]
        body: Dict[str, object] = {"databases": [database_rules.list_item(service, name, self.options) for name in names[:size]]}
        if len(names) > size:
            body["next"] = names[size - 1]
        elif self.options.database_last_page_next != "absent":
            body["next"] = None if self.options.database_last_page_next == "null" else ""
        return web.json_response(body)

    async def create_database(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        rules.settled(service, self.options)
        fields = database_rules.create_fields(await json_object(request), self.options)
        database_rules.poweroff_refused(service, self.options)
        async with self._write(service):
            database_rules.add_database(service, fields, self.options)
            await self.backend.create_database(service, fields["database"])
        return _ok("created")

    async def delete_database(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        rules.settled(service, self.options)
        database_rules.poweroff_refused(service, self.options)
        name = request.match_info["dbname"]
        async with self._write(service):
            removed = database_rules.remove_database(service, name, self.options)
            if removed:
                await self.backend.sync_pools(service)
            await self.backend.drop_database(service, name)
        return _ok("deleted")

    # -- users -----------------------------------------------------------------

    async def create_user(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        rules.settled(service, self.options)
        fields = user_rules.create_fields(await json_object(request), self.options)
        database_rules.poweroff_refused(service, self.options)
        async with self._write(service):
            user = user_rules.add_user(service, fields, self.options)
            await self.backend.create_user(service, user)
        return web.json_response({"user": self._created_user(user)})

    def _created_user(self, user: ServiceUser) -> dict:
        document = Renderer(self.options, show_secrets=True).user(user)
        choice = self.options.user_create_password
        if choice != "clear":
            # Write endpoints always redact secrets (aiven-docs#1886); "empty" is the other unconfirmed reading.
            document["password"] = "" if choice == "empty" else "<redacted>"
        return document

    async def get_user(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        if not request[self.api.token_key].may("write") and self.options.user_get_read_only_status == 403:
            # ServiceUserGet asks service:users:write or service:configuration:write; read_only is not listed.
            raise ApiError(403, "Insufficient permissions: reading a service user requires the permission service:users:write")
        renderer = self.api.renderer(request)
        user = user_rules.read_user(service, request.match_info["username"])
        document = renderer.user(user)
        if user.empty_password_reads > 0:
            user.empty_password_reads -= 1
        return web.json_response({"user": document})

    async def modify_user(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        rules.settled(service, self.options)
        user = user_rules.user_of(service, request.match_info["username"])
        fields = user_rules.modify_fields(await json_object(request), self.options)
        database_rules.poweroff_refused(service, self.options)
        async with self._write(service):
            user_rules.modify_user(user, fields, self.options)
            await self.backend.alter_user(service, user)
        # Write endpoints always redact (when redaction is on at all): the service as a read without include_secrets.
        document = Renderer(self.options, show_secrets=False).service(self.api.as_read(service), self.backend.endpoint(service))
        return web.json_response({"service": document})

    async def delete_user(self, request: web.Request) -> web.Response:
        service = self.api.service_of(request)
        rules.settled(service, self.options)
        database_rules.poweroff_refused(service, self.options)
        name = request.match_info["username"]
        async with self._write(service):
            removed = user_rules.remove_user(service, name, self.options)
            if removed:
                await self.backend.sync_pools(service)
            await self.backend.drop_user(service, name)
        return _ok("deleted")

    # -- writes ----------------------------------------------------------------

    @asynccontextmanager
    async def _write(self, service: Service) -> AsyncIterator[None]:
        """One database or user write: serialised per service; if the backend fails, the model is put back and 500 answered."""
        async with service.lock:
            saved = _snapshot(service)
            try:
                yield
            except ApiError:
                _restore(service, saved)
                raise
            except Exception:
                LOG.exception("backend failed a database or user change of %s/%s; change undone", service.project, service.name)
                _restore(service, saved)
                await self.backend.sync_pools(service)  # pools a cascade had taken out are served again
                raise ApiError(500, SERVER_ERROR_TEXT) from None
            service.touch()


def _snapshot(service: Service) -> Dict[str, object]:
    return {
        "databases": list(service.databases),
        "locales": dict(service.locales),
        "database_lag": copy.deepcopy(service.database_lag),
        "users": copy.deepcopy(dict(service.users)),
        "deleted_users": dict(service.deleted_users),
        "pools": copy.deepcopy(service.pools),
    }


def _restore(service: Service, saved: Dict[str, object]) -> None:
    service.databases[:] = saved["databases"]  # type: ignore[index]
    service.locales = saved["locales"]  # type: ignore[assignment]
    service.database_lag = saved["database_lag"]  # type: ignore[assignment]
    users: Dict[str, ServiceUser] = saved["users"]  # type: ignore[assignment]
    # Put the same objects' fields back, so that references held elsewhere stay valid.
    for name in list(service.users):
        if name not in users:
            del service.users[name]
    for name, user in users.items():
        current: Optional[ServiceUser] = service.users.get(name)
        if current is None:
            service.users[name] = user
        else:
            current.__dict__.update(user.__dict__)
    service.deleted_users = saved["deleted_users"]  # type: ignore[assignment]
    service.pools = saved["pools"]  # type: ignore[assignment]
