"""PoolEngine under other writers and a lagging API: write order, the emptiness guard, 404 deletes, re-created pools, read lag."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.plugins.module_utils._engine import SyncError
from ansible_collections.dbpools.aiven.plugins.module_utils._read_lag import READ_LAG_DELAYS, READ_LAG_TOTAL
from ansible_collections.dbpools.aiven.plugins.module_utils._writes import ServiceWrites, apply_in_order
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.test_engine import (
    RE_READS,
    FakeClient,
    actions,
    declare,
    engine,
    pool,
    pools_of,
    sync,
    want,
)

REFUSED = AivenApiError(400, "Invalid pool_name", method="POST", path="/v1/project/proj/service/svc/connection_pool")


class Sleeps:
    """The engine's sleep: records each wait instead of waiting."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


# --- write order: a service's deletes after its creates and updates ------------------------------


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


def test_the_scheduler_keeps_the_bound_and_orders_each_service():
    lock = threading.Lock()
    log, in_flight, peak = [], [0], [0]

    class Item:
        def __init__(self, name):
            self.name, self.succeeded, self.failed = name, False, False

    def write(item):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        threading.Event().wait(0.005)
        with lock:
            in_flight[0] -= 1
            log.append(item.name)
        item.succeeded = True

    services = [ServiceWrites([Item(f"s{s}-c{i}") for i in range(4)], [Item(f"s{s}-d{i}") for i in range(3)]) for s in range(5)]
    apply_in_order(services, 3, write)
    assert peak[0] <= 3 and len(log) == 35
    for s in range(5):
        last_first = max(log.index(f"s{s}-c{i}") for i in range(4))
        assert all(log.index(f"s{s}-d{i}") > last_first for i in range(3))


# --- the emptiness guard holds for what happened -------------------------------------------------


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


# --- other writers: a delete answered 404, a pool created again ------------------------------


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


# --- read lag ------------------------------------------------------------------------------------------


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
