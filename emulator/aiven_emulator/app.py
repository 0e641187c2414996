"""Assembles the emulator's aiohttp application: API, control routes, middlewares."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from aiohttp import web

from .api import TOKEN_KEY, AivenApi
from .backends import Backend
from .control_routes import PREFIX, ControlApi
from .controls import Controls, FaultRule
from .errors import NOT_FOUND_TEXT, SERVER_ERROR_TEXT, ApiError
from .model import World
from .options import Options
from .rate_limit import too_many_requests_text

LOG = logging.getLogger("emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Aiven's limit in its one published 429 text: injected 429s quote it unless rate_limit is set.
RATE_LIMIT = 120
# Marks a request the rate limiter refused, for the request log.
RATE_LIMITED_KEY = web.RequestKey("rate_limited", bool)


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
        self.api = AivenApi(self.world, self.backend, self.options)
        app.add_routes(self.api.routes())
        app.add_routes(ControlApi(self.world, self.backend, self.options, self.controls).routes())
        return app

    async def close(self) -> None:
        """Settle background work before the backend stops: pool syncs still delayed."""
        await self.api.delayed_syncs.close()

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
            text = NOT_FOUND_TEXT if exc.status == 404 else exc.reason
            response = ApiError(exc.status, text).response()
            if exc.status == 405 and "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            LOG.exception("unexpected error on %s %s", request.method, request.path)
            return ApiError(500, SERVER_ERROR_TEXT).response()

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
        if rule is not None and rule.drop is None and not rule.after_commit:
            self.controls.requests.record(method, path, rule.status)
            return _fault_response(rule, self.options.rate_limit or RATE_LIMIT)
        try:
            response = await handler(request)
        except (ApiError, web.HTTPException) as exc:
            self.controls.requests.record(method, path, exc.status)
            raise
        if rule is not None and rule.after_commit:  # the write happened, the reply is an error
            self.controls.requests.record(method, path, rule.status)
            return _fault_response(rule, self.options.rate_limit or RATE_LIMIT)
        if rule is not None:  # drop == "after": the write happened, the reply is lost
            self.controls.requests.record(method, path, "dropped")
            return _drop_connection(request)
        self.controls.requests.record(method, path, response.status, rate_limited=request.get(RATE_LIMITED_KEY, False))
        return response

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PREFIX + "/"):
            return await handler(request)
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() not in ("aivenv1", "bearer") or token not in self.world.tokens:
            raise ApiError(401, "Missing (expired) db token")
        grant = self.world.tokens[token]
        refusal = self._rate_limit(request, grant.user)
        if refusal is not None:
            return refusal
        if not grant.may("write") and request.method not in ("GET", "HEAD", "OPTIONS"):
            raise ApiError(403, "Insufficient permissions for this operation with a read-only token")
        # Handlers check project membership and the secrets permission against it.
        request[TOKEN_KEY] = grant
        return await handler(request)

    def _rate_limit(self, request: web.Request, user: str) -> web.Response | None:
        """Aiven's 429 once ``user`` (all of its tokens) is over the limit; None lets the request through.

        Only authenticated requests reach this, so a wrong token never spends a real user's allowance.
        """
        options = self.options
        wait = self.controls.rate_limiter.take(options.rate_limit_shape, user, options.rate_limit, options.rate_limit_window)
        if not wait:
            return None
        request[RATE_LIMITED_KEY] = True
        response = ApiError(429, too_many_requests_text(options.rate_limit, wait)).response()
        if options.rate_limit_retry_after_header:
            response.headers["Retry-After"] = str(wait)
        return response


def _fault_response(rule: FaultRule, limit: int) -> web.Response:
    status = rule.status or 503
    if rule.message:
        message = rule.message
    elif status == 429:
        wait = rule.retry_after if rule.retry_after is not None else 1
        message = too_many_requests_text(limit, wait)
    else:
        message = SERVER_ERROR_TEXT
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
