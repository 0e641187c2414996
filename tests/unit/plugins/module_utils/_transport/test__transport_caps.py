# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport's caps on what it reads (module_utils/_transport.py): a reply too large is refused while read.

The deadline of an attempt: test__transport_deadline.py and test__transport_deadline_public_api.py."""

from __future__ import annotations

import gzip
import json
import time

from ansible_collections.dbpools.aiven.plugins.module_utils import _transport
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.api_helpers import (
    SERVICE_PATH,
    make_client,
    refused,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Raw, raw_head

# A cap small enough for a test to pass it quickly.
SMALL_CAP = 100_000


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


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
