# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Acting on part of a declaration: the services that ``select`` names (``project`` or ``project/service_name``).

The selection filters the list of service declarations, whatever form they came in; the
services left out are neither read nor written, so a purge is confined to the selection.
An entry that matches no declared service is a problem, not a selection of nothing: a typo
there must not make a run that does nothing and succeeds. Pure: no I/O, no Ansible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import project_problem, service_label, service_problem
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed, printable, shown

OPTION = "select"


class Declared(Protocol):
    """What the selection reads of a service declaration."""

    project: str
    service_name: str


DeclaredT = TypeVar("DeclaredT", bound=Declared)


@dataclass(frozen=True)
class Entry:
    """One entry of ``select``: a whole project (``service_name`` None) or one service of it."""

    text: str
    project: str
    service_name: str | None = None

    def matches(self, declaration: Declared) -> bool:
        return declaration.project == self.project and self.service_name in (None, declaration.service_name)


@dataclass(frozen=True)
class Selection:
    """The entries of ``select``, and what messages call the option (a role names its variable)."""

    entries: tuple[Entry, ...]
    option: str = OPTION

    def of(self, declarations: Sequence[DeclaredT]) -> list[DeclaredT]:
        """The declarations some entry matches, in the order declared."""
        # Sets, not entry by entry: a run may declare thousands of services and select hundreds.
        projects = {entry.project for entry in self.entries if entry.service_name is None}
        services = {(entry.project, entry.service_name) for entry in self.entries}
        return [declaration for declaration in declarations
                if declaration.project in projects or (declaration.project, declaration.service_name) in services]

    def unmatched_problems(self, declarations: Sequence[Declared]) -> list[str]:
        """One problem per entry that matches no declared service."""
        projects = {declaration.project for declaration in declarations}
        services = {(declaration.project, declaration.service_name) for declaration in declarations}
        declared = [printable(service_label(declaration.project, declaration.service_name)) for declaration in declarations]
        problems = []
        for index, entry in enumerate(self.entries):
            if entry.project in projects if entry.service_name is None else (entry.project, entry.service_name) in services:
                continue
            hint = ("an entry without / is a whole project: write project/service_name for one service" if entry.service_name is None
                    else "an entry is project or project/service_name")
            problems.append(f"{self.option}[{index}] ({printable(entry.text)}) matches no declared service (declared: "
                            f"{listed(declared) or 'none'}); {hint}")
        return problems


def _entry(item: Any, index: int, option: str) -> tuple[Entry | None, str | None]:
    place = f"{option}[{index}]"
    if not isinstance(item, str) or not item:
        return None, f"{place} must be a non-empty string (project or project/service_name), got {shown(item)}"
    # A project name has no "/", so the first one ends it; the rest is the service name.
    project, slash, service_name = item.partition("/")
    problem = project_problem(project, option=f"{place}: project")
    if problem is None and slash:
        problem = service_problem(service_name)
        problem = problem and f"{place}: {problem}"
    if problem:
        return None, problem
    return Entry(item, project, service_name if slash else None), None


def parsed(value: Any, option: str = OPTION) -> tuple[Selection | None, list[str]]:
    """The selection ``value`` makes (None: every declared service), and why its entries are unusable.

    Left out or empty, nothing is set aside: an empty list is how a caller says "no selection".
    """
    if value is None or (isinstance(value, (list, tuple)) and not value):
        return None, []
    if not isinstance(value, (list, tuple)):
        return None, [f"{option} must be a list of project or project/service_name entries, got {shown(value)}"]
    entries, problems = [], []
    for index, item in enumerate(value):
        entry, problem = _entry(item, index, option)
        if problem:
            problems.append(problem)
        elif entry is not None:
            entries.append(entry)
    return (None if problems else Selection(tuple(entries), option)), problems


def applied(selection: Selection | None, declarations: Sequence[DeclaredT]) -> tuple[list[DeclaredT], list[str]]:
    """The declarations ``selection`` keeps (all without one), and one problem per entry that matches none of them."""
    if selection is None:
        return list(declarations), []
    return selection.of(declarations), selection.unmatched_problems(declarations)
