# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_change_lines."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dbpools.aiven.plugins.filter.pool_change_lines import FilterModule, pool_change_lines


def change(pool_name, action, service_name="pg-demo", fields=None, before=None, after=None) -> dict:
    entry = {"project": "demo-project", "service_name": service_name, "pool_name": pool_name, "action": action, "before": before, "after": after}
    if fields is not None:
        entry["fields"] = fields
    return entry


SETTINGS = {"database_name": "appdb", "username": "app", "pool_mode": "session", "pool_size": 5}
CHANGES = [
    change("a", "create", after=SETTINGS),
    change("d", "delete", before=SETTINGS),
    change("c", "update", fields=["pool_size"], before=SETTINGS, after=dict(SETTINGS, pool_size=7)),
    change("b", "create", after=SETTINGS),
    change("x", "update", service_name="pg-other", fields=["username", "pool_mode"], before=SETTINGS,
           after=dict(SETTINGS, username=None, pool_mode="transaction")),
]


def test_registered_under_its_name():
    assert FilterModule().filters() == {"pool_change_lines": pool_change_lines}


def test_one_line_per_service_naming_every_pool_then_the_total():
    assert pool_change_lines(CHANGES, services=3) == [
        "demo-project/pg-demo: create 2 (a, b), update 1 (c: pool_size 5 -> 7), delete 1 (d)",
        "demo-project/pg-other: update 1 (x: username app -> null, pool_mode session -> transaction)",
        "total: 3 services, create 2, update 2, delete 1",
    ]


def test_check_mode_says_would():
    assert pool_change_lines(CHANGES[1:2], services=1, check_mode=True) == [
        "demo-project/pg-demo: would delete 1 (d)",
        "total: 1 service, would create 0, update 0, delete 1",
    ]


def test_several_updates_of_one_service_are_separated():
    updates = [change(name, "update", fields=["pool_size"], before={"pool_size": 1}, after={"pool_size": 2}) for name in ("p", "q")]
    assert pool_change_lines(updates)[0] == "demo-project/pg-demo: update 2 (p: pool_size 1 -> 2; q: pool_size 1 -> 2)"


def test_services_default_to_those_with_changes():
    assert pool_change_lines(CHANGES)[-1] == "total: 2 services, create 2, update 2, delete 1"


@pytest.mark.parametrize("changes", [[], None])
def test_no_change(changes):
    assert pool_change_lines(changes, services=4) == ["total: 4 services, no change"]


def test_services_given_as_a_string_count():
    assert pool_change_lines([], services="1") == ["total: 1 service, no change"]


@pytest.mark.parametrize("changes", ["create a", [["a"]], {"action": "create"}])
def test_refuses_what_is_not_a_list_of_changes(changes):
    with pytest.raises(AnsibleFilterError, match="expects the list of changes"):
        pool_change_lines(changes)
