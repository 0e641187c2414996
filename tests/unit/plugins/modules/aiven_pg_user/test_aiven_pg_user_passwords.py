# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_user's passwords: set after the create, update_password on_create and always, rotation, include_secrets with
its bounded waits (a new user's 404, an empty password), and null, "" or <redacted> never taken for a password."""

from __future__ import annotations

import json

SERVICE = "GET /v1/project/proj/service/pg"
CREATE = "POST /v1/project/proj/service/pg/user"
USER = "GET /v1/project/proj/service/pg/user/app"
PUT = "PUT /v1/project/proj/service/pg/user/app"
SECRET = "Given-Passw0rd-one"
OTHER = "Given-Passw0rd-two"


def test_a_given_password_is_set_after_the_create_once_the_user_shows(user_api, run, sleeps) -> None:
    user_api.create_404_reads = 2
    user_api.empty_password_reads = 1
    result = run(project="proj", service_name="pg", username="app", password=SECRET)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changes"][0]["password_change"] == "set"
    # The create takes no password; the 404s of a new user are read through before the reset, then the reset is confirmed.
    assert user_api.calls() == [SERVICE, CREATE, USER, USER, USER, PUT, USER, USER]
    assert user_api.requests[1].json() == {"username": "app"}
    assert user_api.requests[5].json() == {"operation": "reset-credentials", "new_password": SECRET}
    assert user_api.users("proj", "pg")["app"].password == SECRET
    assert sleeps == [1.0, 2.0, 1.0]
    assert SECRET not in json.dumps(result)


def test_on_create_never_sets_a_given_password_on_an_existing_user(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    result = run(project="proj", service_name="pg", username="app", password=SECRET)
    assert result["changed"] is False
    assert user_api.calls() == [SERVICE]
    assert user_api.users("proj", "pg")["app"].password != SECRET


def test_always_compares_with_the_password_read_and_sets_only_a_different_one(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    first = run(project="proj", service_name="pg", username="app", password=SECRET, update_password="always")
    assert first["changed"] is True and first["changes"][0]["password_change"] == "set"
    assert user_api.users("proj", "pg")["app"].password == SECRET
    assert "include_secrets=true" in user_api.requests[1].path
    user_api.requests.clear()
    second = run(project="proj", service_name="pg", username="app", password=SECRET, update_password="always")
    assert second["changed"] is False
    assert user_api.calls() == [SERVICE, USER]
    third = run(project="proj", service_name="pg", username="app", password=OTHER, update_password="always")
    assert third["changed"] is True and user_api.users("proj", "pg")["app"].password == OTHER


def test_the_empty_window_after_a_reset_does_not_make_the_next_run_reset_again(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    user_api.empty_password_reads = 3
    assert run(project="proj", service_name="pg", username="app", password=SECRET, update_password="always")["changed"] is True
    # The reset was read back until its password showed, so the next run compares with it.
    assert run(project="proj", service_name="pg", username="app", password=SECRET, update_password="always")["changed"] is False


def test_always_sets_a_password_it_cannot_read_and_says_so_by_a_change(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    user_api.users("proj", "pg")["app"].password = SECRET
    user_api.users("proj", "pg")["app"].overridden = True  # changed inside PostgreSQL: the API answers ""
    result = run(project="proj", service_name="pg", username="app", password=SECRET, update_password="always")
    assert result["changed"] is True and user_api.writes() == [PUT]
    user_api.requests.clear()
    user_api.redact_always = True  # a token that may not read secrets: <redacted>, never equal
    result = run(project="proj", service_name="pg", username="app", password=SECRET, update_password="always")
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and user_api.writes() == [PUT]


def test_rotate_password_has_aiven_generate_a_new_one_every_run(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    before = user_api.users("proj", "pg")["app"].password
    result = run(project="proj", service_name="pg", username="app", rotate_password=True)
    assert result["changed"] is True and result["changes"][0]["password_change"] == "generated"
    assert user_api.requests[1].json() == {"operation": "reset-credentials"}
    assert user_api.users("proj", "pg")["app"].password != before
    assert run(project="proj", service_name="pg", username="app", rotate_password=True)["changed"] is True


def test_include_secrets_waits_for_a_new_users_404_and_empty_password(user_api, run, sleeps) -> None:
    user_api.create_404_reads = 2
    user_api.empty_password_reads = 2
    result = run(project="proj", service_name="pg", username="app", include_secrets=True)
    assert result.get("failed") is not True, result.get("msg")
    generated = user_api.users("proj", "pg")["app"].password
    assert result["user"]["password"] == generated and result["users"][0]["password"] == generated
    assert user_api.calls() == [SERVICE, CREATE] + [USER] * 5
    assert all("include_secrets=true" in item.path for item in user_api.requests[2:])
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


def test_include_secrets_returns_an_existing_users_password_without_a_write(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    result = run(project="proj", service_name="pg", users=[{"username": "app"}, {"username": "avnadmin"}], include_secrets=True)
    assert result["changed"] is False
    assert [user["password"] for user in result["users"]] == [user_api.users("proj", "pg")[name].password for name in ("app", "avnadmin")]
    assert user_api.writes() == []


def test_a_password_that_stays_empty_after_a_create_fails_after_a_bounded_wait(user_api, run, sleeps) -> None:
    user_api.empty_password_reads = 1000
    result = run(project="proj", service_name="pg", users=[{"username": "app"}, {"username": "next"}], include_secrets=True)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("proj/pg/app: its password was still empty after 180 s of reading it again")
    assert [item["username"] for item in result["applied"]] == ["app"]
    assert [item["username"] for item in result["not_attempted"]] == ["next"]
    assert sum(sleeps) == 180.0
    assert user_api.users("proj", "pg")["app"].password not in json.dumps(result)


def test_a_password_that_cannot_be_read_fails_before_any_write(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False, "redacted": False})
    user_api.users("proj", "pg")["app"].overridden = True
    result = run(project="proj", service_name="pg", users=[{"username": "app"}, {"username": "new"}], include_secrets=True)
    assert result["failed"] is True and not result.get("changed")
    (problem,) = result["failure"]["problems"]
    assert problem.startswith("proj/pg/app: include_secrets asks for its password, which cannot be read: the API answered it empty")
    assert user_api.writes() == []
    assert "users" not in result


def test_a_redacted_password_is_never_returned(user_api, run, sleeps) -> None:
    user_api.redact_always = True
    result = run(project="proj", service_name="pg", username="app", include_secrets=True)
    assert result["failed"] is True
    assert "<redacted> (the token may not read secrets" in result["msg"]
    assert sleeps == []  # reading again cannot help
    user_api.add_service("proj", "pg", users={"app": False})
    result = run(project="proj", service_name="pg", username="app", include_secrets=True)
    assert result["failed"] is True and "answered it <redacted>" in result["failure"]["problems"][0]


def test_check_mode_returns_no_password_for_a_user_it_would_create(user_api, run) -> None:
    result = run(project="proj", service_name="pg", users=[{"username": "new"}, {"username": "avnadmin"}], include_secrets=True,
                 _ansible_check_mode=True)
    assert result["changed"] is True and user_api.writes() == []
    assert "password" not in result["users"][0]
    assert result["users"][1]["password"] == user_api.users("proj", "pg")["avnadmin"].password


def test_a_set_password_is_returned_masked_as_every_no_log_value(user_api, run) -> None:
    result = run(project="proj", service_name="pg", username="app", password=SECRET, include_secrets=True)
    assert result.get("failed") is not True, result.get("msg")
    # Ansible hides every value of a no_log option wherever it appears, the result included.
    assert result["user"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert SECRET not in json.dumps(result)


def test_a_listed_user_that_still_answers_404_is_read_again_for_its_password(user_api, run, sleeps) -> None:
    # Created by an earlier run without include_secrets: the document lists it before GET …/user/U shows it.
    user_api.create_404_reads = 2
    run(project="proj", service_name="pg", username="app")
    user_api.requests.clear()
    result = run(project="proj", service_name="pg", username="app", include_secrets=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["user"]["password"] == user_api.users("proj", "pg")["app"].password
    assert user_api.calls() == [SERVICE, USER, USER, USER]
    assert sleeps == [1.0, 2.0]


def test_a_listed_user_that_never_shows_fails_before_any_write(user_api, run, sleeps) -> None:
    user_api.create_404_reads = 1000
    run(project="proj", service_name="pg", username="app")
    result = run(project="proj", service_name="pg", users=[{"username": "app"}, {"username": "other"}], include_secrets=True)
    assert result["failed"] is True and not result.get("changed")
    assert "proj/pg/app: the service lists the user, but the API still answers 404 for it after 30 s" in result["msg"]
    assert sum(sleeps) == 30.0
    assert "other" not in user_api.users("proj", "pg")


def test_the_empty_window_of_a_user_an_earlier_run_created_is_read_through(user_api, run, sleeps) -> None:
    user_api.empty_password_reads = 2
    run(project="proj", service_name="pg", username="app")
    result = run(project="proj", service_name="pg", username="app", include_secrets=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert result["user"]["password"] == user_api.users("proj", "pg")["app"].password
    assert sleeps == [1.0, 2.0]


def test_a_password_empty_for_good_is_read_again_only_for_a_bounded_time(user_api, run, sleeps) -> None:
    user_api.add_service("proj", "pg", users={"app": False})
    user_api.users("proj", "pg")["app"].overridden = True
    result = run(project="proj", service_name="pg", username="app", include_secrets=True)
    assert result["failed"] is True and "answered it empty, also when read again" in result["msg"]
    assert sum(sleeps) == 30.0
    assert user_api.writes() == []
