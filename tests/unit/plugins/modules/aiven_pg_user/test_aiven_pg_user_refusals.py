# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aiven_pg_user refuses before any write: the admin user (known by type primary, not by name) declared absent or without
replication, deletes that pools are pinned to, missing services; every problem of the run at once, each naming the user."""

from __future__ import annotations


def test_the_admin_user_is_known_by_its_type_and_never_deleted(user_api, run) -> None:
    # The admin user renamed at service creation, and a normal user that happens to be called avnadmin.
    user_api.add_service("proj", "pg", admin="root-admin", users={"avnadmin": False})
    both = [{"username": "avnadmin", "state": "absent"}, {"username": "root-admin", "state": "absent"}]
    result = run(project="proj", service_name="pg", users=both)
    assert result["failed"] is True and not result.get("changed")
    assert result["failure"]["problems"] == [
        "proj/pg/root-admin: the user is the service's admin user (type primary), which is never deleted; remove state: absent for it"]
    assert user_api.writes() == []
    result = run(project="proj", service_name="pg", username="avnadmin", state="absent")
    assert result["changed"] is True and "avnadmin" not in user_api.users("proj", "pg")


def test_the_admin_user_keeps_replication(user_api, run) -> None:
    result = run(project="proj", service_name="pg", username="avnadmin", pg_allow_replication=False)
    assert result["failed"] is True and "always has replication" in result["msg"]
    assert user_api.writes() == []
    # Its password may be set, as Aiven allows.
    assert run(project="proj", service_name="pg", username="avnadmin", pg_allow_replication=True)["changed"] is False


def test_delete_of_a_user_pools_are_pinned_to_is_refused_naming_the_pools(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False}, pools={"app-pool": "app", "reports": "app", "other": "avnadmin"})
    result = run(project="proj", service_name="pg", username="app", state="absent")
    assert result["failed"] is True
    assert result["failure"]["problems"] == [
        "proj/pg/app: connection pools of the service are pinned to the user (app-pool, reports); "
        "delete those pools or move them to another user first, or set allow_in_use: true to delete it anyway"]
    assert user_api.writes() == []
    allowed = run(project="proj", service_name="pg", username="app", state="absent", allow_in_use=True)
    assert allowed["changed"] is True and "app" not in user_api.users("proj", "pg")


def test_the_services_form_names_its_own_allow_in_use(user_api, run) -> None:
    user_api.add_service("proj", "pg", users={"app": False}, pools={"app-pool": "app"})
    result = run(project="proj", services=[{"service_name": "pg", "users": [{"username": "app", "state": "absent"}]}])
    assert "set services[0].allow_in_use: true" in result["msg"]


def test_every_problem_of_every_service_is_reported_before_any_write(user_api, run) -> None:
    user_api.add_service("proj", "pg2", users={"pinned": False}, pools={"p": "pinned"})
    result = run(project="proj", services=[
        {"service_name": "pg", "users": [{"username": "fine"}, {"username": "avnadmin", "state": "absent"}]},
        {"service_name": "pg2", "users": [{"username": "pinned", "state": "absent"}]},
        {"service_name": "missing", "users": [{"username": "x"}]},
    ])
    assert result["failed"] is True
    problems = result["failure"]["problems"]
    assert len(problems) == 3
    # The project is read once (its service list), which names the services it has.
    assert problems[0] == "proj/missing: the service does not exist in project proj (services: pg, pg2); check project and service_name"
    assert problems[1].startswith("proj/pg/avnadmin: the user is the service's admin user")
    assert problems[2].startswith("proj/pg2/pinned: connection pools of the service are pinned")
    assert user_api.writes() == []
