"""Pool changes that reach the backend some time after the API accepted them.

On Aiven a new or changed pool shows in the next GET at once, but connecting through it
works only later (the operator's end-to-end test waits up to 3 minutes). The emulator
reproduces that with the backend_apply_delay option.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Dict, Set, Tuple

from .backends import Backend
from .model import Service

LOG = logging.getLogger("emulator.delayed_sync")
ServiceKey = Tuple[str, str]


class DelayedSyncs:
    """At most one waiting backend sync per service, applying the model as it is when it runs.

    ``sync_pools`` makes the backend equal ``service.pools``, so a change made while a sync
    is waiting rides along with it: every change reaches the backend at most the delay
    after it was made.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._waiting: Dict[ServiceKey, asyncio.Task] = {}
        # Every task not finished yet, waiting or applying: close() awaits them all.
        self._tasks: Set[asyncio.Task] = set()
        self._closed = False

    def schedule(self, service: Service, delay: float) -> None:
        """Sync ``service`` after ``delay`` seconds unless a sync of it is already waiting."""
        key = (service.project, service.name)
        if self._closed or key in self._waiting:
            return
        task = asyncio.get_running_loop().create_task(self._run(service, key, delay), name=f"delayed sync of {key[0]}/{key[1]}")
        self._waiting[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def pending(self) -> int:
        return len(self._tasks)

    async def _run(self, service: Service, key: ServiceKey, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
        finally:
            del self._waiting[key]
        try:
            async with service.lock:
                await self.backend.sync_pools(service)
        except Exception:
            # The API answered 200 long ago: nobody is left to tell but the log.
            LOG.exception("delayed backend sync of %s/%s failed", service.project, service.name)

    async def close(self) -> None:
        """Drop the syncs still waiting; let those already talking to the backend finish."""
        self._closed = True
        for task in self._waiting.values():
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
