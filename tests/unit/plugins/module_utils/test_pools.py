# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the pure pool logic in module_utils/_pools.py."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils import _pools, _rules
from ansible_collections.dbpools.aiven.plugins.module_utils._pools import (
    API_DEFAULTS,
    API_FIELD,
    SETTINGS,
    Change,
    ReplyError,
    diff_entry,
    normalise_pool,
    parse_connection_uri,
    plan,
    predict,
    public_view,
    select,
    service_pools,
    undeclared,
    write_not_reflected,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import NAMES_SHOWN, PlanError, validate_desired
from ansible_collections.dbpools.aiven.plugins.module_utils._text import TEXT_MAX
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils import emulated_service as emulated

PASSWORD = "s3cr3t-AVNS_pw"
HOST = "pg-demo-proj.aivencloud.com"


def uri(user: str = "avnadmin", name: str = "app", host: str = HOST, port: int = 12692, password: str = PASSWORD) -> str:
    return f"postgres://{user}:{password}@{host}:{port}/{name}?sslmode=require"


def api_entry(name: str = "app", database: str = "appdb", username: str | None = "appuser", mode: str = "transaction", size: int = 10) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "pool_name": name,
        "database": database,
        "pool_mode": mode,
        "pool_size": size,
        "connection_uri": uri(user=username or "avnadmin", name=name),
    }
    if username is not None:
        entry["username"] = username
    return entry


def pool(**kwargs: Any) -> dict[str, Any]:
    return normalise_pool(api_entry(**kwargs))


def want(name: str = "app", state: str = "present", **settings_: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"pool_name": name, "state": state}
    entry.update(dict.fromkeys(SETTINGS))
    entry.update(settings_)
    return entry


# --- constants -------------------------------------------------------------------


def test_constants_agree() -> None:
    assert SETTINGS == ("database_name", "username", "pool_mode", "pool_size")
    assert set(API_FIELD) == set(SETTINGS)
    assert API_FIELD["database_name"] == "database"
    assert API_DEFAULTS == {"pool_mode": "transaction", "pool_size": 10}


# --- parse_connection_uri / normalise_pool -----------------------------------------


def test_parse_uri_full() -> None:
    assert parse_connection_uri(uri()) == {"host": HOST, "port": 12692, "sslmode": "require"}


@pytest.mark.parametrize(
    "value",
    [None, "", "<redacted>", "not a uri", 42, "postgres://[::1/app", "postgres://u:p@host:notaport/app", "postgres://u:p@host:99999/app"],
)
def test_parse_uri_never_raises(value: Any) -> None:
    result = parse_connection_uri(value)
    assert set(result) == {"host", "port", "sslmode"}
    assert result["port"] is None or isinstance(result["port"], int)


def test_parse_uri_bad_port_keeps_host() -> None:
    assert parse_connection_uri("postgres://u:p@host:notaport/app?sslmode=require")["host"] == "host"


def test_parse_uri_without_sslmode_or_port() -> None:
    assert parse_connection_uri("postgres://u:p@host/app") == {"host": "host", "port": None, "sslmode": None}


def test_parse_uri_ipv6() -> None:
    assert parse_connection_uri("postgres://u:p@[2001:db8::1]:6543/app?sslmode=verify-full") == {
        "host": "2001:db8::1",
        "port": 6543,
        "sslmode": "verify-full",
    }


def test_parse_uri_redacted_password_still_gives_host() -> None:
    assert parse_connection_uri("postgres://u:<redacted>@h.example:1234/app?sslmode=require") == {
        "host": "h.example",
        "port": 1234,
        "sslmode": "require",
    }


def test_normalise_pinned() -> None:
    assert normalise_pool(api_entry(size=25, mode="session")) == {
        "pool_name": "app",
        "database_name": "appdb",
        "username": "appuser",
        "pool_mode": "session",
        "pool_size": 25,
        "connection_uri": uri(user="appuser"),
        "host": HOST,
        "port": 12692,
        "sslmode": "require",
    }


