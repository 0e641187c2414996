# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order of a run's writes: per service, its creates and updates first, its deletes after them.

A service's deletes start only once every create and update of that service succeeded,
so that a refused create never leaves a purged service without the pools it was to keep.
Services do not wait for each other: a service's deletes go to the front of the queue
as soon as its own creates and updates are done. Every write of every service shares one
bound of writes in flight, and after a failure no new write starts. No Ansible, no I/O
of its own: ``write`` makes the request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar


class Write(Protocol):
    """One write as the scheduler sees it, once ``write`` has made it."""

    @property
    def succeeded(self) -> bool:
        """The API applied it: the service's deletes may follow."""

    @property
    def failed(self) -> bool:
        """It failed for good: no new write starts."""


W = TypeVar("W", bound=Write)


@dataclass
class ServiceWrites(Generic[W]):
    """The writes of one service: ``first`` in any order, ``then`` only after every one of ``first`` succeeded."""

    first: list[W] = field(default_factory=list)  # creates and updates
    then: list[W] = field(default_factory=list)   # deletes


def apply_in_order(services: Sequence[ServiceWrites[W]], concurrency: int, write: Callable[[W], None]) -> None:
    """Make the writes, at most ``concurrency`` at once; a write never started is left as it was (not attempted)."""
    queue: deque[tuple[int, bool, W]] = deque()  # (service index, is one of first, write)
    for index, service in enumerate(services):
        queue.extend((index, True, item) for item in service.first)
        if not service.first:
            queue.extend((index, False, item) for item in service.then)
    first_left = [len(service.first) for service in services]
    first_ok = [True] * len(services)
    stopped = False
    workers = max(1, concurrency)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        running: dict[Future[None], tuple[int, bool, W]] = {}
        while running or (queue and not stopped):
            while queue and not stopped and len(running) < workers:
                task = queue.popleft()
                running[executor.submit(write, task[2])] = task
            done, _pending = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, is_first, item = running.pop(future)
                future.result()  # a bug in write surfaces here, not lost in a thread
                stopped = stopped or item.failed
                if not is_first:
                    continue
                first_ok[index] = first_ok[index] and item.succeeded
                first_left[index] -= 1
                if first_left[index] == 0 and first_ok[index]:
                    # In front: the service's deletes need not wait behind other services' creates.
                    queue.extendleft((index, False, delete) for delete in reversed(services[index].then))
