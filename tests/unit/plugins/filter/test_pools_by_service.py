# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filter dbpools.aiven.pools_by_service."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.filter.pools_by_service import KNOWN_KEYS, FilterModule, pools_by_service
from ansible_collections.dbpools.aiven.tests.unit.plugins.filter.json_like import NAMES, json_like, result_or_filter_error, shaped

VARIABLE = "connection_pools_definitions"


def group(definitions, **kwargs):
    return pools_by_service(definitions, variable=VARIABLE, **kwargs)


def error_of(definitions, **kwargs) -> str:
    """The message after the filter's name, which starts every message."""
    with pytest.raises(AnsibleFilterError) as caught:
        group(definitions, **kwargs)
    message = str(caught.value)
    assert message.startswith("pools_by_service: ")
    return message[len("pools_by_service: "):]


def service(project, service_name, pools, purge=False, allow_empty=False) -> dict:
    return {"project": project, "service_name": service_name, "purge": purge, "allow_empty": allow_empty, "pools": pools}


def test_registered_under_its_name():
    assert FilterModule().filters() == {"pools_by_service": pools_by_service}


def test_groups_by_service_in_first_seen_order_and_keeps_pool_order():
    definitions = [
        {"service_name": "pg-b", "pool_name": "b1", "database_name": "db"},
        {"service_name": "pg-a", "pool_name": "a1", "database_name": "db", "pool_size": 5},
        {"service_name": "pg-b", "pool_name": "b2", "database_name": "db", "pool_mode": "session"},
        {"service_name": "pg-a", "pool_name": "a0", "state": "absent"},
    ]
    assert group(definitions, project="prod") == [
        service("prod", "pg-b", [
            {"pool_name": "b1", "database_name": "db"},
            {"pool_name": "b2", "database_name": "db", "pool_mode": "session"},
        ]),
        service("prod", "pg-a", [
            {"pool_name": "a1", "database_name": "db", "pool_size": 5},
            {"pool_name": "a0", "state": "absent"},
        ]),
    ]


def test_entry_project_overrides_the_default_and_splits_services():
    definitions = [
        {"service_name": "pg", "pool_name": "p"},
        {"project": "other", "service_name": "pg", "pool_name": "p"},
        {"project": "prod", "service_name": "pg", "pool_name": "q"},
    ]
    result = group(definitions, project="prod")
    assert [(g["project"], g["service_name"], [p["pool_name"] for p in g["pools"]]) for g in result] == [
        ("prod", "pg", ["p", "q"]),
        ("other", "pg", ["p"]),
    ]


def test_without_default_project_every_entry_names_one():
    result = group([{"project": "x", "service_name": "pg", "pool_name": "p"}])
    assert result[0]["project"] == "x"
    assert group([{"project": "x", "service_name": "pg", "pool_name": "p"}], project=None)[0]["project"] == "x"


def test_null_settings_are_dropped_and_empty_username_is_kept_to_unpin():
    result = group([{"service_name": "pg", "pool_name": "p", "username": "", "pool_mode": None, "pool_size": None,
                     "database_name": None, "state": None, "project": None}], project="prod")
    assert result[0]["pools"] == [{"pool_name": "p", "username": ""}]


def test_settings_pass_through_unchecked_for_the_module_to_judge():
    # The module validates settings (and reports every problem at once); the filter must not drop or fix them.
    entry = {"service_name": "pg", "pool_name": "p", "pool_size": "twenty", "pool_mode": "fast", "state": "gone", "database_name": 5}
    assert group([entry], project="prod")[0]["pools"] == [
        {"pool_name": "p", "database_name": 5, "pool_mode": "fast", "pool_size": "twenty", "state": "gone"}]


def test_input_is_not_modified():
    entry = {"service_name": "pg", "pool_name": "p", "database_name": "db"}
    group([entry], project="prod")
    assert entry == {"service_name": "pg", "pool_name": "p", "database_name": "db"}


def test_empty_and_none_input():
    assert group([]) == []
    assert group(None) == []


def test_purge_marks_services_and_adds_those_without_definitions_last():
    definitions = [
        {"service_name": "pg-a", "pool_name": "a1"},
        {"project": "other", "service_name": "pg-c", "pool_name": "c1"},
    ]
    result = group(definitions, project="prod", purge=["pg-b", "other/pg-c", "pg-a", "prod/pg-b"])
    assert [(g["project"], g["service_name"], g["purge"], len(g["pools"])) for g in result] == [
        ("prod", "pg-a", True, 1),
        ("other", "pg-c", True, 1),
        ("prod", "pg-b", True, 0),
    ]


def test_services_not_purged_stay_unpurged():
    result = group([{"service_name": "pg-a", "pool_name": "a1"}, {"service_name": "pg-b", "pool_name": "b1"}],
                   project="prod", purge=["pg-b"])
    assert [(g["service_name"], g["purge"]) for g in result] == [("pg-a", False), ("pg-b", True)]


