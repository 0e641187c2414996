# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_flat_definitions.py: flat pool definitions grouped by service, identity problems named as the caller names them."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils import _flat_definitions
from ansible_collections.dbpools.aiven.plugins.module_utils._flat_definitions import (
    KNOWN_KEYS,
    PURGE_ALL,
    FlatDeclaration,
    Names,
    grouped,
    problems_message,
)

MAIN = "connection_pools_definitions"
ROLE_NAMES = Names("connection_pools_project", "connection_pools_purge", "connection_pools_allow_empty")


def services_of(definitions: Any, project: str | None = "prod", purge: Any = None, allow_empty: Any = None,
                more: dict[str, Any] | None = None, names: Names = ROLE_NAMES) -> list[dict[str, Any]]:
    services, problems = grouped(FlatDeclaration({MAIN: definitions, **(more or {})}, project, purge, allow_empty, names))
    assert problems == []
    # The labels of the entries have tests of their own.
    return [{key: value for key, value in item.items() if key != "origins"} for item in services]


def problems_of(definitions: Any, project: str | None = "prod", purge: Any = None, allow_empty: Any = None,
                more: dict[str, Any] | None = None, names: Names = ROLE_NAMES) -> list[str]:
    services, problems = grouped(FlatDeclaration({MAIN: definitions, **(more or {})}, project, purge, allow_empty, names))
    assert problems
    return problems


def service(project: str, service_name: str, pools: list, purge: bool = False, allow_empty: bool = False,
            databases: list | None = None, users: list | None = None) -> dict[str, Any]:
    return {"project": project, "service_name": service_name, "purge": purge, "allow_empty": allow_empty, "pools": pools,
            "databases": databases or [], "users": users or []}


def test_groups_by_service_in_first_seen_order_and_keeps_pool_order() -> None:
    definitions = [
        {"service_name": "pg-b", "pool_name": "b1", "database_name": "db"},
        {"service_name": "pg-a", "pool_name": "a1", "database_name": "db", "pool_size": 5},
        {"service_name": "pg-b", "pool_name": "b2", "database_name": "db", "pool_mode": "session"},
        {"service_name": "pg-a", "pool_name": "a0", "state": "absent"},
    ]
    assert services_of(definitions) == [
        service("prod", "pg-b", [{"pool_name": "b1", "database_name": "db"}, {"pool_name": "b2", "database_name": "db", "pool_mode": "session"}]),
        service("prod", "pg-a", [{"pool_name": "a1", "database_name": "db", "pool_size": 5}, {"pool_name": "a0", "state": "absent"}]),
    ]


def test_entry_project_overrides_the_default_and_splits_services() -> None:
    definitions = [{"service_name": "pg", "pool_name": "p"}, {"project": "other", "service_name": "pg", "pool_name": "p"}]
    assert [(item["project"], item["service_name"]) for item in services_of(definitions)] == [("prod", "pg"), ("other", "pg")]


def test_null_settings_are_left_out_and_an_empty_username_is_kept_to_unpin() -> None:
    entry = {"service_name": "pg", "pool_name": "p", "username": "", "pool_mode": None, "pool_size": None, "project": None}
    assert services_of([entry])[0]["pools"] == [{"pool_name": "p", "username": ""}]


def test_settings_break_the_rules_of_every_form_named_by_the_entry() -> None:
    more = {"connection_pools_definitions__b": [{"service_name": "pg", "pool_name": "q", "pool_size": 10001, "state": "gone"}]}
    assert problems_of([{"service_name": "pg", "pool_name": "p", "pool_mode": "fast", "database_name": ""}], more=more) == [
        "connection_pools_definitions[0] (project prod, service_name pg, pool_name p): database_name must be a string of 1 to 63 characters, got ''",
        "connection_pools_definitions[0] (project prod, service_name pg, pool_name p): pool_mode must be one of session, transaction, statement, got 'fast'",
        "connection_pools_definitions__b[0] (project prod, service_name pg, pool_name q): state must be one of present, absent, got 'gone'",
        "connection_pools_definitions__b[0] (project prod, service_name pg, pool_name q): pool_size must be an integer from 1 to 10000, got 10001",
    ]


def test_lists_follow_in_the_order_given_and_null_lists_are_empty() -> None:
    more = {"team_b": [{"service_name": "pg", "pool_name": "b"}], "team_a": [{"service_name": "pg", "pool_name": "a"}], "none": None}
    pools = services_of([{"service_name": "pg", "pool_name": "main"}], more=more)[0]["pools"]
    assert [pool["pool_name"] for pool in pools] == ["main", "b", "a"]
    assert services_of(None) == []


def test_purge_marks_services_and_adds_those_without_definitions_last() -> None:
    definitions = [{"service_name": "pg-a", "pool_name": "a1"}, {"project": "other", "service_name": "pg-c", "pool_name": "c1"}]
    result = services_of(definitions, purge=["pg-b", "other/pg-c", "pg-a", "prod/pg-b"])
    assert [(item["project"], item["service_name"], item["purge"], len(item["pools"])) for item in result] == [
        ("prod", "pg-a", True, 1), ("other", "pg-c", True, 1), ("prod", "pg-b", True, 0)]


