# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_prerequisite_definitions.py: the databases and users declared beside the pools, grouped by service
(through _flat_definitions.grouped, as the module calls it), each problem naming the list and the index of its entry."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._flat_definitions import FlatDeclaration, Names, grouped
from ansible_collections.dbpools.aiven.plugins.module_utils._prerequisite_definitions import DATABASES, USERS

POOLS = "connection_pools_definitions"
DBS = "connection_pools_databases"
USERS_LIST = "connection_pools_users"
ROLE_NAMES = Names("connection_pools_project", "connection_pools_purge", "connection_pools_allow_empty")


def group(pools: list | None = None, databases: Any = None, users: Any = None, project: str | None = "prod",
          purge: Any = None) -> tuple[list[dict[str, Any]], list[str]]:
    services, problems = grouped(FlatDeclaration({POOLS: pools or []}, project, purge, None, ROLE_NAMES, databases, users))
    # The pools' labels have tests of their own (test__flat_definitions.py).
    return [{key: value for key, value in item.items() if key != "origins"} for item in services], problems


def test_databases_and_users_join_the_group_of_their_pools_service_with_only_their_declared_settings() -> None:
    pools = [{"service_name": "pg1", "pool_name": "app", "database_name": "appdb"}]
    databases = {DBS: [{"service_name": "pg1", "database_name": "appdb", "lc_collate": "C", "lc_ctype": None}]}
    users = {USERS_LIST: [{"service_name": "pg1", "username": "app"}, {"service_name": "pg1", "username": "rep", "pg_allow_replication": True}]}
    services, problems = group(pools, databases, users)
    assert problems == []
    assert services == [{"project": "prod", "service_name": "pg1", "purge": False, "allow_empty": False,
                         "pools": [{"pool_name": "app", "database_name": "appdb"}],
                         # A null setting is not declared: the API's default stands.
                         "databases": [{"database_name": "appdb", "lc_collate": "C"}],
                         "users": [{"username": "app"}, {"username": "rep", "pg_allow_replication": True}]}]


def test_an_entry_without_project_takes_the_default_one_and_its_own_project_wins() -> None:
    databases = {DBS: [{"service_name": "pg1", "database_name": "a"}, {"project": "other", "service_name": "pg1", "database_name": "a"}]}
    services, problems = group(databases=databases)
    assert problems == []
    assert [(item["project"], item["service_name"], item["databases"]) for item in services] == [
        ("prod", "pg1", [{"database_name": "a"}]), ("other", "pg1", [{"database_name": "a"}])]


def test_entries_of_several_lists_are_grouped_in_the_order_given() -> None:
    databases = {DBS: [{"service_name": "pg1", "database_name": "a"}], f"{DBS}__b": [{"service_name": "pg1", "database_name": "b"}]}
    services, problems = group(databases=databases)
    assert problems == []
    assert services[0]["databases"] == [{"database_name": "a"}, {"database_name": "b"}]


def test_a_service_declared_only_by_its_databases_or_users_is_added_without_pools_and_never_purged() -> None:
    pools = [{"service_name": "pg1", "pool_name": "app", "database_name": "appdb"}]
    databases = {DBS: [{"service_name": "pg2", "database_name": "appdb"}]}
    users = {USERS_LIST: [{"service_name": "pg3", "username": "app"}]}
    services, problems = group(pools, databases, users, purge="all")
    assert problems == []
    by_service = {item["service_name"]: item for item in services}
    assert list(by_service) == ["pg1", "pg2", "pg3"]
    # purge "all" reaches the services of the pools; a service named only for its databases or users keeps its pools.
    assert [by_service[name]["purge"] for name in ("pg1", "pg2", "pg3")] == [True, False, False]
    assert by_service["pg2"]["pools"] == [] and by_service["pg2"]["databases"] == [{"database_name": "appdb"}]
    assert by_service["pg3"]["pools"] == [] and by_service["pg3"]["users"] == [{"username": "app"}]


def test_none_and_empty_lists_declare_nothing() -> None:
    services, problems = group(databases={DBS: None}, users={USERS_LIST: []})
    assert (services, problems) == ([], [])
    services, problems = group(databases=None, users=None)
    assert (services, problems) == ([], [])


def test_unknown_keys_are_named_with_the_keys_there_are() -> None:
    databases = {DBS: [{"service_name": "pg1", "database_name": "a", "owner": "x"}]}
    users = {USERS_LIST: [{"service_name": "pg1", "username": "u", "password": "not-shown-here"}]}
    services, problems = group(databases=databases, users=users)
    assert services == []
    assert problems == [
        f"{DBS}[0] (service_name pg1, database_name a): unknown key(s) owner; the keys are project, service_name, database_name, lc_collate, lc_ctype",
        f"{USERS_LIST}[0] (service_name pg1, username u): unknown key(s) password; the keys are project, service_name, username, pg_allow_replication",
    ]
    assert "not-shown-here" not in " ".join(problems)


