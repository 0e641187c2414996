# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_user when the API misbehaves: a create retried into 409, a new user that stays 404, a failed write part way,
API errors as fail_json with status, Aiven's message and failure, an untrusted service document."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_users_api import error

SERVICE = "GET /v1/project/proj/service/pg"
CREATE = "POST /v1/project/proj/service/pg/user"


def test_a_create_whose_reply_was_lost_counts_as_created(user_api, run) -> None:
    user_api.commit_then_fail = True  # created, answered 500: the retry is answered 409 already exists
    result = run(project="proj", service_name="pg", username="app", api_retries=1)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["changes"][0]["action"] == "create"
    # The 409 answers this run's own lost attempt: nothing to check by reading it.
    assert user_api.calls() == [SERVICE, CREATE, CREATE]


def test_a_409_for_a_user_not_as_declared_fails_clearly(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    user_api.script("GET", "/v1/project/proj/service/pg", (200, {}, {"service": {"state": "RUNNING", "users": [
        {"username": "avnadmin", "type": "primary", "password": "<redacted>"}]}}))
    result = run(project="proj", service_name="pg", users=[{"username": "app", "pg_allow_replication": True}, {"username": "second"}])
    assert result["failed"] is True
    assert result["msg"].startswith("proj/pg/app: create answered 409 already exists, and the user is there with")
    assert [item["username"] for item in result["not_attempted"]] == ["second"]
    assert result["failure"]["status"] == 409
    assert "second" not in user_api.users("proj", "pg")


def test_a_new_user_that_stays_404_fails_after_a_bounded_wait(user_api, run, sleeps) -> None:
    user_api.create_404_reads = 1000
    result = run(project="proj", service_name="pg", username="app", password="a-long-secret-1")
    assert result["failed"] is True and result["changed"] is False
    assert "the user was created but the API still answers 404 for it after 30 s" in result["msg"]
    assert sum(sleeps) == 30.0
    assert result["failure"]["status"] == 404


def test_a_write_refused_part_way_names_what_was_applied_and_not(user_api, run) -> None:
    user_api.script("POST", "/v1/project/proj/service/pg/user", (200, {}, {"user": {}}), error(403, "Not a project member"))
    result = run(project="proj", service_name="pg", users=[{"username": "a"}, {"username": "b"}, {"username": "c"}])
    assert result["failed"] is True and result["changed"] is True
    assert [item["username"] for item in result["applied"]] == ["a"]
    assert [item["username"] for item in result["not_attempted"]] == ["c"]
    assert result["failure"]["status"] == 403 and result["failure"]["message"] == "Not a project member"
    assert result["failure"]["method"] == "POST" and result["failure"]["path"] == "/v1/project/proj/service/pg/user"
    assert "proj/pg/b: create failed" in result["msg"]


def test_an_error_reading_the_service_fails_with_its_status(user_api, run) -> None:
    user_api.script("GET", "/v1/project/proj/service/pg", error(403, "Not a project member\x1b[2J"))
    result = run(project="proj", service_name="pg", username="app")
    assert result["failed"] is True and result["failure"]["status"] == 403
    assert "proj/pg: cannot read the service" in result["msg"] and "\x1b" not in result["msg"]


def test_a_service_document_without_users_is_refused_not_taken_as_empty(user_api, run) -> None:
    user_api.script("GET", "/v1/project/proj/service/pg", (200, {}, {"service": {"state": "RUNNING"}}))
    result = run(project="proj", service_name="pg", username="app")
    assert result["failed"] is True
    assert "the service document is not what the Aiven API promises: the service document has no 'users' list" in result["msg"]
    assert user_api.writes() == []


def test_a_user_item_of_odd_shape_is_refused(user_api, run) -> None:
    user_api.script("GET", "/v1/project/proj/service/pg", (200, {}, {"service": {"state": "RUNNING", "users": [
        {"username": "avnadmin", "type": "primary", "access_control": {"pg_allow_replication": "yes"}}]}}))
    result = run(project="proj", service_name="pg", username="app")
    assert result["failed"] is True and "pg_allow_replication must be a boolean, got 'yes'" in result["msg"]
