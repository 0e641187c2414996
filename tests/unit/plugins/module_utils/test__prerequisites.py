# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_prerequisites.py: one service's declared databases and users in a pool run: when the /db list is
read, the plan, the document the pools' checks see, the writes' outcomes and what a read back does not show yet."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _prerequisites
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._databases_planning import DatabaseChange
from ansible_collections.dbpools.aiven.plugins.module_utils._prerequisites import ServicePrerequisites, Write
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError
from ansible_collections.dbpools.aiven.plugins.module_utils._users_planning import UserChange

ADMIN = {"username": "avnadmin", "type": "primary", "access_control": {"pg_allow_replication": True}}


def user(name: str, replication: bool = False) -> dict[str, Any]:
    return {"username": name, "type": "normal", "access_control": {"pg_allow_replication": replication}}


def document(databases: Any = ("defaultdb",), users: Any = None) -> dict[str, Any]:
    return {"service_name": "pg", "state": "RUNNING", "connection_pools": [],
            "databases": list(databases) if databases is not None else None,
            "users": [ADMIN] + list(users or [])}


def declared(databases: Any = (), users: Any = ()) -> ServicePrerequisites:
    return ServicePrerequisites("proj", "pg", list(databases), list(users))


# --- whether the /db list is read ---------------------------------------------------------


@pytest.mark.parametrize(("databases", "listed", "needed"), [
    # Every declared database listed by name, no locale declared: the document says enough.
    ([{"database_name": "defaultdb"}], ["defaultdb"], False),
    # Missing from the document: the list decides (the document may not list every database of a large service).
    ([{"database_name": "app"}], ["defaultdb"], True),
    # A locale declared: the document has names only.
    ([{"database_name": "defaultdb", "lc_ctype": "C"}], ["defaultdb"], True),
    ([{"database_name": "defaultdb", "lc_collate": "C"}], ["defaultdb"], True),
    # No list of names in the document: nothing to go by.
    ([{"database_name": "defaultdb"}], None, True),
    # No database declared (users only): never.
    ([], None, False),
    ([], ["defaultdb"], False),
])
def test_needs_database_list(databases: list, listed: Any, needed: bool) -> None:
    assert declared(databases).needs_database_list(document(listed)) is needed


# --- the plan -----------------------------------------------------------------------------


def test_the_plan_from_the_document_alone_creates_the_missing_and_leaves_the_present() -> None:
    prerequisites = declared([{"database_name": "defaultdb"}], [{"username": "avnadmin"}, {"username": "app"}])
    assert prerequisites.plan(document(), None) == []
    assert [(change.action, _prerequisites.kind_of(change), _prerequisites.name_of(change)) for change in prerequisites.changes] == [
        ("create", "user", "app")]


def test_the_plan_from_the_database_list_creates_with_the_declared_locales_only() -> None:
    prerequisites = declared([{"database_name": "app", "lc_collate": "C"}, {"database_name": "defaultdb", "lc_ctype": "en_US.UTF-8"}])
    items = [{"database_name": "defaultdb", "lc_collate": "en_US.UTF-8", "lc_ctype": "en_US.UTF-8"}]
    assert prerequisites.plan(document(), items) == []
    change = prerequisites.changes[0]
    assert len(prerequisites.changes) == 1 and isinstance(change, DatabaseChange)
    assert (change.action, change.database_name, change.body) == ("create", "app", {"database": "app", "lc_collate": "C"})
    assert change.after == {"lc_collate": "C", "lc_ctype": "en_US.UTF-8"}


def test_the_database_list_wins_over_the_document() -> None:
    # The document does not list "app" (a large service), the list does: nothing to create.
    prerequisites = declared([{"database_name": "app"}])
    assert prerequisites.plan(document(["defaultdb"]), [{"database_name": "app"}, {"database_name": "defaultdb"}]) == []
    assert prerequisites.changes == []


def test_a_locale_other_than_the_database_has_is_refused() -> None:
    prerequisites = declared([{"database_name": "defaultdb", "lc_collate": "C"}])
    problems = prerequisites.plan(document(), [{"database_name": "defaultdb", "lc_collate": "en_US.UTF-8", "lc_ctype": "en_US.UTF-8"}])
    assert len(problems) == 1
    assert problems[0].startswith("proj/pg/defaultdb: lc_collate is 'en_US.UTF-8' on the service, declared 'C'. Locales are fixed")
    assert prerequisites.changes == []