def test_purge_of_service_with_other_project_prefix_is_distinct():
    result = group([{"service_name": "pg", "pool_name": "p"}], project="prod", purge=["staging/pg"])
    assert [(g["project"], g["purge"]) for g in result] == [("prod", False), ("staging", True)]


def test_allow_empty_marks_the_services_of_the_call_only():
    result = group([{"service_name": "pg-a", "pool_name": "a1"}], project="prod",
                   purge=["pg-a", "pg-b", "pg-c"], allow_empty=["prod/pg-b", "pg-a", "pg-elsewhere"])
    assert [(g["service_name"], g["purge"], g["allow_empty"]) for g in result] == [
        ("pg-a", True, True), ("pg-b", True, True), ("pg-c", True, False)]


@pytest.mark.parametrize("item, message", [
    ("pg", "purge[0] (pg) names no project and there is no default project; write it as project/pg"),
    ("", "purge[0] must be a non-empty string"),
    (None, "purge[0] must be a non-empty string"),
    ("a/b/c", "purge[0] must be service_name or project/service_name, got 'a/b/c'"),
    ("/pg", "purge[0] must be service_name or project/service_name"),
    ("proj/", "purge[0] must be service_name or project/service_name"),
    ("bad project/pg", "purge[0]: project must be 1 to 63 characters"),
])
def test_bad_purge_entries(item, message):
    assert message in error_of([], purge=[item])


def test_bad_allow_empty_entries_are_named_by_their_variable():
    message = error_of([], purge=["p/pg"], allow_empty=["p/pg", "x/y/z"], allow_empty_variable="connection_pools_allow_empty")
    assert message == "connection_pools_allow_empty[1] must be service_name or project/service_name, got 'x/y/z'"


def test_purge_variable_name_in_messages():
    message = error_of([], purge=["pg"], purge_variable="connection_pools_purge")
    assert message.startswith("connection_pools_purge[0] (pg) names no project")


@pytest.mark.parametrize("option", ["purge", "allow_empty"])
def test_service_lists_must_be_lists(option):
    assert f"{option} must be a list of service names, got str" in error_of([], project="p", **{option: "pg"})


def test_duplicate_names_both_entries():
    definitions = [
        {"service_name": "pg", "pool_name": "p1"},
        {"service_name": "pg", "pool_name": "p2"},
        {"project": "prod", "service_name": "pg", "pool_name": "p1", "pool_size": 3},
    ]
    message = error_of(definitions, project="prod")
    assert message == ("connection_pools_definitions[2] (project prod, service_name pg, pool_name p1): pool p1 of prod/pg"
                       " is already declared by connection_pools_definitions[0]; declare each pool once")


def test_same_pool_name_on_other_service_or_project_is_no_duplicate():
    definitions = [
        {"service_name": "pg", "pool_name": "p"},
        {"service_name": "pg2", "pool_name": "p"},
        {"project": "other", "service_name": "pg", "pool_name": "p"},
    ]
    assert len(group(definitions, project="prod")) == 3


def test_missing_project_names_the_entry():
    definitions = [{"project": "x", "service_name": "pg", "pool_name": "ok"}, {"service_name": "pg", "pool_name": "p"}]
    message = error_of(definitions)
    assert message.startswith("connection_pools_definitions[1] (service_name pg, pool_name p): no project;")
    assert "connection_pools_project" in message


@pytest.mark.parametrize("entry, message", [
    ({"pool_name": "p"}, "connection_pools_definitions[0] (pool_name p): service_name is required and must be a non-empty string, got None"),
    ({"service_name": "pg"}, "connection_pools_definitions[0] (service_name pg): pool_name is required"),
    ({"service_name": "pg", "pool_name": ""}, "pool_name is required and must be a non-empty string, got ''"),
    ({"service_name": "pg", "pool_name": 7}, "pool_name is required and must be a non-empty string, got 7"),
    ({"service_name": "pg", "pool_name": "x" * 64}, "pool_name must be a string of 1 to 63 characters"),
    ({"service_name": "pg", "pool_name": "a\nb"}, "(service_name pg): pool_name must not contain control characters"),
    ({"service_name": "s" * 65, "pool_name": "p"}, "(pool_name p): service_name must be a string of 1 to 64 characters"),
    ({"project": "", "service_name": "pg", "pool_name": "p"}, "project must be a non-empty string when given"),
    ({"project": "bad project", "service_name": "pg", "pool_name": "p"}, "project must be 1 to 63 characters"),
    ({"service_name": "pg", "pool_name": "p", "pool": 1, "size": 2}, "unknown key(s) pool, size; the keys are project, service_name"),
])
def test_invalid_identities_are_named(entry, message):
    assert message in error_of([entry], project="prod")


def test_every_problem_is_reported_at_once():
    definitions = [{"service_name": "pg", "pool_name": "p"}, {"service_name": "pg", "pool_name": "p"}, {"service_name": "pg"}]
    message = error_of(definitions, project="prod", purge=["a/b/c"])
    assert message.startswith("3 problems in the pool definitions: ")
    assert "connection_pools_definitions[1] (service_name pg, pool_name p): pool p of prod/pg is already declared" in message
    assert "connection_pools_definitions[2] (service_name pg): pool_name is required" in message
    assert "purge[0] must be service_name or project/service_name" in message


