"""Assembles the emulator's aiohttp application: API, control routes, middlewares."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from aiohttp import web

from .api import AivenApi
from .backends import Backend
from .control_routes import PREFIX, ControlApi
from .controls import Controls, FaultRule
from .errors import ApiError
from .model import World
from .options import Options

LOG = logging.getLogger("emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RATE_LIMIT = 120


class Emulator:
    """The whole emulator state, reachable from tests and the command line."""

    def __init__(self, world: World, backend: Backend, options: Options | None = None, latency_ms: int = 0) -> None:
        self.world = world
        self.backend = backend
        self.options = options or Options()
        self.controls = Controls(latency_ms=latency_ms)
        self.app = self._build()

    def _build(self) -> web.Application:
        app = web.Application(middlewares=[self._error_shape, self._api_controls, self._auth])
        app.add_routes(AivenApi(self.world, self.backend, self.options).routes())
        app.add_routes(ControlApi(self.world, self.backend, self.options, self.controls).routes())
        return app

    # -- middlewares, outermost first ----------------------------------------

    @web.middleware
    async def _error_shape(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every failure answers in Aiven's error shape, never a stack trace."""
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            text = "Not found" if exc.status == 404 else exc.reason
            response = ApiError(exc.status, text).response()
            if exc.status == 405 and "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            LOG.exception("unexpected error on %s %s", request.method, request.path)
            return ApiError(500, "An error occurred. Please try again later.").response()

    @web.middleware
    async def _api_controls(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Counting, latency and fault injection: Aiven API routes only."""
        if request.path.startswith(PREFIX + "/") or request.path == PREFIX:
            return await handler(request)
        method, path = request.method, request.raw_path.split("?", 1)[0]
        if self.controls.latency_ms:
            await asyncio.sleep(self.controls.latency_ms / 1000.0)
        rule = self.controls.faults.pick(method, path)
        if rule is not None and rule.drop == "before":
            self.controls.requests.record(method, path, "dropped")
            return _drop_connection(request)
        if rule is not None and rule.drop is None:
            self.controls.requests.record(method, path, rule.status)
            return _fault_response(rule)
        try:
            response = await handler(request)
        except (ApiError, web.HTTPException) as exc:
            self.controls.requests.record(method, path, exc.status)
            raise
        if rule is not None:  # drop == "after": the write happened, the reply is lost
            self.controls.requests.record(method, path, "dropped")
            return _drop_connection(request)
        self.controls.requests.record(method, path, response.status)
        return response

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PREFIX + "/"):
            return await handler(request)
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() not in ("aivenv1", "bearer") or token not in self.world.tokens:
            raise ApiError(401, "Missing (expired) db token")
        if self.world.tokens[token] and request.method not in ("GET", "HEAD", "OPTIONS"):
            raise ApiError(403, "Insufficient permissions for this operation with a read-only token")
        return await handler(request)


def _fault_response(rule: FaultRule) -> web.Response:
    status = rule.status or 503
    if rule.message:
        message = rule.message
    elif status == 429:
        wait = rule.retry_after if rule.retry_after is not None else 1
        message = f"Rate limit {RATE_LIMIT} exceeded - try again in {wait}s"
    else:
        message = "An error occurred. Please try again later."
    response = ApiError(status, message).response()
    if rule.retry_after is not None:
        response.headers["Retry-After"] = str(rule.retry_after)
    return response


def _drop_connection(request: web.Request) -> web.Response:
    """Close the TCP connection without an HTTP reply.

    The returned response is never delivered: the transport is already gone.
    """
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=204)
