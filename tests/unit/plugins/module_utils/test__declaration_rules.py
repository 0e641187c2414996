# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a declaration (module_utils/_rules.py): one home, read by the modules, the lookup and the role's checks."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _declaration_rules as _rules
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import PlanError, validate_desired
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import (
    want,
)


def test_concurrency_limits_and_default() -> None:
    assert (_rules.CONCURRENCY_MIN, _rules.CONCURRENCY_DEFAULT, _rules.CONCURRENCY_MAX) == (1, 8, 32)
    assert _rules.concurrency_problem(8) is None and _rules.concurrency_problem(32) is None
    assert _rules.concurrency_problem(33) == "concurrency must be from 1 to 32, got 33"
    assert _rules.concurrency_problem(0) == "concurrency must be from 1 to 32, got 0"
    assert _rules.concurrency_problem(True) is not None


@pytest.mark.parametrize(("value", "problem"), [
    (600, None), (0, None), (-1, "wait_timeout must be 0 or more seconds, got -1"),
])
def test_wait_timeout_rule(value, problem) -> None:
    assert _rules.wait_timeout_problem(value) == problem


def test_desired_problems_collects_every_problem_of_every_entry() -> None:
    desired = [{"pool_name": "a", "pool_size": 0, "pool_mode": "fast"}, {"pool_name": ""}, {"pool_name": "a"}]
    assert _rules.desired_problems(desired) == [
        "pool a: pool_mode must be one of session, transaction, statement, got 'fast'",
        "pool a: pool_size must be an integer from 1 to 10000, got 0",
        "pools[1]: pool_name must be a string of 1 to 63 characters, got ''",
        "pool a is listed more than once; each pool_name may appear only once",
    ]


def test_desired_problems_within_a_service_name_the_pool_by_its_path() -> None:
    desired = [{"pool_name": "a", "pool_size": 0}, {"pool_name": None}, 5]
    assert _rules.desired_problems(desired, service="proj/pg") == [
        "proj/pg/a: pool_size must be an integer from 1 to 10000, got 0",
        "proj/pg: pools[1]: pool_name must be a string of 1 to 63 characters, got None",
        "proj/pg: pools[2] must be a dictionary, got 5",
    ]


def test_validate_desired_raises_the_first_problem() -> None:
    with pytest.raises(_rules.PlanError, match=r"^pools\[0\]: pool_name"):
        _rules.validate_desired([{"pool_name": ""}, {"pool_name": "b", "pool_size": 0}])


def test_services_problems_reports_identities_duplicates_and_pools_at_once() -> None:
    services = [
        {"project": "proj", "service_name": "pg", "pools": [{"pool_name": "a", "pool_size": 0}]},
        {"project": "../x", "service_name": "pg", "pools": []},
        {"project": "proj", "service_name": "pg", "pools": []},
        {"project": "proj", "service_name": "", "pools": []},
    ]
    assert _rules.services_problems(services) == [
        "proj/pg/a: pool_size must be an integer from 1 to 10000, got 0",
        "services[1]: project must be 1 to 63 characters of a-z, A-Z, 0-9, '_' and '-', got '../x'",
        "proj/pg: declared more than once (services[0] and services[2]); declare each service once with all its pools",
        "services[3]: service_name must be a string of 1 to 64 characters, got ''",
    ]


def test_pool_state_defaults_to_present() -> None:
    assert _rules.pool_state({}) == "present" and _rules.pool_state({"state": None}) == "present"
    assert _rules.pool_state({"state": "absent"}) == "absent"


def test_item_project_keeps_an_empty_project_for_the_rules_to_refuse() -> None:
    assert _rules.item_project({"project": "other"}, "proj") == "other"
    assert _rules.item_project({}, "proj") == "proj" and _rules.item_project({"project": None}, "proj") == "proj"
    assert _rules.item_project({"project": ""}, "proj") == ""


