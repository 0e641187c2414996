# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs a plan against one service: read, decide (``_pools``), write, read back.

No Ansible here: the modules turn ``SyncResult`` and ``SyncError`` into results.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Event
from typing import Any, Callable, Mapping, Sequence

from ansible_collections.dbpools.aiven.plugins.module_utils import _pools
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient

WRITABLE_STATES = ("RUNNING", "REBALANCING")
# Rounds of write + read back; a second round only repairs races with other writers.
MAX_ROUNDS = 3


class SyncError(Exception):
    """A run that could not finish; says what was applied before it stopped."""

    def __init__(self, message: str, failure: dict | None = None, applied: list | None = None,
                 failed_changes: list | None = None, not_attempted: list | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.failure = failure or {}
        self.applied = applied or []
        # Not "failed": Ansible's own result key of that name would overwrite it.
        self.failed_changes = failed_changes or []
        self.not_attempted = not_attempted or []

    def details(self) -> dict[str, Any]:
        """Extra fail_json keys: only those that say something."""
        details: dict[str, Any] = {}
        if self.failure:
            details["failure"] = self.failure
        if self.applied or self.failed_changes:
            details.update(applied=self.applied, failed_changes=self.failed_changes, not_attempted=self.not_attempted)
        return details


@dataclass
class Outcome:
    change: _pools.Change
    applied: bool = False          # the API made the change (maybe on an earlier, lost attempt)
    conflict: bool = False         # someone else got there first: re-read and re-plan
    error: AivenApiError | None = None
    attempted: bool = True

    def summary(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"pool_name": self.change.pool_name, "action": self.change.action}
        if self.change.action == "update":
            entry["fields"] = sorted(self.change.body)
        if self.error is not None:
            entry["status"] = self.error.status
            entry["message"] = self.error.message
        return entry


@dataclass
class SyncResult:
    pools: list[dict[str, Any]]              # the service's pools after the run (predicted in check mode)
    changes: list[dict[str, Any]] = field(default_factory=list)   # what was (or would be) done
    diff: dict[str, dict[str, Any]] = field(default_factory=lambda: {"before": {}, "after": {}})

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _write(client: AivenClient, project: str, service: str, change: _pools.Change) -> Outcome:
    outcome = Outcome(change)
    try:
        if change.action == "create":
            client.create_pool(project, service, change.body)
        elif change.action == "update":
            client.update_pool(project, service, change.pool_name, change.body)
        else:
            client.delete_pool(project, service, change.pool_name)
        outcome.applied = True
    except AivenApiError as err:
        # Another writer created the pool first, or removed it under our update:
        # not a failure of ours, the next read decides what is left to do.
        if (change.action == "create" and err.already_exists) or (change.action == "update" and err.not_found):
            outcome.conflict = True
        else:
            outcome.error = err
    return outcome


def apply_changes(client: AivenClient, project: str, service: str, changes: Sequence[_pools.Change], concurrency: int) -> list[Outcome]:
    """Run the writes, at most ``concurrency`` at once; after a failure no new write starts."""
    stop = Event()

    def run(change: _pools.Change) -> Outcome:
        if stop.is_set():
            return Outcome(change, attempted=False)
        outcome = _write(client, project, service, change)
        if outcome.error is not None:
            stop.set()
        return outcome

    workers = max(1, min(concurrency, len(changes)))
    if workers == 1:
        return [run(change) for change in changes]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, changes))


