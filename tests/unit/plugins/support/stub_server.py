# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted HTTP server on 127.0.0.1 for the API client tests.

Each (method, path) gets a queue of replies; a reply is ``(status, headers, body)``,
``DROP`` (close the socket without answering, after reading the request) or ``Raw``
(bytes written as they are: cut-off bodies, broken chunking, replies that trickle in).
When a queue is empty the default reply ``(200, {}, {})`` is sent.
Every request is recorded, with its arrival time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, List, Tuple, Union

DROP = "drop"


class Raw:
    """A reply written byte for byte: ``chunks`` in order, each after ``pause`` seconds; then the socket closes.

    The pause is the behaviour under test (a server that trickles), not a wait for something.
    """

    def __init__(self, *chunks: bytes, pause: float = 0.0) -> None:
        self.chunks = chunks
        self.pause = pause

    @classmethod
    def trickle(cls, data: bytes, pause: float, head: bytes = b"") -> Raw:
        """``head`` at once, then ``data`` one byte at a time."""
        return cls(head, *(data[index:index + 1] for index in range(len(data))), pause=pause)


def raw_head(status: str = "200 OK", length: int | None = None, chunked: bool = False) -> bytes:
    """The status line and headers of a JSON reply, for a Raw one; ``length`` and ``chunked`` as the test needs."""
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


Reply = Union[str, Raw, Tuple[int, Dict[str, str], Any]]


class Recorded:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes, at: float) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.at = at

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class StubServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[tuple[str, str], Deque[Reply]] = {}
        self.requests: List[Recorded] = []
        # Seconds every reply is delayed by (a server far away; the behaviour under test, not a wait).
        self.latency = 0.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
                return

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes: without this, delayed ACKs add 40 ms to every reply.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = stub._record_and_pop(Recorded(self.command, self.path, dict(self.headers), body, time.monotonic()))
                if stub.latency:
                    time.sleep(stub.latency)
                if isinstance(reply, Raw):
                    self.close_connection = True
                    self._write_raw(reply)
                    return
                if reply == DROP:
                    self.close_connection = True
                    return
                status, headers, payload = reply
                if isinstance(payload, (bytes, str)):
                    raw = payload.encode("utf-8") if isinstance(payload, str) else payload
                else:
                    raw = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                if not any(key.lower() == "content-type" for key in headers):
                    self.send_header("Content-Type", "application/json")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _write_raw(self, reply: Raw) -> None:
                for chunk in reply.chunks:
                    if reply.pause:
                        time.sleep(reply.pause)
                    try:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    except OSError:  # the client has given up on this reply
                        return

            do_GET = _handle
            do_POST = _handle
            do_PUT = _handle
            do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts.setdefault((method.upper(), path), deque()).extend(replies)

    def _record_and_pop(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            queue = self._scripts.get((recorded.method, recorded.path))
            if queue:
                return queue.popleft()
            return self._answer(recorded)

    def _answer(self, recorded: Recorded) -> Reply:
        """The reply when nothing is scripted for this request: an empty success."""
        return (200, {}, {})

    def count(self, method: str | None = None, path: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for item in self.requests
                if (method is None or item.method == method) and (path is None or item.path == path)
            )
