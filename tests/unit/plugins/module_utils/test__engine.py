# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PoolEngine (module_utils/_engine.py): read, check, plan, write, read back, against a fake client (no network);
under other writers and a lagging API: write order, the emptiness guard, 404 deletes, re-created pools, read lag."""

from __future__ import annotations

import threading
import time

import pytest

from aiven_emulator import rules
from aiven_emulator.model import Pool
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import PoolEngine, ServiceDeclaration, SyncError
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_DELAYS, READ_LAG_TOTAL
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import ReadError, ServiceReader
from ansible_collections.dbpools.aiven.plugins.module_utils._reading import pools_of as document_pools
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import ENDPOINT, PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.engine_fakes import RE_READS, FakeClient, OneService, actions, pool, pools_of, sync, want

# --- read, check, plan, write, read back ----------------------------------------------------------


def test_converged_is_one_read_and_no_write():
    client = FakeClient([pool("a", pool_size=20)])
    result = sync(client).run([want("a", database_name="appdb", pool_size=20)])
    assert client.methods() == ["GET"]
    assert not result.changed and result.changes == []
    assert result.diff == []


def test_creating_k_pools_is_get_k_posts_get():
    client = FakeClient()
    desired = [want(f"p{i}", database_name="appdb") for i in range(5)]
    result = sync(client, concurrency=3).run(desired)
    assert client.methods().count("POST") == 5
    assert client.methods()[0] == "GET" and client.methods()[-1] == "GET" and len(client.calls) == 7
    assert result.changed and sorted(c["pool_name"] for c in result.changes) == [f"p{i}" for i in range(5)]
    assert all(p["host"] == ENDPOINT.host for p in pools_of(result))
    assert client.max_in_flight <= 3


def test_check_mode_makes_no_write_and_predicts():
    client = FakeClient([pool("old")])
    result = sync(client).run([want("new", database_name="appdb", pool_size=7)], purge=True, check_mode=True)
    assert client.methods() == ["GET"]
    assert actions(result.changes) == [("create", "new"), ("delete", "old")]
    assert [(p["pool_name"], p["pool_size"], p["connection_uri"]) for p in pools_of(result)] == [("new", 7, None)]


def test_delete_only_needs_no_read_back():
    client = FakeClient([pool("a"), pool("b")])
    result = sync(client).run([want("a", state="absent")])
    assert client.methods() == ["GET", "DELETE"]
    assert [p["pool_name"] for p in pools_of(result)] == ["b"]
    assert [(d["before_header"], d["after"]) for d in result.diff] == [("proj/svc/a", "")] and f"pool_size: {Pool.pool_size}" in result.diff[0]["before"]


def test_update_diff_has_before_and_after_without_secrets():
    client = FakeClient([pool("a", username="app")])
    result = sync(client).run([want("a", pool_size=30, username="")])
    assert client.methods() == ["GET", "PUT", "GET"]
    (entry,) = result.diff
    assert f"pool_size: {Pool.pool_size}\n" in entry["before"] and "username: app\n" in entry["before"]
    assert "pool_size: 30\n" in entry["after"] and "username: null\n" in entry["after"]
    assert PASSWORD not in repr(result.diff) and "connection_uri" not in repr(result.diff)
    assert [(c["action"], c["pool_name"], c["fields"]) for c in result.changes] == [("update", "a", ["pool_size", "username"])]
    assert result.changes[0]["before"]["username"] == "app" and result.changes[0]["after"]["username"] is None


def test_lost_reply_create_is_reconciled_and_reported_once():
    client = FakeClient()
    client.lost_reply.add("a")
    result = sync(client).run([want("a", database_name="appdb")])
    assert client.methods() == ["GET", "POST", "GET"]
    assert actions(result.changes) == [("create", "a")]
    assert [p["pool_name"] for p in pools_of(result)] == ["a"]


def test_pool_created_by_another_writer_is_adopted_and_corrected():
    client = FakeClient()
    client.before_write["a"] = lambda: client.store(pool("a", pool_size=3))
    result = sync(client).run([want("a", database_name="appdb", pool_size=8)])
    assert client.methods() == ["GET", "POST", "GET", "PUT", "GET"]
    assert pools_of(result)[0]["pool_size"] == 8
    assert [(c["action"], c["pool_name"], c["fields"]) for c in result.changes] == [("update", "a", ["pool_size"])]


def test_failure_reports_applied_failed_and_not_attempted():
    client = FakeClient()
    client.fail_on["p1"] = AivenApiError(403, "Service database username ghost does not exist", method="POST", path="/v1/x")
    desired = [want(f"p{i}", database_name="appdb") for i in range(4)]
    with pytest.raises(SyncError) as caught:
        sync(client, concurrency=1).run(desired)
    err = caught.value
    assert "cannot create pool 'p1' on proj/svc" in err.message and "HTTP 403" in err.message and "ghost" in err.message
    assert [a["pool_name"] for a in err.applied] == ["p0"]
    assert [f["pool_name"] for f in err.failed_changes] == ["p1"] and err.failed_changes[0]["status"] == 403
    assert [n["pool_name"] for n in err.not_attempted] == ["p2", "p3"]
    assert err.failure["status"] == 403
    assert "applied before the failure: create proj/svc/p0" in err.message
    assert "not attempted: create proj/svc/p2, create proj/svc/p3" in err.message
    assert err.applied == [{"project": "proj", "service_name": "svc", "pool_name": "p0", "action": "create"}]


def test_poweroff_fails_at_once_without_writes():
    client = FakeClient(state="POWEROFF")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")])
    assert "powered off" in caught.value.message
    assert client.methods() == ["GET"]


def test_poweroff_with_nothing_to_do_is_fine():
    client = FakeClient([pool("a")], state="POWEROFF")
    assert not sync(client).run([want("a")]).changed


def test_waits_for_running_then_writes():
    client = FakeClient(states=["REBUILDING", "REBUILDING", "RUNNING"])
    result = sync(client).run([want("a", database_name="appdb")], wait=True, wait_timeout=60)
    assert result.changed
    assert client.methods() == ["GET", "GET", "GET", "POST", "GET"]


def test_wait_gives_up_after_timeout():
    client = FakeClient(state="REBUILDING")
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    runner = OneService(client, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(SyncError) as caught:
        runner.run([want("a", database_name="appdb")], wait=True, wait_timeout=30)
    assert "still REBUILDING after waiting 30 s" in caught.value.message
    assert "POST" not in client.methods()
    assert now[0] == pytest.approx(30, abs=1.0)


def test_no_wait_writes_whatever_the_state():
    client = FakeClient(state="REBUILDING")
    assert sync(client).run([want("a", database_name="appdb")], wait=False).changed


def test_invalid_input_fails_before_any_request():
    client = FakeClient()
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb", pool_size=0)])
    assert "pool_size" in caught.value.message
    assert client.calls == []


def test_missing_database_for_create_fails_before_writes():
    client = FakeClient()
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a")])
    assert "database_name" in caught.value.message
    assert client.methods() == ["GET"]


def test_read_failure_becomes_sync_error():
    client = FakeClient()
    client.remove_service("proj", "svc")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")])
    assert caught.value.failure["status"] == 404
    assert "cannot read service proj/svc" in caught.value.message


def test_diff_after_shows_the_pool_as_read_back():
    client = FakeClient()
    result = sync(client).run([want("a", database_name="appdb")])
    assert result.diff == [{"before_header": "proj/svc/a", "after_header": "proj/svc/a", "before": "",
                            "after": f"database_name: appdb\nusername: null\npool_mode: {Pool.pool_mode}\npool_size: {Pool.pool_size}\n"}]


def test_check_mode_on_a_powered_off_service_fails_like_the_real_run():
    client = FakeClient(state="POWEROFF")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")], check_mode=True)
    assert "powered off" in caught.value.message and client.methods() == ["GET"]


def test_purge_leaves_a_pool_another_writer_creates_during_the_run():
    desired = [want("a", database_name="appdb")]
    shown = sync(FakeClient([pool("old")])).run(desired, purge=True, check_mode=True)
    client = FakeClient([pool("old")])
    client.before_write["a"] = lambda: client.store(pool("late"))
    runner = sync(client, concurrency=1)
    result = runner.run(desired, purge=True)
    assert ("DELETE", "late") not in client.calls and "late" in client.pools
    assert result.changes == shown.changes and actions(result.changes) == [("create", "a"), ("delete", "old")]
    assert len(runner.warnings) == 1
    assert "late" in runner.warnings[0] and "proj/svc" in runner.warnings[0] and "next run" in runner.warnings[0]


def test_purge_leaves_a_pool_that_appears_while_waiting_for_the_service():
    client = FakeClient([pool("old"), pool("late")])
    client.documents = [{"state": "REBUILDING", "connection_pools": [pool("old")]}]
    runner = sync(client)
    result = runner.run([want("a", database_name="appdb")], purge=True, wait=True, wait_timeout=60)
    assert client.methods() == ["GET", "GET", "POST", "DELETE", "GET"]
    assert ("DELETE", "old") in client.calls and ("DELETE", "late") not in client.calls
    assert [c["pool_name"] for c in result.changes] == ["a", "old"]
    assert any("late" in warning for warning in runner.warnings)


def test_an_ordinary_run_has_no_warnings():
    client = FakeClient([pool("old")])
    runner = sync(client)
    runner.run([want("a", database_name="appdb")], purge=True)
    assert runner.warnings == []


MALFORMED = [
    pytest.param({"state": "RUNNING"}, "has no connection_pools", id="connection_pools-missing"),
    pytest.param({"state": "RUNNING", "connection_pools": None}, "connection_pools must be a list, got None", id="connection_pools-null"),
    pytest.param({"state": "RUNNING", "connection_pools": "a,b"}, "connection_pools must be a list, got 'a,b'", id="connection_pools-string"),
    pytest.param({"state": "RUNNING", "connection_pools": {"pool_name": "a"}}, "connection_pools must be a list, got {", id="connection_pools-object"),
    pytest.param({"state": "RUNNING", "connection_pools": ["a"]}, "connection_pools[0] must be an object, got 'a'", id="entry-string"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool("a"), None]}, "connection_pools[1] must be an object, got None", id="entry-null"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool("a"), {"database": "appdb"}]}, "connection_pools[1] has no pool_name",
                 id="pool_name-missing"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool(None)]}, "connection_pools[0]: pool_name must be a non-empty string, got None",
                 id="pool_name-null"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool(5)]}, "connection_pools[0]: pool_name must be a non-empty string, got 5",
                 id="pool_name-number"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool(["a"])]}, "connection_pools[0]: pool_name must be a non-empty string, got ['a']",
                 id="pool_name-list"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool("")]}, "connection_pools[0]: pool_name must be a non-empty string, got ''",
                 id="pool_name-empty"),
    pytest.param({"state": "RUNNING", "connection_pools": [pool("a"), pool("b"), pool("a", pool_size=20)]},
                 "pool 'a' is listed twice in connection_pools", id="pool-listed-twice"),
]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
@pytest.mark.parametrize(("document", "problem"), MALFORMED)
def test_malformed_service_document_is_a_clear_error_before_any_write(document, problem, check_mode):
    client = FakeClient()
    client.documents = [document]
    with pytest.raises(SyncError) as caught:
        # purge: a pool without a usable name must never become DELETE .../connection_pool/None
        sync(client).run([want("new", database_name="appdb")], purge=True, check_mode=check_mode)
    assert caught.value.message.startswith("unexpected reply for service proj/svc: ")
    assert problem in caught.value.message
    assert client.methods() == ["GET"]


@pytest.mark.parametrize(("document", "problem"), MALFORMED)
def test_malformed_service_document_fails_a_plain_read(document, problem):
    client = FakeClient()
    client.documents = [document]
    with pytest.raises(ReadError) as caught:
        document_pools("proj/svc", ServiceReader(client, include_secrets=True).service("proj", "svc"))
    assert problem in caught.value.message and "proj/svc" in caught.value.message


def test_failed_read_back_reports_the_writes_that_were_applied():
    client = FakeClient([pool("old")])
    bad_gateway = AivenApiError(502, "Bad Gateway", method="GET", path="/v1/project/proj/service/svc", attempts=7, gave_up=True)
    client.read_errors = [None, bad_gateway]
    with pytest.raises(SyncError) as caught:
        sync(client, concurrency=1).run([want("a", database_name="appdb"), want("old", state="absent")])
    err = caught.value
    assert client.methods() == ["GET", "POST", "DELETE", "GET"]
    assert [(a["action"], a["pool_name"]) for a in err.applied] == [("create", "a"), ("delete", "old")]
    assert "were applied" in err.message and "reading the service back failed" in err.message
    assert "HTTP 502: Bad Gateway (gave up after 7 attempts)" in err.message
    assert err.failure["status"] == 502 and err.failed_changes == []


def test_malformed_read_back_reports_the_writes_that_were_applied():
    client = FakeClient()
    client.documents = [{"state": "RUNNING", "connection_pools": []}, {"state": "RUNNING", "connection_pools": [pool(None)]}]
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")])
    assert [a["pool_name"] for a in caught.value.applied] == ["a"]
    assert "pool_name must be a non-empty string" in caught.value.message and "were applied" in caught.value.message


def test_update_the_api_does_not_take_is_reported_not_repeated():
    client = FakeClient([pool("a")])
    client.ignored_fields.add("pool_size")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", pool_size=30, pool_mode="session")])
    err = caught.value
    assert client.methods() == ["GET", "PUT"] + ["GET"] * (1 + RE_READS)
    assert "pool 'a'" in err.message and f"pool_size is {Pool.pool_size}, not 30" in err.message and "pool_mode" not in err.message
    assert "another writer" not in err.message
    assert err.applied == [{"project": "proj", "service_name": "svc", "pool_name": "a", "action": "update", "fields": ["pool_mode", "pool_size"]}]
    assert [f["pool_name"] for f in err.failed_changes] == ["a"] and "pool_size" in err.failed_changes[0]["message"]


def test_create_the_api_does_not_take_in_full_is_reported_not_repeated():
    client = FakeClient()
    client.ignored_fields.add("pool_size")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb", pool_size=30)])
    assert client.methods() == ["GET", "POST"] + ["GET"] * (1 + RE_READS)
    assert "pool 'a'" in caught.value.message and f"pool_size is {Pool.pool_size}, not 30" in caught.value.message
    assert [a["pool_name"] for a in caught.value.applied] == ["a"]


def test_update_404_on_a_pool_that_is_still_listed_fails_with_aivens_message():
    client = FakeClient([pool("a")])
    client.fail_on["a"] = AivenApiError(404, "Database nodb does not exist", method="PUT",
                                        path="/v1/project/proj/service/svc/connection_pool/a")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="nodb")])
    err = caught.value
    assert client.methods() == ["GET", "PUT"] + ["GET"] * (1 + RE_READS)
    assert "cannot update pool 'a' on proj/svc" in err.message and "HTTP 404: Database nodb does not exist" in err.message
    assert "another writer" not in err.message
    assert err.failure["status"] == 404 and err.failure["message"] == "Database nodb does not exist"
    assert err.failed_changes == [{"project": "proj", "service_name": "svc", "pool_name": "a", "action": "update", "fields": ["database_name"], "status": 404,
                                   "message": "Database nodb does not exist"}]


def test_update_404_for_a_missing_service_fails_at_once_with_aivens_message():
    client = FakeClient([pool("a")])
    client.before_write["a"] = lambda: client.remove_service("proj", "svc")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", pool_size=30)])
    # No read back: the service's own 404 is the answer, not a pool another writer removed.
    assert client.methods() == ["GET", "PUT"]
    assert "cannot update pool 'a' on proj/svc" in caught.value.message
    assert caught.value.failure["status"] == 404 and caught.value.failure["message"] == rules.service_missing("svc").message


def test_update_of_a_pool_that_vanished_recreates_it():
    client = FakeClient([pool("a")])
    client.before_write["a"] = lambda: client.pools.pop("a")
    result = sync(client).run([want("a", database_name="appdb", pool_size=30)])
    assert client.methods() == ["GET", "PUT", "GET", "POST", "GET"]
    assert actions(result.changes) == [("create", "a")]
    assert client.pools["a"].pool_size == 30


def test_create_409_for_a_pool_that_is_not_listed_fails_with_aivens_message():
    client = FakeClient()
    client.fail_on["a"] = AivenApiError(409, "Connection pool a already exists", method="POST", path="/v1/x")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")])
    # Read lag could hide the other writer's pool: read again before the 409 stands.
    assert client.methods() == ["GET", "POST"] + ["GET"] * (1 + RE_READS)
    assert "cannot create pool 'a' on proj/svc" in caught.value.message and "HTTP 409" in caught.value.message
    assert caught.value.failure["status"] == 409


def test_without_include_secrets_reads_ask_for_no_secret_and_give_no_warning():
    client = FakeClient([pool("a")])
    client.secrets = "forbidden"
    runner = sync(client)
    runner.run([want("a", pool_size=30)])
    assert client.secret_reads == [False, False] and runner.warnings == []


def test_token_that_may_not_read_secrets_falls_back_and_warns():
    client = FakeClient([pool("a")])
    client.secrets = "forbidden"
    runner = sync(client, include_secrets=True)
    result = runner.run([want("a"), want("b", database_name="appdb")])
    # asked once; the read back goes without secrets at once
    assert client.secret_reads == [True, False, False]
    assert [p["pool_name"] for p in pools_of(result)] == ["a", "b"] and pools_of(result)[0]["host"] == ENDPOINT.host
    assert len(runner.warnings) == 1
    assert "may not read secrets" in runner.warnings[0] and "HTTP 403" in runner.warnings[0] and "proj/svc" in runner.warnings[0]


def test_uri_with_a_redacted_password_despite_include_secrets_is_not_returned_silently():
    client = FakeClient([pool("a"), pool("b")])
    client.secrets = "redacted"
    runner = sync(client, include_secrets=True)
    runner.run([want("a")])
    assert client.secret_reads == [True]
    assert len(runner.warnings) == 1
    assert "<redacted>" in runner.warnings[0] and "a, b" in runner.warnings[0]


def test_a_reader_refused_secrets_reads_without_and_warns():
    client = FakeClient([pool("a"), pool("b")])
    client.secrets = "forbidden"
    reader = ServiceReader(client, include_secrets=True)
    pools = document_pools("proj/svc", reader.service("proj", "svc"))
    assert [p["pool_name"] for p in pools] == ["a", "b"]
    assert client.secret_reads == [True, False]
    assert len(reader.warnings) == 1 and "may not read secrets" in reader.warnings[0]


def test_a_token_refused_without_secrets_too_fails_with_that_answer():
    client = FakeClient([pool("a")])
    client.read_errors = [AivenApiError(403, "Permission denied: service:secrets:read", method="GET", path="/v1/s"),
                          AivenApiError(403, "Not a project member", method="GET", path="/v1/s")]
    with pytest.raises(ReadError) as caught:
        ServiceReader(client, include_secrets=True).service("proj", "svc")
    assert "Not a project member" in caught.value.message and caught.value.failure["status"] == 403


FIELDS = {"plan": "startup-4", "databases": ["appdb"], "users": [{"username": "avnadmin"}, {"username": "app"}]}


def declare(service, *pools, project="proj", **options):
    return ServiceDeclaration(project, service, list(pools), **options)


def engine(client, **kwargs):
    kwargs.setdefault("sleep", lambda s: None)
    return PoolEngine(client, **kwargs)


def two_services():
    client = FakeClient([pool("a")])
    client.add_service("proj", "svc2", [pool("b")], **FIELDS)
    return client


def test_two_services_of_one_project_are_read_with_one_list_request():
    client = two_services()
    result = engine(client).run([declare("svc", want("a")), declare("svc2", want("b"))])
    assert client.requests == [("LIST", "proj", None, None)]
    assert not result.changed and [[p["pool_name"] for p in s.pools] for s in result.services] == [["a"], ["b"]]


def test_one_read_per_project_list_for_two_services_get_for_one():
    client = two_services()
    client.add_service("other", "pg", [pool("c")], **FIELDS)
    engine(client).run([declare("svc", want("a")), declare("pg", want("c"), project="other"), declare("svc2", want("b"))])
    assert sorted(client.requests, key=str) == sorted([("LIST", "proj", None, None), ("GET", "other", "pg", None)], key=str)


def test_read_back_is_one_list_request_when_two_services_of_the_project_changed():
    client = two_services()
    result = engine(client).run([declare("svc", want("a", pool_size=5)), declare("svc2", want("b", pool_size=6))])
    reads = [request for request in client.requests if request[0] in ("GET", "LIST")]
    assert reads == [("LIST", "proj", None, None), ("LIST", "proj", None, None)]
    assert [(c["service_name"], c["pool_name"]) for c in result.changes] == [("svc", "a"), ("svc2", "b")]


def test_only_the_services_that_changed_are_read_back():
    client = two_services()
    engine(client).run([declare("svc", want("a", pool_size=5)), declare("svc2", want("b"))])
    reads = [request for request in client.requests if request[0] in ("GET", "LIST")]
    assert reads == [("LIST", "proj", None, None), ("GET", "proj", "svc", None)]


def test_a_service_the_project_does_not_list_is_a_problem_naming_the_services_it_has():
    client = two_services()
    with pytest.raises(SyncError) as caught:
        engine(client).run([declare("svc", want("n", database_name="appdb")), declare("nope", want("x", database_name="appdb"))])
    assert "proj/nope: service does not exist in project proj (services: svc, svc2)" in caught.value.message
    assert client.methods() == ["LIST"]


def test_a_service_declared_twice_is_refused_before_any_request():
    client = two_services()
    with pytest.raises(SyncError) as caught:
        engine(client).run([declare("svc", want("a")), declare("svc", want("b"))])
    assert "proj/svc: declared more than once (services[0] and services[1])" in caught.value.message
    assert client.calls == []


def test_rule_problems_of_every_service_are_reported_at_once_before_any_request():
    client = two_services()
    with pytest.raises(SyncError) as caught:
        engine(client).run([declare("svc", want("a", pool_size=0)), declare("svc2", want("b", pool_mode="fast"), want("b"))])
    problems = caught.value.failure["problems"]
    assert problems == ["proj/svc/a: pool_size must be an integer from 1 to 10000, got 0",
                        "proj/svc2/b: pool_mode must be one of session, transaction, statement, got 'fast'",
                        "proj/svc2/b is listed more than once; each pool_name may appear only once"]
    assert caught.value.message == "3 problem(s) in the declaration, nothing was changed: " + "; ".join(problems)
    assert client.calls == []


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_every_problem_against_the_services_is_reported_at_once_with_no_write(check_mode):
    client = FakeClient()
    client.add_service("proj", "svc", [pool("a")], **FIELDS)
    client.add_service("proj", "off", [], state="POWEROFF", plan="startup-4", databases=[], users=[])
    client.add_service("proj", "tiny", [], plan="hobbyist", databases=["appdb"], users=[])
    declared = [
        declare("svc", want("a", database_name="nodb"), want("n", database_name="appdb", username="ghost")),
        declare("off", want("p", database_name="appdb")),
        declare("tiny", want("q", database_name="appdb")),
    ]
    with pytest.raises(SyncError) as caught:
        engine(client).run(declared, check_mode=check_mode)
    assert caught.value.failure["problems"] == [
        "proj/svc/a: database_name 'nodb' does not exist on the service (databases: appdb)",
        "proj/svc/n: username 'ghost' is not a user of the service (users: avnadmin, app)",
        "proj/off: the service is powered off (state POWEROFF); power it on before changing its pools",
        "proj/tiny: plan hobbyist does not include connection pooling (needs startup or larger)",
    ]
    assert caught.value.message.startswith("4 problem(s) in the declaration, nothing was changed: ")
    assert client.methods() == ["LIST"]


def test_powered_off_service_listing_no_databases_is_reported_as_powered_off():
    client = FakeClient()
    client.add_service("proj", "svc", state="POWEROFF", databases=[], users=[])
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")])
    assert caught.value.failure["problems"] == [
        "proj/svc: the service is powered off (state POWEROFF); power it on before changing its pools"]
    assert "database_name" not in caught.value.message


def test_powered_off_service_with_a_create_without_database_name_is_reported_as_powered_off():
    client = FakeClient(state="POWEROFF")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a")])
    assert caught.value.failure["problems"] == [
        "proj/svc: the service is powered off (state POWEROFF); power it on before changing its pools"]


def test_every_create_without_database_name_is_reported():
    client = FakeClient()
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a"), want("b")])
    assert caught.value.failure["problems"] == ["proj/svc/a: pool does not exist and database_name is required to create it",
                                                "proj/svc/b: pool does not exist and database_name is required to create it"]
    assert client.methods() == ["GET"]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_purge_that_would_empty_a_service_fails_before_any_write(check_mode):
    client = FakeClient([pool("a"), pool("b")])
    with pytest.raises(SyncError) as caught:
        sync(client).run([], purge=True, check_mode=check_mode)
    assert caught.value.failure["problems"] == [
        "proj/svc: purge would delete every pool (a, b): set allow_empty: true if the service should have no pools"]
    assert client.methods() == ["GET"]


def test_allow_empty_lets_a_purge_delete_every_pool():
    client = FakeClient([pool("a"), pool("b")])
    result = sync(client).run([], purge=True, allow_empty=True)
    assert actions(result.changes) == [("delete", "a"), ("delete", "b")] and client.pools == {}


def test_one_concurrency_bound_across_services():
    client = FakeClient()
    for name in ("s1", "s2", "s3"):
        client.add_service("proj", name, [])
    declared = [declare(name, *[want(f"{name}-{i}", database_name="appdb") for i in range(6)]) for name in ("s1", "s2", "s3")]
    result = engine(client, concurrency=4).run(declared)
    assert client.methods().count("POST") == 18 and len(result.changes) == 18
    assert 1 <= client.max_in_flight <= 4


def test_a_failed_write_stops_the_writes_of_every_service():
    client = two_services()
    client.fail_on["a"] = AivenApiError(403, "no", method="PUT", path="/v1/x")
    with pytest.raises(SyncError) as caught:
        engine(client, concurrency=1).run([declare("svc", want("a", pool_size=5)), declare("svc2", want("b", pool_size=6))])
    err = caught.value
    assert [(f["service_name"], f["pool_name"]) for f in err.failed_changes] == [("svc", "a")]
    assert [(n["project"], n["service_name"], n["pool_name"]) for n in err.not_attempted] == [("proj", "svc2", "b")]
    assert ("PUT", "b") not in client.calls


def test_services_results_keep_the_declared_order_and_the_diff_names_each_pool():
    client = two_services()
    result = engine(client).run([declare("svc2", want("b", pool_size=6)), declare("svc", want("new", database_name="appdb"))],
                                check_mode=True)
    assert [s.declaration.service_name for s in result.services] == ["svc2", "svc"]
    assert [entry["before_header"] for entry in result.diff] == ["proj/svc2/b", "proj/svc/new"]
    assert result.changes[0] == {"project": "proj", "service_name": "svc2", "pool_name": "b", "action": "update", "fields": ["pool_size"],
                                 "before": {"database_name": "appdb", "username": None, "pool_mode": Pool.pool_mode, "pool_size": Pool.pool_size},
                                 "after": {"database_name": "appdb", "username": None, "pool_mode": Pool.pool_mode, "pool_size": 6}}
    assert client.methods() == ["LIST"]


def test_include_secrets_reads_each_service_never_the_list_and_falls_back_once_per_project():
    client = two_services()
    client.secrets = "forbidden"
    runner = engine(client, include_secrets=True)
    runner.run([declare("svc", want("a", pool_size=5)), declare("svc2", want("b", pool_size=6))])
    reads = [request[:3] for request in client.requests if request[0] in ("GET", "LIST")]
    # The project's list would carry the secrets of services not declared; read and read back, one service at a time.
    assert reads == [("GET", "proj", "svc")] * 2 + [("GET", "proj", "svc2"), ("GET", "proj", "svc"), ("GET", "proj", "svc2")]
    assert client.secret_reads == [True, False, False, False, False]
    assert len(runner.warnings) == 1 and "service proj/svc" in runner.warnings[0]


def test_include_secrets_names_the_projects_services_when_one_declared_does_not_exist():
    client = two_services()
    with pytest.raises(SyncError, match=r"proj/nope: service does not exist in project proj \(services: svc, svc2\)"):
        engine(client, include_secrets=True).run([declare("svc", want("a", pool_size=5)), declare("nope", want("b"))])
    reads = [request[:3] for request in client.requests if request[0] in ("GET", "LIST")]
    assert reads == [("GET", "proj", "svc"), ("GET", "proj", "nope"), ("LIST", "proj", None)]
    assert client.secret_reads == [True, True, False]


# --- other writers and a lagging API --------------------------------------------------------------


REFUSED = AivenApiError(400, "Invalid pool_name", method="POST", path="/v1/project/proj/service/svc/connection_pool")


class Sleeps:
    """The engine's sleep: records each wait instead of waiting."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def test_a_service_deletes_only_after_its_creates_and_updates():
    client = FakeClient([pool("old"), pool("keep")])
    seen_by_delete = []
    client.before_write["old"] = lambda: seen_by_delete.append(("new" in client.pools, client.pools["keep"].pool_size))
    client.before_write["new"] = lambda: threading.Event().wait(0.05)  # a slow create: a delete started beside it would not see it
    result = sync(client, concurrency=8).run([want("keep", pool_size=5), want("new", database_name="appdb")], purge=True)
    assert seen_by_delete == [(True, 5)], "the create and the update were made before the delete started"
    assert actions(result.changes) == [("update", "keep"), ("create", "new"), ("delete", "old")]


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize("kept", [[], ["keep"]], ids=["only-new-pools-kept", "a-pool-kept"])
def test_a_refused_create_leaves_the_purge_deletes_not_attempted(concurrency, kept):
    client = FakeClient([pool(name) for name in kept + ["old-1", "old-2"]])
    client.fail_on["new"] = REFUSED
    with pytest.raises(SyncError) as caught:
        sync(client, concurrency=concurrency).run([want(name) for name in kept] + [want("new", database_name="appdb")], purge=True)
    err = caught.value
    assert sorted(client.pools) == kept + ["old-1", "old-2"], "the service keeps its pools"
    assert "DELETE" not in client.methods()
    assert actions(err.not_attempted) == [("delete", "old-1"), ("delete", "old-2")]
    assert actions(err.failed_changes) == [("create", "new")] and err.failure["status"] == 400
    assert "not attempted: delete proj/svc/old-1, delete proj/svc/old-2" in err.message
    assert "deletes wait until all its creates and updates succeeded" in err.message


