# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_database against the fake API: create, delete, the three forms, idempotence, check mode and diff."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_databases_api import DEFAULT_LOCALE

DB = "POST /v1/project/proj/service/pg/db"
DEFAULTS = {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE}
C_LOCALE = {"lc_collate": "C", "lc_ctype": "C"}


def test_single_form_creates_then_changes_nothing(db_api, run) -> None:
    first = run(project="proj", service_name="pg", database_name="appdb")
    assert first.get("failed") is not True, first.get("msg")
    assert first["changed"] is True
    assert first["changes"] == [{"project": "proj", "service_name": "pg", "database_name": "appdb", "action": "create",
                                 "before": None, "after": DEFAULTS}]
    assert first["database"] == {"project": "proj", "service_name": "pg", "database_name": "appdb", **DEFAULTS}
    assert db_api.writes() == [DB]
    # Only the name is sent when no locale is declared: the API's defaults apply.
    assert [item.json() for item in db_api.requests if item.method == "POST"] == [{"database": "appdb"}]

    db_api.requests.clear()
    second = run(project="proj", service_name="pg", database_name="appdb")
    assert second["changed"] is False and second["changes"] == []
    assert second["database"] == first["database"]
    assert db_api.writes() == []
    # The service first (its state), then the list.
    assert db_api.calls() == ["GET /v1/project/proj/service/pg", "GET /v1/project/proj/service/pg/db"]


def test_declared_locales_are_sent_and_returned(db_api, run) -> None:
    result = run(project="proj", service_name="pg", databases=[{"database_name": "search", **C_LOCALE}])
    assert result["changed"] is True
    assert [item.json() for item in db_api.requests if item.method == "POST"] == [{"database": "search", **C_LOCALE}]
    assert result["databases"] == [{"project": "proj", "service_name": "pg", "database_name": "search", **C_LOCALE}]
    again = run(project="proj", service_name="pg", databases=[{"database_name": "search", **C_LOCALE}])
    assert again["changed"] is False


def test_list_form_creates_deletes_and_leaves_the_others(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"defaultdb": DEFAULTS, "legacy": DEFAULTS, "keep": DEFAULTS})
    result = run(project="proj", service_name="pg",
                 databases=[{"database_name": "orders"}, {"database_name": "legacy", "state": "absent"}, {"name": "gone", "state": "absent"}])
    assert [(c["database_name"], c["action"]) for c in result["changes"]] == [("orders", "create"), ("legacy", "delete")]
    assert result["changes"][1]["before"] == DEFAULTS and result["changes"][1]["after"] is None
    assert sorted(db_api.databases("proj", "pg")) == ["defaultdb", "keep", "orders"]
    assert result["summary"] == {"services": 1, "databases": 1, "created": 1, "deleted": 1}
    assert "database" not in result


def test_services_form_reads_each_service_and_writes_what_differs(db_api, run) -> None:
    db_api.add_service("other", "pg-b")
    result = run(project="proj", services=[
        {"service_name": "pg", "databases": [{"database_name": "defaultdb"}, {"database_name": "a"}]},
        {"project": "other", "service_name": "pg-b", "databases": [{"database_name": "b", "lc_collate": "C"}]},
    ])
    assert result["changed"] is True
    assert [(c["project"], c["database_name"]) for c in result["changes"]] == [("proj", "a"), ("other", "b")]
    assert [d["database_name"] for d in result["databases"]] == ["defaultdb", "a", "b"]
    assert db_api.databases("other", "pg-b")["b"] == {"lc_collate": "C", "lc_ctype": DEFAULT_LOCALE}


def test_services_of_one_project_are_read_with_one_request_then_their_lists(db_api, run) -> None:
    db_api.add_service("proj", "pg-b")
    result = run(project="proj", services=[{"service_name": "pg", "databases": [{"database_name": "a"}]},
                                           {"service_name": "pg-b", "databases": [{"database_name": "defaultdb"}]}])
    assert [(c["service_name"], c["action"]) for c in result["changes"]] == [("pg", "create")]
    # One read of the project's documents, then each service's database list (the locales are only there).
    reads = [call.split("?")[0] for call in db_api.calls() if call.startswith("GET")]
    assert reads[:3] == ["GET /v1/project/proj/service", "GET /v1/project/proj/service/pg/db", "GET /v1/project/proj/service/pg-b/db"]


def test_check_mode_predicts_without_writing(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"defaultdb": DEFAULTS, "legacy": DEFAULTS})
    result = run(project="proj", service_name="pg", _ansible_check_mode=True,
                 databases=[{"database_name": "orders", "lc_ctype": "C"}, {"database_name": "legacy", "state": "absent"}])
    assert result["changed"] is True and result["check_mode"] is True
    assert [(c["database_name"], c["action"]) for c in result["changes"]] == [("orders", "create"), ("legacy", "delete")]
    assert result["databases"] == [{"project": "proj", "service_name": "pg", "database_name": "orders",
                                    "lc_collate": DEFAULT_LOCALE, "lc_ctype": "C"}]
    assert db_api.writes() == []
    assert sorted(db_api.databases("proj", "pg")) == ["defaultdb", "legacy"]


def test_diff_per_database_with_its_locales(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"defaultdb": DEFAULTS, "legacy": C_LOCALE})
    result = run(project="proj", service_name="pg", _ansible_diff=True, _ansible_check_mode=True,
                 databases=[{"database_name": "orders"}, {"database_name": "legacy", "state": "absent"}])
    assert result["diff"] == [
        {"before_header": "proj/pg/orders", "after_header": "proj/pg/orders", "before": "",
         "after": f"lc_collate: {DEFAULT_LOCALE}\nlc_ctype: {DEFAULT_LOCALE}\n"},
        {"before_header": "proj/pg/legacy", "after_header": "proj/pg/legacy", "before": "lc_collate: C\nlc_ctype: C\n", "after": ""},
    ]
    unchanged = run(project="proj", service_name="pg", _ansible_diff=True, databases=[{"database_name": "defaultdb"}])
    assert unchanged["diff"] == [] and unchanged["changed"] is False


def test_items_without_locales_are_taken_as_the_default_not_drift(db_api, run) -> None:
    db_api.omit_locales = True
    result = run(project="proj", service_name="pg", databases=[{"database_name": "defaultdb", **DEFAULTS}])
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False and db_api.writes() == []
    assert result["databases"][0]["lc_collate"] == DEFAULT_LOCALE


def test_absent_database_that_does_not_exist_is_no_change(db_api, run) -> None:
    result = run(project="proj", service_name="pg", database_name="nothing", state="absent")
    assert result["changed"] is False and result["database"] == {}
    assert db_api.writes() == []
