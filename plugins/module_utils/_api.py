# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP access to the Aiven REST API for the connection pool modules.

This is the only place that knows HTTP: the session, authentication, retries
and Aiven's error shape. It knows nothing about Ansible results; every failure
is raised as one exception type, :class:`AivenApiError`.

Retries are done by urllib3 (a ``Retry`` mounted on the requests adapter):
connection errors, lost replies and the statuses 408, 429 and 5xx are retried
for every method, with exponential backoff, honouring ``Retry-After`` up to a
cap. Writes stay safe because the callers reconcile: a retried create that is
answered "already exists" was applied by an earlier attempt whose reply was
lost, and a delete of a pool that is gone is a success.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
import traceback
from typing import Any, Callable
from urllib.parse import quote

from ansible_collections.dbpools.aiven.plugins.module_utils._version import COLLECTION_VERSION

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError as _Urllib3ConnectTimeoutError
    from urllib3.exceptions import HTTPError as _Urllib3HTTPError
    from urllib3.exceptions import MaxRetryError as _Urllib3MaxRetryError
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


DEFAULT_API_URL = "https://api.aiven.io"
PROJECT_URL = "https://galaxy.ansible.com/ui/repo/published/dbpools/aiven/"

# Statuses worth another attempt: timeout, rate limit and transient backend faults.
RETRY_STATUSES = frozenset([408, 429, 500, 501, 502, 503, 504])
# Statuses that prove the server did not apply a request (it was refused, not lost).
_NOT_APPLIED_STATUSES = frozenset([408, 429])
RETRY_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])

_REDACTED = "<redacted>"
_EXCERPT_LENGTH = 200


class AivenApiError(Exception):
    """Any failure talking to the Aiven API.

    ``status`` is the HTTP status, or None when no reply came (connection
    refused, timeouts, TLS errors, after the retries). ``message`` is Aiven's
    message or a clear text; it never contains the API token.
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
    ) -> None:
        self.status = status
        self.message = message
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        # True when urllib3 made more than one attempt for this request.
        self.retried = retried
        # True when an earlier attempt of this request may have been applied by
        # the server although its reply never arrived (lost reply, 5xx).
        self.maybe_applied = maybe_applied
        # HTTP attempts behind this answer: more than 1 when retries ran out.
        self.attempts = attempts
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.path}".strip()
        what = self.message if self.status is None else f"HTTP {self.status}: {self.message}"
        if self.status in RETRY_STATUSES and self.attempts > 1:
            what += f" (gave up after {self.attempts} attempts)"
        return f"{where}: {what}" if where else what

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return f"AivenApiError(status={self.status!r}, message={self.message!r}, method={self.method!r}, path={self.path!r})"

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
        if self.status != 409:
            return False
        texts = [self.message]
        texts.extend(str(item.get("message", "")) for item in self.errors if isinstance(item, dict))
        return any("already exists" in text.lower() for text in texts)

    @property
    def not_found(self) -> bool:
        return self.status == 404

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


class _Reply:
    """A successful reply: parsed JSON plus what the retry history says."""

    __slots__ = ("data", "maybe_applied", "retried", "status")

    def __init__(self, status: int, data: dict, retried: bool, maybe_applied: bool) -> None:
        self.status = status
        self.data = data
        self.retried = retried
        self.maybe_applied = maybe_applied


class _TokenAuth:
    """Sets the Aiven token header (given as ``auth`` so that no ~/.netrc entry replaces it)."""

    def __init__(self, token: str) -> None:
        self._header = f"aivenv1 {token}"

    def __call__(self, prepared: Any) -> Any:
        prepared.headers["Authorization"] = self._header
        return prepared

    def __repr__(self) -> str:
        return "_TokenAuth(<redacted>)"


class _Counter:
    """A thread-safe counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def add(self, amount: int = 1) -> None:
        with self._lock:
            self._value += amount

    @property
    def value(self) -> int:
        with self._lock:
            return self._value