def test_a_refused_update_leaves_the_state_absent_delete_not_attempted():
    client = FakeClient([pool("keep"), pool("gone")])
    client.fail_on["keep"] = AivenApiError(403, "no", method="PUT", path="/v1/x")
    with pytest.raises(SyncError) as caught:
        sync(client, concurrency=4).run([want("keep", pool_size=5), want("gone", state="absent")])
    assert "gone" in client.pools and actions(caught.value.not_attempted) == [("delete", "gone")]


def test_the_deletes_of_one_service_do_not_wait_for_another_services_creates():
    client = FakeClient([pool("old")])
    client.add_service("proj", "slow", [])
    deleted = threading.Event()
    # slow's create is still in flight when svc's delete must already have been made.
    client.before_write["s-new"] = lambda: deleted.wait(5)
    client.before_write["old"] = deleted.set
    result = engine(client, concurrency=2).run([declare("slow", want("s-new", database_name="appdb")),
                                                declare("svc", want("a", database_name="appdb"), purge=True, allow_empty=True)])
    assert deleted.is_set() and "old" not in client.pools
    assert ("delete", "old") in actions(result.changes)


def test_a_purge_keeping_only_new_pools_deletes_after_the_read_back_shows_them():
    client = FakeClient([pool("old")])
    result = sync(client).run([want("new", database_name="appdb")], purge=True)
    assert client.methods() == ["GET", "POST", "GET", "DELETE"]
    assert sorted(client.pools) == ["new"] and actions(result.changes) == [("create", "new"), ("delete", "old")]
    assert [p["pool_name"] for p in pools_of(result)] == ["new"]


