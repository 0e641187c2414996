# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A declaration and its plan checked against the service (module_utils/_service_checks.py), before any write."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.plugins.module_utils import _service_checks
from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import plan
from ansible_collections.dbpools.aiven.plugins.module_utils._text import NAMES_SHOWN, TEXT_MAX
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import (
    pool,
    want,
)

SERVICE_DOC = {"state": "RUNNING", "plan": "startup-4", "databases": ["appdb", "defaultdb"],
               "users": [{"username": "avnadmin", "type": "primary"}, {"username": "app", "type": "normal"}]}


def test_document_problems_lists_every_missing_database_and_user_with_the_ones_that_exist() -> None:
    changes = plan([pool(name="upd")], [want("upd", database_name="nodb"), want("new", database_name="other", username="ghost"),
                                        want("ok", database_name="appdb", username="app")])
    assert _service_checks.document_problems("p/s", SERVICE_DOC, changes) == [
        "p/s/upd: database_name 'nodb' does not exist on the service (databases: appdb, defaultdb)",
        "p/s/new: database_name 'other' does not exist on the service (databases: appdb, defaultdb)",
        "p/s/new: username 'ghost' is not a user of the service (users: avnadmin, app)",
    ]


def test_document_problems_name_a_bounded_few_of_the_databases_and_users_printable() -> None:
    document = dict(SERVICE_DOC, databases=[f"db{index}" for index in range(5000)] + ["\x1b[2J" + "d" * 10_000],
                    users=[{"username": f"user{index}"} for index in range(25)])
    changes = plan([], [want("new", database_name="nodb", username="ghost")])
    database, user = _service_checks.document_problems("p/s", document, changes)
    assert database.endswith(f"(databases: {', '.join(f'db{index}' for index in range(NAMES_SHOWN))} and {5001 - NAMES_SHOWN} more)")
    assert user.endswith(f"(users: {', '.join(f'user{index}' for index in range(NAMES_SHOWN))} and {25 - NAMES_SHOWN} more)")
    (odd,) = _service_checks.document_problems("p/s", dict(document, databases=["\x1b[2J" + "d" * 10_000]), plan([], [want("new", database_name="nodb")]))
    assert "\x1b" not in odd and "(databases: \\x1b[2Jddd" in odd and len(odd) < TEXT_MAX + 200


def test_document_problems_powered_off_is_reported_as_that_alone() -> None:
    changes = plan([], [want("new", database_name="appdb")])
    document = {"state": "POWEROFF", "plan": "startup-4", "databases": [], "users": []}
    assert _service_checks.document_problems("p/s", document, changes) == [
        "p/s: the service is powered off (state POWEROFF); power it on before changing its pools"]


def test_document_problems_plan_without_pooling_refuses_creates_only() -> None:
    document = dict(SERVICE_DOC, plan="hobbyist")
    assert _service_checks.document_problems("p/s", document, plan([], [want("new", database_name="appdb")])) == [
        "p/s: plan hobbyist does not include connection pooling (needs startup or larger)"]
    assert _service_checks.document_problems("p/s", document, plan([pool(name="a")], [want("a", state="absent")])) == []


def test_document_problems_nothing_to_do_is_no_problem_even_powered_off() -> None:
    assert _service_checks.document_problems("p/s", {"state": "POWEROFF"}, []) == []


def test_emptying_problem_names_the_service_and_the_pools_a_purge_deletes() -> None:
    current = [pool(name="a"), pool(name="b")]
    assert _service_checks.emptying_problem("p/s", current, plan(current, [], purge=True)) == (
        "p/s: purge would delete every pool (a, b): set allow_empty: true if the service should have no pools")
    assert _service_checks.emptying_problem("p/s", current, plan(current, [want("a")], purge=True)) is None
    assert _service_checks.emptying_problem("p/s", [], plan([], [], purge=True)) is None


def test_creation_problems_lists_every_create_without_database() -> None:
    assert _service_checks.creation_problems("p/s", [pool(name="a")], [want("a"), want("b"), want("c", state="absent"), want("d")]) == [
        "p/s/b: pool does not exist and database_name is required to create it",
        "p/s/d: pool does not exist and database_name is required to create it",
    ]


ORIGINS = {"upd": "defs__team_b[3] (project p, service_name s, pool_name upd)", "b": "defs[0] (project p, service_name s, pool_name b)"}


def test_problems_name_the_entry_a_pool_came_from_when_the_caller_gives_it() -> None:
    changes = plan([pool(name="upd")], [want("upd", database_name="ordes_ro", username="ghost"), want("new", database_name="nodb")])
    assert _service_checks.document_problems("p/s", SERVICE_DOC, changes, ORIGINS) == [
        "defs__team_b[3] (project p, service_name s, pool_name upd): database_name 'ordes_ro' does not exist on the service "
        "(databases: appdb, defaultdb)",
        "defs__team_b[3] (project p, service_name s, pool_name upd): username 'ghost' is not a user of the service (users: avnadmin, app)",
        "p/s/new: database_name 'nodb' does not exist on the service (databases: appdb, defaultdb)",
    ]
    assert _service_checks.creation_problems("p/s", [], [want("b"), want("c")], ORIGINS) == [
        "defs[0] (project p, service_name s, pool_name b): pool does not exist and database_name is required to create it",
        "p/s/c: pool does not exist and database_name is required to create it",
    ]
