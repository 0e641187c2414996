# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pool planning (module_utils/_pools_planning.py): every branch of plan, predict, purge's reach, whether the API took
a write; property tests against the emulator's rules."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils import _declaration_rules
from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import PlanError
from ansible_collections.dbpools.aiven.plugins.module_utils._pool_results import diff_entry
from ansible_collections.dbpools.aiven.plugins.module_utils._pools_planning import Change, plan, predict, undeclared, write_not_reflected
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import API_FIELD, SETTINGS, normalise_pool, public_view
from ansible_collections.dbpools.aiven.tests.unit.plugins.support import emulated_service as emulated
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import (
    DATABASES,
    HOST,
    NAMES,
    PASSWORD,
    PROPERTY_SETTINGS,
    USERS,
    api_entries,
    pool,
    want,
)


def test_create_with_defaults() -> None:
    (change,) = plan([], [want("app", database_name="appdb")])
    assert change.action == "create"
    assert change.pool_name == "app"
    assert change.body == {"pool_name": "app", "database": "appdb"}
    assert change.before is None
    assert change.after == {
        "pool_name": "app",
        "database_name": "appdb",
        "username": None,
        "pool_mode": "transaction",
        "pool_size": 10,
        "host": None,
        "port": None,
        "sslmode": None,
    }


def test_create_pinned_with_all_settings() -> None:
    (change,) = plan([], [want("app", database_name="appdb", username="u1", pool_mode="session", pool_size=42)])
    assert change.body == {"pool_name": "app", "database": "appdb", "username": "u1", "pool_mode": "session", "pool_size": 42}
    assert change.after is not None
    assert (change.after["username"], change.after["pool_mode"], change.after["pool_size"]) == ("u1", "session", 42)


def test_create_with_empty_username_omits_it() -> None:
    (change,) = plan([], [want("app", database_name="appdb", username="")])
    assert "username" not in change.body
    assert change.after is not None and change.after["username"] is None


def test_create_without_database_errors() -> None:
    with pytest.raises(PlanError, match="pool app does not exist and database_name is required to create it"):
        plan([], [want("app", pool_size=5)])


def test_create_without_state_key_means_present() -> None:
    (change,) = plan([], [{"pool_name": "app", "database_name": "appdb"}])
    assert change.action == "create"


def test_update_one_field() -> None:
    current = [pool(size=10)]
    (change,) = plan(current, [want("app", pool_size=20)])
    assert change.action == "update"
    assert change.body == {"pool_size": 20}
    assert change.before == public_view(current[0])
    assert change.after == dict(public_view(current[0]), pool_size=20)


def test_update_several_fields() -> None:
    current = [pool()]
    (change,) = plan(current, [want("app", database_name="other", username="u2", pool_mode="statement", pool_size=3)])
    assert change.body == {"database": "other", "username": "u2", "pool_mode": "statement", "pool_size": 3}
    assert change.after is not None
    assert {k: change.after[k] for k in SETTINGS} == {"database_name": "other", "username": "u2", "pool_mode": "statement", "pool_size": 3}


def test_update_sends_only_differing_fields() -> None:
    current = [pool(mode="session", size=10)]
    (change,) = plan(current, [want("app", database_name="appdb", username="appuser", pool_mode="session", pool_size=11)])
    assert change.body == {"pool_size": 11}


def test_unpin() -> None:
    current = [pool(username="appuser")]
    (change,) = plan(current, [want("app", username="")])
    assert change.action == "update"
    assert change.body == {"username": None}
    assert change.after is not None and change.after["username"] is None


def test_pin_unpinned_pool() -> None:
    (change,) = plan([pool(username=None)], [want("app", username="u1")])
    assert change.body == {"username": "u1"}


def test_unpin_already_unpinned_is_noop() -> None:
    assert plan([pool(username=None)], [want("app", username="")]) == []


def test_options_not_given_are_left_as_they_are() -> None:
    current = [pool(username="appuser", mode="session", size=77)]
    # Everything None: nothing to compare, so nothing to do (and username None does NOT unpin).
    assert plan(current, [want("app")]) == []
    assert plan(current, [{"pool_name": "app"}]) == []


