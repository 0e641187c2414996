# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database planning (module_utils/_databases_planning.py): the rules of a declaration, the list read from the API, the plan."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils._databases_planning import (
    DEFAULT_LOCALE,
    DatabaseChange,
    current_databases,
    declared_problems,
    diff_of,
    plan_service,
    pools_by_database,
    powered_off_problem,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import ReplyError
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.text_checks import has_control

DEFAULTS = {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE}
C_LOCALE = {"lc_collate": "C", "lc_ctype": "C"}


def want(name: str, **options: Any) -> dict[str, Any]:
    return {"database_name": name, "state": "present", **options}


def plan(current: dict[str, dict[str, str]], declared: list[dict[str, Any]], pools: dict[str, list[str]] | None = None,
         allow_in_use: bool = False):
    return plan_service("proj", "pg", current, declared, pools or {}, allow_in_use)


def test_create_sends_only_the_declared_locales() -> None:
    result = plan({}, [want("a"), want("b", lc_ctype="C")])
    assert [change.body for change in result.changes] == [{"database": "a"}, {"database": "b", "lc_ctype": "C"}]
    assert result.changes[1].after == {"lc_collate": DEFAULT_LOCALE, "lc_ctype": "C"}
    assert result.changes[0].before is None and result.problems == []


def test_an_existing_database_with_the_declared_locales_needs_nothing() -> None:
    result = plan({"a": C_LOCALE, "b": DEFAULTS}, [want("a", **C_LOCALE), want("b"), want("gone", state="absent")])
    assert result.changes == [] and result.problems == []


def test_a_differing_locale_is_a_problem_not_a_change() -> None:
    result = plan({"a": DEFAULTS}, [want("a", lc_collate="C", lc_ctype="C")])
    assert result.changes == []
    (problem,) = result.problems
    assert problem.startswith("proj/pg/a: lc_collate is 'en_US.UTF-8' on the service, declared 'C'; lc_ctype is 'en_US.UTF-8'")


def test_delete_with_its_locales_as_before() -> None:
    (change,) = plan({"a": C_LOCALE}, [want("a", state="absent")]).changes
    assert (change.action, change.before, change.after) == ("delete", C_LOCALE, None)


def test_delete_in_use_is_refused_unless_allowed() -> None:
    refused = plan({"a": DEFAULTS}, [want("a", state="absent")], {"a": ["p1", "p2"]})
    assert refused.changes == [] and "(p1, p2)" in refused.problems[0] and "allow_in_use: true" in refused.problems[0]
    allowed = plan({"a": DEFAULTS}, [want("a", state="absent")], {"a": ["p1"]}, allow_in_use=True)
    assert [change.action for change in allowed.changes] == ["delete"] and allowed.problems == []


def test_pool_names_from_the_api_are_printable_in_problems() -> None:
    result = plan({"a": DEFAULTS}, [want("a", state="absent")], {"a": ["evil\x1b[2J\u202e"]})
    assert not has_control(result.problems[0])


def test_current_databases_default_missing_locales() -> None:
    items = [{"database_name": "a"}, {"database_name": "b", "lc_collate": None, "lc_ctype": "C"}, {"database_name": "a"}]
    assert current_databases(items) == {"a": DEFAULTS, "b": {"lc_collate": DEFAULT_LOCALE, "lc_ctype": "C"}}


@pytest.mark.parametrize("items, text", [
    (["a"], "databases[0] must be an object"),
    ([{"database_name": ""}], "database_name must be a non-empty string"),
    ([{"database_name": 5}], "database_name must be a non-empty string"),
    ([{"database_name": "a", "lc_ctype": 5}], "lc_ctype must be a string"),
    ([{"database_name": "a"}, {"database_name": "a", "lc_ctype": "C"}], "listed twice with different locales"),
])
def test_current_databases_refuses_what_the_contract_does_not_allow(items, text) -> None:
    with pytest.raises(ReplyError, match=re.escape(text)):
        current_databases(items)


def test_pools_by_database_passes_over_odd_items() -> None:
    document = {"connection_pools": [{"pool_name": "p", "database": "a"}, {"pool_name": 5, "database": "a"}, "x", {"pool_name": "q"},
                                     {"pool_name": "r", "database": "a"}]}
    assert pools_by_database(document) == {"a": ["p", "r"]}
    assert pools_by_database({"connection_pools": "nope"}) == {}
    assert pools_by_database({}) == {}


def test_powered_off_problem() -> None:
    assert powered_off_problem("proj/pg", {"state": "RUNNING"}) is None
    assert "powered off" in (powered_off_problem("proj/pg", {"state": "POWEROFF"}) or "")


def test_declared_problems_name_database_and_service() -> None:
    problems = declared_problems([want("a" * 41), {"database_name": "b", "state": "maybe"}, want("c", lc_collate=""), "x", want("b")],
                                 "databases", "proj/pg")
    assert problems == [
        "proj/pg: databases[0]: database_name must be a string of 1 to 40 characters, got " + repr("a" * 41),
        "proj/pg/b: state must be one of present, absent, got 'maybe'",
        "proj/pg/c: lc_collate must be a string of 1 to 128 characters, got ''",
        "proj/pg: databases[3] must be a dictionary, got 'x'",
        "proj/pg/b: declared more than once; declare each database once",
    ]
    assert declared_problems("nope", "databases", "proj/pg") == ["proj/pg: databases must be a list, got a str"]


def test_diff_of_a_create_and_a_delete() -> None:
    created = DatabaseChange("proj", "pg", "a", "create", None, C_LOCALE)
    assert diff_of(created) == {"before_header": "proj/pg/a", "after_header": "proj/pg/a", "before": "", "after": "lc_collate: C\nlc_ctype: C\n"}
    deleted = DatabaseChange("proj", "pg", "a", "delete", {"lc_collate": "x\x1by", "lc_ctype": "C"}, None)
    assert diff_of(deleted)["before"] == "lc_collate: x\\x1by\nlc_ctype: C\n" and diff_of(deleted)["after"] == ""


NAMES = st.sampled_from(["a", "b", "c", "d"])
LOCALE = st.sampled_from([None, "C", DEFAULT_LOCALE])


CURRENT_LOCALES = st.fixed_dictionaries({"lc_collate": st.sampled_from(["C", DEFAULT_LOCALE]), "lc_ctype": st.sampled_from(["C", DEFAULT_LOCALE])})


@given(current=st.dictionaries(NAMES, CURRENT_LOCALES),
       declared=st.dictionaries(NAMES, st.tuples(st.sampled_from(["present", "absent"]), LOCALE, LOCALE)))
def test_applying_a_plan_without_problems_converges(current, declared) -> None:
    entries = [want(name, state=state, lc_collate=collate, lc_ctype=ctype) for name, (state, collate, ctype) in declared.items()]
    result = plan(current, entries)
    after = dict(current)
    for change in result.changes:
        if change.action == "create":
            after[change.database_name] = dict(change.after or {})
        else:
            after.pop(change.database_name)
    again = plan(after, entries)
    assert again.changes == []
    # A problem is only ever a locale of an existing database; the plan then leaves that database alone.
    assert len(again.problems) == len(result.problems)
