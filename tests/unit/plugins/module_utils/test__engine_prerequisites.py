# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_engine.py with databases and users declared beside the pools: every database and user write before
the first pool write, check mode, what is read, a refused write, the read back's lag and powered-off services."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import ServiceDeclaration, SyncError
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_DELAYS
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.engine_fakes import engine, want
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.prerequisite_fakes import PrerequisiteClient

APP_POOL = want("app", database_name="appdb", username="app")


def declaration(service: str = "svc", pools: Any = (APP_POOL,), databases: Any = ({"database_name": "appdb"},),
                users: Any = ({"username": "app"},), project: str = "proj") -> ServiceDeclaration:
    return ServiceDeclaration(project, service, list(pools), databases=list(databases), users=list(users))


def fresh(*services: str, state: str = "RUNNING") -> PrerequisiteClient:
    """Services listing only defaultdb and avnadmin."""
    client = PrerequisiteClient()
    for service in services or ("svc",):
        client.add_listed_service("proj", service, state=state)
    return client


def reads(client: PrerequisiteClient) -> list[tuple[str, str | None]]:
    return [(method, service) for method, _project, service, _name in client.requests if method in ("GET", "LIST", "GET /db")]


def test_every_database_and_user_write_comes_before_the_first_pool_write() -> None:
    client = fresh("svc", "other")
    result = engine(client).run([declaration("svc"), declaration("other")])
    assert client.kinds() == ["prerequisite"] * 4 + ["pool"] * 2
    assert sorted(client.writes()) == sorted([("POST /db", "appdb"), ("POST /user", "app")] * 2 + [("POST", "app")] * 2)
    assert client.listed[("proj", "svc")]["databases"].keys() == {"defaultdb", "appdb"}
    assert client.listed[("proj", "other")]["users"]["app"] == ("normal", False)
    assert result.changed is True
    assert [(change.action, change.label) for change in result.prerequisites] == [
        ("create", "proj/svc/appdb"), ("create", "proj/svc/app"), ("create", "proj/other/appdb"), ("create", "proj/other/app")]
    assert [change["pool_name"] for change in result.changes] == ["app", "app"]
    headers = [diff["before_header"] for diff in result.diff]
    assert headers[:2] == ["database proj/svc/appdb", "user proj/svc/app"] and "proj/svc/app" in headers


def test_check_mode_writes_nothing_and_predicts_the_creates() -> None:
    client = fresh()
    result = engine(client).run([declaration()], check_mode=True)
    assert client.writes() == []
    # The declared database is not in the document: the /db list decides, and is read in check mode too.
    assert reads(client) == [("GET", "svc"), ("GET /db", "svc")]
    assert result.changed is True
    assert [(change.action, change.label) for change in result.prerequisites] == [("create", "proj/svc/appdb"), ("create", "proj/svc/app")]
    # The pool names the database and user the run creates: no problem, a create.
    assert [(change["action"], change["pool_name"]) for change in result.changes] == [("create", "app")]
    assert client.listed[("proj", "svc")]["databases"].keys() == {"defaultdb"}


def test_a_converged_service_is_read_once_without_its_database_list() -> None:
    client = fresh()
    engine(client).run([declaration()])
    client.requests.clear()
    result = engine(client).run([declaration()])
    assert result.changed is False and result.prerequisites == [] and result.changes == []
    # Every declared database is in the document and none declares a locale: no /db read.
    assert client.requests == [("GET", "proj", "svc", None)]


def test_several_services_of_a_project_are_read_in_one_request() -> None:
    client = fresh("a", "b", "c", "d")
    engine(client).run([declaration(name) for name in "abcd"])
    client.requests.clear()
    assert engine(client).run([declaration(name) for name in "abcd"]).changed is False
    assert client.requests == [("LIST", "proj", None, None)]


def test_the_database_list_is_read_when_a_declared_database_is_missing_from_the_document() -> None:
    client = fresh()
    client.add_listed_service("proj", "svc", databases=["defaultdb", "appdb"], users=["app"],
                              pools=[{"pool_name": "app", "database": "appdb", "username": "app"}])
    client.unlisted.add(("proj", "svc", "appdb"))
    result = engine(client).run([declaration(pools=[])])
    assert reads(client) == [("GET", "svc"), ("GET /db", "svc")]
    # Listed by /db: not created again.
    assert client.writes() == [] and result.changed is False


def test_the_database_list_is_read_when_a_locale_is_declared_and_a_differing_one_is_refused() -> None:
    client = fresh()
    with pytest.raises(SyncError) as raised:
        engine(client).run([declaration(databases=[{"database_name": "defaultdb", "lc_collate": "C"}], users=[], pools=[])])
    assert reads(client) == [("GET", "svc"), ("GET /db", "svc")] and client.writes() == []
    assert "proj/svc/defaultdb: lc_collate is 'en_US.UTF-8' on the service, declared 'C'" in raised.value.message
    assert raised.value.message.startswith("1 problem(s) in the declaration, nothing was changed")


def test_a_refused_user_create_fails_before_any_pool_write_reporting_what_was_applied() -> None:
    client = fresh()
    client.refuse["app"] = AivenApiError(403, "Not enough permissions", method="POST", path="/v1/project/proj/service/svc/user")
    with pytest.raises(SyncError) as raised:
        engine(client).run([declaration(users=[{"username": "app"}, {"username": "other"}])])
    err = raised.value
    assert client.kinds() == ["prerequisite"] * 3   # every database and user write is made, no pool write
    assert err.message == ("cannot create user proj/svc/app: POST /v1/project/proj/service/svc/user: HTTP 403: Not enough permissions; "
                           "applied before the failure: create database proj/svc/appdb, create user proj/svc/other; "
                           "no pool was written (the pools wait for the databases and users they use)")
    details = err.details()
    assert [entry["database_name"] for entry in details["database_changes"]] == ["appdb"]
    assert [entry["username"] for entry in details["user_changes"]] == ["other"]
    assert details["failed_changes"] == [{"project": "proj", "service_name": "svc", "username": "app", "action": "create", "before": None,
                                          "after": {"type": "normal", "pg_allow_replication": False}, "password_change": None,
                                          "status": 403, "message": "Not enough permissions"}]
    assert details["failure"]["status"] == 403
    assert "applied" not in details or details["applied"] == []