@pytest.mark.parametrize("username", ["absent", None, ""])
def test_normalise_unpinned(username: str | None) -> None:
    entry = api_entry(username=None)
    if username != "absent":
        entry["username"] = username
    assert normalise_pool(entry)["username"] is None


def test_normalise_missing_uri() -> None:
    entry = api_entry()
    del entry["connection_uri"]
    result = normalise_pool(entry)
    assert result["connection_uri"] is None
    # The pool exists, so it has Aiven's TLS mode although no URI names it.
    assert (result["host"], result["port"], result["sslmode"]) == (None, None, "require")
    assert result["database_name"] == "appdb"


def test_normalise_redacted_uri() -> None:
    entry = api_entry()
    entry["connection_uri"] = "<redacted>"
    result = normalise_pool(entry)
    assert result["connection_uri"] == "<redacted>"
    assert (result["host"], result["port"], result["sslmode"]) == (None, None, "require")


def test_normalise_keeps_the_sslmode_the_uri_names() -> None:
    entry = api_entry()
    entry["connection_uri"] = f"postgres://avnadmin:{PASSWORD}@pg.example.com:12692/app?sslmode=verify-full"
    assert normalise_pool(entry)["sslmode"] == "verify-full"


def test_normalise_ipv6_host() -> None:
    entry = api_entry()
    entry["connection_uri"] = f"postgres://appuser:{PASSWORD}@[fd00::5]:25061/app?sslmode=require"
    result = normalise_pool(entry)
    assert (result["host"], result["port"], result["sslmode"]) == ("fd00::5", 25061, "require")


def test_normalise_string_pool_size_becomes_int() -> None:
    entry = api_entry()
    entry["pool_size"] = "30"
    assert normalise_pool(entry)["pool_size"] == 30
    entry["pool_size"] = "many"
    assert normalise_pool(entry)["pool_size"] == "many"


def test_normalise_minimal_entry() -> None:
    result = normalise_pool({"pool_name": "x"})
    assert result["pool_name"] == "x"
    assert all(result[key] is None for key in result if key not in ("pool_name", "sslmode"))
    assert result["sslmode"] == "require"


def test_public_view_drops_uri_only() -> None:
    current = pool()
    view = public_view(current)
    assert "connection_uri" not in view
    assert PASSWORD not in repr(view)
    assert set(view) == set(current) - {"connection_uri"}
    assert "connection_uri" in current  # the input is not modified


# --- validate_desired ----------------------------------------------------------------


def test_validate_accepts_good_input() -> None:
    validate_desired([])
    validate_desired(
        [
            want("a", database_name="d", username="u", pool_mode="session", pool_size=1),
            want("b", username="", pool_size=10000),
            want("c", state="absent"),
            {"pool_name": "d"},  # state and settings may be left out entirely
            {"pool_name": "e", "state": None, "extra": "ignored"},
        ]
    )


@pytest.mark.parametrize(
    "entry, words",
    [
        (want("p", pool_size=0), ["pool p", "pool_size"]),
        (want("p", pool_size=10001), ["pool p", "pool_size"]),
        (want("p", pool_size="10"), ["pool p", "pool_size"]),
        (want("p", pool_size=True), ["pool p", "pool_size"]),
        (want("p", pool_size=2.5), ["pool p", "pool_size"]),
        (want("p", pool_mode="Session"), ["pool p", "pool_mode", "session, transaction, statement"]),
        (want("p", state="gone"), ["pool p", "state"]),
        (want("p", database_name=""), ["pool p", "database_name"]),
        (want("p", database_name="d" * 64), ["pool p", "database_name"]),
        (want("p", username="u" * 65), ["pool p", "username"]),
        (want("p", username=7), ["pool p", "username"]),
        (want("p" * 64), ["pool_name", "1 to 63"]),
        (want(""), ["pools[0]", "pool_name"]),
        ({"state": "present"}, ["pools[0]", "pool_name"]),
        ("app", ["pools[0]", "dictionary"]),
    ],
)
def test_validate_rejects(entry: Any, words: list[str]) -> None:
    with pytest.raises(PlanError) as err:
        validate_desired([entry])
    for word in words:
        assert word in str(err.value)


