# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP attempt to the Aiven API: send a request and read its whole reply within a deadline.

This file knows requests and urllib3; what a reply means (success, error, another
attempt) is ``_api``'s. An attempt never raises: it returns an :class:`Exchange`
saying what came, or why nothing usable did.

Each attempt has a wall-clock deadline, ``timeout``, for connect, headers and body
together: a reply that trickles in byte by byte cannot hold a task. A socket timeout
bounds each read, not the attempt, so a timer thread shuts the attempt's sockets down
when its time is up, which ends a blocked read at once. It learns which sockets those
are through public API only (see "the per-attempt deadline" below).

A reply's size is capped too, while it is read: one that announces more than the cap
(``Content-Length``) is not read at all, and one that streams past it is cut there, so
no reply can take memory or time without bound.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import traceback
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._version import COLLECTION_VERSION

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError as _Urllib3ConnectTimeoutError
    from urllib3.exceptions import MaxRetryError as _Urllib3MaxRetryError
    from urllib3.exceptions import NewConnectionError as _Urllib3NewConnectionError

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


PROJECT_URL = "https://galaxy.ansible.com/ui/repo/published/dbpools/aiven/"
# A wall-clock deadline that has fired looks again this often for a socket still being set up.
_DEADLINE_RECHECK = 0.05
# The most read of a successful reply (the body as decoded). A pool entry of a service document takes
# about 300 bytes, so this holds a project's service list with some 200,000 pools: hundreds of services
# with hundreds of pools each, twice over. Parsed, such a reply takes a few hundred MB, which a controller has.
REPLY_MAX_BYTES = 64 * 1024 * 1024
# The most read of an error reply: Aiven's take a few hundred bytes, a proxy's HTML page a few KB; the
# body ends up in the failure the task prints.
ERROR_REPLY_MAX_BYTES = 64 * 1024
_READ_CHUNK = 16384


class _TokenAuth:
    """Sets the Aiven token header (given as ``auth`` so that no ~/.netrc entry replaces it)."""

    def __init__(self, token: str) -> None:
        self._header = f"aivenv1 {token}"

    def __call__(self, prepared: Any) -> Any:
        prepared.headers["Authorization"] = self._header
        return prepared

    def __repr__(self) -> str:
        return "_TokenAuth(<redacted>)"


# -- the per-attempt deadline ----------------------------------------------------------
#
# Only public API of urllib3 and http.client is used here, so that a urllib3 release cannot
# break every request: the pools keep their own code and get a connection class of ours
# (``ConnectionCls``, a pool's documented class attribute), which overrides the public
# ``connect`` and ``request`` to tell the running attempt's deadline which connection it
# uses; the deadline shuts that connection's socket (``sock``) down when time is up.


class _Deadline:
    """Shuts down the sockets of one attempt when its time is up.

    A connection is shut only until a later attempt claims it (see ``_claim``); one that
    urllib3 has already given back to the pool may still be shut, which ``_claim`` handles.
    """

    def __init__(self, seconds: float) -> None:
        self._connections: list = []
        self._armed = True
        self.expired = False
        self._timer = self._start_timer(seconds)

    def _start_timer(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self._fire)
        timer.daemon = True
        timer.start()
        return timer

    def watch(self, connection: Any) -> None:
        """Called under ``_OWNERS``: ``connection`` now serves this attempt."""
        if self._armed and connection not in self._connections:
            self._connections.append(connection)

    def stop(self) -> None:
        with _OWNERS:
            self._armed = False
            self._timer.cancel()

    def _fire(self) -> None:
        with _OWNERS:
            if not self._armed:
                return
            self.expired = True
            for connection in self._connections:
                if connection.dbpools_deadline is self and connection.sock is not None:
                    connection.dbpools_shut_socket = connection.sock
                    _shut_down(connection.sock)
            # A connection still connecting has no socket yet: look again until the attempt ends.
            self._timer = self._start_timer(_DEADLINE_RECHECK)