def test_noop_when_everything_matches() -> None:
    current = [pool(mode="statement", size=5)]
    assert plan(current, [want("app", database_name="appdb", username="appuser", pool_mode="statement", pool_size=5)]) == []


def test_delete() -> None:
    current = [pool()]
    (change,) = plan(current, [want("app", state="absent")])
    assert change.action == "delete"
    assert change.body == {}
    assert change.before == public_view(current[0])
    assert change.after is None


def test_delete_ignores_settings() -> None:
    (change,) = plan([pool()], [want("app", state="absent", pool_size=99)])
    assert change.action == "delete" and change.body == {}


def test_absent_and_missing_is_noop() -> None:
    assert plan([pool(name="other")], [want("app", state="absent")]) == []


def test_other_pools_untouched_without_purge() -> None:
    current = [pool(name="a"), pool(name="b")]
    assert plan(current, [want("a")]) == []


def test_purge_deletes_unnamed() -> None:
    current = [pool(name="c"), pool(name="keep"), pool(name="a")]
    changes = plan(current, [want("keep")], purge=True)
    assert [(c.action, c.pool_name) for c in changes] == [("delete", "a"), ("delete", "c")]


def test_purge_keeps_named() -> None:
    current = [pool(name="a"), pool(name="b")]
    assert plan(current, [want("a"), want("b", pool_size=10)], purge=True) == []


def test_purge_with_absent_entries() -> None:
    current = [pool(name="gone"), pool(name="extra"), pool(name="keep")]
    changes = plan(current, [want("keep"), want("gone", state="absent"), want("never", state="absent")], purge=True)
    # "gone" is deleted once (from its entry), "extra" by the purge, "never" needs nothing.
    assert [(c.action, c.pool_name) for c in changes] == [("delete", "gone"), ("delete", "extra")]


def test_purge_with_empty_desired_deletes_all() -> None:
    current = [pool(name="b"), pool(name="a")]
    assert [c.pool_name for c in plan(current, [], purge=True)] == ["a", "b"]


def test_purge_on_empty_service() -> None:
    assert plan([], [], purge=True) == []


def test_duplicates_error() -> None:
    with pytest.raises(PlanError, match="listed more than once"):
        plan([], [want("app", database_name="d"), want("app", state="absent")])


def test_plan_validates_input() -> None:
    with pytest.raises(PlanError, match="pool_size"):
        plan([pool()], [want("app", pool_size=0)])


def test_plan_order_is_desired_order_then_sorted_purges() -> None:
    current = [pool(name="z"), pool(name="m"), pool(name="upd", size=1), pool(name="del"), pool(name="b")]
    desired = [
        want("new2", database_name="d"),
        want("del", state="absent"),
        want("upd", pool_size=2),
        want("new1", database_name="d"),
    ]
    changes = plan(current, desired, purge=True)
    assert [(c.action, c.pool_name) for c in changes] == [
        ("create", "new2"),
        ("delete", "del"),
        ("update", "upd"),
        ("create", "new1"),
        ("delete", "b"),
        ("delete", "m"),
        ("delete", "z"),
    ]


def test_plan_does_not_modify_inputs() -> None:
    current = [pool()]
    desired = [want("app", pool_size=33, username="")]
    snapshot = (repr(current), repr(desired))
    plan(current, desired)
    assert (repr(current), repr(desired)) == snapshot


def test_predict_applies_every_kind_of_change() -> None:
    current = [pool(name="keep"), pool(name="upd", size=5), pool(name="del")]
    desired = [want("upd", pool_size=6, username=""), want("del", state="absent"), want("new", database_name="nd", pool_mode="session")]
    result = predict(current, plan(current, desired))
    assert [p["pool_name"] for p in result] == ["keep", "upd", "new"]
    assert result[0] == current[0]
    upd = result[1]
    assert (upd["pool_size"], upd["username"]) == (6, None)
    # An updated pool keeps its connection details.
    assert (upd["connection_uri"], upd["host"], upd["port"]) == (current[1]["connection_uri"], HOST, 12692)
    assert result[2] == {
        "pool_name": "new",
        "database_name": "nd",
        "username": None,
        "pool_mode": "session",
        "pool_size": 10,
        "connection_uri": None,
        "host": None,
        "port": None,
        "sslmode": None,
    }


