"""AivenClient.delete_pool: whether this client deleted the pool or another writer had, against a scripted server."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import POOLS_PATH, aiven_error, make_client
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import DROP

POOL_MISSING = (404, {}, aiven_error("Connection pool p1 does not exist", 404))


def test_a_delete_answered_2xx_is_this_clients(server):
    server.script("DELETE", POOLS_PATH + "/p1", (200, {}, {"message": "deleted"}))
    assert make_client(server.url).delete_pool("proj", "pg1", "p1") is True


def test_a_404_for_the_pool_at_once_means_another_writer_deleted_it(server):
    server.script("DELETE", POOLS_PATH + "/p1", POOL_MISSING)
    assert make_client(server.url).delete_pool("proj", "pg1", "p1") is False
    assert server.count("DELETE") == 1


def test_a_404_after_a_lost_reply_is_the_lost_attempts_delete(server):
    server.script("DELETE", POOLS_PATH + "/p1", DROP, POOL_MISSING)
    assert make_client(server.url).delete_pool("proj", "pg1", "p1") is True
    assert server.count("DELETE") == 2


def test_a_404_for_a_missing_service_is_an_error(server):
    server.script("DELETE", POOLS_PATH + "/p1", (404, {}, aiven_error("Service pg1 does not exist", 404)))
    with pytest.raises(AivenApiError) as caught:
        make_client(server.url, max_retries=0).delete_pool("proj", "pg1", "p1")
    assert caught.value.service_missing