def _make_retry(max_retries: int, backoff_factor: float, backoff_max: float, on_retry: Callable[[], None]) -> Any:
    """Build the urllib3 ``Retry`` used by the adapter.

    A subclass is made here (not at import time, since urllib3 may be missing)
    to cap ``Retry-After`` at ``backoff_max * 2`` seconds, to count attempts,
    and to carry ``backoff_max`` on urllib3 1.26 where it is a class attribute.
    """
    retry_after_cap = max(float(backoff_max) * 2.0, 0.0)

    class _AivenRetry(Retry):  # type: ignore[misc,valid-type]
        # Only these carry a meaningful Retry-After for the Aiven API.
        RETRY_AFTER_STATUS_CODES = frozenset([429, 503])
        # urllib3 1.26: the backoff ceiling is a class attribute (renamed in 1.26.9).
        DEFAULT_BACKOFF_MAX = backoff_max
        BACKOFF_MAX = backoff_max

        def parse_retry_after(self, retry_after: str) -> float:
            try:
                seconds = float(super().parse_retry_after(retry_after))
            except (ValueError, TypeError, OverflowError, _Urllib3HTTPError):
                # Unparsable header: fall back to the exponential backoff.
                return 0.0
            return min(max(seconds, 0.0), retry_after_cap)

        def increment(self, *args: Any, **kwargs: Any) -> Any:
            new_retry = super().increment(*args, **kwargs)
            # Reached only when another attempt will be made.
            on_retry()
            return new_retry

    accepted = set(inspect.signature(Retry.__init__).parameters)
    options: dict[str, Any] = {
        "total": max_retries,
        "connect": max_retries,
        "read": max_retries,
        "status": max_retries,
        "redirect": 0,
        "status_forcelist": RETRY_STATUSES,
        "backoff_factor": backoff_factor,
        "respect_retry_after_header": True,
        "raise_on_status": False,
        "raise_on_redirect": False,
    }
    if "allowed_methods" in accepted:
        options["allowed_methods"] = RETRY_METHODS
    else:  # urllib3 < 1.26
        options["method_whitelist"] = RETRY_METHODS
    if "other" in accepted:
        # TLS and other unexpected errors are not transient: fail at once.
        options["other"] = 0
    if "backoff_max" in accepted:
        options["backoff_max"] = backoff_max
    if "backoff_jitter" in accepted:
        options["backoff_jitter"] = min(float(backoff_factor), 1.0)
    return _AivenRetry(**options)


def _retry_history(response: Any) -> tuple:
    """urllib3's record of the failed attempts before this reply."""
    retries = getattr(getattr(response, "raw", None), "retries", None)
    return tuple(getattr(retries, "history", None) or ())


def _history_flags(response: Any) -> tuple[bool, bool]:
    """(retried, maybe_applied) from the urllib3 retry history of a reply."""
    history = _retry_history(response)
    maybe_applied = False
    for entry in history:
        error = getattr(entry, "error", None)
        status = getattr(entry, "status", None)
        if error is not None:
            # A connection that was never made cannot have applied anything;
            # a reply lost after the request was sent may have.
            if not isinstance(error, _Urllib3ConnectTimeoutError):
                maybe_applied = True
        elif status is not None and status not in _NOT_APPLIED_STATUSES:
            maybe_applied = True
    return bool(history), maybe_applied


def _attempts(response: Any) -> int:
    """How many HTTP attempts led to this reply (1 when it was not retried)."""
    return len(_retry_history(response)) + 1


