# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Brings the pools of many services to a declared state: read, check, write, read back.

The decisions are ``_pools_planning``'s and ``_service_checks``'s, the rules ``_declaration_rules``'s; this file only orders the
requests: one read per project, every problem of the declaration found before any
write, every write of every service under one concurrency bound (a service's deletes
after its creates and updates: ``_writes``), one read back per project of the services
that changed, read again while it does not show the writes yet (``_read_lag``). No
Ansible here: the module turns ``EngineResult`` and ``SyncError`` into results and
``PoolEngine.warnings`` into warnings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from ansible_collections.dbpools.aiven.plugins.module_utils import (
    _capacity,
    _declaration_rules,
    _pool_results,
    _pools_planning,
    _prerequisites,
    _service_checks,
    _service_document,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, PoolsApi
from ansible_collections.dbpools.aiven.plugins.module_utils._availability import FAIL, NOT_FOUND, NOT_RUNNING, POWERED_OFF, SetAside, service_gone, sets_aside
from ansible_collections.dbpools.aiven.plugins.module_utils._purge_limit import PurgeLimit, limit_problems
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_TOTAL, read_until_shown
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import ReadError, ServiceReader, pools_of, redacted_warning, state_named
from ansible_collections.dbpools.aiven.plugins.module_utils._run_report import undeclared_pools
from ansible_collections.dbpools.aiven.plugins.module_utils._selection import Selection, applied
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed
from ansible_collections.dbpools.aiven.plugins.module_utils._writes import ServiceWrites, apply_in_order

WRITABLE_STATES = ("RUNNING", "REBALANCING")
# Rounds of writes, each read back; a later round only repairs races with other writers.
MAX_ROUNDS = 3
# What another writer did to a pool this run meant to delete, as changed_by_others says it.
DELETED_BY_OTHERS = "deleted"        # gone before this run's delete reached it
RECREATED_BY_OTHERS = "re-created"   # listed again after this run deleted it


class SyncError(Exception):
    """A run that could not finish; says what was applied before it stopped."""

    def __init__(self, message: str, failure: dict | None = None, applied: list | None = None,
                 failed_changes: list | None = None, not_attempted: list | None = None,
                 prerequisites: Sequence[_prerequisites.Change] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.failure = failure or {}
        self.applied = applied or []
        # Not "failed": Ansible's own result key of that name would overwrite it.
        self.failed_changes = failed_changes or []
        self.not_attempted = not_attempted or []
        # The databases and users created or changed before the failure.
        self.prerequisites = list(prerequisites)

    def details(self) -> dict[str, Any]:
        """Extra fail_json keys: only those that say something."""
        details: dict[str, Any] = {}
        if self.failure:
            details["failure"] = self.failure
        if self.applied or self.failed_changes:
            details.update(applied=self.applied, failed_changes=self.failed_changes, not_attempted=self.not_attempted)
        if self.prerequisites:
            details["database_changes"], details["user_changes"] = _prerequisites.change_entries(self.prerequisites)
        return details


def declaration_error(problems: Sequence[str]) -> SyncError:
    """The one failure for a declaration that breaks rules or does not fit its services: all problems at once."""
    return SyncError(f"{len(problems)} problem(s) in the declaration, nothing was changed: " + "; ".join(problems),
                     failure={"problems": list(problems)})


@dataclass
class ServiceDeclaration:
    """One service of a declaration and the pools it should have."""

    project: str
    service_name: str
    pools: Sequence[Mapping[str, Any]]
    purge: bool = False
    allow_empty: bool = False
    list_name: str | None = "pools"  # how messages name the pool list; None: a single pool, named by its options
    # What a message tells the user to do when a purge would empty the service: the option, or the caller's variable.
    allow_empty_hint: str = "set allow_empty: true"
    # How messages about a pool name the entry it came from (pool_name -> label); a pool not in it is named project/service/pool.
    origins: Mapping[str, str] = field(default_factory=dict)
    # The databases and users the pools need, created before them (entries of aiven_pg_database's and aiven_pg_user's rules).
    databases: Sequence[Mapping[str, Any]] = ()
    users: Sequence[Mapping[str, Any]] = ()

    @property
    def label(self) -> str:
        return _declaration_rules.service_label(self.project, self.service_name)

    def as_rules_item(self) -> dict[str, Any]:
        return {"project": self.project, "service_name": self.service_name, "pools": self.pools, "list_name": self.list_name}


@dataclass
class Outcome:
    """What became of one write."""

    service: _Service
    change: _pools_planning.Change
    applied: bool = False          # the API made the change (maybe on an earlier, lost attempt)
    error: AivenApiError | None = None
    # The refusal was a 409 on create or a 404 on update: another writer's doing,
    # if the next read agrees (the pool exists, or is gone).
    conflict: bool = False
    # False for a retried create answered "already exists": the pool may be another
    # writer's, so its settings are not held against this write.
    surely_ours: bool = True
    attempted: bool = False
    # A delete answered 404: another writer deleted the pool first; not this run's change.
    gone_before: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None and not self.conflict

    @property
    def succeeded(self) -> bool:
        return self.applied

    @property
    def is_delete(self) -> bool:
        return self.change.action == "delete"

    def summary(self) -> dict[str, Any]:
        declaration = self.service.declaration
        entry: dict[str, Any] = {"project": declaration.project, "service_name": declaration.service_name,
                                 "pool_name": self.change.pool_name, "action": self.change.action}
        if self.change.action == "update":
            entry["fields"] = sorted(option for option in _service_document.SETTINGS if _service_document.API_FIELD[option] in self.change.body)
        if self.error is not None:
            entry["status"] = self.error.status
            entry["message"] = self.error.message
        return entry

    def described(self) -> str:
        return f"{self.change.action} {self.service.declaration.label}/{self.change.pool_name}"


class _Service:
    """One declared service during a run: what was read, planned and written."""

    def __init__(self, declaration: ServiceDeclaration) -> None:
        self.declaration = declaration
        self.document: dict[str, Any] | None = None
        self.current: list[dict[str, Any]] = []   # the pools as last read
        self.changes: list[_pools_planning.Change] = []    # the writes still to make
        self.undeclared: list[str] = []           # the pools of the first read that the declaration does not name
        self.purgeable: set[str] = set()          # what purge may delete: the undeclared pools of the first read
        self.left: set[str] = set()               # undeclared pools that appeared after it, left for the next run
        self.applied: list[Outcome] = []
        self.held: list[Outcome] = []             # deletes of this round kept until the read back shows the creates
        self.by_others: list[dict[str, Any]] = []  # pools another writer deleted or re-created under this run's deletes
        self.yielded: set[str] = set()            # pools left to another writer: not deleted again this run
        self.before: dict[str, dict[str, Any] | None] = {}  # pool -> settings before the run's first write to it
        self.after: dict[str, dict[str, Any] | None] = {}   # pool -> after its last write (None: deleted)
        self.pools: list[dict[str, Any]] = []     # the pools after the run (predicted in check mode)
        self.planned_pools: list[dict[str, Any]] = []  # the pools as the plan leaves them: measured, and a check mode's result
        self.aside = False                        # set aside (option unavailable): no write, no further check
        self.refused = False                      # a problem that says all there is to say about it was reported
        self.prerequisites = (_prerequisites.ServicePrerequisites(declaration.project, declaration.service_name, declaration.databases,
                                                                  declaration.users)
                              if declaration.databases or declaration.users else None)

    @property
    def prerequisite_changes(self) -> list[_prerequisites.Change]:
        return self.prerequisites.changes if self.prerequisites else []

    @property
    def planned_document(self) -> Mapping[str, Any]:
        """The document with the databases and users this run creates (see ServicePrerequisites.planned_document)."""
        document = self.document or {}
        return self.prerequisites.planned_document(document) if self.prerequisites else document

    @property
    def label(self) -> str:
        return self.declaration.label

    def plan(self) -> list[_pools_planning.Change]:
        declaration = self.declaration
        if declaration.purge:
            self.left.update(set(_pools_planning.undeclared(self.current, declaration.pools)) - self.purgeable)
        changes = _pools_planning.plan(self.current, declaration.pools, declaration.purge, purgeable=self.purgeable)
        return [change for change in changes if change.pool_name not in self.yielded]

    def note_by_others(self, pool_name: str, what: str) -> None:
        declaration = self.declaration
        self.by_others.append({"project": declaration.project, "service_name": declaration.service_name, "pool_name": pool_name, "what": what})
        self.yielded.add(pool_name)

    def record(self, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.gone_before:
                self.note_by_others(outcome.change.pool_name, DELETED_BY_OTHERS)
            if not outcome.applied:
                continue
            change = outcome.change
            self.applied.append(outcome)
            self.before.setdefault(change.pool_name, change.before)
            self.after[change.pool_name] = change.after

    def show_read_back(self) -> None:
        """The diff and changes show created and updated pools as read back."""
        read_back = {pool["pool_name"]: pool for pool in self.current}
        for name, after in self.after.items():
            if after is not None and name in read_back:
                self.after[name] = _service_document.public_view(read_back[name])


@dataclass
class ServiceResult:
    declaration: ServiceDeclaration
    pools: list[dict[str, Any]]   # every pool of the service after the run (predicted in check mode)


@dataclass
class EngineResult:
    services: list[ServiceResult]
    changes: list[dict[str, Any]] = field(default_factory=list)   # what was (or would be) done, with settings before and after
    diff: list[dict[str, str]] = field(default_factory=list)      # one entry per touched pool
    changed_by_others: list[dict[str, Any]] = field(default_factory=list)  # what other writers did to pools this run deleted
    undeclared_pools: list[dict[str, str]] = field(default_factory=list)   # per service, the pools of its first read it does not declare
    set_aside: list[SetAside] = field(default_factory=list)   # unavailable services left unchanged (option unavailable)
    applied: list[dict[str, Any]] = field(default_factory=list)  # the writes made, as SyncError.applied lists them
    prerequisites: list[_prerequisites.Change] = field(default_factory=list)  # the databases and users created or changed
    capacity: list[tuple[ServiceDeclaration, _capacity.Capacity]] = field(default_factory=list)  # per service, the planned after-state

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.prerequisites)


def _write(client: PoolsApi, outcome: Outcome) -> None:
    outcome.attempted = True
    change, declaration = outcome.change, outcome.service.declaration
    project, service = declaration.project, declaration.service_name
    try:
        if change.action == "create":
            outcome.surely_ours = client.create_pool(project, service, change.body) is not False
        elif change.action == "update":
            client.update_pool(project, service, change.pool_name, change.body)
        elif client.delete_pool(project, service, change.pool_name) is False:
            outcome.gone_before = True
            return
        outcome.applied = True
    except AivenApiError as err:
        outcome.error = err
        # A service that is gone is no other writer's doing: its 404 stands as it is.
        vanished = change.action == "update" and err.not_found and not err.service_missing
        outcome.conflict = (change.action == "create" and err.already_exists) or vanished


def _explained(outcome: Outcome, listed_names: set[str]) -> bool:
    """Another writer explains a conflict: the pool we could not create exists, the one we could not update is gone."""
    exists = outcome.change.pool_name in listed_names
    return exists if outcome.change.action == "create" else not exists


def _by_project(services: Sequence[_Service]) -> dict[str, list[_Service]]:
    grouped: dict[str, list[_Service]] = {}
    for service in services:
        grouped.setdefault(service.declaration.project, []).append(service)
    return grouped


def _unshown(service: _Service, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """This run's writes to ``service`` that its pools as last read do not show (yet): read lag, or another writer."""
    by_name = {pool["pool_name"]: pool for pool in service.current}
    unshown = []
    for outcome in outcomes:
        if outcome.service is not service:
            continue
        name = outcome.change.pool_name
        if outcome.conflict:
            shows = _explained(outcome, set(by_name))
        elif outcome.is_delete:
            shows = not (outcome.applied or outcome.gone_before) or name not in by_name
        else:
            shows = not (outcome.applied and outcome.surely_ours) or _pools_planning.write_not_reflected(outcome.change, by_name.get(name)) is None
        if not shows:
            unshown.append(outcome)
    return unshown


def _note_recreated(mine: Sequence[Outcome], service: _Service) -> None:
    """A pool deleted in this round that the read, read again for lag, still lists: another writer created it again."""
    listed_names = {pool["pool_name"] for pool in service.current}
    for outcome in mine:
        if outcome.is_delete and (outcome.applied or outcome.gone_before) and outcome.change.pool_name in listed_names:
            service.note_by_others(outcome.change.pool_name, RECREATED_BY_OTHERS)


def _keeps_only_new_pools(service: _Service) -> bool:
    """A purge (without allow_empty) after which the service keeps only pools this run creates.

    Its deletes wait for the read back: only a create the service is shown to have may
    stand for the pools they remove, or a create the API accepted but did not make would
    leave the service empty.
    """
    declaration = service.declaration
    if not declaration.purge or declaration.allow_empty:
        return False
    created = {change.pool_name for change in service.changes if change.action == "create"}
    kept = {pool["pool_name"] for pool in _pools_planning.predict(service.current, service.changes)}
    return bool(created) and kept <= created


def _by_others_warning(label: str, entry: Mapping[str, Any]) -> str:
    pool = f"{label}/{entry['pool_name']}"
    if entry["what"] == DELETED_BY_OTHERS:
        return f"pool {pool} was already deleted by another writer when this run deleted it; it is not reported as this run's change"
    return (f"pool {pool}, deleted by this run, is listed again after {READ_LAG_TOTAL:g} s of reading again: another writer created it "
            "meanwhile; it is left as it is for this run")


class PoolEngine:
    """Brings the declared services to their declared pools, or predicts what that would change."""

    def __init__(self, client: PoolsApi, concurrency: int = _declaration_rules.CONCURRENCY_DEFAULT, include_secrets: bool = False,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.concurrency = concurrency
        self.include_secrets = include_secrets
        self.reader = ServiceReader(client, include_secrets)
        self._sleep = sleep
        self._clock = clock
        self._services: list[_Service] = []
        self._unavailable = FAIL
        self._set_aside: list[SetAside] = []
        self._capacity: list[tuple[ServiceDeclaration, _capacity.Capacity]] = []
        self._capacity_warnings: list[str] = []

    @property
    def warnings(self) -> list[str]:
        """What the caller should warn about once the run is over."""
        warnings = self.reader.warnings
        for service in self._services:
            if self.include_secrets and not self.reader.refused(service.declaration.project):
                redacted = redacted_warning(service.label, service.pools)
                if redacted:
                    warnings.append(redacted)
            if service.left:
                warnings.append(f"purge left pool(s) {listed(sorted(service.left))} of {service.label}: they appeared during this "
                                "run, after the plan it showed; the next run deletes them if they are still undeclared")
            warnings.extend(_by_others_warning(service.label, entry) for entry in service.by_others)
            if service.prerequisites:
                warnings.extend(service.prerequisites.existed_warnings())
        warnings.extend(item.warning() for item in self._set_aside)
        warnings.extend(self._capacity_warnings)
        return warnings

    @property
    def set_aside(self) -> list[SetAside]:
        """The unavailable services set aside so far (option unavailable), for a failure's result as well."""
        return list(self._set_aside)

    @property
    def changed_by_others(self) -> list[dict[str, Any]]:
        """The pools this run meant to delete that another writer deleted first or created again, so far."""
        return [entry for service in self._services for entry in service.by_others]

    # --- the run ------------------------------------------------------------------------

    def run(self, declarations: Sequence[ServiceDeclaration], check_mode: bool = False, wait: bool = True,
            wait_timeout: float = 600, unavailable: str = FAIL, selection: Selection | None = None,
            purge_limit: PurgeLimit | None = None, capacity: _capacity.CapacityCheck | None = None) -> EngineResult:
        """Validate, read, plan, check against the services, then apply (or predict, in check mode).

        The whole declaration is checked by its rules; only the services ``selection`` keeps are read and written.
        ``unavailable`` (see ``_availability``): what becomes of a service that cannot take changes now.
        """
        problems = _declaration_rules.services_problems([declaration.as_rules_item() for declaration in declarations])
        declarations, unmatched = applied(selection, declarations)
        problems += unmatched
        if problems:
            raise declaration_error(problems)  # before any request
        self._services = services = [_Service(declaration) for declaration in declarations]
        self._unavailable, self._set_aside = unavailable, []
        problems = self._read_all(services)
        problems += self._plan_prerequisites(services)
        problems += self._plan_all(services)
        problems += limit_problems(purge_limit, ((service.label, service.changes, service.purgeable) for service in services))
        for service in services:
            service.planned_pools = _pools_planning.predict(service.current, service.changes)
        problems += self._measure(services, capacity or _capacity.CapacityCheck())
        if problems:
            raise declaration_error(problems)
        changing = [service for service in services if service.changes or service.prerequisite_changes]
        if check_mode or not changing:
            for service in services:
                service.pools = service.planned_pools
            return self._result(services, predicted=True)
        changing = [service for service in changing if self._wait_until_writable(service, wait, wait_timeout)]
        try:
            # Databases and users first: the pools' creates name them.
            self._apply_prerequisites(changing)
            self._converge([service for service in changing if service.changes])
        except SyncError as err:
            err.prerequisites = err.prerequisites or self._prerequisites_applied()
            raise
        for service in services:
            if not service.applied:
                service.pools = service.current
        return self._result(services, predicted=False)

    def _result(self, services: Sequence[_Service], predicted: bool) -> EngineResult:
        changes: list[dict[str, Any]] = []
        diff: list[dict[str, str]] = []
        made: list[_prerequisites.Change] = []
        for service in services:
            declaration = service.declaration
            if predicted:
                done = service.changes
                touched = {change.pool_name: (change.before, change.after) for change in done}
            else:
                done = [self._as_read_back(service, outcome.change) for outcome in service.applied]
                touched = {name: (before, service.after[name]) for name, before in service.before.items()}
            prerequisites = service.prerequisite_changes if predicted else (service.prerequisites.applied() if service.prerequisites else [])
            made.extend(prerequisites)
            diff.extend(_prerequisites.diff_entries(prerequisites))
            changes.extend(_pool_results.change_entry(declaration.project, declaration.service_name, change) for change in done)
            diff.extend(_pool_results.diff_entry(f"{service.label}/{name}", before, after) for name, (before, after) in touched.items())
        return EngineResult([ServiceResult(service.declaration, service.pools) for service in services], changes, diff,
                            [entry for service in services for entry in service.by_others],
                            [entry for service in services
                             for entry in undeclared_pools(service.declaration.project, service.declaration.service_name, service.undeclared)],
                            list(self._set_aside), [] if predicted else self._summaries(), made, list(self._capacity))

    @staticmethod
    def _as_read_back(service: _Service, change: _pools_planning.Change) -> _pools_planning.Change:
        """The change with the settings the pool was read back with (the defaults the API chose for a create)."""
        after = service.after.get(change.pool_name)
        if change.after is None or after is None:
            return change
        return _pools_planning.Change(change.action, change.pool_name, change.body, change.before, dict(change.after, **_pool_results.settings_of(after)))

    # --- reading ------------------------------------------------------------------------

    def _read_all(self, services: Sequence[_Service]) -> list[str]:
        """Read every service, one request per project; the problems are services the project does not have.

        The projects are read at once (at most ``concurrency`` requests), then taken in the order declared, so that
        problems, set-asides and failures come out as a one-by-one read would give them.
        """
        grouped = _by_project(services)

        def fetch(project: str) -> dict[str, dict[str, Any]] | ReadError:
            try:
                return self.reader.documents(project, [service.declaration.service_name for service in grouped[project]])
            except ReadError as err:
                return err

        fetched = dict(zip(grouped, self._at_once(fetch, list(grouped))))
        problems: list[str] = []
        for project, members in grouped.items():
            problems += self._read_project(project, members, fetched[project])
        return problems

    def _read_project(self, project: str, services: Sequence[_Service], read: dict[str, dict[str, Any]] | ReadError) -> list[str]:
        if isinstance(read, ReadError):
            # One service, read alone: its 404 is the service gone, set aside when the caller says so.
            if len(services) == 1 and service_gone(read.failure) and self._sets_aside(services[0], NOT_FOUND, read.message):
                return []
            raise SyncError(read.message, failure=read.failure) from None
        by_name = read
        problems = []
        for service in services:
            document = by_name.get(service.declaration.service_name)
            if document is None:
                known = sorted(str(name) for name in by_name)
                problem = f"{service.label}: service does not exist in project {project} (services: {listed(known) or 'none'})"
                if not self._sets_aside(service, NOT_FOUND, problem):
                    problems.append(problem)
                continue
            service.document = dict(document)
            try:
                service.current = pools_of(service.label, document)
            except ReadError as err:
                raise SyncError(err.message) from None
        return problems

    def _read_back(self, services: Sequence[_Service], outcomes: Sequence[Outcome]) -> None:
        """Read the services again, one request per project, and again while a write does not show yet (read lag).

        A failure reports the writes already applied.
        """
        for project, members in _by_project(services).items():

            def shown(members: Sequence[_Service] = members) -> bool:
                return not any(_unshown(service, outcomes) for service in members)

            try:
                read_until_shown(partial(self._read_services, project, members), shown, self._sleep)
            except ReadError as err:
                raise self._read_back_failed(members, err) from None

    def _read_services(self, project: str, members: Sequence[_Service]) -> None:
        """Read ``members``, services of ``project``, again in one request: their documents and pools as the API has them now."""
        documents = self.reader.documents(project, [service.declaration.service_name for service in members])
        for service in members:
            document = documents.get(service.declaration.service_name)
            if document is None:
                raise ReadError(f"service {service.label} is no longer listed in project {project}")
            service.document = document
            service.current = pools_of(service.label, document)

    def _read_back_failed(self, members: Sequence[_Service], err: ReadError) -> SyncError:
        """A read back that failed after writes: the failure says what was applied."""
        labels = ", ".join(service.label for service in members)
        return SyncError(f"the writes to {labels} were applied ({listed(self._applied_texts())}), but reading the service back failed: "
                         f"{err.message}", failure=err.failure, applied=self._summaries(), prerequisites=self._prerequisites_applied())

    # --- planning and checking ------------------------------------------------------------

    def _plan_all(self, services: Sequence[_Service]) -> list[str]:
        """Plan every service that was read; every problem of the plans against the service documents."""
        problems: list[str] = []
        for service in services:
            if service.document is None or service.aside or service.refused:
                continue
            declaration = service.declaration
            # Purge deletes what this first plan shows (check mode shows the same), nothing found later.
            service.undeclared = _pools_planning.undeclared(service.current, declaration.pools)
            service.purgeable = set(service.undeclared) if declaration.purge else set()
            missing = _service_checks.creation_problems(service.label, service.current, declaration.pools, declaration.origins)
            if missing:
                # A create is planned either way: on a powered-off service, that is the problem to fix first.
                powered_off = _service_checks.powered_off_problem(service.label, service.document)
                if not (powered_off and self._sets_aside(service, POWERED_OFF, powered_off)):
                    problems += [powered_off] if powered_off else missing
                continue
            try:
                service.changes = service.plan()
            except _declaration_rules.PlanError as err:
                problems.append(f"{service.label}: {err}")
                continue
            powered_off = _service_checks.powered_off_problem(service.label, service.document)
            if service.changes and powered_off and self._sets_aside(service, POWERED_OFF, powered_off):
                continue
            # The databases and users this run creates count as there: the pools' creates come after them.
            problems += _service_checks.document_problems(service.label, service.planned_document, service.changes, declaration.origins)
            if declaration.purge and not declaration.allow_empty:
                emptying = _service_checks.emptying_problem(service.label, service.current, service.changes, declaration.allow_empty_hint)
                if emptying:
                    problems.append(emptying)
        return problems

    def _measure(self, services: Sequence[_Service], check: _capacity.CapacityCheck) -> list[str]:
        """The capacity of every service read, on its planned after-state; with mode fail, a problem for each over budget."""
        self._capacity, self._capacity_warnings = [], []
        if check.mode == "ignore":
            return []
        problems = []
        for service in services:
            if service.document is None or service.aside or service.refused:
                continue
            figures = check.measure(service.label, service.planned_document, service.planned_pools)
            self._capacity.append((service.declaration, figures))
            if figures.over and check.mode == "fail":
                problems.append(_capacity.over_message(figures))
            elif figures.over:
                self._capacity_warnings.append(_capacity.over_message(figures) + " (capacity: fail would stop the run before any write)")
            self._capacity_warnings.extend(figures.advisories)
        return problems

    def _plan_prerequisites(self, services: Sequence[_Service]) -> list[str]:
        """Plan the declared databases and users of every service read; the /db lists it needs are read at once."""
        declaring = [service for service in services if service.prerequisites and service.document is not None and not service.aside]
        # A powered-off service's /db list answers 503: what its databases need cannot be known until it is powered on.
        needing = {id(service) for service in declaring
                   if cast(_prerequisites.ServicePrerequisites, service.prerequisites).needs_database_list(cast(dict, service.document))}
        listing = [service for service in declaring if id(service) in needing and cast(dict, service.document).get("state") != "POWEROFF"]
        lists = dict(zip(map(id, listing), self._at_once(self._database_list, listing)))
        problems: list[str] = []
        for service in declaring:
            prerequisites, document = cast(_prerequisites.ServicePrerequisites, service.prerequisites), cast(dict, service.document)
            powered_off = document.get("state") == "POWEROFF"
            if not (powered_off and id(service) in needing):
                try:
                    problems += prerequisites.plan(document, lists.get(id(service)))
                except _service_document.ReplyError as err:
                    raise SyncError(f"{service.label}: unexpected reply from the API: {err}") from None
                if not (powered_off and prerequisites.changes):
                    continue
            message = _prerequisites.powered_off_problem(service.label)
            if not self._sets_aside(service, POWERED_OFF, message):
                problems.append(message)
                service.refused = True  # said once: its pools are not checked against a service that is off
        return problems

    def _database_list(self, service: _Service) -> list[Any]:
        declaration = service.declaration
        try:
            return cast(_prerequisites.PrerequisitesApi, self.client).list_databases(declaration.project, declaration.service_name)
        except AivenApiError as err:
            raise SyncError(f"cannot read the databases of {service.label}: {err}", failure=err.failure()) from None

    def _at_once(self, work: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """``work`` on every item, at most ``concurrency`` at a time; results in the order of ``items``."""
        if len(items) > 1 and self.concurrency > 1:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as executor:
                return list(executor.map(work, items))
        return [work(item) for item in items]

    def _sets_aside(self, service: _Service, reason: str, message: str) -> bool:
        """Set ``service`` aside (no write to it) when the caller said so; False when its unavailability fails the run."""
        if not sets_aside(self._unavailable):
            return False
        declaration = service.declaration
        self._set_aside.append(SetAside(declaration.project, declaration.service_name, reason, message))
        service.changes = []
        service.aside = True
        if service.prerequisites:
            service.prerequisites.changes = []
        return True

    def _replan(self, service: _Service) -> list[_pools_planning.Change]:
        try:
            return service.plan()
        except _declaration_rules.PlanError as err:
            raise SyncError(f"{service.label}: {err}", applied=self._summaries()) from None

    def _wait_until_writable(self, service: _Service, wait: bool, timeout: float) -> bool:
        """Wait until the service accepts pool changes; re-plan when it had to be read again meanwhile.

        False when the service was set aside instead (it did not become writable): it gets no write.
        """
        deadline = self._clock() + timeout
        document = service.document or {}
        read_again = False
        while True:
            state = document.get("state")
            if state == "POWEROFF":
                message = f"{service.label}: the service is powered off (state POWEROFF); power it on before changing its pools"
                if self._sets_aside(service, POWERED_OFF, message):
                    return False
                raise SyncError(message, failure={"status": None, "message": "service state POWEROFF", "state": "POWEROFF"},
                                applied=self._summaries())
            if state in WRITABLE_STATES or not wait:
                break
            remaining = deadline - self._clock()
            if remaining <= 0:
                message = f"service {service.label} is still {state_named(state)} after waiting {timeout:g} s for RUNNING"
                if self._sets_aside(service, NOT_RUNNING, message):
                    return False
                raise SyncError(message, failure={"status": None, "message": f"timed out waiting for state RUNNING, last state {state}",
                                                  "state": state}, applied=self._summaries())
            self._sleep(min(max(timeout / 20.0, 1.0), 10.0, remaining))
            try:
                document = self.reader.service(service.declaration.project, service.declaration.service_name)
                service.current = pools_of(service.label, document)
            except ReadError as err:
                if service_gone(err.failure) and self._sets_aside(service, NOT_FOUND, err.message):
                    return False
                raise SyncError(err.message, failure=err.failure, applied=self._summaries()) from None
            read_again = True
        if read_again:  # the pools may have moved while we waited
            service.document = document
            service.changes = self._replan(service)
        return True

    # --- writing ------------------------------------------------------------------------------

    def _apply_prerequisites(self, services: Sequence[_Service]) -> None:
        """Create (or change) the declared databases and users, then read the services back until they show them.

        Every write is made (at most ``concurrency`` at a time) before a refusal fails the run, so that the failure says
        all that was applied; no pool is written after one. The pools are planned again on the document read back.
        """
        writes = [done for service in services if service.prerequisites for done in service.prerequisites.start_writes()]
        if not writes:
            return
        self._at_once(partial(_prerequisites.write, cast(_prerequisites.PrerequisitesApi, self.client)), writes)
        refused = [done for done in writes if done.error is not None]
        if refused:
            error = cast(AivenApiError, refused[0].error)
            message = f"cannot {_prerequisites.described(refused[0].change)}: {error}"
            done_texts = self._applied_texts()
            if done_texts:
                message += f"; applied before the failure: {listed(done_texts)}"
            message += "; no pool was written (the pools wait for the databases and users they use)"
            raise SyncError(message, failure=error.failure(), failed_changes=[done.summary() for done in refused],
                            prerequisites=self._prerequisites_applied())
        made = [service for service in services if service.prerequisites and service.prerequisites.applied()]
        for project, members in _by_project(made).items():
            try:
                self._read_back_prerequisites(project, members)
            except ReadError as err:
                raise self._read_back_failed(members, err) from None

    def _read_back_prerequisites(self, project: str, members: Sequence[_Service]) -> None:
        """Read the services of ``project`` until they show their new databases and users (bounded), then plan their pools again."""

        def unshown() -> list[_prerequisites.Write]:
            return [done for service in members
                    for done in cast(_prerequisites.ServicePrerequisites, service.prerequisites).unshown(service.document or {})]

        if not read_until_shown(partial(self._read_services, project, members), lambda: not unshown(), self._sleep):
            raise ReadError(f"the service read back does not show {listed([_prerequisites.described(done.change) for done in unshown()])} "
                            f"after {READ_LAG_TOTAL:g} s of reading again; no pool was written (run again once it does)")
        for service in members:
            service.changes = self._replan(service)

    def _converge(self, services: Sequence[_Service]) -> None:
        """Write, read back, check, re-plan; until nothing is left to do, for at most MAX_ROUNDS rounds."""
        pending = [service for service in services if service.changes]
        rounds = 0
        while pending:
            if rounds == MAX_ROUNDS:
                raise self._still_changing(pending)
            rounds += 1
            outcomes = self._apply(pending)
            # A service whose writes were all deletes has nothing to read back: those pools are gone.
            to_read = [service for service in pending if any(change.action != "delete" for change in service.changes)]
            for service in pending:
                if service not in to_read:
                    service.pools = service.current = _pools_planning.predict(service.current, service.changes)
            self._read_back(to_read, outcomes)
            for service in to_read:
                mine = [outcome for outcome in outcomes if outcome.service is service]
                self._check_conflicts(mine, service, outcomes)
                self._check_taken(mine, service, outcomes)
                _note_recreated(mine, service)
                service.show_read_back()
                service.pools = service.current
                service.changes = self._replan(service)
            pending = [service for service in to_read if service.changes]

    def _apply(self, services: Sequence[_Service]) -> list[Outcome]:
        """One round of writes: per service its creates and updates, then its deletes (see ``_writes``)."""
        outcomes: list[Outcome] = []
        order: list[ServiceWrites[Outcome]] = []
        for service in services:
            mine = [Outcome(service, change) for change in service.changes]
            first = [outcome for outcome in mine if not outcome.is_delete]
            deletes = [outcome for outcome in mine if outcome.is_delete]
            service.held = deletes if deletes and _keeps_only_new_pools(service) else []
            order.append(ServiceWrites(first, [] if service.held else deletes))
            outcomes += mine
        apply_in_order(order, self.concurrency, partial(_write, self.client))
        for service in services:
            service.record([outcome for outcome in outcomes if outcome.service is service])
        failed = [outcome for outcome in outcomes if outcome.failed]
        if failed:
            raise self._refused(failed, outcomes)
        return outcomes

    def _summaries(self) -> list[dict[str, Any]]:
        return [outcome.summary() for service in self._services for outcome in service.applied]

    def _prerequisites_applied(self) -> list[_prerequisites.Change]:
        return [change for service in self._services if service.prerequisites for change in service.prerequisites.applied()]

    def _applied_texts(self) -> list[str]:
        return ([_prerequisites.described(change) for change in self._prerequisites_applied()]
                + [outcome.described() for service in self._services for outcome in service.applied])

    def _check_conflicts(self, mine: Sequence[Outcome], service: _Service, outcomes: Sequence[Outcome]) -> None:
        """A conflict the read does not explain was the API refusing the write: its answer stands."""
        names = {pool["pool_name"] for pool in service.current}
        unexplained = [outcome for outcome in mine if outcome.conflict and not _explained(outcome, names)]
        if unexplained:
            raise self._refused(unexplained, outcomes)

    def _check_taken(self, mine: Sequence[Outcome], service: _Service, outcomes: Sequence[Outcome]) -> None:
        """A create or update the API accepted but the read (read again for lag) does not show is reported; repeating it would not help."""
        by_name = {pool["pool_name"]: pool for pool in service.current}
        not_taken = []
        for outcome in mine:
            if outcome.applied and outcome.surely_ours and not outcome.is_delete:
                reason = _pools_planning.write_not_reflected(outcome.change, by_name.get(outcome.change.pool_name))
                if reason:
                    not_taken.append(dict(outcome.summary(), message=reason))
        if not not_taken:
            return
        what = "; ".join(f"{item['action']} pool {item['pool_name']!r}: {item['message']}" for item in not_taken[:10])
        message = (f"{service.label}: the API accepted writes that the service read back does not show after {READ_LAG_TOTAL:g} s "
                   f"of reading again (not repeated): {what}")
        if service.held:
            held = listed([outcome.change.pool_name for outcome in service.held])
            message += (f"; the purge's deletes ({held}) were not made: without the pools this run created, {service.label} would "
                        f"have no pool left ({service.declaration.allow_empty_hint} if the service may have none)")
        skipped = [outcome for outcome in outcomes if not outcome.attempted]
        raise SyncError(message, applied=self._summaries(), failed_changes=not_taken, not_attempted=[outcome.summary() for outcome in skipped])

    def _refused(self, refused: Sequence[Outcome], outcomes: Sequence[Outcome]) -> SyncError:
        first = refused[0]
        error = cast(AivenApiError, first.error)  # a refused outcome (failed or conflict) always carries the API's answer
        skipped = [outcome for outcome in outcomes if not outcome.attempted]
        message = f"cannot {first.change.action} pool {first.change.pool_name!r} on {first.service.label}: {error}"
        done = self._applied_texts()
        if done:
            message += f"; applied before the failure: {listed(done)}"
        if skipped:
            message += f"; not attempted: {listed([outcome.described() for outcome in skipped])}"
            if any(outcome.is_delete for outcome in skipped):
                message += " (a service's deletes wait until all its creates and updates succeeded)"
        return SyncError(message, failure=error.failure(), applied=self._summaries(),
                         failed_changes=[outcome.summary() for outcome in refused], not_attempted=[outcome.summary() for outcome in skipped])

    def _still_changing(self, services: Sequence[_Service]) -> SyncError:
        still = [Outcome(service, change) for service in services for change in service.changes]
        labels = ", ".join(service.label for service in services)
        return SyncError(f"{labels}: pools keep changing under this run (another writer?); still to do: "
                         f"{listed([outcome.described() for outcome in still])}",
                         applied=self._summaries(), not_attempted=[outcome.summary() for outcome in still])
