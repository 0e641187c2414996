"""DelayedSyncs (the backend_apply_delay option) against a recording fake backend."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, List, Optional

from aiven_emulator.backends import MemoryBackend
from aiven_emulator.delayed_sync import DelayedSyncs
from aiven_emulator.model import Pool, Service

WAIT = 10.0  # bound on waiting for a condition, far above the delays used


class RecordingBackend(MemoryBackend):
    """Records the pool names of every sync; can fail, or hold a sync until released."""

    def __init__(self, fail: bool = False, hold: Optional[asyncio.Event] = None) -> None:
        self.synced: List[List[str]] = []
        self.started = asyncio.Event()
        self.fail = fail
        self.hold = hold

    async def sync_pools(self, service: Service) -> None:
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise RuntimeError("backend down")
        self.synced.append(sorted(service.pools))


def service_with(*names: str) -> Service:
    service = Service(project="p", name="s")
    service.pools = {name: Pool(pool_name=name, database="defaultdb") for name in names}
    return service


async def until_idle(syncs: DelayedSyncs) -> None:
    async def idle() -> None:
        while syncs.pending():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(idle(), WAIT)


Steps = Callable[[DelayedSyncs, Service, RecordingBackend], Awaitable[None]]


def synced_after(steps: Steps) -> List[List[str]]:
    """The pool lists the backend was synced with, after ``steps`` ran on service "a" and the syncs were closed."""
    async def scenario() -> List[List[str]]:
        backend = RecordingBackend()
        syncs = DelayedSyncs(backend)
        await steps(syncs, service_with("a"), backend)
        await syncs.close()
        return backend.synced

    return asyncio.run(scenario())


def test_changes_made_while_a_sync_waits_ride_along_with_it():
    async def steps(syncs: DelayedSyncs, service: Service, backend: RecordingBackend) -> None:
        syncs.schedule(service, 0.2)
        assert backend.synced == []  # nothing reaches the backend at once
        service.pools["b"] = Pool(pool_name="b", database="defaultdb")
        syncs.schedule(service, 0.2)
        assert syncs.pending() == 1
        await until_idle(syncs)

    assert synced_after(steps) == [["a", "b"]]


def test_a_change_after_the_sync_ran_gets_its_own_sync():
    async def steps(syncs: DelayedSyncs, service: Service, backend: RecordingBackend) -> None:
        syncs.schedule(service, 0.01)
        await until_idle(syncs)
        del service.pools["a"]
        syncs.schedule(service, 0.01)
        await until_idle(syncs)

    assert synced_after(steps) == [["a"], []]


def test_a_failed_sync_is_logged_and_raises_nowhere(caplog):
    async def scenario() -> None:
        syncs = DelayedSyncs(RecordingBackend(fail=True))
        syncs.schedule(service_with("a"), 0.01)
        await until_idle(syncs)
        await syncs.close()

    with caplog.at_level(logging.ERROR, logger="emulator.delayed_sync"):
        asyncio.run(scenario())
    assert [record.getMessage() for record in caplog.records] == ["delayed backend sync of p/s failed"]
    assert "backend down" in caplog.text


def test_close_drops_waiting_syncs_and_refuses_new_ones():
    async def scenario() -> RecordingBackend:
        backend = RecordingBackend()
        syncs = DelayedSyncs(backend)
        service = service_with("a")
        syncs.schedule(service, 600.0)
        await asyncio.sleep(0)  # let the task start waiting
        await asyncio.wait_for(syncs.close(), WAIT)
        syncs.schedule(service, 0.0)
        assert syncs.pending() == 0
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        assert others == []
        return backend

    assert asyncio.run(scenario()).synced == []


def test_close_lets_a_sync_in_progress_finish():
    async def scenario() -> List[List[str]]:
        hold = asyncio.Event()
        backend = RecordingBackend(hold=hold)
        syncs = DelayedSyncs(backend)
        syncs.schedule(service_with("a"), 0.0)
        await asyncio.wait_for(backend.started.wait(), WAIT)
        closing = asyncio.ensure_future(syncs.close())
        await asyncio.sleep(0.05)
        assert not closing.done()  # still waiting for the backend
        hold.set()
        await asyncio.wait_for(closing, WAIT)
        return backend.synced

    assert asyncio.run(scenario()) == [["a"]]


def test_a_sync_waits_for_the_service_lock():
    async def steps(syncs: DelayedSyncs, service: Service, backend: RecordingBackend) -> None:
        async with service.lock:
            syncs.schedule(service, 0.0)
            await asyncio.sleep(0.05)
            assert backend.synced == []  # a write in progress holds the lock
            service.pools["b"] = Pool(pool_name="b", database="defaultdb")
        await until_idle(syncs)

    assert synced_after(steps) == [["a", "b"]]