def _plain_excerpt(text: str) -> str:
    """The start of a non-JSON body (an HTML error page from a proxy), as one line."""
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[:_EXCERPT_LENGTH] + "..."
    return text


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
    ) -> None:
        self._token = (token or "").strip()
        self._token_problem = ""
        if not self._token:
            self._token_problem = "no API token given"
        elif not re.match(r"^[\x21-\x7e]+$", self._token):
            self._token_problem = "the API token contains spaces, control or non-ASCII characters"
        self.origin = self._origin(api_url or DEFAULT_API_URL)
        self.timeout = timeout
        self.max_retries = max_retries
        # validate_certs=false turns checking off even with a ca_path (as in Ansible's own modules).
        self._verify: bool | str = (ca_path or True) if validate_certs else False
        self._requests_sent = _Counter()
        if not HAS_REQUESTS:
            raise AivenApiError(None, "the Python library 'requests' is required to talk to the Aiven API")

        retry = _make_retry(max_retries, backoff_factor, backoff_max, self._requests_sent.add)
        size = max(int(pool_connections), 1)
        adapter = HTTPAdapter(pool_connections=size, pool_maxsize=size, max_retries=retry)
        session = requests.Session()
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

    @property
    def requests_sent(self) -> int:
        """HTTP attempts made so far, retries included."""
        return self._requests_sent.value

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AivenClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------

    def _scrub(self, text: str) -> str:
        if self._token and text:
            return text.replace(self._token, _REDACTED)
        return text

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub(value)
        if isinstance(value, list):
            return [self._scrub_value(item) for item in value]
        if isinstance(value, dict):
            return {key: self._scrub_value(item) for key, item in value.items()}
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

    def _transmit(self, method: str, url: str, body: dict | None) -> Any:
        """One call through the session (urllib3 retries inside), with the URL exactly as built.

        ``Session.request`` would re-quote the URL and turn ``%2E`` back into ``.``,
        so a pool named ``..`` could address another resource; the prepared
        request's URL is therefore replaced by ours.
        """
        session = self._session
        prepared = session.prepare_request(requests.Request(method, url, json=body, auth=self._auth))
        prepared.url = url
        settings = session.merge_environment_settings(url, {}, None, self._verify, None)
        return session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)

    def _unreachable(self, exc: OSError) -> str:
        """Why no reply came; TLS failures (never retried) say how to trust a private CA."""
        reason = _short_reason(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            message = f"TLS connection to {self.origin} failed: {reason}"
            if "CERTIFICATE_VERIFY_FAILED" in reason:
                message += "; the certificate is not trusted: give the CA that signed it with ca_path"
            elif "X509" in reason:
                message += "; the CA file (ca_path or REQUESTS_CA_BUNDLE) holds no usable PEM certificate"
            return message
        message = f"cannot reach {self.origin}: {reason}"
        if self._attempts_for(exc) > 1:
            message += f" (gave up after {self._attempts_for(exc)} attempts)"
        return message

    def _attempts_for(self, exc: OSError) -> int:
        """Attempts behind a request that got no reply: all of them for errors urllib3 retries."""
        retried = isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))
        if isinstance(exc, requests.exceptions.SSLError) or not retried:
            return 1
        return self.max_retries + 1

    def _send(self, method: str, segments: list[str], body: dict | None = None, query: str = "") -> _Reply:
        method = method.upper()
        path = self._path(method, segments)
        url = self.origin + path + (f"?{query}" if query else "")
        if self._token_problem:
            raise AivenApiError(None, self._token_problem, method=method, path=path)
        self._requests_sent.add()
        try:
            response = self._transmit(method, url, body)
        except (requests.exceptions.RequestException, OSError) as exc:
            # A plain OSError comes from requests for a CA bundle path that does not exist (REQUESTS_CA_BUNDLE).
            message = self._unreachable(exc)
            # "from None": the chained exception could show request headers.
            raise AivenApiError(None, self._scrub(message), method=method, path=path, attempts=self._attempts_for(exc)) from None

        retried, maybe_applied = _history_flags(response)
        status = response.status_code
        if not 200 <= status < 300:
            raise self._error_from(response, method, path, retried, maybe_applied)
        if not response.content or not response.content.strip():
            return _Reply(status, {}, retried, maybe_applied)
        try:
            data = response.json()
        except ValueError:
            message = f"invalid JSON in reply: {_plain_excerpt(response.text)}"
            raise AivenApiError(status, self._scrub(message), method=method, path=path, retried=retried) from None
        if not isinstance(data, dict):
            message = f"unexpected reply, not a JSON object: {_plain_excerpt(json.dumps(data))}"
            raise AivenApiError(status, self._scrub(message), method=method, path=path, retried=retried)
        return _Reply(status, data, retried, maybe_applied)

    def _error_from(self, response: Any, method: str, path: str, retried: bool, maybe_applied: bool) -> AivenApiError:
        status = int(response.status_code)
        try:
            data = response.json()
        except ValueError:
            data = None
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
            reason = str(response.reason or "").strip() or "no reason given"
            excerpt = _plain_excerpt(response.text or "") if data is None else ""
            message = f"{reason}: {excerpt}" if excerpt else reason
        return AivenApiError(
            status,
            self._scrub(message),
            errors=self._scrub_value(errors),
            method=method,
            path=path,
            retried=retried,
            maybe_applied=maybe_applied,
            attempts=_attempts(response),
        )

    # -- API ------------------------------------------------------------

    def request(self, method: str, segments: list[str], body: dict | None = None, query: str = "") -> dict:
        """Call ``/v1/<segments>``; every segment is URL-quoted. Returns the parsed JSON ({} when empty)."""
        return self._send(method, segments, body, query).data

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
        """Delete a pool. False (not an error) when it is already gone."""
        try:
            self._send("DELETE", ["project", project, "service", service, "connection_pool", pool_name])
        except AivenApiError as err:
            if err.not_found:
                return False
            raise
        return True
