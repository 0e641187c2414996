# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_database when the API misbehaves: a create retried into 409, a failed write part way, a paginated list,
API errors as fail_json with status, Aiven's message and failure; texts from the API shown printable."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_databases_api import DEFAULT_LOCALE, error
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.text_checks import has_control

DEFAULTS = {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE}
CREATE = "POST /v1/project/proj/service/pg/db"
LIST = "GET /v1/project/proj/service/pg/db"


def test_a_create_whose_reply_was_lost_counts_as_created_after_a_re_read(db_api, run) -> None:
    db_api.commit_then_fail = True  # created, answered 500: the retry is answered 409 already exists
    result = run(project="proj", service_name="pg", database_name="appdb", lc_collate="C", api_retries=1)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    assert result["changes"][0]["action"] == "create"
    assert result["changes"][0]["after"] == {"lc_collate": "C", "lc_ctype": DEFAULT_LOCALE}
    assert db_api.calls() == ["GET /v1/project/proj/service/pg", LIST, CREATE, CREATE, LIST]
    assert not result.get("warnings"), "a 409 after its own lost reply is this run's create"


def test_a_409_on_a_first_try_whose_database_never_shows_fails_naming_only_this_runs_writes(db_api, run, waits) -> None:
    db_api.script("POST", "/v1/project/proj/service/pg/db", error(409, "Database 'appdb' already exists"))
    result = run(project="proj", service_name="pg", databases=[{"database_name": "appdb"}, {"database_name": "second"}])
    assert result["failed"] is True
    assert result["msg"].startswith("proj/pg: the database list still does not show proj/pg/appdb after 30 s; run again to re-read it")
    # appdb was not this run's: only second was applied.
    assert [item["database_name"] for item in result["applied"]] == ["second"]
    assert waits == [1.0, 2.0, 4.0, 8.0, 15.0]
    assert any("proj/pg/appdb: already exists (another writer" in str(warning) for warning in result["warnings"])


def test_a_409_on_a_first_try_for_a_database_that_lagged_is_no_change(db_api, run) -> None:
    # Created before this run, but the list read before the write did not show it yet.
    db_api.lag_reads = 1
    db_api.databases("proj", "pg")["appdb"] = dict(DEFAULTS)
    db_api.hide("appdb")
    result = run(project="proj", service_name="pg", database_name="appdb")
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False and result["changes"] == []
    assert db_api.writes() == [CREATE]


def test_a_created_database_the_list_shows_late_is_read_again_then_the_next_run_makes_no_write(db_api, run, waits) -> None:
    db_api.lag_reads = 2
    first = run(project="proj", service_name="pg", database_name="appdb")
    assert first.get("failed") is not True, first.get("msg")
    assert first["changed"] is True and waits == [1.0, 2.0]
    assert db_api.calls() == ["GET /v1/project/proj/service/pg", LIST, CREATE, LIST, LIST, LIST]
    db_api.requests.clear()
    second = run(project="proj", service_name="pg", database_name="appdb")
    assert second["changed"] is False and db_api.writes() == []


def test_a_write_refused_part_way_names_what_was_applied_and_not(db_api, run) -> None:
    db_api.script("POST", "/v1/project/proj/service/pg/db", (200, {}, {"message": "created"}), error(403, "Not a project member"))
    result = run(project="proj", service_name="pg", databases=[{"database_name": "a"}, {"database_name": "b"}, {"database_name": "c"}])
    assert result["failed"] is True and result["changed"] is True
    assert [item["database_name"] for item in result["applied"]] == ["a"]
    assert [item["database_name"] for item in result["not_attempted"]] == ["c"]
    assert result["failure"]["status"] == 403 and result["failure"]["message"] == "Not a project member"
    assert result["failure"]["method"] == "POST" and result["failure"]["path"] == "/v1/project/proj/service/pg/db"
    assert "proj/pg/b: create failed" in result["msg"] and "HTTP 403: Not a project member" in result["msg"]


def test_the_list_is_read_page_after_page(db_api, run) -> None:
    names = [f"db{index:03}" for index in range(7)]
    db_api.add_service("proj", "pg", databases={name: DEFAULTS for name in names})
    db_api.page_size = 3
    result = run(project="proj", service_name="pg", databases=[{"database_name": "db006"}, {"database_name": "db000"}])
    assert result["changed"] is False and db_api.writes() == []
    assert [query.get("after") for query in db_api.queries()] == [None, ["db002"], ["db005"]]
    assert all(query["maxItems"] == ["250"] for query in db_api.queries())


def test_a_repeated_cursor_stops_the_run_before_any_write(db_api, run) -> None:
    page = (200, {}, {"databases": [{"database_name": "a"}], "next": "a"})
    db_api.script("GET", "/v1/project/proj/service/pg/db?maxItems=250", page)
    db_api.script("GET", "/v1/project/proj/service/pg/db?maxItems=250&after=a", page)
    result = run(project="proj", service_name="pg", database_name="new")
    assert result["failed"] is True
    assert "repeated its pagination cursor 'a'" in result["msg"]
    assert result["failure"]["status"] == 200 and result["failure"]["path"] == "/v1/project/proj/service/pg/db"
    assert db_api.writes() == []


def test_a_list_error_is_a_failure_with_the_api_text_printable(db_api, run) -> None:
    db_api.script("GET", "/v1/project/proj/service/pg/db?maxItems=250", error(400, "bad\x1b[31m value\u202e"))
    result = run(project="proj", service_name="pg", database_name="new")
    assert result["failed"] is True
    assert not has_control(result["msg"])
    assert "\\x1b[31m" in result["msg"]
    assert result["failure"]["message"] == "bad\x1b[31m value\u202e"  # machine-readable: as sent
    assert db_api.writes() == []


def test_a_list_item_without_a_name_is_refused(db_api, run) -> None:
    db_api.script("GET", "/v1/project/proj/service/pg/db?maxItems=250", (200, {}, {"databases": [{"lc_collate": "C"}]}))
    result = run(project="proj", service_name="pg", database_name="new")
    assert result["failed"] is True
    assert "database list is not what the Aiven API promises" in result["msg"]
    assert db_api.writes() == []


def test_hostile_pool_names_are_shown_printable(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"appdb": DEFAULTS}, pools={"evil\x1b]0;pwned\x07": "appdb"})
    result = run(project="proj", service_name="pg", database_name="appdb", state="absent")
    assert result["failed"] is True
    assert not has_control(result["msg"]) and not has_control(result["failure"]["problems"][0])


def test_a_delete_of_a_database_gone_meanwhile_warns_and_is_no_change(db_api, run) -> None:
    db_api.add_service("proj", "pg", databases={"old": DEFAULTS})
    db_api.script("DELETE", "/v1/project/proj/service/pg/db/old", error(404, "Database 'old' does not exist"))
    result = run(project="proj", service_name="pg", database_name="old", state="absent")
    assert result["changed"] is False and result["changes"] == []
    assert any("proj/pg/old: already deleted (another writer" in str(warning) for warning in result["warnings"])
