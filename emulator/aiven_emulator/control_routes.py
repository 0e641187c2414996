"""Routes under /_emulator/: test controls that Aiven's API does not have."""

from __future__ import annotations

import time

from aiohttp import web

from . import read_lag
from .backends import Backend
from .controls import Controls
from .errors import ApiError, bad_request
from .model import SERVICE_STATES, Service, World
from .options import Options
from .plans import UnknownPlan, plan_size
from .validation import json_object

PREFIX = "/_emulator"


class ControlApi:
    def __init__(self, world: World, backend: Backend, options: Options, controls: Controls) -> None:
        self.world = world
        self.backend = backend
        self.options = options
        self.controls = controls

    def routes(self) -> list:
        return [
            web.get(PREFIX + "/requests", self.get_requests),
            web.delete(PREFIX + "/requests", self.reset_requests),
            web.get(PREFIX + "/faults", self.get_faults),
            web.post(PREFIX + "/faults", self.add_faults),
            web.delete(PREFIX + "/faults", self.clear_faults),
            web.get(PREFIX + "/options", self.get_options),
            web.put(PREFIX + "/options", self.put_options),
            web.delete(PREFIX + "/options", self.reset_options),
            web.put(PREFIX + "/latency", self.put_latency),
            web.put(PREFIX + "/projects/{project}/services/{service}", self.put_service),
            web.put(PREFIX + "/projects/{project}/services/{service}/users/{username}", self.put_user),
        ]

    async def get_requests(self, request: web.Request) -> web.Response:
        return web.json_response(self.controls.requests.snapshot())

    async def reset_requests(self, request: web.Request) -> web.Response:
        self.controls.requests.reset()
        return web.json_response({"message": "request log cleared"})

    async def get_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"rules": self.controls.faults.to_list()})

    async def add_faults(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        self.controls.faults.add(body.get("rules"))
        return web.json_response({"rules": self.controls.faults.to_list()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.controls.faults.clear()
        return web.json_response({"message": "fault rules cleared"})

    async def get_options(self, request: web.Request) -> web.Response:
        return web.json_response(self.options.to_dict())

    async def put_options(self, request: web.Request) -> web.Response:
        self.options.update(await json_object(request))
        # Whoever sets options starts from full rate-limit allowances: a test knows how many requests pass.
        self.controls.rate_limiter.reset()
        return web.json_response(self.options.to_dict())

    async def reset_options(self, request: web.Request) -> web.Response:
        """Every switch back to its default (production's), with full rate-limit allowances."""
        self.options.update(Options().to_dict())
        self.controls.rate_limiter.reset()
        return web.json_response(self.options.to_dict())

    async def put_latency(self, request: web.Request) -> web.Response:
        value = (await json_object(request)).get("latency_ms")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60000:
            raise bad_request("'latency_ms' must be an integer from 0 to 60000")
        self.controls.latency_ms = value
        return web.json_response({"latency_ms": value})

    def _seeded_service(self, request: web.Request) -> Service:
        project = self.world.projects.get(request.match_info["project"])
        service = project.services.get(request.match_info["service"]) if project else None
        if service is None:
            raise ApiError(404, "no such project or service in the seed")
        return service

    async def put_user(self, request: web.Request) -> web.Response:
        """``{"password_overridden": true}``: the user's password changed inside PostgreSQL (ALTER ROLE), so the
        API shows it as unknown (the overridden_password option) and its own password no longer logs in."""
        service = self._seeded_service(request)
        user = service.users.get(request.match_info["username"])
        if user is None:
            raise ApiError(404, "no such user in the service")
        overridden = (await json_object(request)).get("password_overridden")
        if not isinstance(overridden, bool):
            raise bad_request("'password_overridden' must be true or false")
        async with service.lock:
            user.password_overridden = overridden
            await self.backend.alter_user(service, user)
        return web.json_response({"username": user.username, "password_overridden": user.password_overridden})

    async def put_service(self, request: web.Request) -> web.Response:
        """Change a service's state or plan, as Aiven's console would."""
        service = self._seeded_service(request)
        body = await json_object(request)
        state = body.get("state", service.state)
        plan = body.get("plan", service.plan)
        if state not in SERVICE_STATES:
            raise bad_request(f"'state' must be one of {', '.join(SERVICE_STATES)}")
        if not isinstance(plan, str) or not plan:
            raise bad_request("'plan' must be a non-empty string")
        try:
            plan_size(plan)  # the documents carry the plan's size: a plan without one is refused here
        except UnknownPlan as exc:
            raise bad_request(str(exc)) from None
        async with service.lock:
            # A power cycle can lose pools on Aiven; emulate it when asked to.
            if state == "POWEROFF" and service.state != "POWEROFF" and self.options.poweroff_drops_pools:
                service.pools = {}
                read_lag.forget(service)
                await self.backend.sync_pools(service)
            if state == "RUNNING" and service.state != "RUNNING":
                # Powered on again: the service_lag option starts counting from here.
                service.running_since = time.monotonic()
            service.state = state
            resized, service.plan = plan != service.plan, plan
            if resized:
                # A new plan may bring another max_connections: Aiven restarts PostgreSQL for it.
                await self.backend.resize(service)
            service.touch()
        return web.json_response({"state": service.state, "plan": service.plan, "pools": len(service.pools)})
