# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The databases of a service: the rules of a declaration, the list read from the API, and the plan.

Pure: no I/O, no Ansible. A *declared* database is a mapping with ``database_name``,
``lc_collate``, ``lc_ctype`` and ``state``; a *current* one is read from the API's
``/db`` list (untrusted: a shape the contract does not allow raises ReplyError).
Every problem is collected, each naming ``project/service/database``, so that the
caller can report them all before its first write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import STATES, list_problems, text_problem
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed, printable, shown

# ServiceDatabaseCreate: database maxLength 40, lc_collate and lc_ctype maxLength 128.
DATABASE_NAME_MAX = 40
LOCALE_MAX = 128
LOCALES = ("lc_collate", "lc_ctype")
# What the API gives a database created without locales, and what a list item without them is taken to have:
# not every database of the list carries its locales (Terraform's handleLcDefaults).
DEFAULT_LOCALE = "en_US.UTF-8"


@dataclass
class DatabaseChange:
    """One write: ``create`` (with ``body``, the POST's) or ``delete``; ``before``/``after`` are the locales, None when absent."""

    project: str
    service_name: str
    database_name: str
    action: str
    before: dict[str, str] | None
    after: dict[str, str] | None
    body: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.project}/{self.service_name}/{self.database_name}"

    def entry(self) -> dict[str, Any]:
        """The change as the module returns it (no body: the API's field names are not the module's)."""
        return {"project": self.project, "service_name": self.service_name, "database_name": self.database_name,
                "action": self.action, "before": self.before, "after": self.after}


def database_state(entry: Mapping[str, Any]) -> Any:
    """A missing or null state means present, as in the argument spec."""
    state = entry.get("state")
    return "present" if state is None else state


def _entry_label(entry: Mapping[str, Any], index: int, where: str | None, service: str) -> str:
    name = entry.get("database_name")
    if text_problem("database_name", name, DATABASE_NAME_MAX) is None:
        return f"{service}/{name}"
    return f"{service}: {where}[{index}]" if where else service


def entry_problems(entry: Any, index: int, where: str | None, service: str) -> list[str]:
    """Every rule one declared database breaks, each message naming it within ``service`` (``project/service``)."""
    if not isinstance(entry, Mapping):
        return [f"{service}: {where or 'databases'}[{index}] must be a dictionary, got {shown(entry)}"]
    label = _entry_label(entry, index, where, service)
    problems = [text_problem("database_name", entry.get("database_name"), DATABASE_NAME_MAX)]
    state = database_state(entry)
    if state not in STATES:
        problems.append(f"state must be one of {', '.join(STATES)}, got {shown(state)}")
    for locale in LOCALES:
        if entry.get(locale) is not None:
            problems.append(text_problem(locale, entry[locale], LOCALE_MAX))
    return [f"{label}: {problem}" for problem in problems if problem]


def declared_problems(entries: Any, where: str | None, service: str) -> list[str]:
    """Every rule a service's declared databases break: each entry's, then names declared twice."""
    return list_problems(entries, where, service, "databases", "database_name", entry_problems)


def _locale_of(item: Mapping[str, Any], locale: str, index: int) -> str:
    value = item.get(locale)
    if value is None or value == "":
        return DEFAULT_LOCALE
    if not isinstance(value, str):
        raise ReplyError(f"databases[{index}].{locale} must be a string, got {shown(value)}")
    return value