def _shut_down(sock: Any) -> None:
    raw = getattr(sock, "socket", sock)  # pyOpenSSL wraps the socket
    if not isinstance(raw, socket.socket):
        return
    try:
        # The plain socket's shutdown: the TLS layer's would also tear its state down under the reader.
        socket.socket.shutdown(raw, socket.SHUT_RDWR)
    except OSError:  # already closed or shut
        pass


# The deadline of the attempt running in this thread (urllib3 works in the caller's thread).
_ATTEMPT = threading.local()
# Guards which deadline owns which connection, and every deadline's firing.
_OWNERS = threading.Lock()
_DEADLINE_POOLS: dict = {}
_DEADLINE_POOLS_LOCK = threading.Lock()


def _claim(connection: Any) -> bool:
    """Make ``connection`` the running attempt's; True when an earlier attempt's deadline shut it down.

    That happens when a deadline fires just as its attempt ends, after urllib3 gave the
    connection back to the pool. urllib3 discards a pooled connection whose socket is shut
    when it takes it out; only one shut in the instant after that check reaches ``request``.
    """
    deadline = getattr(_ATTEMPT, "deadline", None)
    with _OWNERS:
        # A socket a deadline shut, still in use (urllib3 closing the connection replaces it).
        shut = connection.sock is not None and connection.dbpools_shut_socket is connection.sock
        stale = shut and connection.dbpools_deadline is not deadline
        connection.dbpools_deadline = deadline
        if deadline is not None:
            deadline.watch(connection)
    return stale


def _deadline_connection(connection_class: type) -> type:
    """``connection_class`` that reports to the running attempt's deadline (public methods only)."""

    class _DeadlineConnection(connection_class):
        dbpools_deadline: _Deadline | None = None
        dbpools_shut_socket: Any = None

        def connect(self) -> None:
            _claim(self)
            super().connect()

        def request(self, *args: Any, **kwargs: Any) -> Any:
            if _claim(self):
                # Nothing is sent: urllib3 drops the connection, and the attempt counts as never
                # connected, so that it is retried. (Reconnecting here would skip a proxy's tunnel.)
                raise _Urllib3NewConnectionError(self, "the connection was shut down by an earlier request's deadline; nothing was sent")
            return super().request(*args, **kwargs)

    _DeadlineConnection.__name__ = f"Deadline{connection_class.__name__}"
    return _DeadlineConnection


def _deadline_pool(pool_class: type) -> type:
    """``pool_class`` whose connections report to the deadline; its code is urllib3's, only ``ConnectionCls`` differs."""
    with _DEADLINE_POOLS_LOCK:
        if pool_class not in _DEADLINE_POOLS:
            connection_class = getattr(pool_class, "ConnectionCls", None)
            if not (isinstance(connection_class, type) and issubclass(connection_class, http.client.HTTPConnection)):
                # urllib3's stand-in when Python has no ssl module: it fails on use, as it should.
                return pool_class
            connection_class = _deadline_connection(connection_class)

            class _DeadlinePool(pool_class):
                ConnectionCls = connection_class

            _DeadlinePool.__name__ = f"Deadline{pool_class.__name__}"
            _DEADLINE_POOLS[pool_class] = _DeadlinePool
            _DEADLINE_POOLS[_DeadlinePool] = _DeadlinePool
        return _DEADLINE_POOLS[pool_class]


def _use_deadline_pools(manager: Any) -> None:
    manager.pool_classes_by_scheme = {scheme: _deadline_pool(cls) for scheme, cls in manager.pool_classes_by_scheme.items()}


def _deadline_adapter(pool_size: int) -> Any:
    """A requests adapter whose pools (proxied ones too) report their connections to the deadline.

    Built here, not at import time, since requests may be missing. It makes no
    retries of its own: the client's loop does.
    """

    class _DeadlineAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            _use_deadline_pools(self.poolmanager)

        def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            _use_deadline_pools(manager)
            return manager

    return _DeadlineAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)


