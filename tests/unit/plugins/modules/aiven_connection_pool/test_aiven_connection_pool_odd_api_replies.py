# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both modules against API replies that go wrong, run in-process against the fake API.

A reply the contract does not allow, a read that fails after writes, a write the API
answers but does not take, a 404 that is not about the pool, another writer adding a
pool during a purge, a token that may not read secrets: each ends in a result that
says what happened (and what was applied), never in a traceback or a wrong diagnosis.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from aiven_emulator.documents import REDACTED
from ansible_collections.dbpools.aiven.plugins.module_utils import _read_lag
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module, warnings_of

TOKEN = "odd-replies-T0KEN-0123456789abcdef"
SERVICE = "/v1/project/proj/service/pg"
# Both modules ask for secrets only with include_secrets.
READ = SERVICE + "?include_secrets=true"
POOLS = SERVICE + "/connection_pool"
MAIN = {"pool": aiven_connection_pool.main, "info": aiven_connection_pool_info.main}
# A read back that does not show a write is read again once per delay of the read-lag backoff.
RE_READS = len(_read_lag.READ_LAG_DELAYS)


@pytest.fixture(autouse=True)
def no_read_lag_waits(monkeypatch) -> None:
    """The read-lag backoff's reads, without its waits (up to 30 s a run)."""
    monkeypatch.setattr(_read_lag, "READ_LAG_DELAYS", (0.0,) * RE_READS)


def arguments(url: str, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"api_url": url, "api_token": TOKEN, "project": "proj", "service_name": "pg", "api_retries": 0, "timeout": 5}
    args.update(overrides)
    return args


def document(*pools: Any) -> tuple[int, dict, dict]:
    """A scripted reply to GET service listing ``pools`` as given."""
    return (200, {}, {"service": {"service_name": "pg", "state": "RUNNING", "connection_pools": list(pools)}})


def entry(name: Any, **settings: Any) -> dict[str, Any]:
    return dict({"pool_name": name, "database": "appdb", "pool_mode": "transaction", "pool_size": 10}, **settings)


def run(fake_api: Any, capsys: Any, module: str = "pool", **args: Any) -> dict[str, Any]:
    result = run_module(MAIN[module], arguments(fake_api.url, **args), capsys)
    assert "exception" not in result and "Traceback" not in json.dumps(result)
    assert TOKEN not in json.dumps(result)
    return result


MODULE_ARGS = {
    "pool": {"pools": [{"pool_name": "new", "database_name": "appdb"}], "purge": True},
    "info": {},
}


@pytest.mark.parametrize("module", ["pool", "info"])
@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        pytest.param((200, {}, {"service": {"state": "RUNNING", "connection_pools": "a,b"}}), "connection_pools must be a list, got 'a,b'",
                     id="connection_pools-string"),
        pytest.param(document("a"), "connection_pools[0] must be an object, got 'a'", id="entry-string"),
        pytest.param(document(entry("a"), {"database": "appdb"}), "connection_pools[1] has no pool_name", id="pool_name-missing"),
        pytest.param(document(entry(None)), "connection_pools[0]: pool_name must be a non-empty string, got None", id="pool_name-null"),
        pytest.param(document(entry(["a"])), "connection_pools[0]: pool_name must be a non-empty string, got ['a']", id="pool_name-list"),
        pytest.param(document(entry("a"), entry("a", pool_size=5)), "pool 'a' is listed twice in connection_pools", id="listed-twice"),
    ],
)
def test_malformed_service_document_fails_cleanly(fake_api, capsys, module, reply, problem) -> None:
    fake_api.script("GET", SERVICE, reply)
    result = run(fake_api, capsys, module, **MODULE_ARGS[module])
    assert result["failed"] is True and not result.get("changed")
    assert result["msg"] == f"unexpected reply for service proj/pg: {problem}"
    assert fake_api.calls() == ["GET " + SERVICE]  # with purge too: never DELETE .../connection_pool/None


def test_failed_read_back_fails_with_changed_and_the_applied_writes(fake_api, capsys) -> None:
    fake_api.add_pool("proj", "pg", "old")
    fake_api.script("GET", SERVICE, document(entry("old")), error_reply(502, "Bad Gateway"))
    result = run(fake_api, capsys, pools=[{"pool_name": "a", "database_name": "appdb"}, {"pool_name": "old", "state": "absent"}], concurrency=1)
    assert fake_api.calls() == ["GET " + SERVICE, "POST " + POOLS, "DELETE " + POOLS + "/old", "GET " + SERVICE]
    assert result["failed"] is True and result["changed"] is True
    assert result["applied"] == [{"project": "proj", "service_name": "pg", "pool_name": "a", "action": "create"},
                                 {"project": "proj", "service_name": "pg", "pool_name": "old", "action": "delete"}]
    assert "were applied" in result["msg"] and "reading the service back failed" in result["msg"] and "HTTP 502: Bad Gateway" in result["msg"]
    assert result["failure"]["status"] == 502