def test_validate_names_position_of_bad_entry() -> None:
    with pytest.raises(PlanError, match=r"pools\[1\]"):
        validate_desired([want("ok"), want(None)])


def test_validate_boundaries_accepted() -> None:
    validate_desired([want("p" * 63, database_name="d" * 63, username="u" * 64)])


def test_validate_rejects_non_list() -> None:
    with pytest.raises(PlanError, match="must be a list"):
        validate_desired({"pool_name": "app"})  # type: ignore[arg-type]


def test_validate_rejects_duplicates() -> None:
    with pytest.raises(PlanError, match="pool app is listed more than once"):
        validate_desired([want("app"), want("other"), want("app", state="absent")])


def test_plan_error_is_value_error() -> None:
    assert issubclass(PlanError, ValueError)


# --- plan: every branch --------------------------------------------------------------


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


# --- predict -------------------------------------------------------------------------


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


# --- diff, changes and the public pool ------------------------------------------------

SETTING_LINES = "database_name: appdb\nusername: appuser\npool_mode: transaction\npool_size: {size}\n"


def test_diff_entry_of_an_update_has_headers_and_setting_lines_in_a_fixed_order() -> None:
    (change,) = plan([pool(name="upd")], [want("upd", pool_size=50)])
    entry = diff_entry("proj/svc/upd", change.before, change.after)
    assert entry == {"before_header": "proj/svc/upd", "after_header": "proj/svc/upd",
                     "before": SETTING_LINES.format(size=10), "after": SETTING_LINES.format(size=50)}


def test_diff_entry_sides_of_a_create_and_a_delete_are_empty() -> None:
    create, delete = plan([pool(name="del")], [want("new", database_name="appdb", username="app"), want("del", state="absent")])
    assert diff_entry("p/s/new", create.before, create.after)["before"] == ""
    assert diff_entry("p/s/new", create.before, create.after)["after"].splitlines() == [
        "database_name: appdb", "username: app", "pool_mode: transaction", "pool_size: 10"]
    assert diff_entry("p/s/del", delete.before, delete.after)["after"] == ""
    assert diff_entry("p/s/del", delete.before, delete.after)["before"] == SETTING_LINES.format(size=10)


def test_diff_entry_strips_uri_host_and_password_from_hand_built_views() -> None:
    text = repr(diff_entry("p/s/app", pool(), dict(pool(), pool_size=1)))
    assert PASSWORD not in text and "connection_uri" not in text and HOST not in text


def test_change_entry_names_the_pool_and_holds_settings_only() -> None:
    update, create, delete = plan([pool(name="upd"), pool(name="del")],
                                  [want("upd", pool_size=50, username=""), want("new", database_name="d"), want("del", state="absent")])
    assert _pools.change_entry("proj", "svc", update) == {
        "project": "proj", "service_name": "svc", "pool_name": "upd", "action": "update", "fields": ["pool_size", "username"],
        "before": {"database_name": "appdb", "username": "appuser", "pool_mode": "transaction", "pool_size": 10},
        "after": {"database_name": "appdb", "username": None, "pool_mode": "transaction", "pool_size": 50}}
    assert _pools.change_entry("proj", "svc", create)["before"] is None and "fields" not in _pools.change_entry("proj", "svc", create)
    assert _pools.change_entry("proj", "svc", delete)["after"] is None
    assert PASSWORD not in repr([_pools.change_entry("proj", "svc", c) for c in (update, create, delete)])