def test_a_create_accepted_but_not_made_leaves_the_purge_deletes_undone_naming_allow_empty():
    client = FakeClient([pool("old")])
    client.lagging_reads = 100  # the API answered the create but never shows the pool
    sleeps = Sleeps()
    with pytest.raises(SyncError) as caught:
        sync(client, sleep=sleeps).run([want("new", database_name="appdb")], purge=True)
    err = caught.value
    assert "DELETE" not in client.methods() and "old" in client.pools
    assert "proj/svc" in err.message and "allow_empty" in err.message and "deletes (old) were not made" in err.message
    assert actions(err.not_attempted) == [("delete", "old")] and actions(err.failed_changes) == [("create", "new")]
    assert sleeps.waits == list(READ_LAG_DELAYS) and sum(sleeps.waits) <= 30


def test_a_delete_answered_404_is_another_writers_not_this_runs():
    client = FakeClient([pool("keep"), pool("old")])
    client.before_write["old"] = lambda: client.pools.pop("old")
    runner = sync(client)
    result = runner.run([want("keep")], purge=True)
    assert ("DELETE", "old") in client.calls
    assert result.changes == [] and result.diff == [] and not result.changed
    assert result.changed_by_others == [{"project": "proj", "service_name": "svc", "pool_name": "old", "what": "deleted"}]
    assert len(runner.warnings) == 1 and "proj/svc/old" in runner.warnings[0] and "another writer" in runner.warnings[0]


