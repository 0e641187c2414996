# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The users' planning (module_utils/_users_planning.py): passwords that are none, the rules, the service document, the plan."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError
from ansible_collections.dbpools.aiven.plugins.module_utils._users_planning import (
    CurrentUser,
    ServiceUsers,
    current_users,
    declared_problems,
    diff_of,
    needs_password_read,
    password_problem,
    plan_service,
    pools_by_user,
    readable_password,
)

ADMIN = CurrentUser("avnadmin", "primary", True)
APP = CurrentUser("app", "normal", False)
SECRET = "Known-Passw0rd"


@pytest.mark.parametrize("value", [None, "", "<redacted>", 5, ["x"]])
def test_null_empty_and_redacted_are_never_a_password(value) -> None:
    assert readable_password(value) is None


def test_a_password_is_a_non_empty_string() -> None:
    assert readable_password("AVNS_abc") == "AVNS_abc"


@pytest.mark.parametrize("value, expected", [
    ("short", "password must be 8 to 256 characters (the API's limits), got 5"),
    ("x" * 257, "got 257"),
    ("tab\there-ok", "one at position 3"),
    (12345678, "password must be a string, got a int"),
])
def test_a_password_problem_never_shows_the_password(value, expected) -> None:
    problem = password_problem(value)
    assert problem is not None and expected in problem
    assert str(value) not in problem


def test_the_redaction_literal_is_refused_as_a_password() -> None:
    assert "not a password" in str(password_problem("<redacted>"))


def test_rules_of_declared_users() -> None:
    problems = declared_problems([{"username": "a", "state": "absent", "rotate_password": True}, {"username": "b", "update_password": "never"},
                                  {"username": "c", "pg_allow_replication": "yes"}, "secret-text"], "users", "p/s")
    assert problems == ["p/s/a: rotate_password cannot be declared for a user with state absent",
                        "p/s/b: update_password must be one of on_create, always, got 'never'",
                        "p/s/c: pg_allow_replication must be a boolean, got 'yes'",
                        "p/s: users[3] must be a dictionary, got a str"]


def test_current_users_by_name_with_type_and_replication() -> None:
    users = current_users({"users": [{"username": "avnadmin", "type": "primary", "access_control": {"pg_allow_replication": True}},
                                     {"username": "app", "type": "normal"}]})
    assert users == {"avnadmin": ADMIN, "app": APP}


@pytest.mark.parametrize("document, expected", [
    ({}, "no 'users' list"),
    ({"users": None}, "no 'users' list"),
    ({"users": ["x"]}, "users[0] must be an object"),
    ({"users": [{"username": "", "type": "normal"}]}, "username must be a non-empty string"),
    ({"users": [{"username": "a"}]}, "type must be a string"),
])
def test_a_service_document_the_contract_does_not_allow_raises(document, expected) -> None:
    with pytest.raises(ReplyError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        current_users(document)


def test_pools_by_user_passes_over_odd_items() -> None:
    document = {"connection_pools": [{"pool_name": "a", "username": "app"}, {"pool_name": "b"}, "x", {"pool_name": "c", "username": "app"}]}
    assert pools_by_user(document) == {"app": ["a", "c"]}
    assert pools_by_user({"connection_pools": None}) == {}


def test_a_password_is_read_only_to_compare_or_to_return() -> None:
    assert needs_password_read({"username": "a", "password": SECRET, "update_password": "always"}, False) is True
    assert needs_password_read({"username": "a", "password": SECRET}, False) is False
    assert needs_password_read({"username": "a"}, True) is True
    assert needs_password_read({"username": "a", "rotate_password": True}, True) is False
    assert needs_password_read({"username": "a", "state": "absent"}, True) is False


def plan(declared, passwords=None, pools=None, allow_in_use=False):
    read = ServiceUsers({"avnadmin": ADMIN, "app": APP}, pools or {}, passwords or {})
    return plan_service("p", "s", read, declared, allow_in_use)


def test_always_sets_a_password_unless_the_one_read_is_the_one_given() -> None:
    wanted = [{"username": "app", "password": SECRET, "update_password": "always"}]
    assert plan(wanted, {"app": SECRET}).changes == []
    for read in (None, "", "<redacted>", "Other-Passw0rd"):
        (change,) = plan(wanted, {"app": read}).changes
        assert (change.action, change.password_change, change.password) == ("update", "set", SECRET)


def test_on_create_leaves_an_existing_users_password_alone() -> None:
    assert plan([{"username": "app", "password": SECRET}], {"app": "Other-Passw0rd"}).changes == []


def test_create_sends_replication_only_when_declared() -> None:
    (change,) = plan([{"username": "new"}]).changes
    assert (change.action, change.replication, change.after) == ("create", None, {"type": "normal", "pg_allow_replication": False})
    (change,) = plan([{"username": "new", "pg_allow_replication": True, "password": SECRET}]).changes
    assert (change.replication, change.password_change) == (True, "set")


def test_the_primary_user_is_never_deleted_and_pinned_users_only_when_allowed() -> None:
    result = plan([{"username": "avnadmin", "state": "absent"}, {"username": "app", "state": "absent"}], pools={"app": ["pool-a"]})
    assert result.changes == [] and len(result.problems) == 2
    assert "admin user (type primary)" in result.problems[0] and "(pool-a)" in result.problems[1]
    allowed = plan([{"username": "avnadmin", "state": "absent"}, {"username": "app", "state": "absent"}], pools={"app": ["pool-a"]},
                   allow_in_use=True)
    assert [change.username for change in allowed.changes] == ["app"] and len(allowed.problems) == 1


def test_a_diff_and_an_entry_never_carry_the_password() -> None:
    (change,) = plan([{"username": "app", "password": SECRET, "update_password": "always", "pg_allow_replication": True}]).changes
    assert SECRET not in str(diff_of(change)) and SECRET not in str(change.entry()) and SECRET not in repr(change)
    assert diff_of(change)["after"] == "type: normal\npg_allow_replication: true\npassword: (set to the given one, not shown)\n"