def test_the_admin_user_with_replication_false_is_refused() -> None:
    prerequisites = declared(users=[{"username": "avnadmin", "pg_allow_replication": False}])
    assert prerequisites.plan(document(), None) == [
        "proj/pg/avnadmin: the admin user (type primary) always has replication; remove pg_allow_replication: false for it"]
    assert prerequisites.changes == []


def test_a_user_whose_replication_differs_is_updated_and_one_not_declaring_it_is_left() -> None:
    prerequisites = declared(users=[{"username": "rep", "pg_allow_replication": True}, {"username": "app"}])
    assert prerequisites.plan(document(users=[user("rep"), user("app", True)]), None) == []
    change = prerequisites.changes[0]
    assert len(prerequisites.changes) == 1 and isinstance(change, UserChange)
    assert (change.action, change.username, change.replication) == ("update", "rep", True)
    assert change.entry() == {"project": "proj", "service_name": "pg", "username": "rep", "action": "update",
                              "before": {"type": "normal", "pg_allow_replication": False},
                              "after": {"type": "normal", "pg_allow_replication": True}, "password_change": None}


def test_databases_are_planned_before_users() -> None:
    prerequisites = declared([{"database_name": "app"}], [{"username": "app"}])
    assert prerequisites.plan(document(), []) == []
    assert [_prerequisites.kind_of(change) for change in prerequisites.changes] == ["database", "user"]


@pytest.mark.parametrize(("doc", "items"), [
    (dict(document(), users="none"), None),             # users is no list
    (document(), [{"database_name": ""}]),               # an item of the list without a name
])
def test_a_reply_the_contract_does_not_allow_raises(doc: dict[str, Any], items: Any) -> None:
    prerequisites = declared([{"database_name": "app"}], [{"username": "app"}])
    with pytest.raises(ReplyError):
        prerequisites.plan(doc, items)


# --- what the pools' checks see -----------------------------------------------------------


def test_the_planned_document_lists_the_databases_and_users_the_run_creates() -> None:
    prerequisites = declared([{"database_name": "app"}], [{"username": "app"}])
    doc = document()
    prerequisites.plan(doc, [{"database_name": "defaultdb"}])
    planned = prerequisites.planned_document(doc)
    assert planned["databases"] == ["defaultdb", "app"]
    assert [item["username"] for item in planned["users"]] == ["avnadmin", "app"]
    # The read document itself is not changed.
    assert doc["databases"] == ["defaultdb"] and len(doc["users"]) == 1


def test_the_planned_document_is_the_document_when_nothing_is_created() -> None:
    prerequisites = declared(users=[{"username": "rep", "pg_allow_replication": True}])
    doc = document(users=[user("rep")])
    prerequisites.plan(doc, None)
    assert prerequisites.changes and prerequisites.planned_document(doc) is doc


# --- the writes ---------------------------------------------------------------------------


