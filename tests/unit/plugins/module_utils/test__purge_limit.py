# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_purge_limit.py: the purge deletes of a call counted against purge_max_deletions, explicit absents aside."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import plan, undeclared
from ansible_collections.dbpools.aiven.plugins.module_utils._purge_limit import DEFAULT, PurgeLimit, limit_problems, purge_deletes, value_problem
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import pool, want


def purged_service(label: str, names: list[str], keep: list[str], absent: tuple[str, ...] = ()) -> tuple[str, list, set[str]]:
    """A service with pools ``names`` purged down to ``keep``, with ``absent`` declared state: absent."""
    current = [pool(name=name) for name in names]
    desired = [want(name) for name in keep] + [want(name, state="absent") for name in absent]
    purgeable = set(undeclared(current, desired))
    return label, plan(current, desired, purge=True, purgeable=purgeable), purgeable


def test_the_default_is_ten_and_the_limit_is_inclusive() -> None:
    assert DEFAULT == PurgeLimit().most == 10
    service = purged_service("p/s", [f"p{index:02}" for index in range(11)], ["p00"])
    assert limit_problems(PurgeLimit(), [service]) == []
    assert limit_problems(PurgeLimit(9), [service]) != []


def test_counted_across_the_services_of_the_call_naming_the_pools_and_how_to_raise_it() -> None:
    services = [purged_service("p/a", ["a1", "a2", "keep"], ["keep"]), purged_service("q/b", ["b1", "b2", "keep"], ["keep"])]
    assert limit_problems(PurgeLimit(3, "connection_pools_purge_max_deletions"), services) == [
        "purge would delete 4 pools in this run, more than connection_pools_purge_max_deletions (3) allows: p/a/a1, p/a/a2, q/b/b1, q/b/b2; "
        "if they should all go, raise connection_pools_purge_max_deletions to 4 for this run, else declare the pools the purge would delete"]
    assert limit_problems(PurgeLimit(4), services) == []


def test_pools_declared_absent_are_the_users_own_and_do_not_count() -> None:
    service = purged_service("p/s", ["gone1", "gone2", "stray", "keep"], ["keep"], absent=("gone1", "gone2"))
    assert purge_deletes(*service) == ["p/s/stray"]
    assert limit_problems(PurgeLimit(1), [service]) == []
    assert limit_problems(PurgeLimit(0), [service])[0].startswith("purge would delete 1 pools in this run, more than purge_max_deletions (0)")


def test_the_pools_named_are_bounded_with_a_count_and_printable() -> None:
    service = purged_service("p/s", [f"x{index:03}\x1b[2J" for index in range(200)] + ["keep"], ["keep"])
    (problem,) = limit_problems(PurgeLimit(), [service])
    assert "\x1b" not in problem and "p/s/x000\\x1b[2J" in problem and "and 190 more;" in problem and "to 200 for this run" in problem


def test_no_limit_no_problem() -> None:
    assert limit_problems(None, [purged_service("p/s", [f"p{index}" for index in range(50)], ["p0"])]) == []


@pytest.mark.parametrize("value", [-1, True, "10", None, 2.5])
def test_a_limit_is_an_integer_of_zero_or_more(value: Any) -> None:
    assert value_problem(value, "connection_pools_purge_max_deletions").startswith(
        "connection_pools_purge_max_deletions must be an integer of 0 or more (the most pools a purge may delete in one run), got ")


@pytest.mark.parametrize("value", [0, 10, 100000])
def test_usable_limits(value: int) -> None:
    assert value_problem(value) is None
