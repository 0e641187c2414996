# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database routes (module_utils/_databases_api.py) against the fake: pagination and its guards, create and delete."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._databases_api import create_database, delete_database, list_databases
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_databases_api import DEFAULT_LOCALE, FakeDatabasesApi, error

TOKEN = "databases-api-T0KEN-0123456789"
LIST = "/v1/project/proj/service/pg/db"
DEFAULTS = {"lc_collate": DEFAULT_LOCALE, "lc_ctype": DEFAULT_LOCALE}


@pytest.fixture(scope="module")
def server():
    fake = FakeDatabasesApi().start()
    yield fake
    fake.stop()


@pytest.fixture
def api(server) -> FakeDatabasesApi:
    server.reset()
    server.add_service("proj", "pg", databases={f"db{index:02}": DEFAULTS for index in range(5)})
    return server


def client_of(api: FakeDatabasesApi, retries: int = 0) -> AivenClient:
    return AivenClient(TOKEN, api_url=api.url, max_retries=retries, timeout=5)


def page(names: list[str], cursor: Any = None) -> tuple[int, dict, dict]:
    body: dict[str, Any] = {"databases": [{"database_name": name} for name in names]}
    if cursor is not None:
        body["next"] = cursor
    return (200, {}, body)


def test_one_page(api) -> None:
    items = list_databases(client_of(api), "proj", "pg")
    assert [item["database_name"] for item in items] == [f"db{index:02}" for index in range(5)]
    assert api.queries() == [{"maxItems": ["250"]}]


def test_several_pages_follow_next_through_after(api) -> None:
    api.page_size = 2
    items = list_databases(client_of(api), "proj", "pg")
    assert [item["database_name"] for item in items] == [f"db{index:02}" for index in range(5)]
    assert [query.get("after") for query in api.queries()] == [None, ["db01"], ["db03"]]


@pytest.mark.parametrize("last", [None, "", "absent"])
def test_the_last_page_has_no_next_or_an_empty_one(api, last) -> None:
    api.script("GET", LIST + "?maxItems=250", page(["a"], cursor=None if last == "absent" else last))
    assert len(list_databases(client_of(api), "proj", "pg")) == 1
    assert len(api.requests) == 1


def test_the_cursor_is_url_quoted(api) -> None:
    api.script("GET", LIST + "?maxItems=250", page(["a"], cursor="x&maxItems=1 #"))
    api.script("GET", LIST + "?maxItems=250&after=x%26maxItems%3D1%20%23", page(["b"]))
    assert [item["database_name"] for item in list_databases(client_of(api), "proj", "pg")] == ["a", "b"]


def test_a_repeated_cursor_stops_the_read(api) -> None:
    api.script("GET", LIST + "?maxItems=250", page(["a"], "c1"))
    api.script("GET", LIST + "?maxItems=250&after=c1", page(["b"], "c2"))
    api.script("GET", LIST + "?maxItems=250&after=c2", page(["c"], "c1"))
    with pytest.raises(AivenApiError, match="repeated its pagination cursor 'c1'") as caught:
        list_databases(client_of(api), "proj", "pg")
    assert caught.value.status == 200 and caught.value.path == LIST
    assert len(api.requests) == 3


def test_an_api_that_never_stops_paging_is_bounded(api, monkeypatch) -> None:
    counter = iter(range(1000))

    def endless(recorded):
        return page(["x"], f"cursor-{next(counter)}")

    monkeypatch.setattr(api, "_answer", endless)
    with pytest.raises(AivenApiError, match="more than 4 pages"):
        list_databases(client_of(api), "proj", "pg", pages_max=4)
    assert len(api.requests) == 4


@pytest.mark.parametrize("body, text", [
    ({"next": "a"}, "has no 'databases' list"),
    ({"databases": {"database_name": "a"}}, "has no 'databases' list"),
    ({"databases": [], "next": 5}, "'next' must be a string, got 5"),
])
def test_replies_the_contract_does_not_allow(api, body, text) -> None:
    api.script("GET", LIST + "?maxItems=250", (200, {}, body))
    with pytest.raises(AivenApiError, match=text):
        list_databases(client_of(api), "proj", "pg")


def test_page_size_is_kept_within_the_api_bound(api) -> None:
    list_databases(client_of(api), "proj", "pg", page_size=999)
    list_databases(client_of(api), "proj", "pg", page_size=0)
    assert [query["maxItems"] for query in api.queries()] == [["250"], ["1"], ["1"], ["1"], ["1"], ["1"]]


def test_create_is_true_and_sends_the_body(api) -> None:
    assert create_database(client_of(api), "proj", "pg", {"database": "new", "lc_collate": "C"}) is True
    assert api.databases("proj", "pg")["new"] == {"lc_collate": "C", "lc_ctype": DEFAULT_LOCALE}


def test_create_answered_already_exists_on_a_first_try_is_false(api) -> None:
    # There before this call: not its doing.
    assert create_database(client_of(api), "proj", "pg", {"database": "db00"}) is False


def test_create_retried_after_a_lost_reply_is_true_and_the_database_exists(api) -> None:
    # The first attempt created it and its reply was lost; the retry's 409 is that attempt's doing.
    api.commit_then_fail = True
    assert create_database(client_of(api, retries=1), "proj", "pg", {"database": "new"}) is True
    assert "new" in api.databases("proj", "pg")


def test_other_create_errors_raise(api) -> None:
    with pytest.raises(AivenApiError) as caught:
        create_database(client_of(api), "proj", "pg", {"database": "x" * 41})
    assert caught.value.status == 400


def test_delete(api) -> None:
    assert delete_database(client_of(api), "proj", "pg", "db00") is True
    assert "db00" not in api.databases("proj", "pg")
    # Gone already: another writer's doing.
    assert delete_database(client_of(api), "proj", "pg", "db00") is False


def test_delete_retried_after_a_lost_reply_is_this_calls(api) -> None:
    api.script("DELETE", LIST + "/db00", error(502, "Bad gateway"), error(404, "Database 'db00' does not exist"))
    assert delete_database(client_of(api, retries=1), "proj", "pg", "db00") is True


def test_delete_on_a_missing_service_raises(api) -> None:
    with pytest.raises(AivenApiError, match="Service gone does not exist"):
        delete_database(client_of(api), "proj", "gone", "db00")
