# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs a plan against one service: read, decide (``_pools``), write, read back.

No Ansible here: the modules turn ``SyncResult`` and ``SyncError`` into results, and
``PoolSync.warnings`` into warnings.
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
# Rounds of writes, each read back; a later round only repairs races with other writers.
MAX_ROUNDS = 3
# Items a message names; the result's lists hold them all.
NAMES_SHOWN = 10


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
    """What became of one write."""

    change: _pools.Change
    applied: bool = False          # the API made the change (maybe on an earlier, lost attempt)
    error: AivenApiError | None = None
    # The refusal was a 409 on create or a 404 on update: another writer's doing,
    # if the next read agrees (the pool exists, or is gone).
    conflict: bool = False
    # False for a retried create answered "already exists": the pool may be another
    # writer's, so its settings are not held against this write.
    surely_ours: bool = True
    attempted: bool = True

    @property
    def failed(self) -> bool:
        return self.error is not None and not self.conflict

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
            outcome.surely_ours = client.create_pool(project, service, change.body) is not False
        elif change.action == "update":
            client.update_pool(project, service, change.pool_name, change.body)
        else:
            client.delete_pool(project, service, change.pool_name)
        outcome.applied = True
    except AivenApiError as err:
        outcome.error = err
        # A service that is gone is no other writer's doing: its 404 stands as it is.
        vanished = change.action == "update" and err.not_found and not err.service_missing
        outcome.conflict = (change.action == "create" and err.already_exists) or vanished
    return outcome


def apply_changes(client: AivenClient, project: str, service: str, changes: Sequence[_pools.Change], concurrency: int) -> list[Outcome]:
    """Run the writes, at most ``concurrency`` at once; after a failure no new write starts."""
    stop = Event()

    def run(change: _pools.Change) -> Outcome:
        if stop.is_set():
            return Outcome(change, attempted=False)
        outcome = _write(client, project, service, change)
        if outcome.failed:
            stop.set()
        return outcome

    workers = max(1, min(concurrency, len(changes)))
    if workers == 1:
        return [run(change) for change in changes]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, changes))


def _listed(items: Sequence[str]) -> str:
    """Items for a message, the first NAMES_SHOWN of them and a count of the rest."""
    rest = len(items) - NAMES_SHOWN
    text = ", ".join(items[:NAMES_SHOWN])
    return f"{text} and {rest} more" if rest > 0 else text


def _actions(summaries: Sequence[Mapping[str, Any]]) -> str:
    return _listed([f"{summary['action']} {summary['pool_name']}" for summary in summaries])


def _explained(outcome: Outcome, listed: set[str]) -> bool:
    """Another writer explains a conflict: the pool we could not create exists, the one we could not update is gone."""
    exists = outcome.change.pool_name in listed
    return exists if outcome.change.action == "create" else not exists


class _Progress:
    """The writes a run has applied so far, and the diff they make."""

    def __init__(self) -> None:
        self.applied: list[Outcome] = []
        self.before: dict[str, dict[str, Any]] = {}
        self.after: dict[str, dict[str, Any]] = {}

    def record(self, outcomes: Sequence[Outcome]) -> None:
        done = [outcome for outcome in outcomes if outcome.applied]
        self.applied.extend(done)
        views = _pools.diff([outcome.change for outcome in done])
        for name, view in views["before"].items():
            self.before.setdefault(name, view)  # as it was before the run's first write to it
        for outcome in done:
            self.after.pop(outcome.change.pool_name, None)  # a deleted pool has no after
        self.after.update(views["after"])

    def show_read_back(self, pools: Sequence[dict[str, Any]]) -> None:
        """The diff shows the pools as read back, with their real host and port."""
        read_back = {pool["pool_name"]: pool for pool in pools}
        self.after = {name: _pools.public_view(read_back[name]) if name in read_back else view for name, view in self.after.items()}

    def summaries(self) -> list[dict[str, Any]]:
        return [outcome.summary() for outcome in self.applied]

    def result(self, pools: list[dict[str, Any]]) -> SyncResult:
        return SyncResult(pools, self.summaries(), {"before": self.before, "after": self.after})