def test_public_pool_has_connection_details_and_no_secret_by_default() -> None:
    public = _pools.public_pool("proj", "svc", pool(name="app", username="app"))
    assert public == {"project": "proj", "service_name": "svc", "pool_name": "app", "database_name": "appdb", "username": "app",
                      "pool_mode": "transaction", "pool_size": 10, "host": HOST, "port": 12692, "dbname": "app", "user": "app",
                      "sslmode": "require"}


def test_public_pool_with_secrets_adds_the_uri_and_its_password() -> None:
    public = _pools.public_pool("proj", "svc", pool(name="app"), include_secrets=True)
    assert public["connection_uri"] == uri(user="appuser", name="app") and public["password"] == PASSWORD
    hidden_pool = dict(pool(name="app"), connection_uri=uri(password="<redacted>"))
    hidden = _pools.public_pool("proj", "svc", hidden_pool, include_secrets=True)
    assert hidden["password"] is None and "<redacted>" in hidden["connection_uri"]


def test_public_pool_of_an_unpinned_pool_has_an_empty_user_and_never_the_admins_credentials() -> None:
    # The API's URI of an unpinned pool names the admin with the admin's password.
    unpinned = pool(name="shared", username=None)
    assert unpinned["username"] is None and PASSWORD in unpinned["connection_uri"]
    public = _pools.public_pool("proj", "svc", unpinned)
    assert (public["username"], public["user"], public["sslmode"]) == (None, "", "require")
    secret = _pools.public_pool("proj", "svc", unpinned, include_secrets=True)
    assert secret["connection_uri"] == f"postgres://{HOST}:12692/shared?sslmode=require" and secret["password"] == ""
    assert PASSWORD not in repr(secret) and "avnadmin" not in repr(secret)
    # Credentials that cannot be told apart from the rest: no URI rather than one that may hold a password.
    odd = dict(unpinned, connection_uri=f"postgres://avnadmin:pa/ss@{HOST}:12692/shared")
    assert _pools.public_pool("proj", "svc", odd, include_secrets=True)["connection_uri"] is None


def test_public_pool_of_a_pool_not_created_yet_has_no_connection_details() -> None:
    (create,) = plan([], [want("new", database_name="appdb")])
    (predicted,) = _pools.predict([], [create])
    public = _pools.public_pool("proj", "svc", predicted, include_secrets=True)
    assert {key: public[key] for key in ("host", "port", "sslmode", "connection_uri")} == dict.fromkeys(("host", "port", "sslmode", "connection_uri"))
    assert (public["user"], public["password"]) == ("", "")


def test_diff_entry_shows_api_names_and_values_printable() -> None:
    hostile = pool(name="x\x1b[2J", database="db\nforged: line", username="u\r")
    entry = diff_entry("p/s/x\x1b[2J", hostile, None)
    assert entry["before_header"] == entry["after_header"] == "p/s/x\\x1b[2J"
    assert entry["before"].splitlines() == ["database_name: db\\nforged: line", "username: u\\r", "pool_mode: transaction", "pool_size: 10"]
    long_name = diff_entry("p/s/" + "n" * 100_000, None, None)["before_header"]
    assert len(long_name) <= TEXT_MAX and long_name.endswith("...")


def test_password_is_unquoted_from_the_uri() -> None:
    assert _pools.pool_password({"connection_uri": "postgres://u:p%2Fw%40rd@h:1/x"}) == "p/w@rd"
    assert _pools.pool_password({"connection_uri": "postgres://u@h:1/x"}) is None
    assert _pools.pool_password({"connection_uri": None}) is None


# --- checks against the service document -------------------------------------------------

SERVICE_DOC = {"state": "RUNNING", "plan": "startup-4", "databases": ["appdb", "defaultdb"],
               "users": [{"username": "avnadmin", "type": "primary"}, {"username": "app", "type": "normal"}]}


