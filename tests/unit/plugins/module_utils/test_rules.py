# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input rules and limits of module_utils/_rules.py: one home, read by the modules and the filter."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _rules


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


def test_timeout_and_retries_rules() -> None:
    assert _rules.timeout_problem(30.0) is None and _rules.timeout_problem(float("nan")) is not None
    assert _rules.timeout_problem(0.0) == "api_timeout must be more than 0 and at most 3600 seconds, got 0.0"
    assert _rules.retries_problem(20) is None and _rules.retries_problem(21) == "api_retries must be from 0 to 20, got 21"


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
