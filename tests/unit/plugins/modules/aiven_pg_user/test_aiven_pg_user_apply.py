# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_user against the fake API: create, replication, delete, the three forms, idempotence, check mode and diff."""

from __future__ import annotations

SERVICE = "GET /v1/project/proj/service/pg"
CREATE = "POST /v1/project/proj/service/pg/user"
NORMAL = {"type": "normal", "pg_allow_replication": False}


def test_single_form_creates_then_changes_nothing(user_api, run) -> None:
    first = run(project="proj", service_name="pg", username="app")
    assert first.get("failed") is not True, first.get("msg")
    assert first["changed"] is True
    assert first["changes"] == [{"project": "proj", "service_name": "pg", "username": "app", "action": "create",
                                 "before": None, "after": NORMAL, "password_change": None}]
    assert first["user"] == {"project": "proj", "service_name": "pg", "username": "app", **NORMAL}
    assert "password" not in first["user"]
    # Only the name: replication is sent when declared, and the create takes no password.
    assert user_api.writes() == [CREATE]
    assert user_api.requests[-1].json() == {"username": "app"}

    user_api.requests.clear()
    second = run(project="proj", service_name="pg", username="app")
    assert second["changed"] is False and second["changes"] == []
    assert second["user"] == first["user"]
    # One read: the service document lists the users.
    assert user_api.calls() == [SERVICE]


def test_declared_replication_is_sent_on_create_and_changed_in_place(user_api, run) -> None:
    created = run(project="proj", service_name="pg", username="repl", pg_allow_replication=True)
    assert user_api.requests[-1].json() == {"username": "repl", "access_control": {"pg_allow_replication": True}}
    assert created["user"]["pg_allow_replication"] is True
    user_api.requests.clear()
    changed = run(project="proj", service_name="pg", username="repl", pg_allow_replication=False)
    assert changed["changes"] == [{"project": "proj", "service_name": "pg", "username": "repl", "action": "update",
                                   "before": {"type": "normal", "pg_allow_replication": True}, "after": NORMAL, "password_change": None}]
    assert user_api.writes() == ["PUT /v1/project/proj/service/pg/user/repl"]
    assert user_api.requests[-1].json() == {"operation": "set-access-control", "access_control": {"pg_allow_replication": False}}
    assert user_api.users("proj", "pg")["repl"].replication is False
    # Left out, the flag is left as it is.
    assert run(project="proj", service_name="pg", username="repl")["changed"] is False
    assert run(project="proj", service_name="pg", username="repl", pg_allow_replication=False)["changed"] is False


def test_check_mode_predicts_with_a_diff_and_writes_nothing(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"old": False, "repl": False})
    result = run(project="proj", service_name="pg", users=[
        {"username": "new", "password": "a-long-secret-1"}, {"username": "old", "state": "absent"},
        {"username": "repl", "pg_allow_replication": True}], _ansible_check_mode=True, _ansible_diff=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["check_mode"] is True
    assert [(c["username"], c["action"], c["password_change"]) for c in result["changes"]] == [
        ("new", "create", "set"), ("old", "delete", None), ("repl", "update", None)]
    assert user_api.writes() == []
    assert sorted(user_api.users("proj", "pg")) == ["avnadmin", "old", "repl"]
    assert result["diff"][0] == {"before_header": "proj/pg/new", "after_header": "proj/pg/new", "before": "",
                                 "after": "type: normal\npg_allow_replication: false\npassword: (set to the given one, not shown)\n"}
    assert result["diff"][1]["after"] == "" and result["diff"][2]["after"].endswith("pg_allow_replication: true\n")
    assert "a-long-secret-1" not in str(result)
    assert [user["username"] for user in result["users"]] == ["new", "repl"]


def test_list_form_creates_deletes_and_leaves_the_others(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"legacy": False, "keep": True})
    result = run(project="proj", service_name="pg",
                 users=[{"username": "orders"}, {"username": "legacy", "state": "absent"}, {"name": "gone", "state": "absent"}])
    assert [(c["username"], c["action"]) for c in result["changes"]] == [("orders", "create"), ("legacy", "delete")]
    assert sorted(user_api.users("proj", "pg")) == ["avnadmin", "keep", "orders"]
    assert result["summary"] == {"services": 1, "users": 1, "created": 1, "updated": 0, "deleted": 1}
    assert "user" not in result


def test_services_form_reads_each_service_once_and_writes_what_differs(user_api, run) -> None:
    user_api.add_service("other", "pg-b", users={"b": False})
    result = run(project="proj", services=[
        {"service_name": "pg", "users": [{"username": "avnadmin"}, {"username": "a"}]},
        {"project": "other", "service_name": "pg-b", "users": [{"username": "b", "pg_allow_replication": True}]},
    ])
    assert result["changed"] is True
    assert [(c["project"], c["username"], c["action"]) for c in result["changes"]] == [("proj", "a", "create"), ("other", "b", "update")]
    assert [user["type"] for user in result["users"]] == ["primary", "normal", "normal"]
    assert [call for call in user_api.calls() if call.startswith("GET")] == [SERVICE, "GET /v1/project/other/service/pg-b"]


def test_services_of_one_project_are_read_with_one_request(user_api, run) -> None:
    user_api.add_service("proj", "pg-b", users={"b": False})
    user_api.add_service("proj", "pg-c")
    result = run(project="proj", services=[{"service_name": "pg", "users": [{"username": "a"}]},
                                           {"service_name": "pg-b", "users": [{"username": "b"}]}])
    assert [(c["service_name"], c["action"]) for c in result["changes"]] == [("pg", "create")]
    # The project's service list holds both documents; reading each service alone would take two.
    assert [call for call in user_api.calls() if call.startswith("GET")] == ["GET /v1/project/proj/service"]


def test_a_delete_is_read_until_gone(user_api, run, sleeps) -> None:
    user_api.add_service("proj", "pg", users={"old": False})
    user_api.delete_lag_reads = 2
    result = run(project="proj", service_name="pg", username="old", state="absent")
    assert result["changed"] is True and result["user"] == {}
    assert user_api.calls() == [SERVICE, "DELETE /v1/project/proj/service/pg/user/old"] + ["GET /v1/project/proj/service/pg/user/old"] * 3
    assert sleeps == [1.0, 2.0]
    assert run(project="proj", service_name="pg", username="old", state="absent")["changed"] is False


def test_a_delete_still_shown_after_the_wait_is_a_warning(user_api, run, sleeps) -> None:
    user_api.add_service("proj", "pg", users={"old": False})
    user_api.delete_lag_reads = 100
    result = run(project="proj", service_name="pg", username="old", state="absent")
    assert result["changed"] is True
    assert any("still shows the user 30 s later" in str(warning) for warning in result["warnings"])
    assert sum(sleeps) == 30.0


def test_a_user_deleted_by_another_writer_meanwhile_is_a_warning_not_a_change(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"old": False})
    user_api.script("DELETE", "/v1/project/proj/service/pg/user/old", (404, {}, {"message": "Service user old does not exist"}))
    result = run(project="proj", service_name="pg", username="old", state="absent")
    assert result["changed"] is False
    assert any("already deleted" in str(warning) for warning in result["warnings"])