# -- what one attempt got ----------------------------------------------------------------


class Exchange:
    """What one attempt got: a status and body, or why none came."""

    __slots__ = ("body", "complete", "fatal", "headers", "oversized", "problem", "reason", "sent", "status")

    def __init__(self, status: int | None = None, reason: str = "", headers: Any = None) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers if headers is not None else {}
        self.body = b""
        # The whole body arrived.
        self.complete = True
        # Why no reply, or why the body is incomplete.
        self.problem = ""
        # The request may have reached the server.
        self.sent = True
        # Not worth another attempt (TLS failures, unusable settings, a successful reply over the cap).
        self.fatal = False
        # The body is larger than the cap and was not read (``problem`` says so; ``body`` is empty).
        self.oversized = False


def _short_reason(exc: BaseException) -> str:
    """A short, human reason for a requests exception (without object reprs)."""
    reason: BaseException = exc
    for _dummy in range(5):
        inner: BaseException | None = None
        if isinstance(reason, _Urllib3MaxRetryError):
            inner = reason.reason
        elif reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if inner is None or inner is reason:
            break
        reason = inner
    text = str(reason) or type(reason).__name__
    # urllib3 1.26: "<urllib3.connection.HTTPConnection object at 0x...>: ..."
    text = re.sub(r"^<[^>]*>:\s*", "", text)
    # urllib3 2.x: "HTTPConnection(host='h', port=1): ..." / "HTTPSConnectionPool(host='h', port=1): ..."
    text = re.sub(r"^\w+\(host=[^)]*\):\s*", "", text)
    return text.strip() or type(reason).__name__


def _never_connected(exc: BaseException) -> bool:
    """True when the error came before a connection existed, so nothing was sent."""
    seen: BaseException | None = exc
    for _dummy in range(6):
        if seen is None:
            return False
        if isinstance(seen, _Urllib3ConnectTimeoutError):  # NewConnectionError (refused, DNS) included
            return True
        if isinstance(seen, _Urllib3MaxRetryError):
            seen = seen.reason
        elif seen.args and isinstance(seen.args[0], BaseException):
            seen = seen.args[0]
        else:
            seen = seen.__context__
    return False


def _content_length(headers: Any) -> int | None:
    value = str(headers.get("Content-Length") or "").strip()
    return int(value) if value.isdigit() else None


def reply_cap(status: int) -> int:
    """The most bytes read of a reply with this status."""
    return REPLY_MAX_BYTES if 200 <= status < 300 else ERROR_REPLY_MAX_BYTES


