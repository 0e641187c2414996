# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_database refuses before any write: locales that differ, deletes that pools need, powered-off and missing
services; every problem of the run at once, each naming the database and the service."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_databases_api import DEFAULT_LOCALE

DEFAULTS = {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE}


def test_a_differing_locale_is_refused_never_fixed(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"appdb": DEFAULTS})
    result = run(project="proj", service_name="pg", database_name="appdb", lc_collate="C")
    assert result["failed"] is True and not result.get("changed")
    (problem,) = result["failure"]["problems"]
    assert problem.startswith("proj/pg/appdb: lc_collate is 'en_US.UTF-8' on the service, declared 'C'")
    assert "never drops a database" in problem
    assert db_api.writes() == []
    assert db_api.databases("proj", "pg")["appdb"] == DEFAULTS


def test_delete_of_a_database_pools_use_is_refused_naming_the_pools(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"appdb": DEFAULTS}, pools={"app-pool": "appdb", "reports": "appdb"})
    result = run(project="proj", service_name="pg", database_name="appdb", state="absent")
    assert result["failed"] is True
    assert result["failure"]["problems"] == [
        "proj/pg/appdb: the database is used by connection pools of the service (app-pool, reports); "
        "delete or move those pools first, or set allow_in_use: true to delete it anyway"]
    assert db_api.writes() == []


def test_allow_in_use_deletes_it(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"appdb": DEFAULTS}, pools={"app-pool": "appdb"})
    result = run(project="proj", service_name="pg", database_name="appdb", state="absent", allow_in_use=True)
    assert result["changed"] is True
    assert db_api.writes() == ["DELETE /v1/project/proj/service/pg/db/appdb"]


def test_services_form_names_the_item_option(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"appdb": DEFAULTS}, pools={"app-pool": "appdb"})
    result = run(project="proj", services=[{"service_name": "pg", "databases": [{"database_name": "appdb", "state": "absent"}]}])
    assert "set services[0].allow_in_use: true" in result["failure"]["problems"][0]


def test_powered_off_service_fails_at_once_without_reading_its_list(db_api, run) -> None:
    db_api.add_service("proj", "pg", state="POWEROFF")
    result = run(project="proj", service_name="pg", database_name="appdb", api_retries=3)
    assert result["failed"] is True
    assert result["failure"]["problems"] == [
        "proj/pg: the service is powered off (state POWEROFF), so its databases cannot be read or changed; power it on first"]
    # No 503 retried: the service document said it.
    assert db_api.calls() == ["GET /v1/project/proj/service/pg"]


def test_every_problem_at_once_before_the_first_write(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"appdb": DEFAULTS, "used": DEFAULTS}, pools={"p": "used"})
    db_api.add_service("proj", "pg-off", state="POWEROFF")
    result = run(project="proj", services=[
        {"service_name": "pg", "databases": [{"database_name": "new"}, {"database_name": "appdb", "lc_ctype": "C"},
                                             {"database_name": "used", "state": "absent"}]},
        {"service_name": "pg-off", "databases": [{"database_name": "x"}]},
        {"service_name": "pg-gone", "databases": [{"database_name": "y"}]},
    ])
    problems = result["failure"]["problems"]
    # The project is read once (its service list): a service it does not have comes first.
    assert [problem.split(":")[0] for problem in problems] == ["proj/pg-gone", "proj/pg-off", "proj/pg/appdb", "proj/pg/used"]
    assert "does not exist in project proj (services: pg, pg-off)" in problems[0]
    assert result["msg"].endswith("; nothing was changed")
    assert db_api.writes() == []
    assert "new" not in db_api.databases("proj", "pg")
