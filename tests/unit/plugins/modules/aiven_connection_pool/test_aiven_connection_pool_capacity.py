# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_connection_pool in-process against the fake API: the capacity check (warn, fail, ignore), on the pools as they
will be after the run, from the one read it already makes; its options checked before any request."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_against, warnings_of

TOKEN = "capacity-T0KEN-0123456789abcdef"
FIELDS = {"plan": "startup-4", "metadata": {"max_connections": 100}, "databases": ["appdb"],
          "users": [{"username": "avnadmin", "type": "primary"}, {"username": "app", "type": "normal"}]}
OVER = [{"pool_name": "big", "database_name": "appdb", "username": "app", "pool_size": 60},
        {"pool_name": "shared", "database_name": "appdb", "pool_size": 40}]
LINE = ("proj/pg: pools may open 100 server connections of 97 usable (max_connections 100, 3 reserved); "
        "unpinned pools counted for 1 user each")


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    args.setdefault("project", "proj")
    args.setdefault("service_name", "pg")
    return run_against(aiven_connection_pool.main, fake_api, capsys, TOKEN, **args)


@pytest.fixture
def service(fake_api: Any) -> Any:
    fake_api.add_service("proj", "pg", **FIELDS)
    return fake_api


def writes(fake_api: Any) -> list[str]:
    return [call for call in fake_api.calls() if not call.startswith("GET")]


def test_warn_is_the_default_applies_and_warns_with_the_line(service, capsys) -> None:
    result = run(service, capsys, pools=OVER)
    assert result.get("failed") is not True, result.get("msg")
    assert len(writes(service)) == 2
    assert result["capacity_lines"] == [LINE + ": over budget"]
    assert result["capacity"][0]["total"] == 100 and result["capacity"][0]["over"] is True
    assert [warning for warning in warnings_of(result) if "over the service's budget" in warning] == [
        LINE + ": over the service's budget; lower pool_size, pin unpinned pools to a user, or raise the service's max_connections "
        "(a larger plan or user_config.pg.max_connections); not counted: Aiven's own connections to the service, and how a pool "
        "is split between several PgBouncer processes (not published) (capacity: fail would stop the run before any write)"]


def test_fail_stops_before_any_write_in_a_real_run_and_in_check_mode(service, capsys) -> None:
    for check_mode in (False, True):
        result = run(service, capsys, pools=OVER, capacity="fail", _ansible_check_mode=check_mode)
        assert result["failed"] is True and result["changed"] is False
        assert result["msg"].startswith("1 problem(s) in the declaration, nothing was changed: " + LINE + ": over the service's budget")
        assert writes(service) == []


def test_the_check_is_on_the_pools_after_the_run_not_before(service, capsys) -> None:
    service.add_pool("proj", "pg", "old", database="appdb", pool_size=90, username="app")
    shrunk = run(service, capsys, pools=[{"pool_name": "old", "pool_size": 10}], capacity="fail")
    assert shrunk.get("failed") is not True, shrunk.get("msg")
    assert shrunk["capacity"][0]["total"] == 10


def test_within_budget_no_warning_and_the_figures_in_check_mode(service, capsys) -> None:
    result = run(service, capsys, pools=OVER[:1], capacity="fail", _ansible_check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["capacity_lines"][0].startswith("proj/pg: pools may open 60 server connections of 97 usable")
    assert not any("budget" in warning for warning in warnings_of(result))


def test_a_converged_service_within_budget_is_counted_not_listed(service, capsys) -> None:
    first = run(service, capsys, pools=OVER[:1])
    assert first["capacity_lines"] == ["proj/pg: pools may open 60 server connections of 97 usable (max_connections 100, 3 reserved)"]
    second = run(service, capsys, pools=OVER[:1])
    assert second["changed"] is False
    assert second["capacity_lines"] == ["capacity: 1 service with unchanged pools within its connection budget "
                                        "(every service's figures are in the result's capacity)"]
    assert second["capacity"][0]["total"] == 60


def test_the_reserve_and_the_unpinned_users_change_the_figures(service, capsys) -> None:
    result = run(service, capsys, pools=OVER[1:], capacity_reserve=10, capacity_unpinned_users=3, _ansible_check_mode=True)
    figures = result["capacity"][0]
    assert (figures["usable"], figures["unpinned"], figures["over"]) == (87, 120, True)


def test_ignore_makes_no_figures_and_no_warning(service, capsys) -> None:
    result = run(service, capsys, pools=OVER, capacity="ignore")
    assert "capacity" not in result and "capacity_lines" not in result
    assert not any("budget" in warning for warning in warnings_of(result))


@pytest.mark.parametrize(("option", "value", "message"), [
    ("capacity_reserve", -1, "capacity_reserve must be a whole number of 0 or more, got -1"),
    ("capacity_unpinned_users", 0, "capacity_unpinned_users must be a whole number of 1 or more, got 0"),
    ("capacity_expected_clients", -3, "capacity_expected_clients must be a whole number of 0 or more, got -3"),
])
def test_bad_numbers_are_refused_before_any_request(service, capsys, option: str, value: int, message: str) -> None:
    result = run(service, capsys, pools=OVER, **{option: value})
    assert result["failed"] is True and message in result["msg"]
    assert service.calls() == []


def test_variable_names_name_the_options_as_the_caller_does(service, capsys) -> None:
    result = run(service, capsys, pools=OVER, capacity_reserve=-1, variable_names={"capacity_reserve": "connection_pools_capacity_reserve"})
    assert "connection_pools_capacity_reserve must be a whole number of 0 or more, got -1" in result["msg"]
