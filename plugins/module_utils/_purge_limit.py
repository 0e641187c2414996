# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The blast radius of a purge: how many pools one run may delete because the declaration does not name them.

The emptiness guard catches a purge that would leave a service with no pool; a list that
lost most of its entries (a merge mistake, a template that rendered half) would still delete
them. So the purge deletes of a whole call are counted (per call, not per service: a mistake
in a shared template hits every service at once) and a plan over ``purge_max_deletions``
fails before any write, naming the pools. A pool declared ``state: absent`` is named by the
user and does not count. Pure: no I/O, no Ansible.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import Change
from ansible_collections.dbpools.aiven.plugins.module_utils._text import listed, printable, shown

OPTION = "purge_max_deletions"
# Enough for day-to-day removals, too few for a declaration that lost a list.
DEFAULT = 10
MINIMUM = 0


@dataclass(frozen=True)
class PurgeLimit:
    """Most pools a purge may delete in one call, and what messages call the option (a role names its variable)."""

    most: int = DEFAULT
    option: str = OPTION


def value_problem(value: Any, option: str = OPTION) -> str | None:
    """Why ``value`` cannot be the limit, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, int) or value < MINIMUM:
        return f"{option} must be an integer of {MINIMUM} or more (the most pools a purge may delete in one run), got {shown(value)}"
    return None


def purge_deletes(label: str, changes: Sequence[Change], purgeable: Collection[str]) -> list[str]:
    """``label/pool`` of each delete of ``changes`` that the purge makes: a pool not declared, not one declared absent."""
    return [f"{label}/{printable(change.pool_name)}" for change in changes if change.action == "delete" and change.pool_name in purgeable]


def limit_problems(limit: PurgeLimit | None, services: Iterable[tuple[str, Sequence[Change], Collection[str]]]) -> list[str]:
    """The one problem of a plan whose purges would delete more than ``limit`` pools in all; [] within it (or without a limit).

    ``services`` are (``project/service``, its planned changes, the pools its purge may delete).
    """
    if limit is None:
        return []
    deleted = [name for label, changes, purgeable in services for name in purge_deletes(label, changes, purgeable)]
    if len(deleted) <= limit.most:
        return []
    return [f"purge would delete {len(deleted)} pools in this run, more than {limit.option} ({limit.most}) allows: {listed(deleted)}; "
            f"if they should all go, raise {limit.option} to {len(deleted)} for this run, else declare the pools the purge would delete"]
