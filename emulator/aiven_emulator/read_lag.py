"""The read_lag option: reads show a service's pools as they were ``read_lag`` seconds ago.

Each write appends (when, pools after it) to the service's ``pool_history``; a read
shows the newest state that is at least ``read_lag`` old, so each write appears that
long after it was made, in the order the writes were made. Writes themselves always
see the current pools (an update of a pool the reads do not show yet succeeds).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from typing import Callable, Dict

from .model import Pool, Service

Clock = Callable[[], float]


def record(service: Service, before: Dict[str, Pool], lag: float, clock: Clock = time.monotonic) -> None:
    """Note a write that changed ``service.pools`` from ``before``; nothing is kept while ``lag`` is 0."""
    if lag <= 0:
        service.pool_history.clear()
        return
    if not service.pool_history:
        # What reads showed before this write, for as long as the write stays hidden.
        service.pool_history.append((float("-inf"), before))
    service.pool_history.append((clock(), copy.deepcopy(service.pools)))


def forget(service: Service) -> None:
    """A change made outside the API (the console's power cycle) shows at once."""
    service.pool_history.clear()


def visible_pools(service: Service, lag: float, clock: Clock = time.monotonic) -> Dict[str, Pool]:
    """The pools a read shows now; the history older than that is dropped, so it stays as short as the lag."""
    history = service.pool_history
    if lag <= 0 or not history:
        return service.pools
    horizon = clock() - lag
    shown = 0
    for index, (when, _pools) in enumerate(history):
        if when <= horizon:
            shown = index
    del history[:shown]
    if len(history) == 1:
        # Every write shows: reads are current again until the next one.
        history.clear()
        return service.pools
    return history[0][1]


def as_read(service: Service, lag: float, clock: Clock = time.monotonic) -> Service:
    """``service`` as a read shows it: the same object when nothing is hidden, else a copy with the older pools."""
    pools = visible_pools(service, lag, clock)
    if pools is service.pools:
        return service
    return dataclasses.replace(service, pools=pools)