@pytest.mark.parametrize(("lists", "module"), [
    ({"databases": {DBS: [{"service_name": "pg1", "database_name": "a", "state": "absent"}]}}, "aiven_pg_database"),
    ({"users": {USERS_LIST: [{"service_name": "pg1", "username": "a", "state": "present"}]}}, "aiven_pg_user"),
])
def test_a_state_is_refused_pointing_to_the_module_that_deletes(lists: dict[str, Any], module: str) -> None:
    services, problems = group(**lists)
    assert services == []
    name = "database_name" if module == "aiven_pg_database" else "username"
    source = DBS if module == "aiven_pg_database" else USERS_LIST
    assert problems == [f"{source}[0] (service_name pg1, {name} a): state cannot be declared here: the role creates what its pools need "
                        f"and never deletes one (delete with dbpools.aiven.{module} and state: absent)"]


def test_a_name_declared_twice_for_one_service_names_both_entries() -> None:
    databases = {DBS: [{"service_name": "pg1", "database_name": "d"}], f"{DBS}__b": [{"project": "prod", "service_name": "pg1", "database_name": "d"}]}
    users = {USERS_LIST: [{"service_name": "pg1", "username": "u"}, {"service_name": "pg1", "username": "u", "pg_allow_replication": True}]}
    services, problems = group(databases=databases, users=users)
    assert problems == [
        f"{DBS}__b[0] (project prod, service_name pg1, database_name d): database_name d of prod/pg1 is already declared by {DBS}[0]; declare each once",
        f"{USERS_LIST}[1] (service_name pg1, username u): username u of prod/pg1 is already declared by {USERS_LIST}[0]; declare each once",
    ]
    # The first declaration stands, so that the other problems of the run are still found.
    assert services[0]["databases"] == [{"database_name": "d"}] and services[0]["users"] == [{"username": "u"}]


def test_the_same_name_on_two_services_is_two_declarations() -> None:
    databases = {DBS: [{"service_name": "pg1", "database_name": "d"}, {"service_name": "pg2", "database_name": "d"}]}
    services, problems = group(databases=databases)
    assert problems == [] and [item["service_name"] for item in services] == ["pg1", "pg2"]


def test_the_rules_of_aiven_pg_database_apply_named_by_list_and_index() -> None:
    long_name = "d" * 41
    databases = {DBS: [{"service_name": "pg1", "database_name": "d" * 40}, {"service_name": "pg1", "database_name": long_name},
                       {"service_name": "pg1", "database_name": "e", "lc_collate": 5}]}
    services, problems = group(databases=databases)
    assert problems == [
        f"{DBS}[1]: prod/pg1: database_name must be a string of 1 to 40 characters, got '{long_name}'",
        f"{DBS}[2]: prod/pg1/e: lc_collate must be a string of 1 to 128 characters, got 5",
    ]
    # The 40 characters of the API's limit are allowed.
    assert services[0]["databases"] == [{"database_name": "d" * 40}]


def test_the_rules_of_aiven_pg_user_apply_named_by_list_and_index() -> None:
    users = {USERS_LIST: [{"service_name": "pg1", "username": "u", "pg_allow_replication": "yes"},
                          {"service_name": "pg1", "username": "v", "pg_allow_replication": False}]}
    services, problems = group(users=users)
    assert problems == [f"{USERS_LIST}[0]: prod/pg1/u: pg_allow_replication must be a boolean, got 'yes'"]
    assert services[0]["users"] == [{"username": "v", "pg_allow_replication": False}]


def test_identity_problems_name_the_entry_as_written() -> None:
    databases = {DBS: [{"database_name": "x"}, "text", {"service_name": "pg1", "database_name": "d", "project": ""},
                       {"service_name": "", "database_name": "y"}]}
    services, problems = group(databases=databases, users={USERS_LIST: "not a list"})
    assert services == []
    assert problems == [
        f"{DBS}[0] (database_name x): service_name is required and must be a non-empty string, got None",
        f"{DBS}[1] must be a dictionary, got str",
        f"{DBS}[2] (service_name pg1, database_name d): project must be a non-empty string when given, got ''",
        f"{DBS}[3] (database_name y): service_name is required and must be a non-empty string, got ''",
        f"{USERS_LIST} must be a list of dictionaries, got str",
    ]


def test_without_a_default_project_an_entry_must_name_its_own() -> None:
    services, problems = group(databases={DBS: [{"service_name": "pg1", "database_name": "d"}]}, project=None)
    assert services == []
    assert problems == [f"{DBS}[0] (service_name pg1, database_name d): no project; set project on the entry or "
                        "connection_pools_project (the default project)"]


def test_control_characters_of_a_name_are_never_printed() -> None:
    services, problems = group(databases={"dbs\x1b": [{"service_name": "pg\x07", "database_name": "d"}]})
    assert services == []
    assert problems and all("\x1b" not in problem and "\x07" not in problem for problem in problems)


def test_the_kinds_say_their_keys() -> None:
    assert DATABASES.keys == ("project", "service_name", "database_name", "lc_collate", "lc_ctype")
    assert USERS.keys == ("project", "service_name", "username", "pg_allow_replication")