def test_predict_without_changes_is_a_copy() -> None:
    current = [pool()]
    result = predict(current, [])
    assert result == current
    result[0]["pool_size"] = 999
    assert current[0]["pool_size"] == 10


def test_predict_tolerates_changes_for_unknown_pools() -> None:
    stray = [Change("delete", "ghost", {}, {"pool_name": "ghost"}, None), Change("update", "ghost", {"pool_size": 1}, {}, {"pool_size": 1})]
    assert predict([pool()], stray) == [pool()]


def test_predict_keys_match_normalised_shape() -> None:
    result = predict([], plan([], [want("new", database_name="d")]))
    assert list(result[0]) == list(pool())


def test_undeclared_is_sorted_and_leaves_out_every_named_pool() -> None:
    current = [pool(name="z"), pool(name="keep"), pool(name="gone"), pool(name="b")]
    assert undeclared(current, [want("keep"), want("gone", state="absent")]) == ["b", "z"]


def test_purge_deletes_only_purgeable_pools() -> None:
    current = [pool(name="old"), pool(name="late"), pool(name="keep")]
    changes = plan(current, [want("keep")], purge=True, purgeable={"old", "keep"})
    assert [(c.action, c.pool_name) for c in changes] == [("delete", "old")]


def test_purgeable_does_not_limit_absent_entries() -> None:
    current = [pool(name="late")]
    changes = plan(current, [want("late", state="absent")], purge=True, purgeable=set())
    assert [(c.action, c.pool_name) for c in changes] == [("delete", "late")]


def test_write_reflected_in_the_read_back() -> None:
    current = [pool(name="upd", size=5), pool(name="del")]
    changes = plan(current, [want("upd", pool_size=6, username=""), want("del", state="absent"), want("new", database_name="d")])
    read_back = {p["pool_name"]: p for p in [pool(name="upd", size=6, username=None), pool(name="new", database="d", username=None)]}
    assert [write_not_reflected(c, read_back.get(c.pool_name)) for c in changes] == [None, None, None]


def test_update_not_taken_names_the_field_and_both_values() -> None:
    (change,) = plan([pool(size=5, mode="session")], [want("app", pool_size=6, pool_mode="statement")])
    assert write_not_reflected(change, pool(size=5, mode="statement")) == "pool_size is 5, not 6"
    assert write_not_reflected(change, pool(size=5, mode="session")) == "pool_mode is 'session', not 'statement'; pool_size is 5, not 6"


def test_only_the_fields_written_are_compared() -> None:
    (change,) = plan([], [want("new", database_name="d", pool_size=6)])
    # pool_mode was not sent: whatever default the API chose is not a write it ignored.
    assert write_not_reflected(change, pool(name="new", database="d", size=6, mode="session", username=None)) is None


def test_an_unpin_not_taken() -> None:
    (change,) = plan([pool(username="app")], [want("app", username="")])
    assert write_not_reflected(change, pool(username="app")) == "username is 'app', not None"


def test_created_pool_missing_and_deleted_pool_still_listed_are_not_reflected() -> None:
    create, delete = plan([pool(name="del")], [want("new", database_name="d"), want("del", state="absent")])
    assert write_not_reflected(create, None) == "the service does not list the pool"
    assert write_not_reflected(delete, pool(name="del")) == "the service still lists the pool"


def test_an_updated_pool_that_vanished_is_no_write_the_api_ignored() -> None:
    # Another writer deleted it: the engine re-plans instead.
    (change,) = plan([pool()], [want("app", pool_size=6)])
    assert write_not_reflected(change, None) is None


WRITE_METHODS = {"create": "POST", "update": "PUT", "delete": "DELETE"}


def fake_api_apply(entries: list[dict[str, Any]], changes: list[Change]) -> list[dict[str, Any]]:
    """The pool objects the API lists once it took ``changes``: the emulator's rules, defaults and URIs.

    A write the API refuses (409 on a create of a pool that exists, 404 on a pool that does not) raises its ApiError.
    """
    service = emulated.new_service("proj", "svc", entries)
    for change in changes:
        emulated.write(service, WRITE_METHODS[change.action], change.pool_name, change.body)
    return emulated.document(service, emulated.renderer(include_secrets=True))["connection_pools"]