def test_purge_leaves_a_pool_that_appeared_during_the_run_and_warns(fake_api, capsys) -> None:
    fake_api.add_pool("proj", "pg", "old")
    fake_api.add_pool("proj", "pg", "keep")
    # The read back shows a pool another writer created after the first read.
    fake_api.script("GET", SERVICE, document(entry("keep"), entry("old")), document(entry("keep"), entry("a"), entry("late")))
    result = run(fake_api, capsys, pools=[{"pool_name": "keep"}, {"pool_name": "a", "database_name": "appdb"}], purge=True)
    assert result.get("failed") is not True, result.get("msg")
    assert "DELETE " + POOLS + "/late" not in fake_api.calls()
    assert [(change["action"], change["pool_name"]) for change in result["changes"]] == [("create", "a"), ("delete", "old")]
    assert any("late" in warning and "next run" in warning for warning in warnings_of(result))


def test_a_field_the_api_does_not_take_is_reported_once(fake_api, capsys) -> None:
    fake_api.add_pool("proj", "pg", "x")
    fake_api.ignored_fields.add("pool_size")
    result = run(fake_api, capsys, pool_name="x", pool_size=30)
    assert fake_api.calls() == ["GET " + SERVICE, "PUT " + POOLS + "/x"] + ["GET " + SERVICE] * (1 + RE_READS)
    assert result["failed"] is True and result["changed"] is True
    assert "pool 'x'" in result["msg"] and "pool_size is 10, not 30" in result["msg"] and "another writer" not in result["msg"]
    assert result["applied"] == [{"project": "proj", "service_name": "pg", "pool_name": "x", "action": "update", "fields": ["pool_size"]}]
    assert [item["pool_name"] for item in result["failed_changes"]] == ["x"]


def test_update_404_about_the_database_keeps_aivens_answer(fake_api, capsys) -> None:
    fake_api.add_pool("proj", "pg", "x")
    fake_api.script("PUT", POOLS + "/x", error_reply(404, "Database nodb does not exist"))
    result = run(fake_api, capsys, pool_name="x", database_name="nodb")
    # The 404 is another writer's only if a read shows the pool gone: read again for lag first.
    assert fake_api.calls() == ["GET " + SERVICE, "PUT " + POOLS + "/x"] + ["GET " + SERVICE] * (1 + RE_READS)
    assert result["failed"] is True and result["changed"] is False
    assert "cannot update pool 'x' on proj/pg" in result["msg"] and "HTTP 404: Database nodb does not exist" in result["msg"]
    assert result["failure"]["status"] == 404 and result["failure"]["message"] == "Database nodb does not exist"


def read_pool_x_with_secrets(fake_api: Any, capsys: Any, module: str, secrets: str) -> dict[str, Any]:
    """Pool x of proj/pg (pinned: its URI carries its user's password) read by ``module`` with include_secrets, the fake's ``secrets`` set so."""
    fake_api.add_pool("proj", "pg", "x", username="app")
    fake_api.secrets = secrets
    args = {"pool_name": "x"} if module == "pool" else {}
    return run(fake_api, capsys, module, include_secrets=True, **args)


@pytest.mark.parametrize("module", ["pool", "info"])
def test_token_that_may_not_read_secrets_gets_the_pools_and_a_warning(fake_api, capsys, module) -> None:
    result = read_pool_x_with_secrets(fake_api, capsys, module, "forbidden")
    assert result.get("failed") is not True, result.get("msg")
    assert [item.path for item in fake_api.requests] == [READ, SERVICE]
    assert [pool["pool_name"] for pool in result["connection_pools"]] == ["x"]
    assert result["connection_pools"][0]["host"] == "pg.example.com"
    assert len(warnings_of(result)) == 1 and "may not read secrets" in warnings_of(result)[0]


@pytest.mark.parametrize("module", ["pool", "info"])
def test_redacted_password_despite_include_secrets_is_warned_about(fake_api, capsys, module) -> None:
    result = read_pool_x_with_secrets(fake_api, capsys, module, "redacted")
    assert REDACTED in result["connection_pools"][0]["connection_uri"]
    (warning,) = warnings_of(result)
    assert REDACTED in warning and "pool(s) x of proj/pg" in warning


def test_readable_secrets_give_no_warning(fake_api, capsys) -> None:
    # Pinned: an unpinned pool has no password of its own to give.
    fake_api.add_pool("proj", "pg", "x", username="app")
    result = run(fake_api, capsys, "info", include_secrets=True)
    assert f":{PASSWORD}@" in result["connection_pools"][0]["connection_uri"]
    assert result["connection_pools"][0]["password"] == PASSWORD
    assert warnings_of(result) == []