def test_allow_empty_marks_the_services_of_the_call_only() -> None:
    result = services_of([{"service_name": "pg-a", "pool_name": "a1"}], purge=["pg-a", "pg-b", "pg-c"],
                         allow_empty=["prod/pg-b", "pg-a", "pg-elsewhere"])
    assert [(item["service_name"], item["purge"], item["allow_empty"]) for item in result] == [
        ("pg-a", True, True), ("pg-b", True, True), ("pg-c", True, False)]


@pytest.mark.parametrize(("item", "message"), [
    ("", "connection_pools_purge[0] must be a non-empty string"),
    (None, "connection_pools_purge[0] must be a non-empty string"),
    ("a/b/c", "connection_pools_purge[0] must be service_name or project/service_name, got 'a/b/c'"),
    ("/pg", "connection_pools_purge[0] must be service_name or project/service_name"),
    ("bad project/pg", "connection_pools_purge[0]: project must be 1 to 63 characters"),
])
def test_bad_purge_items_are_named_by_their_variable(item: Any, message: str) -> None:
    assert message in problems_of([], purge=[item])[0]


def test_a_purge_item_without_project_names_the_default_project_variable() -> None:
    assert problems_of([], project=None, purge=["pg"]) == [
        "connection_pools_purge[0] (pg) names no project and connection_pools_project is not set; write it as project/pg"]


def test_the_module_names_its_own_options_by_default() -> None:
    assert problems_of([], project=None, purge=["pg"], allow_empty="pg", names=Names()) == [
        "purge_services[0] (pg) names no project and project is not set; write it as project/pg",
        "allow_empty_services must be a list of service names (service_name or project/service_name), got 'pg'"]


def test_each_pool_keeps_the_label_of_the_entry_it_came_from() -> None:
    more = {"connection_pools_definitions__team_b": [{"project": "other", "service_name": "pg", "pool_name": "b"},
                                                     {"service_name": "pg", "pool_name": "c"}]}
    services, problems = grouped(FlatDeclaration({MAIN: [{"service_name": "pg", "pool_name": "a"}], **more}, "prod"))
    assert problems == []
    assert [item["origins"] for item in services] == [
        {"a": "connection_pools_definitions[0] (project prod, service_name pg, pool_name a)",
         "c": "connection_pools_definitions__team_b[1] (project prod, service_name pg, pool_name c)"},
        {"b": "connection_pools_definitions__team_b[0] (project other, service_name pg, pool_name b)"}]


def test_labels_are_made_only_when_a_message_asks_for_them() -> None:
    # Every entry of a large estate labelled up front cost more than all its checks.
    definitions = [{"service_name": f"pg{index % 3}", "pool_name": f"p{index}"} for index in range(30)]
    with mock.patch.object(_flat_definitions, "_describe", wraps=_flat_definitions._describe) as describe:
        services, problems = grouped(FlatDeclaration({MAIN: definitions}, "prod"))
        assert problems == [] and describe.call_count == 0
        origins = services[1]["origins"]
        assert origins["p4"] == f"{MAIN}[4] (project prod, service_name pg1, pool_name p4)" and describe.call_count == 1
    assert list(origins) == [f"p{index}" for index in range(1, 30, 3)] and len(origins) == 10
    assert origins.get("p0") is None and "p7" in origins
    assert dict(origins)["p7"] == f"{MAIN}[7] (project prod, service_name pg1, pool_name p7)"


def test_purge_all_purges_every_declared_service_and_no_other() -> None:
    definitions = [{"service_name": "pg-a", "pool_name": "a1"}, {"project": "other", "service_name": "pg-c", "pool_name": "c1"}]
    result = services_of(definitions, purge=PURGE_ALL, allow_empty=["other/pg-c"])
    assert [(item["project"], item["service_name"], item["purge"], item["allow_empty"]) for item in result] == [
        ("prod", "pg-a", True, False), ("other", "pg-c", True, True)]
    assert services_of([], purge=PURGE_ALL) == []


def test_all_in_a_list_names_a_service_called_all() -> None:
    assert [(item["service_name"], item["purge"]) for item in services_of([], purge=[PURGE_ALL])] == [("all", True)]


@pytest.mark.parametrize("value", ["pg-a", "ALL", "every"])
def test_purge_as_another_string_is_refused_saying_what_it_takes(value: str) -> None:
    assert problems_of([{"service_name": "pg-a", "pool_name": "a1"}], purge=value) == [
        f"connection_pools_purge must be a list of service names (service_name or project/service_name) or the string all "
        f"(every declared service), got {value!r}"]


def test_a_pool_declared_twice_names_both_entries() -> None:
    more = {"connection_pools_definitions__z": [{"project": "prod", "service_name": "pg", "pool_name": "p"}]}
    assert problems_of([{"service_name": "pg", "pool_name": "p"}], more=more) == [
        "connection_pools_definitions__z[0] (project prod, service_name pg, pool_name p): pool p of prod/pg is already declared by"
        " connection_pools_definitions[0]; declare each pool once"]


