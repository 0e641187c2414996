# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pool_change_lines."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.filter.pool_change_lines import ACTIONS, FilterModule, pool_change_lines
from ansible_collections.dbpools.aiven.tests.unit.plugins.filter.json_like import NAMES, json_like, result_or_filter_error, shaped
from ansible_collections.dbpools.aiven.tests.unit.plugins.text_checks import has_control


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


def error_of(changes, **kwargs) -> str:
    with pytest.raises(AnsibleFilterError) as caught:
        pool_change_lines(changes, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("changes", ["create a", {"action": "create"}, 3])
def test_refuses_what_is_not_a_list_of_changes(changes):
    assert error_of(changes).startswith("pool_change_lines: changes must be the list of changes of aiven_connection_pool, got ")


@pytest.mark.parametrize("changes, expected", [
    ([["a"]], "pool_change_lines: changes[0] must be a dictionary (a change of aiven_connection_pool), got list"),
    ([CHANGES[0], "a"], "pool_change_lines: changes[1] must be a dictionary"),
    ([dict(CHANGES[0], pool_name=7)], "pool_change_lines: changes[0].pool_name must be a string, got int"),
    ([dict(CHANGES[0], project=None)], "pool_change_lines: changes[0].project must be a string, got NoneType"),
    ([CHANGES[0], dict(CHANGES[1], service_name=["pg"])], "pool_change_lines: changes[1].service_name must be a string, got list"),
    ([dict(CHANGES[0], action="rename")], "pool_change_lines: changes[0].action must be one of create, update, delete, got 'rename'"),
    ([dict(CHANGES[2], before="pool_size 5")], "pool_change_lines: changes[0].before must be a dictionary or null, got str"),
    ([dict(CHANGES[2], fields="pool_size")], "pool_change_lines: changes[0].fields must be a list of setting names, got str"),
    ([dict(CHANGES[2], fields=[["pool_size"]])], "pool_change_lines: changes[0].fields must be a list of setting names"),
])
def test_a_change_of_the_wrong_shape_is_named_by_its_place(changes, expected):
    assert error_of(changes).startswith(expected)


@pytest.mark.parametrize("services", ["two", "-1", -1, True, 2.5, [2], "9" * 5000])
def test_services_must_be_a_count(services):
    assert error_of([], services=services).startswith("pool_change_lines: services must be a count of services, got ")


@pytest.mark.parametrize("check_mode, would", [(True, True), ("False", False), ("true", True), (0, False)])
def test_check_mode_is_read_as_a_boolean(check_mode, would):
    # A string "False" (a template's answer before ansible-core 2.19) must not read as true.
    assert pool_change_lines(CHANGES[1:2], check_mode=check_mode)[0].startswith("demo-project/pg-demo: would" if would else "demo-project/pg-demo: delete")


@pytest.mark.parametrize("check_mode", ["maybe", [True], None])
def test_check_mode_must_be_a_boolean(check_mode):
    assert error_of([], check_mode=check_mode).startswith("pool_change_lines: check_mode must be a boolean, got ")


def test_names_and_values_from_the_api_are_shown_without_control_characters():
    # A purge deletes pools named by the API; an update shows values read from it.
    changes = [change("\x1b[2Jgone", "delete", service_name="pg\nfake: create 9"),
               change("p", "update", fields=["pool_mode"], before={"pool_mode": "session\r"}, after={"pool_mode": "\x9b2J"})]
    lines = pool_change_lines(changes)
    assert lines[:2] == ["demo-project/pg\\nfake: create 9: delete 1 (\\x1b[2Jgone)",
                         "demo-project/pg-demo: update 1 (p: pool_mode session\\r -> \\x9b2J)"]
    assert not any(has_control(line) for line in lines)


def test_a_name_of_any_length_is_bounded():
    line = pool_change_lines([change("x" * 100000, "delete")])[0]
    assert len(line) < 600 and line.endswith("x...)")


WORDS = ("project", "service_name", "pool_name", "action", "fields", "before", "after") + ACTIONS + ("pool_size",)
CHANGE_KEYS = {"project": NAMES, "service_name": NAMES, "pool_name": NAMES, "action": st.sampled_from(ACTIONS),
               "fields": st.lists(NAMES, max_size=3), "before": st.dictionaries(NAMES, NAMES), "after": st.dictionaries(NAMES, NAMES)}


@given(changes=json_like(WORDS) | shaped(CHANGE_KEYS, WORDS), services=json_like(WORDS), check_mode=json_like(WORDS))
def test_property_any_input_gives_lines_or_a_filter_error(changes, services, check_mode):
    lines = result_or_filter_error("pool_change_lines", lambda: pool_change_lines(changes, services=services, check_mode=check_mode))
    if lines is not None:
        assert all(isinstance(line, str) and not has_control(line) for line in lines)
        assert lines[-1].startswith("total: ")
