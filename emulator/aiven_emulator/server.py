"""Start and stop the emulator: used by the command line and by tests."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Dict, Optional

from aiohttp import web

from .app import Emulator
from .backends import Backend, MemoryBackend
from .options import Options
from .seed import DEFAULT_SEED, build_world


def make_backend(name: str) -> Backend:
    if name == "memory":
        return MemoryBackend()
    if name == "pgbouncer":
        from .backend_pgbouncer import PgBouncerBackend  # needs PostgreSQL and PgBouncer binaries

        return PgBouncerBackend()
    raise ValueError(f"unknown backend {name!r}: use memory or pgbouncer")


class RunningEmulator:
    """An emulator serving on loopback until ``stop``."""

    def __init__(self, emulator: Emulator, runner: web.AppRunner, port: int, tls: bool = False) -> None:
        self.emulator = emulator
        self.runner = runner
        self.port = port
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"

    async def stop(self) -> None:
        try:
            await self.runner.cleanup()
            # Delayed pool syncs talk to the backend: settle them before its servers go.
            await self.emulator.close()
        finally:
            await self.emulator.backend.stop()


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context for HTTPS: the TLS checks of the modules are tested against it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


async def start(
    seed: Optional[Dict[str, Any]] = None,
    backend: str = "memory",
    port: int = 0,
    latency_ms: int = 0,
    options: Optional[Dict[str, Any]] = None,
    ssl_context: Optional[ssl.SSLContext] = None,
) -> RunningEmulator:
    """Serve on loopback ``port``; HTTPS when ``ssl_context`` is given (see ``tls_context``)."""
    data = seed if seed is not None else DEFAULT_SEED
    world = build_world(data)
    chosen = make_backend(backend)
    settings = Options()
    settings.update(dict(data.get("options") or {}, **(options or {})))
    emulator = Emulator(world, chosen, settings, latency_ms=latency_ms)
    await chosen.start(world.services())
    try:
        # Many keep-alive clients at once: the benchmark and batch writes need no cap.
        runner = web.AppRunner(emulator.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024, ssl_context=ssl_context)
        await site.start()
    except BaseException:
        await chosen.stop()
        raise
    bound = site._server.sockets[0].getsockname()[1]  # the real port when 0 was asked
    return RunningEmulator(emulator, runner, bound, tls=ssl_context is not None)


async def serve_forever(running: RunningEmulator, stop_event: asyncio.Event) -> None:
    try:
        await stop_event.wait()
    finally:
        await running.stop()
