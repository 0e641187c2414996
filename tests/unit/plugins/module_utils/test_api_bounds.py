# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replies too large or nested too deep: refused while read, each a clean error that says the cap."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _transport
from ansible_collections.dbpools.aiven.plugins.module_utils._api import JSON_MAX_DEPTH, AivenApiError, json_depth
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import (
    POOLS_PATH,
    SERVICE_PATH,
    aiven_error,
    make_client,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import Raw, raw_head

# A cap small enough for a test to pass it quickly.
SMALL_CAP = 100_000


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def refused(server, **client_options) -> AivenApiError:
    with pytest.raises(AivenApiError) as info:
        make_client(server.url, **client_options).get_service("proj", "pg1")
    return info.value


# -- the size cap ----------------------------------------------------------------


def test_the_caps_are_documented_constants():
    assert _transport.REPLY_MAX_BYTES == 64 * 1024 * 1024
    assert _transport.ERROR_REPLY_MAX_BYTES == 64 * 1024
    assert _transport.size_text(_transport.REPLY_MAX_BYTES) == "64 MiB"


def test_a_reply_announcing_more_than_the_cap_is_not_read(server):
    # The body would take minutes to arrive: refusing it must not wait for any of it.
    announced = _transport.REPLY_MAX_BYTES + 1
    server.script("GET", SERVICE_PATH, Raw.trickle(b'{"service": {}}', pause=0.5, head=raw_head(length=announced)))
    started = time.monotonic()
    err = refused(server)
    assert time.monotonic() - started < 1.0
    assert err.status == 200
    assert err.message == f"reply larger than 64 MiB, the most read of one reply (it announces {announced} bytes); not read"
    failure = err.failure()
    assert (failure["status"], failure["message"], failure["attempts"]) == (200, err.message, 1)
    # Another attempt would get the same reply.
    assert server.count() == 1


def test_a_streamed_reply_is_cut_at_the_cap(server, monkeypatch):
    monkeypatch.setattr(_transport, "REPLY_MAX_BYTES", SMALL_CAP)
    # The cap's worth at once, then a tail that would trickle for a minute.
    body = b'{"service": {"x": "' + b"a" * SMALL_CAP
    server.script("GET", SERVICE_PATH, Raw(raw_head(chunked=True) + chunk(body), *[chunk(b"a")] * 60, pause=1.0))
    started = time.monotonic()
    err = refused(server)
    assert time.monotonic() - started < 3.0
    assert err.status == 200
    assert "reply larger than 100000 bytes, the most read of one reply (more than 100000 bytes arrived); not read" in err.message


def test_a_compressed_reply_is_counted_as_it_unpacks(server, monkeypatch):
    monkeypatch.setattr(_transport, "REPLY_MAX_BYTES", SMALL_CAP)
    document = json.dumps({"service": {"x": "a" * (SMALL_CAP * 10)}}).encode()
    packed = gzip.compress(document)
    assert len(packed) < SMALL_CAP
    server.script("GET", SERVICE_PATH, (200, {"Content-Encoding": "gzip"}, packed))
    err = refused(server)
    assert err.status == 200 and "more than 100000 bytes arrived" in err.message


def test_a_reply_at_the_cap_is_read(server, monkeypatch):
    monkeypatch.setattr(_transport, "REPLY_MAX_BYTES", SMALL_CAP)
    frame = json.dumps({"service": {"state": "RUNNING", "x": ""}})
    filler = "a" * (SMALL_CAP - len(frame))
    body = frame.replace('"x": ""', f'"x": "{filler}"')
    assert len(body) == SMALL_CAP
    server.script("GET", SERVICE_PATH, (200, {}, body))
    assert make_client(server.url).get_service("proj", "pg1")["state"] == "RUNNING"


def test_a_write_answered_2xx_with_a_huge_body_was_applied(server):
    server.script("POST", POOLS_PATH, Raw(raw_head(length=_transport.REPLY_MAX_BYTES * 4) + b'{"message": "cre'))
    assert make_client(server.url).create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"}) is True
    assert server.count() == 1


def test_an_error_reply_over_its_cap_keeps_its_status(server):
    big = aiven_error("x" * _transport.ERROR_REPLY_MAX_BYTES, 400)
    server.script("GET", SERVICE_PATH, (400, {}, big))
    err = refused(server)
    assert err.status == 400
    assert err.message.startswith("Bad Request: reply larger than 64 KiB, the most read of one error reply (it announces ")
    assert err.errors == [] and len(str(err)) < 300


def test_an_error_reply_over_its_cap_is_retried_by_its_status(server):
    server.script("GET", SERVICE_PATH, (503, {}, "<html>" + "x" * _transport.ERROR_REPLY_MAX_BYTES + "</html>"),
                  (200, {}, {"service": {"state": "RUNNING"}}))
    assert make_client(server.url).get_service("proj", "pg1") == {"state": "RUNNING"}
    assert server.count() == 2


# -- the depth cap ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "depth"), [
    ("{}", 1),
    ('{"a": [1, {"b": []}]}', 4),
    ('{"a": "[[[[{{{{"}', 1),
    (r'{"a": "\"[[[", "b": "\\", "c": [[]]}', 3),
    ("not json at all", 0),
    (nested(200_000), 200_000),
])
def test_json_depth(text, depth):
    assert json_depth(text) == depth


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH - 3, JSON_MAX_DEPTH - 2])
def test_a_reply_as_deep_as_the_cap_is_read(server, depth):
    # The document adds two levels: {"service": {"x": ...}}.
    server.script("GET", SERVICE_PATH, (200, {}, '{"service": {"x": ' + nested(depth) + "}}"))
    assert "x" in make_client(server.url).get_service("proj", "pg1")


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH - 1, 300, 200_000])
def test_a_reply_deeper_than_the_cap_is_a_clean_error(server, depth):
    server.script("GET", SERVICE_PATH, (200, {}, '{"service": {"x": ' + nested(depth) + "}}"))
    err = refused(server)
    assert err.status == 200
    assert err.message == "reply nested deeper than 64 levels of arrays and objects (the most this collection reads); not read"
    assert err.failure()["message"] == err.message


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH - 1, 300, 20_000])
def test_an_error_whose_errors_nest_deep_is_a_clean_error(server, depth):
    # Aiven's shape, errors nested ``depth`` deep (within the error cap): scrubbing, failure() and printing it must not recurse.
    body = '{"message": "Bad thing", "errors": ' + "[" * depth + '{"message": "deep"}' + "]" * depth + "}"
    server.script("GET", SERVICE_PATH, (400, {}, body))
    err = refused(server)
    assert err.status == 400
    assert err.message == "Bad Request: reply nested deeper than 64 levels of arrays and objects (the most this collection reads); not read"
    assert err.errors == []
    assert json.dumps(err.failure()) and repr(err) and str(err)


def test_an_error_nested_within_the_cap_keeps_its_errors(server):
    errors = json.loads("[" * 40 + '{"message": "deep"}' + "]" * 40)
    server.script("GET", SERVICE_PATH, (400, {}, {"message": "Bad thing", "errors": errors}))
    err = refused(server)
    assert err.message == "Bad thing" and err.errors == errors
    assert json.loads(json.dumps(err.failure()))["errors"] == errors