def test_document_problems_lists_every_missing_database_and_user_with_the_ones_that_exist() -> None:
    changes = plan([pool(name="upd")], [want("upd", database_name="nodb"), want("new", database_name="other", username="ghost"),
                                        want("ok", database_name="appdb", username="app")])
    assert _pools.document_problems("p/s", SERVICE_DOC, changes) == [
        "p/s/upd: database_name 'nodb' does not exist on the service (databases: appdb, defaultdb)",
        "p/s/new: database_name 'other' does not exist on the service (databases: appdb, defaultdb)",
        "p/s/new: username 'ghost' is not a user of the service (users: avnadmin, app)",
    ]


def test_document_problems_name_a_bounded_few_of_the_databases_and_users_printable() -> None:
    document = dict(SERVICE_DOC, databases=[f"db{index}" for index in range(5000)] + ["\x1b[2J" + "d" * 10_000],
                    users=[{"username": f"user{index}"} for index in range(25)])
    changes = plan([], [want("new", database_name="nodb", username="ghost")])
    database, user = _pools.document_problems("p/s", document, changes)
    assert database.endswith(f"(databases: {', '.join(f'db{index}' for index in range(NAMES_SHOWN))} and {5001 - NAMES_SHOWN} more)")
    assert user.endswith(f"(users: {', '.join(f'user{index}' for index in range(NAMES_SHOWN))} and {25 - NAMES_SHOWN} more)")
    (odd,) = _pools.document_problems("p/s", dict(document, databases=["\x1b[2J" + "d" * 10_000]), plan([], [want("new", database_name="nodb")]))
    assert "\x1b" not in odd and "(databases: \\x1b[2Jddd" in odd and len(odd) < TEXT_MAX + 200


def test_document_problems_powered_off_is_reported_as_that_alone() -> None:
    changes = plan([], [want("new", database_name="appdb")])
    document = {"state": "POWEROFF", "plan": "startup-4", "databases": [], "users": []}
    assert _pools.document_problems("p/s", document, changes) == [
        "p/s: the service is powered off (state POWEROFF); power it on before changing its pools"]


def test_document_problems_plan_without_pooling_refuses_creates_only() -> None:
    document = dict(SERVICE_DOC, plan="hobbyist")
    assert _pools.document_problems("p/s", document, plan([], [want("new", database_name="appdb")])) == [
        "p/s: plan hobbyist does not include connection pooling (needs startup or larger)"]
    assert _pools.document_problems("p/s", document, plan([pool(name="a")], [want("a", state="absent")])) == []


def test_document_problems_nothing_to_do_is_no_problem_even_powered_off() -> None:
    assert _pools.document_problems("p/s", {"state": "POWEROFF"}, []) == []


def test_emptying_problem_names_the_service_and_the_pools_a_purge_deletes() -> None:
    current = [pool(name="a"), pool(name="b")]
    assert _pools.emptying_problem("p/s", current, plan(current, [], purge=True)) == (
        "p/s: purge would delete every pool (a, b): set allow_empty: true if the service should have no pools")
    assert _pools.emptying_problem("p/s", current, plan(current, [want("a")], purge=True)) is None
    assert _pools.emptying_problem("p/s", [], plan([], [], purge=True)) is None


def test_creation_problems_lists_every_create_without_database() -> None:
    assert _pools.creation_problems("p/s", [pool(name="a")], [want("a"), want("b"), want("c", state="absent"), want("d")]) == [
        "p/s/b: pool does not exist and database_name is required to create it",
        "p/s/d: pool does not exist and database_name is required to create it",
    ]


# --- select --------------------------------------------------------------------------


def test_select_all_when_names_none() -> None:
    pools = [pool(name="a"), pool(name="b")]
    result = select(pools, None)
    assert result == pools and result is not pools


def test_select_by_names_in_given_order_skipping_missing() -> None:
    pools = [pool(name="a"), pool(name="b"), pool(name="c")]
    assert [p["pool_name"] for p in select(pools, ["c", "missing", "a", "c"])] == ["c", "a"]


def test_select_empty() -> None:
    assert select([pool()], []) == []
    assert select([], ["a"]) == []
    assert select([], None) == []


