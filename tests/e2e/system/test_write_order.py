"""The order of a purge's writes, its emptiness guard, other writers and read lag, through real ansible-playbook runs.

A service's deletes come only after its creates and updates succeeded: a create the API
refuses leaves the pools the purge would delete in place. A purge that keeps only pools
it creates deletes once the read back shows them. A delete answered 404 is another
writer's, not this run's change.
"""

from __future__ import annotations

from tests.e2e.system.drive import identities, seed, service, writes

SERVICE = "pg-order"
OLD = [{"pool_name": "old-1", "database_name": "appdb"}, {"pool_name": "old-2", "database_name": "appdb"}]
KEEP = {"pool_name": "keep", "database_name": "appdb"}
# The API's answer to a create it refuses (no retry: a 400 is final).
REFUSED = "Invalid connection pool name"
REFUSE_CREATES = [{"method": "POST", "path": f"/service/{SERVICE}/connection_pool$", "status": 400, "message": REFUSED}]


def requests(log):
    """(method, last path segment) of every request of a log, reads included, in order."""
    return [(entry["method"], entry["path"].rsplit("/", 1)[-1]) for entry in log["log"]]


def test_a_refused_create_leaves_the_purge_deletes_not_attempted(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, pools=[KEEP] + OLD)))
    ansible = ansible_for(emulator)
    emulator.add_faults(REFUSE_CREATES)

    _run, outcome = ansible.batch(SERVICE, [{"pool_name": "keep", "pool_size": 7}, {"pool_name": "new", "database_name": "appdb"}],
                                  "refused create", purge=True)

    assert outcome["failed"] is True
    assert "cannot create pool 'new'" in outcome["msg"] and "HTTP 400" in outcome["msg"] and REFUSED in outcome["msg"], outcome["msg"]
    assert "not attempted: delete" in outcome["msg"] and "deletes wait until all its creates and updates succeeded" in outcome["msg"]
    assert identities(outcome["failed_changes"]) == [("new", "create", None)]
    assert identities(outcome["not_attempted"]) == [("old-1", "delete", None), ("old-2", "delete", None)]
    assert identities(outcome["applied"]) == [("keep", "update", ["pool_size"])] and outcome["changed"] is True
    assert not [write for write in writes(emulator.requests_log()) if write[0] == "DELETE"]
    emulator.clear_faults()
    after = emulator.pools(SERVICE)
    assert sorted(after) == ["keep", "old-1", "old-2"] and after["keep"]["pool_size"] == 7


def test_a_purge_keeping_only_new_pools_keeps_the_old_ones_when_the_create_is_refused(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, pools=OLD)))
    ansible = ansible_for(emulator)
    emulator.add_faults(REFUSE_CREATES)

    _run, outcome = ansible.batch(SERVICE, [{"pool_name": "new", "database_name": "appdb"}], "refused replacement", purge=True)

    assert outcome["failed"] is True and outcome["changed"] is False
    assert identities(outcome["not_attempted"]) == [("old-1", "delete", None), ("old-2", "delete", None)]
    assert [write[0] for write in writes(emulator.requests_log())] == ["POST"]
    emulator.clear_faults()
    assert sorted(emulator.pools(SERVICE)) == ["old-1", "old-2"], "the service was not left without pools"


def test_a_purge_keeping_only_new_pools_deletes_once_the_read_back_shows_them(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, pools=OLD)))
    ansible = ansible_for(emulator)

    _run, outcome = ansible.batch(SERVICE, [{"pool_name": "new", "database_name": "appdb"}], "replacement", purge=True)

    assert not outcome.get("failed"), outcome.get("msg")
    assert identities(outcome["changes"]) == [("new", "create", None), ("old-1", "delete", None), ("old-2", "delete", None)]
    sent = requests(emulator.requests_log())
    assert sent[:3] == [("GET", SERVICE), ("POST", "connection_pool"), ("GET", SERVICE)], sent
    assert sorted(sent[3:]) == [("DELETE", "old-1"), ("DELETE", "old-2")], sent
    assert sorted(emulator.pools(SERVICE)) == ["new"]


def test_a_purge_that_would_empty_the_service_fails_before_any_write_naming_allow_empty(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, pools=OLD)))
    ansible = ansible_for(emulator)

    _run, outcome = ansible.batch(SERVICE, [], "emptying purge", purge=True)

    assert outcome["failed"] is True and outcome["changed"] is False
    assert f"{SERVICE}: purge would delete every pool (old-1, old-2): set allow_empty: true" in outcome["msg"], outcome["msg"]
    assert writes(emulator.requests_log()) == []
    assert sorted(emulator.pools(SERVICE)) == ["old-1", "old-2"]


def test_a_delete_answered_404_is_reported_as_another_writers(start_emulator, ansible_for):
    emulator = start_emulator(seed(service(SERVICE, pools=[KEEP] + OLD)))
    ansible = ansible_for(emulator)
    # Another writer deleted old-2 between this run's read and its delete: the API answers as for any missing pool.
    emulator.add_faults([{"method": "DELETE", "path": "/connection_pool/old-2$", "status": 404,
                          "message": "Connection pool old-2 does not exist"}])

    _run, outcome = ansible.batch(SERVICE, [{"pool_name": "keep"}], "deleted by another writer", purge=True)

    assert not outcome.get("failed"), outcome.get("msg")
    assert identities(outcome["changes"]) == [("old-1", "delete", None)]
    assert [(entry["pool_name"], entry["what"]) for entry in outcome["changed_by_others"]] == [("old-2", "deleted")]
    assert any("old-2" in warning and "another writer" in warning for warning in outcome.get("warnings", [])), outcome.get("warnings")


def test_a_pool_the_api_shows_late_is_read_again_not_failed(start_emulator, ansible_for):
    """Needs the emulator's read_lag option (issue 20, emulator part): writes show in reads only after that many seconds."""
    emulator = start_emulator(seed(service(SERVICE, pools=[KEEP])), read_lag=2.0)
    ansible = ansible_for(emulator)

    _run, outcome = ansible.batch(SERVICE, [{"pool_name": "keep", "pool_size": 7}, {"pool_name": "new", "database_name": "appdb"}],
                                  "read lag")

    assert not outcome.get("failed"), outcome.get("msg")
    assert identities(outcome["changes"]) == [("keep", "update", ["pool_size"]), ("new", "create", None)]
    reads_after_writes = [request for request in requests(emulator.requests_log())[3:] if request[0] == "GET"]
    assert 2 <= len(reads_after_writes) <= 6, reads_after_writes
    after = emulator.pools(SERVICE)
    assert sorted(after) == ["keep", "new"] and after["keep"]["pool_size"] == 7