def test_a_bad_default_project_is_named_as_such():
    assert error_of([], project="bad project").startswith("project (the default project, connection_pools_project in the role) must be")


@pytest.mark.parametrize("value", ["pg", {"service_name": "pg"}, 3])
def test_definitions_must_be_a_list(value):
    assert "connection_pools_definitions must be a list of dictionaries" in error_of(value)


def test_entries_must_be_dictionaries():
    assert error_of(["pg/p"], project="prod") == "connection_pools_definitions[0] must be a dictionary, got str: 'pg/p'"


def test_project_must_be_a_string():
    assert "project must be a string" in error_of([], project=["prod"])


def test_default_variable_name_in_messages():
    with pytest.raises(AnsibleFilterError, match=r"^pools_by_service: definitions\[0\]"):
        pools_by_service([{"service_name": "pg", "pool_name": "p"}])


# --- merged variables (connection_pools_definitions__* in the role) ---------------------------


def test_merged_variables_follow_the_main_list_sorted_by_name():
    merge = {
        "connection_pools_definitions__team_b": [{"service_name": "pg", "pool_name": "b"}, {"service_name": "pg-2", "pool_name": "b2"}],
        "connection_pools_definitions__team_a": [{"service_name": "pg", "pool_name": "a"}],
    }
    result = group([{"service_name": "pg", "pool_name": "main"}], project="prod", merge=merge)
    assert [(g["service_name"], [p["pool_name"] for p in g["pools"]]) for g in result] == [("pg", ["main", "a", "b"]), ("pg-2", ["b2"])]


def test_a_pool_in_two_variables_names_both():
    merge = {
        "connection_pools_definitions__z": [{"service_name": "pg", "pool_name": "other"}, {"project": "prod", "service_name": "pg", "pool_name": "p"}],
        "connection_pools_definitions__a": [{"service_name": "pg", "pool_name": "p", "pool_size": 3}],
    }
    assert error_of([], project="prod", merge=merge) == (
        "connection_pools_definitions__z[1] (project prod, service_name pg, pool_name p): pool p of prod/pg"
        " is already declared by connection_pools_definitions__a[0]; declare each pool once")


def test_merged_variables_are_checked_and_named_like_the_main_list():
    merge = {"connection_pools_definitions__x": [{"service_name": "pg", "pool_name": "p", "pool_sise": 3}],
             "connection_pools_definitions__y": "pg/p",
             "connection_pools_definitions__empty": None}
    message = error_of([], project="prod", merge=merge)
    assert "connection_pools_definitions__x[0] (service_name pg, pool_name p): unknown key(s) pool_sise" in message
    assert "connection_pools_definitions__y must be a list of dictionaries, got str" in message
    assert "__empty" not in message


def test_merge_must_be_a_dictionary():
    assert "merge must be a dictionary" in error_of([], project="prod", merge=[[]])


def test_merged_names_that_read_the_same_are_sorted_without_comparing_their_lists():
    merge = {1: [{"service_name": "pg", "pool_name": "a"}], "1": [{"service_name": "pg", "pool_name": "b"}]}
    assert [pool["pool_name"] for pool in group([], project="prod", merge=merge)[0]["pools"]] == ["a", "b"]


@pytest.mark.parametrize("option", ["variable", "purge_variable", "allow_empty_variable"])
def test_variable_names_must_be_strings(option):
    with pytest.raises(AnsibleFilterError, match=f"^pools_by_service: {option} must be a string, got 3$"):
        pools_by_service([], **{option: 3})


def test_control_characters_in_names_are_shown_escaped():
    message = error_of([{"project": "prod", "service_name": "pg", "pool_name": "p", "\x1b[2J": 1}], project="", purge=["pg\u202e"],
                       merge={"extra\n": "x"})
    assert "unknown key(s) \\x1b[2J;" in message
    assert "extra\\n must be a list" in message
    assert "purge[0] (pg\\u202e) names no project and there is no default project; write it as project/pg\\u202e" in message


WORDS = KNOWN_KEYS + ("prod", "pg-a", "app", "present", "absent")
ENTRY_KEYS = {key: NAMES for key in ("project", "service_name", "pool_name", "database_name", "username")}


@given(definitions=json_like(WORDS) | shaped(ENTRY_KEYS, WORDS), project=json_like(WORDS), purge=json_like(WORDS) | st.lists(NAMES),
       allow_empty=json_like(WORDS), merge=json_like(WORDS) | st.dictionaries(NAMES, shaped(ENTRY_KEYS, WORDS)), variable=json_like(WORDS))
def test_property_any_input_gives_services_or_a_filter_error(definitions, project, purge, allow_empty, merge, variable):
    def call():
        return pools_by_service(definitions, project=project, purge=purge, allow_empty=allow_empty, merge=merge, variable=variable)
    result = result_or_filter_error("pools_by_service", call)
    if result is not None:
        assert all(set(item) == {"project", "service_name", "purge", "allow_empty", "pools"} for item in result)