# --- the service document -------------------------------------------------------------


def test_service_pools_normalises_every_entry_in_order() -> None:
    document = {"state": "RUNNING", "connection_pools": [api_entry(name="b"), api_entry(name="a", size=3)]}
    assert service_pools(document) == [pool(name="b"), pool(name="a", size=3)]


def test_service_pools_of_an_empty_list() -> None:
    assert service_pools({"connection_pools": []}) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "the service has no connection_pools (is it a PostgreSQL service?)"),
        ({"connection_pools": None}, "connection_pools must be a list, got None"),
        ({"connection_pools": 7}, "connection_pools must be a list, got 7"),
        ({"connection_pools": [api_entry(), ["app"]]}, "connection_pools[1] must be an object, got ['app']"),
        ({"connection_pools": [{"database": "appdb"}]}, "connection_pools[0] has no pool_name"),
        ({"connection_pools": [dict(api_entry(), pool_name=None)]}, "connection_pools[0]: pool_name must be a non-empty string, got None"),
        ({"connection_pools": [dict(api_entry(), pool_name={"a": 1})]}, "connection_pools[0]: pool_name must be a non-empty string, got {'a': 1}"),
        ({"connection_pools": [api_entry(name="x"), api_entry(name="y"), api_entry(name="x")]}, "pool 'x' is listed twice in connection_pools"),
    ],
)
def test_service_pools_rejects_what_the_contract_does_not_allow(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ReplyError) as caught:
        service_pools(document)
    assert str(caught.value) == message


def test_reply_error_is_not_a_plan_error() -> None:
    # The engine words them differently: one is the user's input, the other the API's reply.
    assert not issubclass(ReplyError, PlanError)


def test_password_redacted() -> None:
    assert _pools.password_redacted(pool(name="a") | {"connection_uri": uri(password="<redacted>")})
    assert _pools.password_redacted({"connection_uri": uri(password="%3Credacted%3E")})
    assert not _pools.password_redacted(pool())
    assert not _pools.password_redacted({"connection_uri": None})


# --- what purge may delete -----------------------------------------------------------------


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


# --- did the API take the write? -------------------------------------------------------------


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


# --- property-based: plan, apply as the API would, re-plan ----------------------------

NAMES = ["a", "b", "c", "d", "e", "f"]
USERS = ["u1", "u2", "avnadmin"]
DATABASES = ["db1", "db2"]


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


api_entries = st.lists(
    st.builds(
        api_entry,
        name=st.sampled_from(NAMES),
        database=st.sampled_from(DATABASES),
        username=st.one_of(st.none(), st.sampled_from(USERS)),
        mode=st.sampled_from(_rules.POOL_MODES),
        size=st.integers(1, 10000),
    ),
    max_size=len(NAMES),
    unique_by=lambda e: e["pool_name"],
)


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
                "pool_mode": draw(st.one_of(st.none(), st.sampled_from(_rules.POOL_MODES))),
                "pool_size": draw(st.one_of(st.none(), st.integers(1, 10000))),
            }
        )
    purge = draw(st.booleans())
    return entries, desired, purge


PROPERTY_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


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
@given(api_entries, st.lists(st.sampled_from(NAMES + ["zz"]), max_size=8))
def test_property_select(entries: list[dict[str, Any]], names: list[str]) -> None:
    pools = [normalise_pool(e) for e in entries]
    chosen = [p["pool_name"] for p in select(pools, names)]
    expected: list[str] = []
    for name in names:
        if name not in expected and any(p["pool_name"] == name for p in pools):
            expected.append(name)
    assert chosen == expected


@PROPERTY_SETTINGS
@given(scenario())
def test_property_every_write_the_api_applies_is_reflected(case: Any) -> None:
    _current, changes, applied = plan_and_apply(case)
    read_back = {p["pool_name"]: p for p in applied}
    assert [write_not_reflected(c, read_back.get(c.pool_name)) for c in changes] == [None] * len(changes)