def test_two_purges_of_the_same_pools_report_the_delete_once():
    client = FakeClient([pool("keep"), pool("old")])
    first, second = sync(client), sync(client)
    first_results = []
    # The second run has read the service; the first one deletes the pool before the second's delete arrives.
    client.before_write["old"] = lambda: first_results.append(first.run([want("keep")], purge=True))
    second_result = second.run([want("keep")], purge=True)
    (first_result,) = first_results
    assert actions(first_result.changes) == [("delete", "old")] and first_result.changed_by_others == []
    assert second_result.changes == [] and not second_result.changed
    assert [entry["what"] for entry in second_result.changed_by_others] == ["deleted"]
    assert client.methods().count("DELETE") == 2 and "old" not in client.pools


def test_a_pool_created_again_after_this_run_deleted_it_is_reported_not_failed():
    client = FakeClient([pool("old")])
    deleted_by_client = client.delete_pool

    def deleted_then_created_again(project, service, name):
        deleted = deleted_by_client(project, service, name)
        client.store(pool(name))  # another writer creates it again at once
        return deleted

    client.delete_pool = deleted_then_created_again
    sleeps = Sleeps()
    runner = sync(client, sleep=sleeps)
    result = runner.run([want("keep", database_name="appdb"), want("old", state="absent")])
    assert actions(result.changes) == [("create", "keep"), ("delete", "old")]
    assert result.changed_by_others == [{"project": "proj", "service_name": "svc", "pool_name": "old", "what": "re-created"}]
    assert client.methods().count("DELETE") == 1, "not deleted a second time"
    assert "old" in [p["pool_name"] for p in pools_of(result)]
    assert any("proj/svc/old" in warning and "created it" in warning for warning in runner.warnings)
    assert sleeps.waits == list(READ_LAG_DELAYS), "read again for lag before calling it another writer's"