class PoolSync:
    """Reads the pools of one service, or brings them to the desired state."""

    def __init__(self, client: AivenClient, project: str, service: str, concurrency: int = 4,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.project = project
        self.service = service
        self.concurrency = concurrency
        self.name = f"{project}/{service}"  # the service as messages name it
        self._sleep = sleep
        self._clock = clock
        self._secrets_refusal: AivenApiError | None = None  # the 403 that answered include_secrets=true
        self._redacted: list[str] = []   # returned pools whose URI has no password
        self._purgeable: set[str] = set()  # what purge may delete: the undeclared pools of the first read
        self._left: set[str] = set()     # undeclared pools that appeared after it, left for the next run

    @property
    def warnings(self) -> list[str]:
        """What the caller should warn about once the run or read is over."""
        warnings = []
        if self._secrets_refusal is not None:
            warnings.append(f"the API token may not read secrets of service {self.name} (include_secrets=true was answered "
                            f"HTTP 403: {self._secrets_refusal.message}): the pools were read without secrets, so their "
                            "connection_uri carry no usable password")
        elif self._redacted:
            warnings.append(f"the API answered the connection_uri of pool(s) {_listed(self._redacted)} of {self.name} with the "
                            f"password {_pools.REDACTED} although secrets were asked for: those URIs carry no usable password")
        if self._left:
            warnings.append(f"purge left pool(s) {_listed(sorted(self._left))} of {self.name}: they appeared during this run, "
                            "after the plan it showed; the next run deletes them if they are still undeclared")
        return warnings

    # --- reading ---------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        """The service document, with secrets unless the token may not read them."""
        if self._secrets_refusal is not None:
            return self._read_without_secrets()
        try:
            # The modules' results carry each pool's URI, which needs the secrets.
            return self.client.get_service(self.project, self.service, include_secrets=True)
        except AivenApiError as err:
            if err.status != 403:
                raise self._cannot_read(err) from None
            refusal = err
        # A 403 again means no access at all, and that is the error to report.
        document = self._read_without_secrets()
        self._secrets_refusal = refusal
        return document

    def _read_without_secrets(self) -> dict[str, Any]:
        try:
            return self.client.get_service(self.project, self.service)
        except AivenApiError as err:
            raise self._cannot_read(err) from None

    def _cannot_read(self, err: AivenApiError) -> SyncError:
        return SyncError(f"cannot read service {self.name}: {err}", failure=err.failure())

    def pools_of(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            return _pools.service_pools(document)
        except _pools.ReplyError as err:
            raise SyncError(f"unexpected reply for service {self.name}: {err}") from None

    def read_pools(self, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The service's pools now, only those in ``names`` (in that order) when given."""
        pools = _pools.select(self.pools_of(self.read()), names)
        self._note_redacted(pools)
        return pools

    def _note_redacted(self, pools: Sequence[dict[str, Any]]) -> None:
        self._redacted = [pool["pool_name"] for pool in pools if _pools.password_redacted(pool)]

    # --- the service's state ------------------------------------------------------------

    def _refuse_powered_off(self, document: Mapping[str, Any]) -> None:
        if document.get("state") == "POWEROFF":
            raise SyncError(f"service {self.name} is powered off (state POWEROFF): power it on before changing its pools",
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
                raise SyncError(f"service {self.name} is still {state} after waiting {timeout:g} s for RUNNING",
                                failure={"status": None, "message": f"timed out waiting for state RUNNING, last state {state}", "state": state})
            self._sleep(min(max(timeout / 20.0, 1.0), 10.0, remaining))
            document = self.read()

    # --- planning and writing ---------------------------------------------------------------

    def run(self, desired: Sequence[Mapping[str, Any]], purge: bool = False, check_mode: bool = False,
            wait: bool = True, wait_timeout: float = 600, list_name: str | None = "pools") -> SyncResult:
        """Validate, read, plan and apply; ``list_name`` names the list in messages (None: a single pool)."""
        try:
            _pools.validate_desired(desired, where=list_name)
        except _pools.PlanError as err:
            raise SyncError(str(err)) from None
        document = self.read()
        current = self.pools_of(document)
        # Purge deletes what this first plan shows (check mode shows the same), nothing found later.
        self._purgeable = set(_pools.undeclared(current, desired)) if purge else set()
        changes = self._plan(current, desired, purge)
        if changes:
            self._refuse_powered_off(document)  # in check mode too: the real run would fail
        if check_mode or not changes:
            result = SyncResult(_pools.predict(current, changes), [Outcome(c).summary() for c in changes], _pools.diff(changes))
        else:
            fresh = self.wait_until_writable(document, wait, wait_timeout)
            if fresh is not document:  # the pools may have moved while we waited
                current = self.pools_of(fresh)
                changes = self._plan(current, desired, purge)
            result = self._converge(current, changes, desired, purge)
        self._note_redacted(result.pools)
        return result

    def _plan(self, current: list[dict[str, Any]], desired: Sequence[Mapping[str, Any]], purge: bool,
              progress: _Progress | None = None) -> list[_pools.Change]:
        if purge:
            self._left.update(set(_pools.undeclared(current, desired)) - self._purgeable)
        try:
            return _pools.plan(current, desired, purge, purgeable=self._purgeable)
        except _pools.PlanError as err:
            raise SyncError(f"{self.name}: {err}", applied=progress.summaries() if progress else None) from None

    def _converge(self, pools: list[dict[str, Any]], changes: list[_pools.Change],
                  desired: Sequence[Mapping[str, Any]], purge: bool) -> SyncResult:
        """Write, read back, check, re-plan; until nothing is left to do, for at most MAX_ROUNDS rounds."""
        progress = _Progress()
        rounds = 0
        while changes:
            if rounds == MAX_ROUNDS:
                raise self._still_changing(changes, progress)
            rounds += 1
            outcomes = self._apply(changes, progress)
            if all(change.action == "delete" for change in changes):
                return progress.result(_pools.predict(pools, changes))  # nothing to read back: the pools are gone
            pools = self._read_back(progress)
            self._check_conflicts(outcomes, pools, progress)
            self._check_taken(outcomes, pools, progress)
            progress.show_read_back(pools)
            changes = self._plan(pools, desired, purge, progress)
        return progress.result(pools)

    def _apply(self, changes: Sequence[_pools.Change], progress: _Progress) -> list[Outcome]:
        outcomes = apply_changes(self.client, self.project, self.service, changes, self.concurrency)
        progress.record(outcomes)
        failed = [outcome for outcome in outcomes if outcome.failed]
        if failed:
            raise self._refused(failed, outcomes, progress)
        return outcomes

    def _read_back(self, progress: _Progress) -> list[dict[str, Any]]:
        try:
            return self.pools_of(self.read())
        except SyncError as err:
            raise SyncError(f"the writes to {self.name} were applied ({_actions(progress.summaries())}), but reading the "
                            f"service back failed: {err.message}", failure=err.failure, applied=progress.summaries()) from None

    def _check_conflicts(self, outcomes: Sequence[Outcome], pools: Sequence[dict[str, Any]], progress: _Progress) -> None:
        """A conflict the read does not explain was the API refusing the write: its answer stands."""
        listed = {pool["pool_name"] for pool in pools}
        unexplained = [outcome for outcome in outcomes if outcome.conflict and not _explained(outcome, listed)]
        if unexplained:
            raise self._refused(unexplained, outcomes, progress)

    def _check_taken(self, outcomes: Sequence[Outcome], pools: Sequence[dict[str, Any]], progress: _Progress) -> None:
        """A write the API accepted but the read does not show is reported; repeating it would not help."""
        by_name = {pool["pool_name"]: pool for pool in pools}
        not_taken = []
        for outcome in outcomes:
            if outcome.applied and outcome.surely_ours:
                reason = _pools.write_not_reflected(outcome.change, by_name.get(outcome.change.pool_name))
                if reason:
                    not_taken.append(dict(outcome.summary(), message=reason))
        if not_taken:
            what = "; ".join(f"{item['action']} pool {item['pool_name']!r}: {item['message']}" for item in not_taken[:NAMES_SHOWN])
            raise SyncError(f"{self.name}: the API accepted writes that the service read back does not show (not repeated): {what}",
                            applied=progress.summaries(), failed_changes=not_taken)

    def _refused(self, refused: Sequence[Outcome], outcomes: Sequence[Outcome], progress: _Progress) -> SyncError:
        first = refused[0]
        error = first.error or AivenApiError(None, "refused")  # refused outcomes always carry the API's answer
        done = progress.summaries()
        skipped = [outcome.summary() for outcome in outcomes if not outcome.attempted]
        message = f"cannot {first.change.action} pool {first.change.pool_name!r} on {self.name}: {error}"
        if done:
            message += f"; applied before the failure: {_actions(done)}"
        if skipped:
            message += f"; not attempted: {_actions(skipped)}"
        return SyncError(message, failure=error.failure(), applied=done,
                         failed_changes=[outcome.summary() for outcome in refused], not_attempted=skipped)

    def _still_changing(self, changes: Sequence[_pools.Change], progress: _Progress) -> SyncError:
        still = [Outcome(change).summary() for change in changes]
        return SyncError(f"{self.name}: pools keep changing under this run (another writer?); still to do: {_actions(still)}",
                         applied=progress.summaries(), not_attempted=still)