class PoolSync:
    """Brings the pools of one service to the desired state."""

    def __init__(self, client: AivenClient, project: str, service: str, concurrency: int = 4,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.project = project
        self.service = service
        self.concurrency = concurrency
        self._sleep = sleep
        self._clock = clock

    def where(self) -> str:
        return f"{self.project}/{self.service}"

    def read(self) -> dict[str, Any]:
        try:
            # The modules' results carry each pool's URI, which needs the secrets.
            return self.client.get_service(self.project, self.service, include_secrets=True)
        except AivenApiError as err:
            raise SyncError(f"cannot read service {self.where()}: {err}", failure=err.failure()) from None

    @staticmethod
    def pools_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [_pools.normalise_pool(entry) for entry in document.get("connection_pools") or []]

    def _refuse_powered_off(self, document: Mapping[str, Any]) -> None:
        if document.get("state") == "POWEROFF":
            raise SyncError(f"service {self.where()} is powered off (state POWEROFF): power it on before changing its pools",
                            failure={"status": None, "message": "service state POWEROFF", "state": "POWEROFF"})

    def wait_until_writable(self, document: dict[str, Any], wait: bool, timeout: float) -> dict[str, Any]:
        """The service document once it accepts pool changes; fails at once when powered off."""
        deadline = self._clock() + timeout
        while True:
            self._refuse_powered_off(document)
            state = document.get("state")
            if state in WRITABLE_STATES or not wait:
                return document
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise SyncError(f"service {self.where()} is still {state} after waiting {timeout:g} s for RUNNING",
                                failure={"status": None, "message": f"timed out waiting for state RUNNING, last state {state}", "state": state})
            self._sleep(min(max(timeout / 20.0, 1.0), 10.0, remaining))
            document = self.read()

    def run(self, desired: Sequence[Mapping[str, Any]], purge: bool = False, check_mode: bool = False,
            wait: bool = True, wait_timeout: float = 600, where: str | None = "pools") -> SyncResult:
        """Validate, read, plan and apply; ``where`` names the list in messages (None: a single pool)."""
        try:
            _pools.validate_desired(desired, where=where)
        except _pools.PlanError as err:
            raise SyncError(str(err)) from None
        document = self.read()
        current = self.pools_of(document)
        changes = self._plan(current, desired, purge)
        if changes:
            self._refuse_powered_off(document)  # in check mode too: the real run would fail
        if check_mode or not changes:
            predicted = _pools.predict(current, changes)
            return SyncResult(predicted, [Outcome(c, applied=True).summary() for c in changes], _pools.diff(changes))

        fresh = self.wait_until_writable(document, wait, wait_timeout)
        if fresh is not document:  # the pools may have moved while we waited
            current = self.pools_of(fresh)
            changes = self._plan(current, desired, purge)
        return self._converge(current, changes, desired, purge)

    def _plan(self, current: list[dict[str, Any]], desired: Sequence[Mapping[str, Any]], purge: bool) -> list[_pools.Change]:
        try:
            return _pools.plan(current, desired, purge)
        except _pools.PlanError as err:
            raise SyncError(f"{self.where()}: {err}") from None

    def _converge(self, current: list[dict[str, Any]], changes: list[_pools.Change],
                  desired: Sequence[Mapping[str, Any]], purge: bool) -> SyncResult:
        applied: list[Outcome] = []
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        pools = current
        for _round in range(MAX_ROUNDS):
            if not changes:
                break
            round_diff = _pools.diff(changes)
            for name, view in round_diff["before"].items():
                before.setdefault(name, view)
            outcomes = apply_changes(self.client, self.project, self.service, changes, self.concurrency)
            applied.extend(o for o in outcomes if o.applied)
            self._raise_on_failure(outcomes, applied)
            for outcome in outcomes:
                if outcome.applied:
                    name = outcome.change.pool_name
                    after.pop(name, None)
                    if outcome.change.after is not None:
                        after[name] = round_diff["after"][name]
            needs_read = any(o.conflict for o in outcomes) or any(o.change.action != "delete" for o in outcomes)
            if not needs_read:
                pools = _pools.predict(pools, changes)
                break
            pools = self.pools_of(self.read())
            # The diff shows the pools as read back, with their real host and port.
            read_back = {pool["pool_name"]: pool for pool in pools}
            after = {name: _pools.public_view(read_back[name]) if name in read_back else view for name, view in after.items()}
            changes = self._plan(pools, desired, purge)
        else:
            if changes:
                raise SyncError(f"{self.where()}: pools keep changing under this run (another writer?); "
                                f"still to do: {', '.join(c.action + ' ' + c.pool_name for c in changes)}",
                                applied=[o.summary() for o in applied])
        return SyncResult(pools, [o.summary() for o in applied], {"before": before, "after": after})

    def _raise_on_failure(self, outcomes: list[Outcome], applied: list[Outcome]) -> None:
        failed = [o for o in outcomes if o.error is not None]
        error = failed[0].error if failed else None
        if error is None:
            return
        first = failed[0]
        done = [o.summary() for o in applied]
        skipped = [o.summary() for o in outcomes if not o.attempted]
        message = f"cannot {first.change.action} pool {first.change.pool_name!r} on {self.where()}: {error}"
        if done:
            message += f"; applied before the failure: {', '.join(d['action'] + ' ' + d['pool_name'] for d in done)}"
        if skipped:
            message += f"; not attempted: {', '.join(s['action'] + ' ' + s['pool_name'] for s in skipped)}"
        raise SyncError(message, failure=error.failure(), applied=done,
                        failed_changes=[o.summary() for o in failed], not_attempted=skipped)