def current_databases(items: Sequence[Any]) -> dict[str, dict[str, str]]:
    """The databases of the ``/db`` list's items, by name, each with its locales (DEFAULT_LOCALE where the item has none).

    A name listed twice with the same locales is kept once: pages may shift while a list is read.
    """
    databases: dict[str, dict[str, str]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ReplyError(f"databases[{index}] must be an object, got {shown(item)}")
        name = item.get("database_name")
        if not isinstance(name, str) or not name:
            raise ReplyError(f"databases[{index}]: database_name must be a non-empty string, got {shown(name)}")
        locales = {locale: _locale_of(item, locale, index) for locale in LOCALES}
        if databases.get(name, locales) != locales:
            raise ReplyError(f"database {shown(name)} is listed twice with different locales")
        databases[name] = locales
    return databases


def pools_by_database(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """The pools of a service document by the database they use; {} when the document lists none.

    Only read to guard a delete, so an item without usable names is passed over rather than stopping the run.
    """
    pools = document.get("connection_pools")
    users: dict[str, list[str]] = {}
    for pool in pools if isinstance(pools, list) else []:
        if isinstance(pool, Mapping) and isinstance(pool.get("database"), str) and isinstance(pool.get("pool_name"), str):
            users.setdefault(pool["database"], []).append(pool["pool_name"])
    return users


def powered_off_problem(label: str, document: Mapping[str, Any]) -> str | None:
    """Why the databases of a powered-off service cannot be read or changed (its /db list answers 503), or None."""
    if document.get("state") == "POWEROFF":
        return f"{label}: the service is powered off (state POWEROFF), so its databases cannot be read or changed; power it on first"
    return None


def _locale_problem(label: str, current: Mapping[str, str], entry: Mapping[str, Any]) -> str | None:
    differing = [(locale, current[locale], entry[locale]) for locale in LOCALES
                 if entry.get(locale) is not None and entry[locale] != current[locale]]
    if not differing:
        return None
    what = "; ".join(f"{locale} is {shown(has)} on the service, declared {shown(wanted)}" for locale, has, wanted in differing)
    return (f"{label}: {what}. Locales are fixed when a database is created and this module never drops a database to change "
            "them: declare the locales it has, or create a database under another name and move the data")


@dataclass
class ServicePlan:
    """What one service needs: the writes, and the problems that forbid any write of the run."""

    changes: list[DatabaseChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_service(project: str, service_name: str, current: Mapping[str, Mapping[str, str]], declared: Sequence[Mapping[str, Any]],
                 pools_using: Mapping[str, Sequence[str]], allow_in_use: bool, allow_in_use_option: str = "allow_in_use") -> ServicePlan:
    """The writes that make ``current`` what ``declared`` says, in declared order, and every problem found.

    A new database is sent only the locales declared (the API defaults the others to DEFAULT_LOCALE).
    """
    plan = ServicePlan()
    for entry in declared:
        name = entry["database_name"]
        label = f"{project}/{service_name}/{name}"
        has = current.get(name)
        if database_state(entry) == "absent":
            if has is None:
                continue
            pools = list(pools_using.get(name, []))
            if pools and not allow_in_use:
                plan.problems.append(f"{label}: the database is used by connection pools of the service ({listed([printable(p) for p in pools])}); "
                                     f"delete or move those pools first, or set {allow_in_use_option}: true to delete it anyway")
                continue
            plan.changes.append(DatabaseChange(project, service_name, name, "delete", dict(has), None))
            continue
        if has is not None:
            problem = _locale_problem(label, has, entry)
            if problem:
                plan.problems.append(problem)
            continue
        body = {"database": name}
        body.update({locale: entry[locale] for locale in LOCALES if entry.get(locale) is not None})
        after = {locale: entry.get(locale) or DEFAULT_LOCALE for locale in LOCALES}
        plan.changes.append(DatabaseChange(project, service_name, name, "create", None, after, body))
    return plan


def diff_text(locales: Mapping[str, str] | None) -> str:
    """One side of a database's diff: a line per locale, the empty string when the database does not exist."""
    if locales is None:
        return ""
    return "".join(f"{locale}: {printable(locales[locale])}\n" for locale in LOCALES)


def diff_of(change: DatabaseChange) -> dict[str, str]:
    """The diff of one change, headed ``project/service/database`` (printable: names may come from the API)."""
    header = printable(change.label)
    return {"before_header": header, "after_header": header, "before": diff_text(change.before), "after": diff_text(change.after)}