@pytest.mark.parametrize("lagging", [1, 3])
def test_a_write_the_read_back_shows_late_is_taken_after_reading_again(lagging):
    client = FakeClient([pool("a")])
    client.lagging_reads = lagging
    sleeps = Sleeps()
    result = sync(client, sleep=sleeps).run([want("a", pool_size=30), want("b", database_name="appdb")])
    assert client.methods()[0] == "GET" and sorted(client.methods()[1:3]) == ["POST", "PUT"]
    assert client.methods()[3:] == ["GET"] * (1 + lagging)
    assert sleeps.waits == list(READ_LAG_DELAYS[:lagging])
    assert {p["pool_name"]: p["pool_size"] for p in pools_of(result)}["a"] == 30
    assert actions(result.changes) == [("update", "a"), ("create", "b")] and result.changed_by_others == []


def test_a_write_the_read_back_never_shows_fails_after_the_bounded_backoff():
    client = FakeClient()
    client.lagging_reads = 1 + RE_READS
    sleeps = Sleeps()
    with pytest.raises(SyncError) as caught:
        sync(client, sleep=sleeps).run([want("b", database_name="appdb")])
    assert sleeps.waits == [1.0, 2.0, 4.0, 8.0, 15.0] and sum(sleeps.waits) == READ_LAG_TOTAL == 30
    assert client.methods() == ["GET", "POST"] + ["GET"] * (1 + RE_READS)
    assert "does not show after 30 s of reading again" in caught.value.message and "'b'" in caught.value.message


