"""PoolSync: read, plan, write, read back — against a fake client, no network."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._executor import PoolSync, SyncError

SECRET = "s3cret-password"


class FakeClient:
    """Behaves like AivenClient against one service; records every call."""

    def __init__(self, pools=None, state="RUNNING", states=None):
        self.pools = {p["pool_name"]: dict(p) for p in (pools or [])}
        self.state = state
        self.states = list(states or [])  # successive states returned by reads
        self.calls = []
        self.fail_on = {}       # pool_name -> AivenApiError raised by its write
        self.lost_reply = set()  # pool names whose create "already exists" after a lost reply
        self.sneak_in = {}      # pool_name -> pool another writer creates just before our create
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def _uri(self, pool):
        user = pool.get("username") or "avnadmin"
        return f"postgres://{user}:{SECRET}@pg.example:12692/{pool['pool_name']}?sslmode=require"

    def get_service(self, project, service, include_secrets=False):
        self.calls.append(("GET", None))
        if self.states:
            self.state = self.states.pop(0)
        pools = [dict(p, connection_uri=self._uri(p)) for p in self.pools.values()]
        return {"state": self.state, "connection_pools": pools}

    def _enter(self, method, name):
        with self.lock:
            self.calls.append((method, name))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(0.01)
        with self.lock:
            self.in_flight -= 1
        if name in self.fail_on:
            raise self.fail_on[name]

    def create_pool(self, project, service, body):
        name = body["pool_name"]
        self._enter("POST", name)
        if name in self.sneak_in:
            self.pools[name] = self.sneak_in.pop(name)
        if name in self.pools:
            if name in self.lost_reply:
                return False
            raise AivenApiError(409, f"Connection pool {name} already exists", method="POST", path="/v1/x")
        pool = {"pool_name": name, "database": body["database"], "pool_mode": body.get("pool_mode", "transaction"),
                "pool_size": body.get("pool_size", 10)}
        if body.get("username"):
            pool["username"] = body["username"]
        self.pools[name] = pool
        if name in self.lost_reply:
            return False
        return True

    def update_pool(self, project, service, name, body):
        self._enter("PUT", name)
        if name not in self.pools:
            raise AivenApiError(404, f"Connection pool {name} does not exist", method="PUT", path="/v1/x")
        for key, value in body.items():
            if key == "username" and value is None:
                self.pools[name].pop("username", None)
            else:
                self.pools[name][key] = value

    def delete_pool(self, project, service, name):
        self._enter("DELETE", name)
        return self.pools.pop(name, None) is not None

    def methods(self):
        return [call[0] for call in self.calls]


def sync(client, **kwargs):
    return PoolSync(client, "proj", "svc", sleep=lambda s: None, **kwargs)


def pool(name, database="appdb", **extra):
    return dict({"pool_name": name, "database": database, "pool_mode": "transaction", "pool_size": 10}, **extra)


def want(name, **extra):
    return dict({"pool_name": name, "state": "present"}, **extra)


def test_converged_is_one_read_and_no_write():
    client = FakeClient([pool("a", pool_size=20)])
    result = sync(client).run([want("a", database_name="appdb", pool_size=20)])
    assert client.methods() == ["GET"]
    assert not result.changed and result.changes == []
    assert result.diff == {"before": {}, "after": {}}


def test_creating_k_pools_is_get_k_posts_get():
    client = FakeClient()
    desired = [want(f"p{i}", database_name="appdb") for i in range(5)]
    result = sync(client, concurrency=3).run(desired)
    assert client.methods().count("POST") == 5
    assert client.methods()[0] == "GET" and client.methods()[-1] == "GET" and len(client.calls) == 7
    assert result.changed and sorted(c["pool_name"] for c in result.changes) == [f"p{i}" for i in range(5)]
    assert all(p["connection_uri"] for p in result.pools)
    assert client.max_in_flight <= 3


def test_check_mode_makes_no_write_and_predicts():
    client = FakeClient([pool("old")])
    result = sync(client).run([want("new", database_name="appdb", pool_size=7)], purge=True, check_mode=True)
    assert client.methods() == ["GET"]
    assert [(c["action"], c["pool_name"]) for c in result.changes] == [("create", "new"), ("delete", "old")]
    assert [(p["pool_name"], p["pool_size"], p["connection_uri"]) for p in result.pools] == [("new", 7, None)]


def test_delete_only_needs_no_read_back():
    client = FakeClient([pool("a"), pool("b")])
    result = sync(client).run([want("a", state="absent")])
    assert client.methods() == ["GET", "DELETE"]
    assert [p["pool_name"] for p in result.pools] == ["b"]
    assert result.diff["before"].keys() == {"a"} and result.diff["after"] == {}


def test_update_diff_has_before_and_after_without_secrets():
    client = FakeClient([pool("a", username="app")])
    result = sync(client).run([want("a", pool_size=30, username="")])
    assert client.methods() == ["GET", "PUT", "GET"]
    assert result.diff["before"]["a"]["pool_size"] == 10 and result.diff["before"]["a"]["username"] == "app"
    assert result.diff["after"]["a"]["pool_size"] == 30 and result.diff["after"]["a"]["username"] is None
    assert SECRET not in repr(result.diff) and "connection_uri" not in repr(result.diff)
    assert result.changes == [{"pool_name": "a", "action": "update", "fields": ["pool_size", "username"]}]


def test_lost_reply_create_is_reconciled_and_reported_once():
    client = FakeClient()
    client.lost_reply.add("a")
    result = sync(client).run([want("a", database_name="appdb")])
    assert client.methods() == ["GET", "POST", "GET"]
    assert result.changes == [{"pool_name": "a", "action": "create"}]
    assert [p["pool_name"] for p in result.pools] == ["a"]


def test_pool_created_by_another_writer_is_adopted_and_corrected():
    client = FakeClient()
    client.sneak_in["a"] = pool("a", pool_size=3)
    result = sync(client).run([want("a", database_name="appdb", pool_size=8)])
    assert client.methods() == ["GET", "POST", "GET", "PUT", "GET"]
    assert result.pools[0]["pool_size"] == 8
    assert result.changes == [{"pool_name": "a", "action": "update", "fields": ["pool_size"]}]


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
    assert "applied before the failure: create p0" in err.message and "not attempted: create p2, create p3" in err.message


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

    runner = PoolSync(client, "proj", "svc", sleep=sleep, clock=lambda: now[0])
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
    class Broken(FakeClient):
        def get_service(self, project, service, include_secrets=False):
            raise AivenApiError(404, "Service svc does not exist", method="GET", path="/v1/project/proj/service/svc")

    with pytest.raises(SyncError) as caught:
        sync(Broken()).run([want("a", database_name="appdb")])
    assert caught.value.failure["status"] == 404
    assert "cannot read service proj/svc" in caught.value.message


def test_diff_after_shows_the_pool_as_read_back():
    client = FakeClient()
    result = sync(client).run([want("a", database_name="appdb")])
    assert result.diff["before"] == {}
    assert result.diff["after"]["a"]["host"] == "pg.example" and result.diff["after"]["a"]["port"] == 12692
    assert "connection_uri" not in result.diff["after"]["a"]


def test_check_mode_on_a_powered_off_service_fails_like_the_real_run():
    client = FakeClient(state="POWEROFF")
    with pytest.raises(SyncError) as caught:
        sync(client).run([want("a", database_name="appdb")], check_mode=True)
    assert "powered off" in caught.value.message and client.methods() == ["GET"]