class Api:
    """PrerequisitesApi recording its calls; ``answers`` by name: False (already existed) or an AivenApiError."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[Any, ...]] = []

    def _answer(self, name: str) -> bool:
        answer = self.answers.get(name, True)
        if isinstance(answer, AivenApiError):
            raise answer
        return bool(answer)

    def list_databases(self, project: str, service: str) -> list[Any]:
        raise AssertionError("not read by a write")

    def create_database(self, project: str, service: str, body: dict[str, str]) -> bool:
        self.calls.append(("create_database", project, service, body))
        return self._answer(body["database"])

    def create_user(self, project: str, service: str, username: str, replication: bool | None) -> bool:
        self.calls.append(("create_user", project, service, username, replication))
        return self._answer(username)

    def set_replication(self, project: str, service: str, username: str, value: bool) -> None:
        self.calls.append(("set_replication", project, service, username, value))
        self._answer(username)


def planned_writes(doc: dict[str, Any] | None = None) -> ServicePrerequisites:
    prerequisites = declared([{"database_name": "app"}], [{"username": "app"}, {"username": "rep", "pg_allow_replication": True}])
    prerequisites.plan(doc or document(users=[user("rep")]), [])
    prerequisites.start_writes()
    return prerequisites


def test_each_write_calls_its_request() -> None:
    prerequisites = planned_writes()
    api = Api()
    for done in prerequisites.writes:
        _prerequisites.write(api, done)
    assert api.calls == [("create_database", "proj", "pg", {"database": "app"}), ("create_user", "proj", "pg", "app", None),
                         ("set_replication", "proj", "pg", "rep", True)]
    assert [(done.attempted, done.applied, done.existed, done.error) for done in prerequisites.writes] == [(True, True, False, None)] * 3
    assert [_prerequisites.name_of(change) for change in prerequisites.applied()] == ["app", "app", "rep"]
    assert prerequisites.existed_warnings() == []


def test_a_create_answered_already_exists_on_its_first_try_is_another_writers_and_warned() -> None:
    prerequisites = planned_writes()
    api = Api(app=False)
    for done in prerequisites.writes:
        _prerequisites.write(api, done)
    database, app_user = prerequisites.writes[:2]
    assert (database.applied, database.existed) == (False, True)
    assert (app_user.applied, app_user.existed) == (False, True)
    assert [_prerequisites.name_of(change) for change in prerequisites.applied()] == ["rep"]
    assert prerequisites.existed_warnings() == [
        'database proj/pg/app was created by another writer before this run created it (the API answered "already exists"); '
        "it is not reported as this run's change",
        'user proj/pg/app was created by another writer before this run created it (the API answered "already exists"); '
        "it is not reported as this run's change"]


def test_a_refusal_is_kept_with_its_status_and_message() -> None:
    prerequisites = planned_writes()
    refusal = AivenApiError(403, "Not allowed", method="POST", path="/v1/project/proj/service/pg/user")
    done = prerequisites.writes[1]
    _prerequisites.write(Api(app=refusal), done)
    assert (done.attempted, done.applied, done.existed, done.error) == (True, False, False, refusal)
    assert done.summary() == {"project": "proj", "service_name": "pg", "username": "app", "action": "create", "before": None,
                              "after": {"type": "normal", "pg_allow_replication": False}, "password_change": None,
                              "status": 403, "message": "Not allowed"}
    assert _prerequisites.described(done.change) == "create user proj/pg/app"
    assert Write(done.change).summary() == done.change.entry()


# --- the read back ------------------------------------------------------------------------


def test_unshown_names_the_applied_writes_the_document_does_not_show_yet() -> None:
    prerequisites = planned_writes()
    for done in prerequisites.writes:
        _prerequisites.write(Api(), done)
    # As it was before the writes: nothing shows.
    assert prerequisites.unshown(document(users=[user("rep")])) == prerequisites.writes
    # The database and the new user show; the flag not yet.
    lagging = document(["defaultdb", "app"], [user("rep"), user("app")])
    assert [_prerequisites.described(done.change) for done in prerequisites.unshown(lagging)] == ["update user proj/pg/rep"]
    assert prerequisites.unshown(document(["defaultdb", "app"], [user("rep", True), user("app")])) == []
    # A document without the lists shows nothing.
    assert len(prerequisites.unshown({})) == 3


def test_unshown_passes_over_writes_not_applied() -> None:
    prerequisites = planned_writes()
    for done in prerequisites.writes:
        _prerequisites.write(Api(app=False), done)
    # Only the replication change is this run's: the creates answered "already exists".
    assert [_prerequisites.described(done.change) for done in prerequisites.unshown(document(users=[user("rep")]))] == [
        "update user proj/pg/rep"]


def test_a_user_created_with_replication_shows_once_its_flag_does() -> None:
    prerequisites = declared(users=[{"username": "rep", "pg_allow_replication": True}])
    prerequisites.plan(document(), None)
    prerequisites.start_writes()
    _prerequisites.write(Api(), prerequisites.writes[0])
    assert len(prerequisites.unshown(document(users=[user("rep")]))) == 1
    assert prerequisites.unshown(document(users=[user("rep", True)])) == []


# --- what the module returns --------------------------------------------------------------


def test_change_entries_and_diffs_never_carry_a_password() -> None:
    prerequisites = declared([{"database_name": "app"}], [{"username": "app"}])
    prerequisites.plan(document(), [])
    databases, users = _prerequisites.change_entries(prerequisites.changes)
    assert databases == [{"project": "proj", "service_name": "pg", "database_name": "app", "action": "create", "before": None,
                          "after": {"lc_collate": "en_US.UTF-8", "lc_ctype": "en_US.UTF-8"}}]
    assert [entry["username"] for entry in users] == ["app"] and "password" not in users[0]
    diffs = _prerequisites.diff_entries(prerequisites.changes)
    assert [(diff["before_header"], diff["after_header"]) for diff in diffs] == [
        ("database proj/pg/app", "database proj/pg/app"), ("user proj/pg/app", "user proj/pg/app")]
    assert diffs[0]["before"] == "" and diffs[0]["after"] == "lc_collate: en_US.UTF-8\nlc_ctype: en_US.UTF-8\n"
    assert diffs[1]["after"] == "type: normal\npg_allow_replication: false\n"