def test_read_lag_on_two_services_of_a_project_is_one_read_each_time():
    client = FakeClient()
    client.add_service("proj", "svc2", [])
    client.lagging_reads = 2
    sleeps = Sleeps()
    engine(client, sleep=sleeps).run([declare("svc", want("a", database_name="appdb")), declare("svc2", want("b", database_name="appdb"))])
    assert [request[0] for request in client.requests if request[0] in ("GET", "LIST")] == ["LIST"] * 4
    assert sleeps.waits == [1.0, 2.0]


class OverlappingReads(FakeClient):
    """Counts the reads under way at once; each takes a while, as on the network."""

    def __init__(self):
        super().__init__([pool("a")])
        self.reading = 0
        self.most_reading = 0

    def get_service(self, project, service, include_secrets=False):
        with self.lock:
            self.reading += 1
            self.most_reading = max(self.most_reading, self.reading)
        time.sleep(0.05)
        try:
            return super().get_service(project, service, include_secrets)
        finally:
            with self.lock:
                self.reading -= 1


def test_the_projects_are_read_at_once_and_their_problems_come_in_declared_order():
    client = OverlappingReads()
    for project in ("p1", "p2", "p3"):
        client.add_service(project, "svc", [pool("a")], **FIELDS)
    declared = [declare("svc", want("a"), project=project) for project in ("p3", "p1", "p2")]
    result = engine(client, concurrency=8).run(declared)
    assert client.most_reading == 3 and not result.changed
    assert sorted(request[:3] for request in client.requests) == [("GET", project, "svc") for project in ("p1", "p2", "p3")]
    # Two projects whose service is gone: the failure is the first declared, whichever answered first.
    for _attempt in range(3):
        with pytest.raises(SyncError, match=r"^cannot read service p3/svc: GET /v1/project/p3/service/svc: HTTP 404"):
            engine(OverlappingReads(), concurrency=8).run([declare("svc", want("a"), project="p3"), declare("svc", want("a"), project="p1")])


def test_with_concurrency_one_the_projects_are_read_one_by_one():
    client = OverlappingReads()
    for project in ("p1", "p2"):
        client.add_service(project, "svc", [pool("a")], **FIELDS)
    engine(client, concurrency=1).run([declare("svc", want("a"), project=project) for project in ("p1", "p2")])
    assert client.most_reading == 1
    assert [request[1] for request in client.requests] == ["p1", "p2"]
