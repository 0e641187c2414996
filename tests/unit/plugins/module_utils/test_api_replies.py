# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replies that arrive broken: cut off, not JSON, echoing the token encoded (too large or too deep: test_api_bounds.py)."""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import (
    POOLS_PATH,
    SERVICE_PATH,
    aiven_error,
    make_client,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import Raw, raw_head

RUNNING = (200, {}, {"service": {"state": "RUNNING"}})


def cut_off() -> Raw:
    """Content-Length promises 500 bytes; 27 arrive, then the connection closes."""
    return Raw(raw_head(length=500) + b'{"service": {"state": "RUN')


def broken_chunks() -> Raw:
    """A chunk of 0x40 bytes announced, 20 sent, no final chunk."""
    return Raw(raw_head(chunked=True) + b'40\r\n{"service": {"state"')


# -- reads cut off are retried -----------------------------------------------


@pytest.mark.parametrize("reply", [cut_off, broken_chunks], ids=["content-length", "chunked"])
def test_read_cut_off_mid_body_is_retried(server, reply):
    server.script("GET", SERVICE_PATH, reply(), RUNNING)
    assert make_client(server.url).get_service("proj", "pg1") == {"state": "RUNNING"}
    assert server.count() == 2


def test_read_cut_off_on_every_attempt_gives_up(server):
    server.script("GET", SERVICE_PATH, cut_off(), broken_chunks(), cut_off())
    with pytest.raises(AivenApiError) as info:
        make_client(server.url, max_retries=2).get_service("proj", "pg1")
    err = info.value
    assert server.count() == 3
    assert err.status is None
    assert "incomplete reply" in err.message and "gave up after 3 attempts" in err.message
    assert err.attempts == 3


def test_error_reply_cut_off_keeps_its_status(server):
    server.script("GET", SERVICE_PATH, Raw(raw_head("403 Forbidden", length=300) + b'{"message": "Not a proj'))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).get_service("proj", "pg1")
    assert info.value.status == 403
    assert server.count() == 1


# -- writes answered 2xx were applied, whatever the body ----------------------

WRITES = {
    "POST": (POOLS_PATH, lambda client: client.create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"}), True),
    "PUT": (POOLS_PATH + "/p1", lambda client: client.update_pool("proj", "pg1", "p1", {"pool_size": 3}), None),
    "DELETE": (POOLS_PATH + "/p1", lambda client: client.delete_pool("proj", "pg1", "p1"), True),
}
BROKEN_2XX = {
    "cut-off": lambda: Raw(raw_head(length=200) + b'{"message": "cre'),
    "broken-chunks": lambda: Raw(raw_head(chunked=True) + b'30\r\n{"message"'),
    "html": lambda: (200, {"Content-Type": "text/html"}, "<html><body>OK</body></html>"),
    "json-list": lambda: (200, {}, ["created"]),
}


@pytest.mark.parametrize("method", sorted(WRITES))
@pytest.mark.parametrize("reply", sorted(BROKEN_2XX))
def test_write_answered_2xx_with_a_broken_body_was_applied(server, method, reply):
    path, call, expected = WRITES[method]
    server.script(method, path, BROKEN_2XX[reply]())
    assert call(make_client(server.url)) is expected
    assert server.count() == 1


# -- the token echoed in encoded forms -----------------------------------------

# Characters that URL quoting changes, as in real tokens (base64 with + / =).
ODD_TOKEN = "AbC+dEf/GhI=jKl~0123456789mnOpQrStUv=="


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group().lower(), text)


ENCODINGS = {
    "quoted": lambda token: quote(token, safe=""),
    "quoted-keeping-slash": quote,
    "plus-quoted": quote_plus,
    "lower-hex": lambda token: lower_hex(quote(token, safe="")),
    "quoted-twice": lambda token: quote(quote(token, safe=""), safe=""),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("shape", ["json", "html"])
def test_token_echoed_encoded_is_scrubbed(server, encoding, shape):
    echoed = ENCODINGS[encoding](ODD_TOKEN)
    assert echoed != ODD_TOKEN
    text = f"rejected https://api.example/?token={echoed}&x=1"
    body = aiven_error(text, 401) if shape == "json" else f"<html><body>{text}</body></html>"
    server.script("GET", SERVICE_PATH, (401, {} if shape == "json" else {"Content-Type": "text/html"}, body))
    client = AivenClient(ODD_TOKEN, api_url=server.url, max_retries=0)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    err = info.value
    for where in (str(err), repr(err), repr(err.failure()), err.message, repr(err.errors)):
        assert echoed not in where
        assert ODD_TOKEN not in where
    assert "token=<redacted>&x=1" in err.message