def test_the_read_back_is_read_again_until_it_shows_the_new_database_then_the_pools_are_written() -> None:
    client = fresh()
    client.prerequisite_lag_reads = 2
    sleeps: list[float] = []
    result = engine(client, sleep=sleeps.append).run([declaration()])
    assert client.kinds() == ["prerequisite", "prerequisite", "pool"]
    # The first read, two reads that lag, the one that shows them; then the pool's read back.
    assert [method for method, _service in reads(client)] == ["GET", "GET /db", "GET", "GET", "GET", "GET"]
    assert sleeps == list(READ_LAG_DELAYS[:2])
    assert [change["pool_name"] for change in result.changes] == ["app"]


def test_a_read_back_that_never_shows_the_database_fails_without_a_pool_write() -> None:
    client = fresh()
    client.prerequisite_lag_reads = 1000
    with pytest.raises(SyncError) as raised:
        engine(client).run([declaration()])
    assert client.kinds() == ["prerequisite", "prerequisite"]
    message = raised.value.message
    assert "the service read back does not show create database proj/svc/appdb, create user proj/svc/app" in message
    assert "no pool was written" in message
    assert [entry["database_name"] for entry in raised.value.details()["database_changes"]] == ["appdb"]


def test_a_user_replication_change_is_written_and_read_back() -> None:
    client = fresh()
    client.add_listed_service("proj", "svc", users={"rep": False})
    result = engine(client).run([declaration(pools=[], databases=[], users=[{"username": "rep", "pg_allow_replication": True}])])
    assert client.writes() == [("PUT /user", "rep")]
    assert [(change.action, change.label) for change in result.prerequisites] == [("update", "proj/svc/rep")]
    assert result.changed is True


def test_a_database_another_writer_made_first_is_no_change_of_this_run_and_is_warned() -> None:
    client = fresh()
    # The document does not list it; the create is answered "already exists" (the /db list below lags too).
    client.listed[("proj", "svc")]["databases"]["appdb"] = {}
    client.unlisted.add(("proj", "svc", "appdb"))
    client.list_databases = lambda project, service: [{"database_name": "defaultdb"}]  # type: ignore[method-assign]
    run = engine(client)
    result = run.run([declaration(pools=[], users=[])])
    assert client.writes() == [("POST /db", "appdb")]
    assert result.prerequisites == [] and result.changed is False
    assert any("database proj/svc/appdb was created by another writer" in warning for warning in run.warnings)


def test_a_powered_off_service_with_a_database_to_create_is_a_problem_named_once() -> None:
    client = fresh(state="POWEROFF")
    with pytest.raises(SyncError) as raised:
        engine(client).run([declaration()])
    assert client.writes() == [] and reads(client) == [("GET", "svc")]
    message = raised.value.message
    assert message.startswith("1 problem(s) in the declaration, nothing was changed: proj/svc: the service is powered off")
    assert message.count("powered off") == 1
    assert message.endswith("power it on before creating its databases and users and changing its pools")


def test_a_powered_off_service_is_set_aside_with_unavailable_skip() -> None:
    client = fresh("svc", "up")
    client.add_listed_service("proj", "svc", state="POWEROFF")
    run = engine(client)
    result = run.run([declaration("svc"), declaration("up")], unavailable="skip")
    assert [(item.service_name, item.reason) for item in result.set_aside] == [("svc", "powered_off")]
    # The other service gets its databases, users and pools.
    assert [(method, service) for method, _project, service, _name in client.requests if method not in ("GET", "LIST", "GET /db")] == [
        ("POST /db", "up"), ("POST /user", "up"), ("POST", "up")]
    assert [change.label for change in result.prerequisites] == ["proj/up/appdb", "proj/up/app"]
    assert any("service proj/svc was set aside" in warning for warning in run.warnings)


def test_a_powered_off_service_with_nothing_to_create_is_no_problem() -> None:
    client = fresh(state="POWEROFF")
    client.add_listed_service("proj", "svc", state="POWEROFF", databases=["defaultdb", "appdb"], users=["app"],
                              pools=[{"pool_name": "app", "database": "appdb", "username": "app"}])
    result = engine(client).run([declaration()])
    assert result.changed is False and client.writes() == []


def test_a_refused_database_list_fails_before_any_write_naming_the_service() -> None:
    client = fresh()

    def refused(project: str, service: str) -> list:
        raise AivenApiError(403, "Forbidden", method="GET", path="/v1/project/proj/service/svc/db")

    client.list_databases = refused  # type: ignore[method-assign]
    with pytest.raises(SyncError) as raised:
        engine(client).run([declaration()])
    assert raised.value.message.startswith("cannot read the databases of proj/svc: ")
    assert raised.value.failure["status"] == 403
    assert client.writes() == []


def test_a_service_with_only_databases_and_users_declared_is_read_and_gets_them() -> None:
    client = fresh()
    result = engine(client).run([declaration(pools=[])])
    assert client.kinds() == ["prerequisite", "prerequisite"]
    assert result.changes == [] and result.changed is True
