# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP access to the Aiven REST API for the connection pool modules.

This is the only place that knows HTTP: the session, authentication, retries
and Aiven's error shape. It knows nothing about Ansible results; every failure
is raised as one exception type, :class:`AivenApiError`.

A request is a loop of attempts (``AivenClient._send``): send, judge the reply,
wait, send again. The loop is ours rather than urllib3's because the judgement
needs the whole reply, body included.

- Each attempt has a wall-clock deadline, ``timeout``, for connect, headers and
  body together: a reply that trickles in byte by byte cannot hold a task.
- Retried, for every method: no reply, a reply cut off (a timeout included),
  408, 429, 5xx, and a pool write answered 404 "Service X does not exist" (a
  service just created, as Aiven's Go client retries it).
- The waits grow exponentially; a wait the server names (``Retry-After`` on 429
  or 503, else a 429's "try again in Ns") replaces it, up to twice the backoff
  ceiling. A 429's wait also holds the client's other requests: attempts spent
  inside a rate-limit window would only be refused again.
- Rate-limit pacing (``_pacing``): nothing is paced until a 429 names a limit
  ("Rate limit N exceeded"). From then on every attempt of every thread takes a
  slot from one shared pacer, at 90% of the refill rate the client's own replies
  prove: ``(accepted - N) / seconds since the first request``, or, once a 429 has
  shown the bucket empty, ``(accepted since - 1) / seconds since``; ``N`` per 60 s
  when neither proves a rate yet. That first rate grows (doubling each second)
  until a paced attempt is refused, then settles at 90% of the rate proved by
  then; a later refusal of a paced attempt halves it. A 429 without a limit in its
  text (a proxy's) is only waited out. Under the emulator's 100 requests per 10 s,
  300 creates from 8 threads see about 3% refused and take about 1.15 times the
  limit's own minimum; refusals of requests already on the way when the limit is
  first hit cannot be avoided (up to one per thread).
- Writes stay safe because the callers reconcile: a retried create answered
  "already exists" was applied by an earlier attempt whose reply was lost, and a
  delete of a pool that is gone is a success. A write answered 2xx was applied,
  even when its reply is cut off or is not JSON (Aiven's carry only a message).
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
import traceback
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import quote

from ansible_collections.dbpools.aiven.plugins.module_utils._pacing import RatePacer, Turn
from ansible_collections.dbpools.aiven.plugins.module_utils._rules import DEFAULT_API_URL
from ansible_collections.dbpools.aiven.plugins.module_utils._version import COLLECTION_VERSION

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError as _Urllib3ConnectTimeoutError
    from urllib3.exceptions import MaxRetryError as _Urllib3MaxRetryError

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


PROJECT_URL = "https://galaxy.ansible.com/ui/repo/published/dbpools/aiven/"

# Statuses worth another attempt: timeout, rate limit and transient backend faults.
RETRY_STATUSES = frozenset([408, 429, 500, 501, 502, 503, 504])
# Statuses that prove the server did not apply a request (it was refused, not lost).
_NOT_APPLIED_STATUSES = frozenset([408, 429])
# Only these carry a meaningful Retry-After for the Aiven API.
_RETRY_AFTER_STATUSES = frozenset([429, 503])
_WRITE_METHODS = frozenset(["POST", "PUT", "PATCH", "DELETE"])

# Aiven's 429 text: "... Rate limit 120 exceeded - try again in 28s".
_TRY_AGAIN_IN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_RATE_LIMIT = re.compile(r"Rate limit\s+(\d+)\s+exceeded", re.IGNORECASE)
# The 404 of a service just created (the pattern of Aiven's Go client, retry.go).
_SERVICE_MISSING = re.compile(r"Service \S+ does not exist")

_REDACTED = "<redacted>"
_EXCERPT_LENGTH = 200
# A wall-clock deadline that has fired looks again this often for a socket still being set up.
_DEADLINE_RECHECK = 0.05
DEADLINE_THREAD_NAME = "dbpools-aiven-deadline"


class AivenApiError(Exception):
    """Any failure talking to the Aiven API.

    ``status`` is the HTTP status, or None when no usable reply came (connection
    refused, timeouts, TLS errors, replies cut off, after the retries). ``message``
    is Aiven's message or a clear text; it never contains the API token.
    """

    status: int | None
    message: str
    errors: list
    method: str
    path: str
    retried: bool
    maybe_applied: bool

    def __init__(
        self,
        status: int | None,
        message: str,
        errors: list | None = None,
        method: str = "",
        path: str = "",
        retried: bool = False,
        maybe_applied: bool = False,
        attempts: int = 1,
        gave_up: bool | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        # True when more than one attempt was made for this request.
        self.retried = retried
        # True when an earlier attempt of this request may have been applied by
        # the server although its reply never arrived (lost reply, 5xx).
        self.maybe_applied = maybe_applied
        # HTTP attempts behind this answer: more than 1 when it was retried.
        self.attempts = attempts
        # The answer was worth another attempt but the retries ran out (by default: a retried status).
        self.gave_up = (status in RETRY_STATUSES) if gave_up is None else gave_up
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.path}".strip()
        what = self.message if self.status is None else f"HTTP {self.status}: {self.message}"
        # Without a status the message itself says it (see AivenClient._give_up).
        if self.status is not None and self.gave_up and self.attempts > 1:
            what += f" (gave up after {self.attempts} attempts)"
        return f"{where}: {what}" if where else what

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return f"AivenApiError(status={self.status!r}, message={self.message!r}, method={self.method!r}, path={self.path!r})"

    def _texts(self) -> list[str]:
        texts = [self.message]
        texts.extend(str(item.get("message", "")) for item in self.errors if isinstance(item, dict))
        return texts

    @property
    def error_code(self) -> str | None:
        """The first ``error_code`` of Aiven's ``errors`` list, if any."""
        for item in self.errors:
            if isinstance(item, dict) and item.get("error_code"):
                return str(item["error_code"])
        return None

    @property
    def already_exists(self) -> bool:
        """A 409 conflict saying the object already exists."""
        return self.status == 409 and any("already exists" in text.lower() for text in self._texts())

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def service_missing(self) -> bool:
        """A 404 saying the service does not exist (not a missing pool)."""
        return self.status == 404 and any(_SERVICE_MISSING.search(text) for text in self._texts())

    def failure(self) -> dict:
        """Machine-readable details, for the module's ``failure`` return value."""
        return {
            "status": self.status,
            "message": self.message,
            "errors": self.errors,
            "method": self.method,
            "path": self.path,
            "error_code": self.error_code,
            "attempts": self.attempts,
        }


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


class _Deadline:
    """Shuts down the sockets of one attempt when its time is up.

    A socket timeout bounds each read, not the attempt: a reply that trickles in
    keeps every read short. Shutting the socket down from a timer thread ends
    the blocked read at once. The connections are those the attempt took from
    the pool (see ``_watched``); one given back is no longer ours to shut.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._connections: list = []
        self._armed = True
        self.expired = False
        self._timer = self._start_timer(seconds)

    def _start_timer(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self._fire)
        timer.name = DEADLINE_THREAD_NAME
        timer.daemon = True
        timer.start()
        return timer

    def watch(self, connection: Any) -> None:
        with self._lock:
            if self._armed and connection is not None:
                self._connections.append(connection)

    def forget(self, connection: Any) -> None:
        with self._lock:
            self._connections = [item for item in self._connections if item is not connection]

    def stop(self) -> None:
        with self._lock:
            self._armed = False
            self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            if not self._armed:
                return
            self.expired = True
            for connection in self._connections:
                _shut_down(getattr(connection, "sock", None))
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
_WATCHED_POOLS: dict = {}
_WATCHED_POOLS_LOCK = threading.Lock()


def _current_deadline() -> _Deadline | None:
    return getattr(_ATTEMPT, "deadline", None)


def _watched(pool_class: type) -> type:
    """``pool_class`` telling the running attempt's deadline which connections it holds."""
    with _WATCHED_POOLS_LOCK:
        if pool_class not in _WATCHED_POOLS:

            class _Watched(pool_class):  # type: ignore[misc,valid-type]
                def _get_conn(self, *args: Any, **kwargs: Any) -> Any:
                    connection = super()._get_conn(*args, **kwargs)
                    deadline = _current_deadline()
                    if deadline is not None:
                        deadline.watch(connection)
                    return connection

                def _put_conn(self, conn: Any) -> None:
                    deadline = _current_deadline()
                    if deadline is not None:
                        deadline.forget(conn)
                    super()._put_conn(conn)

            _Watched.__name__ = f"Watched{pool_class.__name__}"
            _WATCHED_POOLS[pool_class] = _Watched
            _WATCHED_POOLS[_Watched] = _Watched
        return _WATCHED_POOLS[pool_class]


def _watch_pools(manager: Any) -> None:
    manager.pool_classes_by_scheme = {scheme: _watched(cls) for scheme, cls in manager.pool_classes_by_scheme.items()}


def _deadline_adapter(pool_size: int) -> Any:
    """A requests adapter whose pools (proxied ones too) report their connections to the deadline.

    Built here, not at import time, since requests may be missing. It makes no
    retries of its own: the client's loop does.
    """

    class _DeadlineAdapter(HTTPAdapter):  # type: ignore[misc,valid-type]
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            _watch_pools(self.poolmanager)

        def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            _watch_pools(manager)
            return manager

    return _DeadlineAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)


# -- one attempt -----------------------------------------------------------------------


class _Exchange:
    """What one attempt got: a status and body, or why none came."""

    __slots__ = ("body", "complete", "fatal", "headers", "problem", "reason", "sent", "status")

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
        # Not worth another attempt (TLS failures, unusable settings).
        self.fatal = False


def _plain_excerpt(text: str) -> str:
    """The start of a non-JSON body (an HTML error page from a proxy), as one line."""
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[:_EXCERPT_LENGTH] + "..."
    return text


def _parse_json(body: bytes) -> tuple[bool, Any]:
    """(True, value), or (False, None) for a body that is not JSON (nested too deep included)."""
    try:
        return True, json.loads(body)
    except (ValueError, RecursionError):
        return False, None


def _short_reason(exc: BaseException) -> str:
    """A short, human reason for a requests exception (without object reprs)."""
    reason: BaseException = exc
    for _dummy in range(5):
        inner = None
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


def _is_pool_path(segments: list[str]) -> bool:
    """``project/P/service/S/connection_pool[/NAME]``."""
    return len(segments) in (5, 6) and [segments[0], segments[2], segments[4]] == ["project", "service", "connection_pool"]


def _content_length(headers: Any) -> int | None:
    value = str(headers.get("Content-Length") or "").strip()
    return int(value) if value.isdigit() else None


def _retry_after(value: str) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); None when unusable."""
    value = value.strip()
    if re.match(r"^\d+(\.\d+)?$", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return when.timestamp() - time.time()


def _token_pattern(token: str) -> re.Pattern:
    """The token as written, URL-quoted (``%2F``, ``%2f``, ``+``-quoting's ``%2B``) or quoted twice."""
    parts = []
    for char in token:
        code = f"{ord(char):02x}"
        hex_code = f"[{code[0]}{code[0].upper()}][{code[1]}{code[1].upper()}]"
        parts.append(f"(?:{re.escape(char)}|%{hex_code}|%25{hex_code})")
    return re.compile("".join(parts))


class AivenClient:
    """A keep-alive session to the Aiven API, safe to share between threads."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        validate_certs: bool = True,
        ca_path: str | None = None,
        max_retries: int = 6,
        backoff_factor: float = 1.0,
        backoff_max: float = 15.0,
        pool_connections: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = (token or "").strip()
        self._token_problem = ""
        if not self._token:
            self._token_problem = "no API token given"
        elif not re.match(r"^[\x21-\x7e]+$", self._token):
            self._token_problem = "the API token contains spaces, control or non-ASCII characters"
        self._token_echo = _token_pattern(self._token) if not self._token_problem else None
        self.origin = self._origin(api_url or DEFAULT_API_URL)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(backoff_max)
        # The longest wait a server may ask for before a retry.
        self.server_wait_max = max(self.backoff_max * 2.0, 0.0)
        self._sleep = sleep
        self._clock = clock
        # Holds every request through a 429's window, and paces them once a limit has been hit.
        self._pacer = RatePacer()
        # validate_certs=false turns checking off even with a ca_path (as in Ansible's own modules).
        self._verify: bool | str = (ca_path or True) if validate_certs else False
        if not HAS_REQUESTS:
            raise AivenApiError(None, "the Python library 'requests' is required to talk to the Aiven API")

        session = requests.Session()
        adapter = _deadline_adapter(max(int(pool_connections), 1))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update(
            {
                "User-Agent": f"dbpools.aiven/{COLLECTION_VERSION} (+{PROJECT_URL}) python-requests/{requests.__version__}",
                "Accept": "application/json",
            }
        )
        self._session = session
        self._auth = _TokenAuth(self._token)

    def __repr__(self) -> str:
        return f"AivenClient(api_url={self.origin!r})"

    @staticmethod
    def _origin(api_url: str) -> str:
        """Accept ``https://api.aiven.io``, with a trailing ``/`` or ``/v1`` too."""
        origin = api_url.strip().rstrip("/")
        if origin.endswith("/v1"):
            origin = origin[: -len("/v1")].rstrip("/")
        return origin

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AivenClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------

    def _scrub(self, text: str) -> str:
        if self._token_echo is not None and text:
            return self._token_echo.sub(_REDACTED, text)
        return text

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub(value)
        if isinstance(value, list):
            return [self._scrub_value(item) for item in value]
        if isinstance(value, dict):
            return {self._scrub_value(key): self._scrub_value(item) for key, item in value.items()}
        return value

    @staticmethod
    def _quote(segment: str) -> str:
        text = str(segment)
        if text in (".", ".."):
            # Dot segments would be resolved away by URL normalisation.
            return "%2E" * len(text)
        return quote(text, safe="")

    def _path(self, method: str, segments: list[str]) -> str:
        path = "/v1/" + "/".join(self._quote(segment) for segment in segments)
        if any(str(segment) == "" for segment in segments):
            raise AivenApiError(None, "empty path segment (project, service or pool name missing)", method=method, path=path)
        return path

    # -- one attempt ----------------------------------------------------

    def _exchange(self, method: str, url: str, body: dict | None) -> _Exchange:
        """One attempt, within the deadline, with the URL exactly as built.

        ``Session.request`` would re-quote the URL and turn ``%2E`` back into ``.``,
        so a pool named ``..`` could address another resource; the prepared
        request's URL is therefore replaced by ours.
        """
        session = self._session
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

    def _read(self, response: Any, deadline: _Deadline) -> _Exchange:
        got = _Exchange(int(response.status_code), str(response.reason or ""), response.headers)
        chunks = []
        try:
            for chunk in response.iter_content(16384):
                chunks.append(chunk)
        except (requests.exceptions.RequestException, OSError) as exc:
            got.complete = False
            got.problem = self._timed_out() if deadline.expired else f"the reply was cut off ({_short_reason(exc)})"
        got.body = b"".join(chunks)
        if not got.complete:
            return got
        expected = _content_length(response.headers)
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

    def _timed_out(self) -> str:
        return f"timed out: no complete reply within {self.timeout:g} s"

    def _no_reply(self, exc: BaseException, expired: bool) -> _Exchange:
        got = _Exchange()
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

    # -- waits ----------------------------------------------------------

    def _backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1-based): 0, then factor * 2^(retry-1) with jitter, capped."""
        if retry <= 1:
            return 0.0
        jitter = random.random() * min(self.backoff_factor, 1.0)
        return max(0.0, min(self.backoff_max, self.backoff_factor * 2 ** (retry - 1) + jitter))

    def _server_wait(self, got: _Exchange) -> float | None:
        """The wait the server named for this reply (capped), or None."""
        seconds = None
        header = got.headers.get("Retry-After")
        if got.status in _RETRY_AFTER_STATUSES and header:
            seconds = _retry_after(str(header))
        if seconds is None and got.status == 429:
            found = _TRY_AGAIN_IN.search(got.body.decode("utf-8", "replace"))
            seconds = float(found.group(1)) if found else None
        if seconds is None:
            return None
        return min(max(seconds, 0.0), self.server_wait_max)

    def _hold_until(self, seconds: float) -> None:
        self._pacer.hold_until(self._clock() + seconds)

    def _wait_for_turn(self) -> Turn:
        """Sleep until this attempt may go (see ``_pacing``)."""
        while True:
            now = self._clock()
            turn = self._pacer.reserve(now)
            if turn.start > now:
                self._sleep(turn.start - now)
            # A 429 answered to another thread meanwhile moves the turn past its wait.
            if self._pacer.still_free(turn):
                return turn

    def _tell_pacer(self, got: _Exchange, turn: Turn, sent: float, server_wait: float | None) -> None:
        if got.status == 429:
            if server_wait is not None:
                # Recorded even when this request gives up: the client's next one must not start inside the window.
                self._hold_until(server_wait)
            found = _RATE_LIMIT.search(got.body.decode("utf-8", "replace"))
            self._pacer.refused(turn, sent, self._clock(), int(found.group(1)) if found else None)
        elif got.status is not None and got.status < 500 and got.status not in _NOT_APPLIED_STATUSES:
            self._pacer.accepted(sent)

    # -- the request loop -------------------------------------------------

    def _send(self, method: str, segments: list[str], body: dict | None = None, query: str = "") -> dict:
        """Attempt, judge the reply, wait, attempt again (see the module's docstring for the rules)."""
        method = method.upper()
        path = self._path(method, segments)
        url = self.origin + path + (f"?{query}" if query else "")
        if self._token_problem:
            raise AivenApiError(None, self._token_problem, method=method, path=path)
        pool_write = method in _WRITE_METHODS and _is_pool_path(segments)
        attempt = 0
        maybe_applied = False
        while True:
            attempt += 1
            turn = self._wait_for_turn()
            sent = self._clock()
            got = self._exchange(method, url, body)
            server_wait = self._server_wait(got) if got.status in _RETRY_AFTER_STATUSES else None
            self._tell_pacer(got, turn, sent, server_wait)
            if got.status is not None and 200 <= got.status < 300 and (got.complete or method != "GET"):
                return self._success(got, method, path, attempt)
            error = self._error_of(got, method, path)
            # A status of None: no usable reply (none at all, or a read cut off).
            retryable = not got.fatal and (error.status is None or error.status in RETRY_STATUSES or (pool_write and error.service_missing))
            if not retryable or attempt > self.max_retries:
                raise self._final(error, attempt, maybe_applied, gave_up=retryable)
            if error.status is None:
                maybe_applied = maybe_applied or got.sent
            elif error.status not in _NOT_APPLIED_STATUSES and not error.service_missing:
                maybe_applied = True
            wait = self._backoff(attempt) if server_wait is None else server_wait
            if wait > 0:
                self._sleep(wait)

    def _success(self, got: _Exchange, method: str, path: str, attempt: int) -> dict:
        if method != "GET":
            # Applied: a write's reply carries only a message, so a cut-off or odd body changes nothing.
            parsed, data = _parse_json(got.body) if got.complete and got.body.strip() else (True, {})
            return data if parsed and isinstance(data, dict) else {}
        if not got.body.strip():
            return {}
        parsed, data = _parse_json(got.body)
        if not parsed:
            message = f"invalid JSON in reply: {_plain_excerpt(got.body.decode('utf-8', 'replace'))}"
            raise AivenApiError(got.status, self._scrub(message), method=method, path=path, retried=attempt > 1, attempts=attempt)
        if not isinstance(data, dict):
            message = f"unexpected reply, not a JSON object: {_plain_excerpt(json.dumps(data))}"
            raise AivenApiError(got.status, self._scrub(message), method=method, path=path, retried=attempt > 1, attempts=attempt)
        return data

    def _error_of(self, got: _Exchange, method: str, path: str) -> AivenApiError:
        """The error one attempt amounts to (the loop decides whether it is final)."""
        if got.status is None:
            return AivenApiError(None, self._scrub(got.problem), method=method, path=path)
        if 200 <= got.status < 300:
            # A read whose body was cut off: no usable reply.
            return AivenApiError(None, self._scrub(f"incomplete reply from {self.origin}: {got.problem}"), method=method, path=path)
        parsed, data = _parse_json(got.body)
        message = ""
        errors: list = []
        if isinstance(data, dict):
            raw_errors = data.get("errors")
            if isinstance(raw_errors, list):
                errors = raw_errors
            raw_message = data.get("message")
            if isinstance(raw_message, str) and raw_message.strip():
                message = raw_message.strip()
            else:
                for item in errors:
                    if isinstance(item, dict) and isinstance(item.get("message"), str) and item["message"].strip():
                        message = item["message"].strip()
                        break
        if not message:
            reason = got.reason.strip() or "no reason given"
            excerpt = "" if parsed else _plain_excerpt(got.body.decode("utf-8", "replace"))
            message = f"{reason}: {excerpt}" if excerpt else reason
        return AivenApiError(got.status, self._scrub(message), errors=self._scrub_value(errors), method=method, path=path)

    @staticmethod
    def _final(error: AivenApiError, attempts: int, maybe_applied: bool, gave_up: bool) -> AivenApiError:
        message = error.message
        if error.status is None and gave_up and attempts > 1:
            message += f" (gave up after {attempts} attempts)"
        return AivenApiError(error.status, message, errors=error.errors, method=error.method, path=error.path,
                             retried=attempts > 1, maybe_applied=maybe_applied, attempts=attempts, gave_up=gave_up)

    # -- API ------------------------------------------------------------

    def request(self, method: str, segments: list[str], body: dict | None = None, query: str = "") -> dict:
        """Call ``/v1/<segments>``; every segment is URL-quoted. Returns the parsed JSON ({} when empty)."""
        return self._send(method, segments, body, query)

    def get_service(self, project: str, service: str, include_secrets: bool = False) -> dict:
        """The service document (with ``connection_pools``).

        Since 2026 the API answers passwords, also those inside the pools' URIs, as
        ``<redacted>`` unless ``include_secrets`` is asked for.
        """
        query = "include_secrets=true" if include_secrets else ""
        data = self.request("GET", ["project", project, "service", service], query=query)
        document = data.get("service")
        if not isinstance(document, dict):
            path = self._path("GET", ["project", project, "service", service])
            raise AivenApiError(200, "reply has no 'service' object", method="GET", path=path)
        return document

    def list_services(self, project: str, include_secrets: bool = False) -> list[dict]:
        """The project's services, each the same document as :meth:`get_service` gives."""
        query = "include_secrets=true" if include_secrets else ""
        data = self.request("GET", ["project", project, "service"], query=query)
        services = data.get("services")
        if not isinstance(services, list) or not all(isinstance(item, dict) for item in services):
            path = self._path("GET", ["project", project, "service"])
            what = "reply has no 'services' list" if not isinstance(services, list) else "reply's 'services' list holds a non-object"
            raise AivenApiError(200, what, method="GET", path=path)
        return services

    def get_project_ca(self, project: str) -> str:
        """The PEM certificate of the project's CA, which signs its services' TLS certificates (for sslmode=verify-full)."""
        data = self.request("GET", ["project", project, "kms", "ca"])
        certificate = data.get("certificate")
        if not isinstance(certificate, str) or "BEGIN CERTIFICATE" not in certificate:
            path = self._path("GET", ["project", project, "kms", "ca"])
            raise AivenApiError(200, "reply has no PEM 'certificate'", method="GET", path=path)
        return certificate

    def create_pool(self, project: str, service: str, body: dict) -> bool:
        """Create a pool. True when created; False when a retried create was answered
        "already exists" because an earlier attempt, whose reply was lost, had created it.
        """
        try:
            self._send("POST", ["project", project, "service", service, "connection_pool"], body)
        except AivenApiError as err:
            if err.already_exists and err.maybe_applied:
                return False
            raise
        return True

    def update_pool(self, project: str, service: str, pool_name: str, body: dict) -> None:
        """Change a pool; fields left out of ``body`` stay as they are."""
        self._send("PUT", ["project", project, "service", service, "connection_pool", pool_name], body)

    def delete_pool(self, project: str, service: str, pool_name: str) -> bool:
        """Delete a pool. False (not an error) when it is already gone; a missing service is an error."""
        try:
            self._send("DELETE", ["project", project, "service", service, "connection_pool", pool_name])
        except AivenApiError as err:
            if err.not_found and not err.service_missing:
                return False
            raise
        return True
