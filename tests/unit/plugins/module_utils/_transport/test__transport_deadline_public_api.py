# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``_transport``'s deadline stands on public API of urllib3 and requests only, and cuts every kind of stall.

The stalls here (a byte a second, a server that never answers, a TLS handshake that
trickles) each keep every single socket read short, so only the wall-clock deadline
can end them.
"""

from __future__ import annotations

import ast
import inspect
import socket
import threading
import time

import pytest
import urllib3

from ansible_collections.dbpools.aiven.plugins.module_utils import _transport
from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.api_helpers import SERVICE_PATH, make_client
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.stub_server import Raw, raw_head

TIMEOUT = 0.5
# The deadline and some slack for a loaded machine; the stalls below last far longer.
WITHIN = 2.5
DOCUMENT = b'{"service": {"state": "RUNNING"}}'


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str) -> list[str]:
    """Every place the source reaches a private name of an object that is not its own.

    ``self._x`` is its own only in a class without bases: in a subclass (of urllib3's or
    requests' classes) it could be theirs, and so could a ``_x`` method that overrides one.
    """
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            names = [alias.name for alias in node.names]
            if parts[0] in ("requests", "urllib3") and any(is_private(part) for part in parts + names):
                found.append(f"line {node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ClassDef) and node.bases:
            for inner in ast.walk(node):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_private(inner.name):
                    found.append(f"line {inner.lineno}: {node.name} defines {inner.name}")
                if isinstance(inner, ast.Attribute) and is_private(inner.attr) and isinstance(inner.value, ast.Name):
                    found.append(f"line {inner.lineno}: {node.name} uses self.{inner.attr}")
    return found


# -- public API only ---------------------------------------------------------------


def test_the_scan_finds_what_the_old_deadline_used():
    # The hook this module used before: overriding the pool's private methods.
    old = (
        "class Watched(pool_class):\n"
        "    def _get_conn(self, *args):\n"
        "        return super()._get_conn(*args)\n"
        "    def _put_conn(self, conn):\n"
        "        self._pool.put(conn)\n"
        "from urllib3._collections import HTTPHeaderDict\n"
        "response.raw._fp.fp.raw._sock\n"
    )
    assert len(private_uses(old)) == 7


def test_transport_reaches_no_private_name_of_urllib3_or_requests():
    assert private_uses(inspect.getsource(_transport)) == []


def test_the_classes_given_to_urllib3_add_nothing_private():
    # What urllib3 runs of ours: the pool and connection classes the adapter installs, each defining only public names.
    transport = _transport.Transport("t", "https://api.example", TIMEOUT, True, 2)
    pools = list(transport.session.get_adapter("https://").poolmanager.pool_classes_by_scheme.values())
    ours = [cls for pool in pools for cls in (pool, pool.ConnectionCls) if cls.__module__ == _transport.__name__]
    assert len(ours) == 4
    for cls in ours:
        assert [name for name in vars(cls) if is_private(name)] == [], cls
    connection = pools[0].ConnectionCls
    assert issubclass(connection, urllib3.connection.HTTPConnection)
    assert {name for name in vars(connection) if callable(vars(connection)[name])} == {"connect", "request"}


# -- stalls cut at the deadline --------------------------------------------------------


def timed_out(client, elapsed_at_least: float = TIMEOUT) -> AivenApiError:
    started = time.monotonic()
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    elapsed = time.monotonic() - started
    assert elapsed_at_least * 0.9 <= elapsed < WITHIN
    assert "timed out" in info.value.message
    assert info.value.message.count("timed out") == 1
    return info.value


def test_headers_at_one_byte_a_second_are_cut_at_the_deadline(server):
    server.script("GET", SERVICE_PATH, Raw.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60, pause=1.0))
    err = timed_out(make_client(server.url, timeout=TIMEOUT, max_retries=0))
    assert err.status is None and err.attempts == 1
    assert err.message == f"cannot reach {server.url}: timed out: no complete reply within 0.5 s"


def test_a_body_at_one_byte_a_second_is_cut_at_the_deadline(server):
    server.script("GET", SERVICE_PATH, Raw.trickle(DOCUMENT, pause=1.0, head=raw_head(length=len(DOCUMENT))))
    err = timed_out(make_client(server.url, timeout=TIMEOUT, max_retries=0))
    # The status line came, the document did not: a read is as good as unanswered.
    assert err.status is None and err.attempts == 1
    assert err.message == f"cannot reach {server.url}: timed out: no complete reply within 0.5 s"


def test_a_server_that_accepts_and_never_answers_is_cut_at_the_deadline():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        err = timed_out(make_client(url, timeout=TIMEOUT, max_retries=0))
    assert err.status is None and err.attempts == 1
    assert err.message == f"cannot reach {url}: timed out: no complete reply within 0.5 s"


class TricklingTls:
    """Accepts TLS connections, reads the client's hello and answers with a record that trickles in a byte every 50 ms."""

    # A handshake record of TLS 1.2 announcing 16 KiB: the client waits for all of it.
    RECORD = b"\x16\x03\x03\x40\x00" + b"\x00" * 400

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn = self.listener.accept()[0]
            except OSError:  # the listener was closed
                return
            self.accepted += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for index in range(len(self.RECORD)):
                if self.stopped.wait(0.05):  # the pace of the trickle, the behaviour under test
                    return
                try:
                    conn.sendall(self.RECORD[index:index + 1])
                except OSError:  # the client has given up
                    return

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


def test_a_tls_handshake_that_trickles_is_cut_at_the_deadline():
    tls = TricklingTls()
    try:
        err = timed_out(make_client(tls.url, timeout=TIMEOUT, max_retries=0))
    finally:
        tls.stop()
    assert tls.accepted == 1
    assert err.status is None and err.attempts == 1
    assert err.message == f"cannot reach {tls.url}: timed out: no complete reply within 0.5 s"


# -- what the deadline must not disturb ---------------------------------------------


def count_connects(monkeypatch) -> list:
    made: list = []
    original = socket.socket.connect

    def spy(sock, address):
        made.append(address)
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return made


def test_the_connection_is_kept_alive_between_attempts(server, monkeypatch):
    made = count_connects(monkeypatch)
    client = make_client(server.url, timeout=TIMEOUT)
    for _attempt in range(5):
        client.request("GET", ["me"])
    assert len(made) == 1


def test_a_stall_on_a_kept_alive_connection_is_cut_too(server, monkeypatch):
    # A connection taken from the pool, not a new one, is the one the deadline must shut down.
    made = count_connects(monkeypatch)
    client = make_client(server.url, timeout=TIMEOUT, max_retries=0)
    client.request("GET", ["me"])
    server.script("GET", SERVICE_PATH, Raw.trickle(DOCUMENT, pause=1.0, head=raw_head(length=len(DOCUMENT))))
    timed_out(client)
    assert len(made) == 1


def test_after_an_attempt_cut_the_next_one_connects_afresh(server, monkeypatch):
    made = count_connects(monkeypatch)
    server.script("GET", SERVICE_PATH, Raw.trickle(DOCUMENT, pause=1.0, head=raw_head(length=len(DOCUMENT))))
    client = make_client(server.url, timeout=TIMEOUT, max_retries=0)
    timed_out(client)
    assert client.request("GET", ["me"]) == {}
    assert client.request("GET", ["me"]) == {}
    assert len(made) == 2


def test_a_stalled_attempt_holds_up_no_other_thread(server):
    server.script("GET", SERVICE_PATH, Raw.trickle(DOCUMENT, pause=1.0, head=raw_head(length=len(DOCUMENT))))
    client = make_client(server.url, timeout=TIMEOUT, max_retries=0, pool_connections=4)
    outcomes: dict = {}

    def stalled() -> None:
        try:
            client.get_service("proj", "pg1")
        except AivenApiError as err:
            outcomes["stalled"] = err.message

    def quick(name: str) -> None:
        outcomes[name] = [client.request("GET", ["me"]) for _attempt in range(20)]

    threads = [threading.Thread(target=stalled)] + [threading.Thread(target=quick, args=(f"q{index}",)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10.0)
    assert "timed out" in outcomes["stalled"]
    assert [outcomes[f"q{index}"] for index in range(3)] == [[{}] * 20] * 3


def test_a_deadline_that_fires_as_its_attempt_ends_spares_the_next_attempts(server, monkeypatch):
    # Every deadline fires late, when urllib3 has already given the connection back to the pool.
    made = count_connects(monkeypatch)
    original_stop = _transport._Deadline.stop

    def fire_then_stop(deadline) -> None:
        deadline._fire()
        original_stop(deadline)

    monkeypatch.setattr(_transport._Deadline, "stop", fire_then_stop)
    client = make_client(server.url, timeout=30.0, max_retries=0)
    assert [client.request("GET", ["me"]) for _attempt in range(5)] == [{}] * 5
    # Each shut connection was dropped by the pool and replaced, none failed a request.
    assert len(made) == 5


def test_a_connection_shut_by_an_earlier_deadline_sends_nothing():
    # The instant after urllib3 checked a pooled connection and before the next attempt claims it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        connection = _transport._deadline_connection(urllib3.connection.HTTPConnection)("127.0.0.1", listener.getsockname()[1], timeout=5)
        earlier, later = _transport._Deadline(30.0), _transport._Deadline(30.0)
        try:
            _transport._ATTEMPT.deadline = earlier
            connection.connect()
            earlier._fire()
            _transport._ATTEMPT.deadline = later
            with pytest.raises(urllib3.exceptions.NewConnectionError, match="nothing was sent"):
                connection.request("GET", "/v1/me")
            # The connection is the later attempt's now: the earlier deadline firing again leaves it be.
            earlier._fire()
            assert connection.dbpools_deadline is later
        finally:
            _transport._ATTEMPT.deadline = None
            earlier.stop()
            later.stop()
            connection.close()
        served = listener.accept()[0]
        with served:
            served.settimeout(5)
            assert served.recv(100) == b""