@pytest.mark.parametrize(("entry", "message"), [
    ({"pool_name": "p"}, "connection_pools_definitions[0] (pool_name p): service_name is required and must be a non-empty string, got None"),
    ({"service_name": "pg", "pool_name": "x" * 64}, "connection_pools_definitions[0] (service_name pg): pool_name must be a string of 1 to 63"),
    ({"service_name": "", "pool_name": "p"}, "connection_pools_definitions[0] (pool_name p): service_name is required and must be a non-empty string, got ''"),
    ({"service_name": "pg", "pool_name": "a\nb"}, "(service_name pg): pool_name must not contain control characters"),
    ({"service_name": "pg", "pool_name": "a\x00b"}, "(service_name pg): pool_name must not contain control characters or unpaired surrogates"),
    ({"project": "a%2Fb", "service_name": "pg", "pool_name": "p"}, "project must be 1 to 63 characters of a-z, A-Z, 0-9, '_' and '-', got 'a%2Fb'"),
    ({"project": "prøject", "service_name": "pg", "pool_name": "p"}, "got 'prøject'"),
    ({"service_name": "s" * 65, "pool_name": "p"}, "(pool_name p): service_name must be a string of 1 to 64 characters"),
    ({"project": "", "service_name": "pg", "pool_name": "p"}, "project must be a non-empty string when given"),
    ({"project": "../x", "service_name": "pg", "pool_name": "p"}, "project must be 1 to 63 characters of a-z, A-Z, 0-9, '_' and '-', got '../x'"),
    ({"service_name": "pg", "pool_name": "p", "size": 2}, "unknown key(s) size; the keys are project, service_name"),
])
def test_invalid_identities_are_named(entry: dict[str, Any], message: str) -> None:
    assert message in problems_of([entry])[0]


def test_an_entry_without_any_project_names_the_default_project_variable() -> None:
    problem = problems_of([{"service_name": "pg", "pool_name": "p"}], project=None)[0]
    assert problem == ("connection_pools_definitions[0] (service_name pg, pool_name p): no project; set project on the entry or"
                       " connection_pools_project (the default project)")


def test_a_bad_default_project_is_named_as_the_variable() -> None:
    assert problems_of([], project="bad/project")[0].startswith("connection_pools_project (the default project) must be 1 to 63 characters")


@pytest.mark.parametrize("value", ["pg", {"service_name": "pg"}, 3])
def test_a_list_that_is_no_list(value: Any) -> None:
    assert problems_of(value)[0].startswith("connection_pools_definitions must be a list of dictionaries")


def test_every_problem_at_once_in_one_message() -> None:
    problems = problems_of([{"service_name": "pg", "pool_name": "p"}, {"service_name": "pg", "pool_name": "p"}, "pg/p"], purge=["a/b/c"])
    assert len(problems) == 3
    message = problems_message(problems)
    assert message.startswith("3 problems in the pool definitions, nothing was changed: connection_pools_definitions[1]")
    assert problems_message(problems[:1]) == f"{problems[0]}; nothing was changed"


def test_control_characters_in_names_are_shown_escaped() -> None:
    problems = problems_of([{"service_name": "pg", "pool_name": "p", "\x1b[2J": 1}], project=None, purge=["pg\u202e"],
                           more={"extra\n": "x"})
    text = "; ".join(problems)
    assert "unknown key(s) \\x1b[2J;" in text and "extra\\n must be a list" in text and "pg\\u202e" in text
    assert "\x1b" not in text and "\n" not in text


def test_names_that_are_not_text_keep_the_defaults() -> None:
    assert Names.given({"project": 3, "purge_services": "", "allow_empty_services": "mine"}) == Names(allow_empty_services="mine")
    assert Names.given(None) == Names()
    assert Names.given({"select": "connection_pools_select"}).select == "connection_pools_select"
    assert Names().purge_max_deletions == "purge_max_deletions" and Names().select == "select"


NAMES = st.sampled_from(["prod", "pg", "p", "", "a/b", "x" * 70, "\x00"])
VALUES = st.none() | st.integers() | NAMES | st.lists(NAMES, max_size=3)
ENTRIES = st.dictionaries(st.sampled_from(KNOWN_KEYS + ("other",)), VALUES, max_size=5)


@given(definitions=st.lists(ENTRIES | VALUES, max_size=4) | VALUES, project=st.none() | NAMES, purge=VALUES, allow_empty=VALUES)
def test_any_input_gives_services_or_problems(definitions: Any, project: Any, purge: Any, allow_empty: Any) -> None:
    services, problems = grouped(FlatDeclaration({MAIN: definitions}, project, purge, allow_empty))
    # Problems are printable text: the NUL of a name is shown escaped.
    assert all(isinstance(problem, str) and "\x00" not in problem for problem in problems)
    for item in services:
        assert set(item) == {"project", "service_name", "purge", "allow_empty", "pools", "origins", "databases", "users"}
        assert set(item["origins"]) == {pool["pool_name"] for pool in item["pools"]}