def size_text(size: int) -> str:
    """``64 MiB``, ``64 KiB`` or ``100 bytes``, for messages about the caps."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


# -- the session -------------------------------------------------------------------------


class Transport:
    """A keep-alive session to one origin, safe to share between threads; needs requests (see HAS_REQUESTS)."""

    def __init__(self, token: str, origin: str, timeout: float, verify: bool | str, pool_size: int) -> None:
        self.origin = origin
        self.timeout = timeout
        self._verify = verify
        session = requests.Session()
        adapter = _deadline_adapter(max(int(pool_size), 1))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update(
            {
                "User-Agent": f"dbpools.aiven/{COLLECTION_VERSION} (+{PROJECT_URL}) python-requests/{requests.__version__}",
                "Accept": "application/json",
            }
        )
        self.session = session
        self._auth = _TokenAuth(token)

    def close(self) -> None:
        self.session.close()

    def exchange(self, method: str, url: str, body: dict | None) -> Exchange:
        """One attempt, within the deadline, with the URL exactly as built.

        ``Session.request`` would re-quote the URL and turn ``%2E`` back into ``.``,
        so a pool named ``..`` could address another resource; the prepared
        request's URL is therefore replaced by ours.
        """
        session = self.session
        prepared = session.prepare_request(requests.Request(method, url, json=body, auth=self._auth))
        prepared.url = url
        settings = session.merge_environment_settings(url, {}, True, self._verify, None)
        deadline = _Deadline(self.timeout)
        _ATTEMPT.deadline = deadline
        response = None
        try:
            try:
                response = session.send(prepared, timeout=(self.timeout, self.timeout), allow_redirects=False, **settings)
            except (requests.exceptions.RequestException, OSError) as exc:
                # A plain OSError comes from requests for a CA bundle path that does not exist (REQUESTS_CA_BUNDLE).
                return self._no_reply(exc, deadline.expired)
            return self._read(response, deadline)
        finally:
            deadline.stop()
            if response is not None:
                response.close()
            _ATTEMPT.deadline = None

    def _read(self, response: Any, deadline: _Deadline) -> Exchange:
        got = Exchange(int(response.status_code), str(response.reason or ""), response.headers)
        cap = reply_cap(got.status or 0)
        expected = _content_length(response.headers)
        if expected is not None and expected > cap:
            # Not read at all: the response is closed unread (and its connection dropped).
            return self._oversized(got, cap, f"it announces {expected} bytes")
        chunks = []
        decoded = 0
        try:
            # Decoded chunks: a compressed reply is counted as it unpacks.
            for chunk in response.iter_content(_READ_CHUNK):
                decoded += len(chunk)
                if decoded > cap:
                    return self._oversized(got, cap, f"more than {cap} bytes arrived")
                chunks.append(chunk)
        except (requests.exceptions.RequestException, OSError) as exc:
            got.complete = False
            got.problem = self._timed_out() if deadline.expired else f"the reply was cut off ({_short_reason(exc)})"
        got.body = b"".join(chunks)
        if not got.complete:
            return got
        received = response.raw.tell()
        if expected is not None and received < expected:
            # urllib3 1.26 hands a short body over without complaint.
            got.complete = False
            got.problem = f"the reply was cut off after {received} of {expected} bytes"
        elif deadline.expired and expected is None and not response.raw.chunked:
            # A body that ends with the connection cannot be told from one the deadline ended.
            got.complete = False
            got.problem = self._timed_out()
        return got

    @staticmethod
    def _oversized(got: Exchange, cap: int, seen: str) -> Exchange:
        got.complete = False
        got.oversized = True
        # Another attempt would get the same reply; an error reply keeps its status's rules (a 503 is still retried).
        got.fatal = 200 <= (got.status or 0) < 300
        got.problem = f"reply larger than {size_text(cap)}, the most read of one {'' if got.fatal else 'error '}reply ({seen}); not read"
        return got

    def _timed_out(self) -> str:
        return f"timed out: no complete reply within {self.timeout:g} s"

    def _no_reply(self, exc: BaseException, expired: bool) -> Exchange:
        got = Exchange()
        got.sent = not _never_connected(exc)
        if expired or isinstance(exc, requests.exceptions.Timeout):
            got.problem = f"cannot reach {self.origin}: {self._timed_out()}"
        elif isinstance(exc, requests.exceptions.SSLError):
            got.fatal = True
            got.problem = self._tls_failure(_short_reason(exc))
        elif isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            got.problem = f"cannot reach {self.origin}: {_short_reason(exc)}"
        else:
            # Settings that no retry mends: a CA bundle path that does not exist, an unusable URL.
            got.fatal = True
            got.problem = f"cannot reach {self.origin}: {_short_reason(exc)}"
        return got

    def _tls_failure(self, reason: str) -> str:
        """Why TLS failed (never retried), with how to trust a private CA."""
        message = f"TLS connection to {self.origin} failed: {reason}"
        if "CERTIFICATE_VERIFY_FAILED" in reason:
            message += "; the certificate is not trusted: give the CA that signed it with ca_path"
        elif "X509" in reason:
            message += "; the CA file (ca_path or REQUESTS_CA_BUNDLE) holds no usable PEM certificate"
        return message