class Outcome(NamedTuple):
    current: list[dict[str, Any]]
    changes: list[Change]
    applied: list[dict[str, Any]]  # the pools as the API holds them after the changes


def plan_and_apply(case: Any) -> Outcome:
    """A scenario's plan, and what the API holds once it applied it."""
    entries, desired, purge = case
    current = [normalise_pool(e) for e in entries]
    changes = plan(current, desired, purge=purge)
    return Outcome(current, changes, [normalise_pool(e) for e in fake_api_apply(entries, changes)])


def settings_of(pools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["pool_name"]: {k: p[k] for k in SETTINGS} for p in pools}


@st.composite
def scenario(draw: st.DrawFn) -> Any:
    entries = draw(api_entries)
    existing = {e["pool_name"] for e in entries}
    names = draw(st.lists(st.sampled_from(NAMES), max_size=len(NAMES), unique=True))
    desired = []
    for name in names:
        state = draw(st.sampled_from(["present", "present", "absent"]))
        database = draw(st.one_of(st.none(), st.sampled_from(DATABASES)))
        if state == "present" and name not in existing and database is None:
            database = draw(st.sampled_from(DATABASES))  # creating needs a database
        desired.append(
            {
                "pool_name": name,
                "state": state,
                "database_name": database,
                "username": draw(st.one_of(st.none(), st.just(""), st.sampled_from(USERS))),
                "pool_mode": draw(st.one_of(st.none(), st.sampled_from(_declaration_rules.POOL_MODES))),
                "pool_size": draw(st.one_of(st.none(), st.integers(1, 10000))),
            }
        )
    purge = draw(st.booleans())
    return entries, desired, purge


@PROPERTY_SETTINGS
@given(scenario())
def test_property_apply_then_replan_is_empty(case: Any) -> None:
    _entries, desired, purge = case
    assert plan(plan_and_apply(case).applied, desired, purge=purge) == []


@PROPERTY_SETTINGS
@given(scenario())
def test_property_predict_matches_api(case: Any) -> None:
    outcome = plan_and_apply(case)
    predicted = predict(outcome.current, outcome.changes)
    assert settings_of(predicted) == settings_of(outcome.applied)
    assert [p["pool_name"] for p in predicted] == [p["pool_name"] for p in outcome.applied]


@PROPERTY_SETTINGS
@given(scenario())
def test_property_plan_shape_and_no_secrets(case: Any) -> None:
    current, changes, _applied = plan_and_apply(case)
    touched = [c.pool_name for c in changes]
    assert len(touched) == len(set(touched)), "each pool is written at most once"
    by_name = {p["pool_name"]: p for p in current}
    for change in changes:
        assert (change.before is None) == (change.action == "create")
        assert (change.after is None) == (change.action == "delete")
        if change.action == "create":
            assert change.body["pool_name"] == change.pool_name
        if change.action == "delete":
            assert change.body == {}
        if change.action == "update":
            # The body holds exactly the settings that before and after disagree on, and at least one.
            assert change.before is not None and change.after is not None
            differing = {API_FIELD[k] for k in SETTINGS if change.before[k] != change.after[k]}
            assert change.body and set(change.body) == differing
            assert change.before == public_view(by_name[change.pool_name])
    # Pools the plan does not mention are exactly those kept as they are.
    untouched = set(by_name) - set(touched)
    result = [diff_entry(c.pool_name, c.before, c.after) for c in changes]
    assert untouched.isdisjoint(entry["before_header"] for entry in result)
    text = repr(result)
    assert PASSWORD not in text and "connection_uri" not in text


@PROPERTY_SETTINGS
@given(scenario())
def test_property_every_write_the_api_applies_is_reflected(case: Any) -> None:
    _current, changes, applied = plan_and_apply(case)
    read_back = {p["pool_name"]: p for p in applied}
    assert [write_not_reflected(c, read_back.get(c.pool_name)) for c in changes] == [None] * len(changes)