@pytest.mark.parametrize(("services", "default", "problem"), [
    ([{"service_name": "pg"}, {"service_name": "pg2", "project": "other"}], "proj", None),
    ([{"service_name": "pg", "project": "other"}], None, None),
    ([{"service_name": "pg"}], "", "project must not be empty: give the default project of the items of services, or leave project out"),
    ([{"service_name": "pg"}, {"service_name": "pg2", "project": ""}], "proj",
     "services[1] (service_name 'pg2'): project must not be empty (a variable that rendered empty?); give the item's project, "
     "or leave project out of the item to use the top-level project"),
    ([{"service_name": "", "project": ""}], "proj",
     "services[0]: project must not be empty (a variable that rendered empty?); give the item's project, "
     "or leave project out of the item to use the top-level project"),
    ([{"service_name": "pg", "project": "p"}, {"service_name": "pg"}], None,
     "services[1] (service_name 'pg') has no project: set project in the item or at the top level"),
])
def test_services_project_problem_refuses_an_empty_project_anywhere(services, default, problem) -> None:
    assert _rules.services_project_problem(services, default) == problem


def test_services_problems_refuse_an_empty_project_that_reached_them() -> None:
    problems = _rules.services_problems([{"project": "", "service_name": "pg", "pools": []}])
    assert problems == ["services[0]: project must be 1 to 63 characters of a-z, A-Z, 0-9, '_' and '-', got ''"]


def test_validate_accepts_good_input() -> None:
    validate_desired([])
    validate_desired(
        [
            want("a", database_name="d", username="u", pool_mode="session", pool_size=1),
            want("b", username="", pool_size=10000),
            want("c", state="absent"),
            {"pool_name": "d"},  # state and settings may be left out entirely
            {"pool_name": "e", "state": None, "extra": "ignored"},
        ]
    )


@pytest.mark.parametrize(
    "entry, words",
    [
        (want("p", pool_size=0), ["pool p", "pool_size"]),
        (want("p", pool_size=10001), ["pool p", "pool_size"]),
        (want("p", pool_size="10"), ["pool p", "pool_size"]),
        (want("p", pool_size=True), ["pool p", "pool_size"]),
        (want("p", pool_size=2.5), ["pool p", "pool_size"]),
        (want("p", pool_mode="Session"), ["pool p", "pool_mode", "session, transaction, statement"]),
        (want("p", state="gone"), ["pool p", "state"]),
        (want("p", database_name=""), ["pool p", "database_name"]),
        (want("p", database_name="d" * 64), ["pool p", "database_name"]),
        (want("p", username="u" * 65), ["pool p", "username"]),
        (want("p", username=7), ["pool p", "username"]),
        (want("p" * 64), ["pool_name", "1 to 63"]),
        (want(""), ["pools[0]", "pool_name"]),
        ({"state": "present"}, ["pools[0]", "pool_name"]),
        ("app", ["pools[0]", "dictionary"]),
    ],
)
def test_validate_rejects(entry: Any, words: list[str]) -> None:
    with pytest.raises(PlanError) as err:
        validate_desired([entry])
    for word in words:
        assert word in str(err.value)


def test_validate_names_position_of_bad_entry() -> None:
    with pytest.raises(PlanError, match=r"pools\[1\]"):
        validate_desired([want("ok"), want(None)])


def test_validate_boundaries_accepted() -> None:
    validate_desired([want("p" * 63, database_name="d" * 63, username="u" * 64)])


def test_validate_rejects_non_list() -> None:
    with pytest.raises(PlanError, match="must be a list"):
        validate_desired({"pool_name": "app"})  # type: ignore[arg-type]


def test_validate_rejects_duplicates() -> None:
    with pytest.raises(PlanError, match="pool app is listed more than once"):
        validate_desired([want("app"), want("other"), want("app", state="absent")])


def test_plan_error_is_value_error() -> None:
    assert issubclass(PlanError, ValueError)


def test_list_problems_names_each_entry_then_names_declared_twice_printable_and_never_shows_a_value() -> None:
    def entry_problems(entry, index, where, service):
        return [] if isinstance(entry, dict) else [f"{service}: {where}[{index}] is no dict"]

    entries = [{"name": "a"}, 5, {"name": "a"}, {"name": "b\x1b"}, {"name": "b\x1b"}]
    assert _rules.list_problems(entries, "things", "proj/pg", "things", "name", entry_problems) == [
        "proj/pg: things[1] is no dict",
        "proj/pg/a: declared more than once; declare each thing once",
        "proj/pg/b\\x1b: declared more than once; declare each thing once",
    ]
    assert _rules.list_problems("p4ssw0rd", None, "proj/pg", "things", "name", entry_problems) == [
        "proj/pg: things must be a list, got a str"]
