# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service document read into the collection's shapes (module_utils/_service_document.py): pools checked and normalised, select."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbpools.aiven.plugins.module_utils._declaration_rules import PlanError
from ansible_collections.dbpools.aiven.plugins.module_utils._service_document import (
    API_DEFAULTS,
    API_FIELD,
    SETTINGS,
    ReplyError,
    normalise_pool,
    public_view,
    select,
    service_pools,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.pool_builders import (
    HOST,
    NAMES,
    PASSWORD,
    PROPERTY_SETTINGS,
    api_entries,
    api_entry,
    pool,
    uri,
)


def test_constants_agree() -> None:
    assert SETTINGS == ("database_name", "username", "pool_mode", "pool_size")
    assert set(API_FIELD) == set(SETTINGS)
    assert API_FIELD["database_name"] == "database"
    assert API_DEFAULTS == {"pool_mode": "transaction", "pool_size": 10}


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
