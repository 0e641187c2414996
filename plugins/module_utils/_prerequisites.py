# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The databases and users a service's pools need, declared beside them: planned, written before the pools, read back.

The decisions are those of aiven_pg_database and aiven_pg_user (``_databases_planning``, ``_users_planning``);
this file fits them into a pool run. The service document the engine reads once per project is enough
to know which databases and users exist (its ``databases`` and ``users`` lists). The paginated ``/db``
list is read only when a declared database declares locales (the document has names only) or is
missing from the document (whether the document lists every database of a large service is
unconfirmed, so a database is never created on its word alone). The plan is shown to the pools'
checks as made (``planned_document``), so that a pool may use what the same run creates.
Only creates and replication changes: a pool run never deletes a database or a user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Union

from ansible_collections.dbpools.aiven.plugins.module_utils import _databases_planning, _users_planning
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._databases_planning import LOCALES, DatabaseChange
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import names_listed
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable
from ansible_collections.dbpools.aiven.plugins.module_utils._users_planning import ServiceUsers, UserChange

Change = Union[DatabaseChange, UserChange]


class PrerequisitesApi(Protocol):
    """The requests of databases and users, by project (``_project_tokens.ProjectClients`` makes them)."""

    def list_databases(self, project: str, service: str) -> list[Any]: ...

    def create_database(self, project: str, service: str, body: dict[str, str]) -> bool: ...

    def create_user(self, project: str, service: str, username: str, replication: bool | None) -> bool: ...

    def set_replication(self, project: str, service: str, username: str, value: bool) -> None: ...


def kind_of(change: Change) -> str:
    return "database" if isinstance(change, DatabaseChange) else "user"


def name_of(change: Change) -> str:
    return change.database_name if isinstance(change, DatabaseChange) else change.username


def described(change: Change) -> str:
    """``create database project/service/name``, printable: for messages."""
    return f"{change.action} {kind_of(change)} {printable(change.label)}"


@dataclass
class Write:
    """What became of one write of a database or user."""

    change: Change
    attempted: bool = False
    applied: bool = False   # this run made it (maybe on an earlier attempt whose reply was lost)
    existed: bool = False   # a create answered "already exists" on its first try: another writer's, not this run's
    error: AivenApiError | None = None

    def summary(self) -> dict[str, Any]:
        entry = self.change.entry()
        if self.error is not None:
            entry.update(status=self.error.status, message=self.error.message)
        return entry


def write(client: PrerequisitesApi, done: Write) -> None:
    """Make one write; a refusal is kept in ``done.error`` (the engine fails the run with every write's outcome)."""
    done.attempted = True
    change, project, service = done.change, done.change.project, done.change.service_name
    try:
        if isinstance(change, DatabaseChange):
            created = client.create_database(project, service, change.body)
        elif change.action == "create":
            created = client.create_user(project, service, change.username, change.replication)
        else:
            client.set_replication(project, service, change.username, bool(change.replication))
            created = True
    except AivenApiError as err:
        done.error = err
        return
    done.applied, done.existed = created, not created


@dataclass
class ServicePrerequisites:
    """One service's declared databases and users, and what they need."""

    project: str
    service_name: str
    databases: Sequence[Mapping[str, Any]] = ()
    users: Sequence[Mapping[str, Any]] = ()
    changes: list[Change] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.project}/{self.service_name}"

    def needs_database_list(self, document: Mapping[str, Any]) -> bool:
        """Whether the document alone cannot tell what the declared databases need (see the module docstring)."""
        listed = names_listed(document.get("databases"))
        if not self.databases:
            return False
        if listed is None:
            return True
        return any(entry["database_name"] not in listed or any(entry.get(locale) is not None for locale in LOCALES)
                   for entry in self.databases)

    def plan(self, document: Mapping[str, Any], database_items: Sequence[Any] | None) -> list[str]:
        """Plan the creates and updates; every problem, each naming ``project/service/name``.

        ``database_items``: the ``/db`` list when ``needs_database_list`` asked for it, else None. Raises
        ``_service_document.ReplyError`` for a document or list the contract does not allow.
        """
        problems: list[str] = []
        self.changes = []
        if self.databases:
            if database_items is not None:
                current: Mapping[str, Mapping[str, str]] = _databases_planning.current_databases(database_items)
            else:
                # Names only: needs_database_list asked for the list where a locale is declared.
                current = {name: {} for name in names_listed(document.get("databases")) or []}
            databases = _databases_planning.plan_service(self.project, self.service_name, current, self.databases, {}, False)
            problems += databases.problems
            self.changes += databases.changes
        if self.users:
            users = _users_planning.plan_service(self.project, self.service_name, ServiceUsers(_users_planning.current_users(document)),
                                                 self.users, False)
            problems += users.problems
            self.changes += users.changes
        return problems

    def planned_document(self, document: Mapping[str, Any]) -> Mapping[str, Any]:
        """The document as it will be once the planned databases and users exist: what the pools' checks see."""
        creates = [change for change in self.changes if change.action == "create"]
        if not creates:
            return document
        databases = list(names_listed(document.get("databases")) or [])
        databases += [change.database_name for change in creates if isinstance(change, DatabaseChange)]
        users = list(document.get("users") or [])
        users += [{"username": change.username, "type": "normal"} for change in creates if isinstance(change, UserChange)]
        return dict(document, databases=databases, users=users)

    def start_writes(self) -> list[Write]:
        """The writes of this run, databases first."""
        self.writes = [Write(change) for change in self.changes]
        return self.writes

    def unshown(self, document: Mapping[str, Any]) -> list[Write]:
        """The writes made that ``document`` does not show yet (read lag): a database or user not listed, a flag not set."""
        databases = set(names_listed(document.get("databases")) or [])
        users = names_listed(document.get("users"), "username") or []
        flags = {}
        for item in document.get("users") or []:
            if isinstance(item, Mapping) and isinstance(item.get("access_control"), Mapping):
                flags[item.get("username")] = item["access_control"].get("pg_allow_replication")
        unshown = []
        for done in self.writes:
            if not done.applied:
                continue
            change = done.change
            if isinstance(change, DatabaseChange):
                shown = change.database_name in databases
            else:
                shown = change.username in users and (change.replication is None or bool(flags.get(change.username)) == change.replication)
            if not shown:
                unshown.append(done)
        return unshown

    def applied(self) -> list[Change]:
        return [done.change for done in self.writes if done.applied]

    def existed_warnings(self) -> list[str]:
        return [f"{kind_of(done.change)} {printable(done.change.label)} was created by another writer before this run created it "
                "(the API answered \"already exists\"); it is not reported as this run's change"
                for done in self.writes if done.existed]


def change_entries(changes: Sequence[Change]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The database changes and the user changes as the module returns them (never a password)."""
    return ([change.entry() for change in changes if isinstance(change, DatabaseChange)],
            [change.entry() for change in changes if isinstance(change, UserChange)])


def diff_entries(changes: Sequence[Change]) -> list[dict[str, str]]:
    """One diff per database or user, headed ``database project/service/name`` (pools' diffs are headed by the pool alone)."""
    entries = []
    for change in changes:
        diff = _databases_planning.diff_of(change) if isinstance(change, DatabaseChange) else _users_planning.diff_of(change)
        header = f"{kind_of(change)} {diff['before_header']}"
        entries.append(dict(diff, before_header=header, after_header=header))
    return entries
