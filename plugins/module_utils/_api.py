# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Aiven REST API for the connection pool modules: its endpoints, retries and error shape.

Sending and reading one attempt is ``_transport``'s (the session, authentication and
the per-attempt deadline); this file judges each reply and decides what comes next.
It knows nothing about Ansible results; every failure is raised as one exception
type, :class:`AivenApiError`.

A request is a loop of attempts (``AivenClient.request``): send, judge the reply,
wait, send again. The loop is ours rather than urllib3's because the judgement
needs the whole reply, body included.

- Bounded: a reply is read up to ``_transport``'s cap and parsed only when it nests
  at most JSON_MAX_DEPTH deep; either refusal keeps the reply's status, and a
  successful reply refused so is not retried (it would come again).
- Retried, for every method: no reply, a reply cut off (a timeout included),
  408, 429, 5xx, and a pool write answered 404 "Service X does not exist" (a
  service just created, as Aiven's Go client retries it).
- The waits grow exponentially (0, 2, 4, 8, 15, 15 s with jitter); a wait the
  server names (``Retry-After`` on 429 or 503, in seconds or any HTTP date form,
  else a 429's "try again in Ns") replaces it, from 0 up to ``server_wait_max``
  (60 s: production names tens of seconds); garbage is ignored, a past date is 0,
  a huge or far-future one is 60 s. A 429's wait holds the client's other requests
  too: attempts spent inside a rate-limit window would only be refused again.
- Rate-limit pacing (``_pacing``): nothing is paced until a 429 names a limit
  ("Rate limit N exceeded"). Then every thread holds until the named wait ends and
  the pacer allows a budget of N attempts per period (the first one alone), then one
  probe at a time: an accepted probe doubles the budget (a bogus "Rate limit 1" is
  outgrown within a few round trips), a refused one starts the next period; a
  refusal within the budget shrinks it. Once two probes in a row are refused, the
  pacer pauses to the period's end instead of probing, probing every 1, 2, 4, at
  most 8 periods. Under production's window (120 per 60 s) 520 requests from 8
  threads see 1.9% refused in 1.01 times the limit's own minimum (simulated).
- Bounds: no single wait is longer than 60 s; one attempt waits at most 120 s for
  its turn (a hold, then a pause; past that it goes anyway); so a request waits at
  most ``max_retries`` x 60 s between attempts plus 120 s per attempt for turns.
- Writes stay safe because the callers reconcile: a retried create answered
  "already exists" was applied by an earlier attempt whose reply was lost, and a
  delete of a pool that is gone is a success (``delete_pool`` says whether it was
  this client's or another writer's). A write answered 2xx was applied,
  even when its reply is cut off or is not JSON (Aiven's carry only a message).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import time
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Protocol
from urllib.parse import quote

from ansible_collections.dbpools.aiven.plugins.module_utils._pacing import BUDGET_MAX, RatePacer, Turn
from ansible_collections.dbpools.aiven.plugins.module_utils._text import printable
from ansible_collections.dbpools.aiven.plugins.module_utils._transport import Exchange, Transport

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
# The public Aiven API: the client's origin when no api_url is given.
DEFAULT_API_URL = "https://api.aiven.io"
# The longest wait the client takes from a server (Retry-After or "try again in Ns"); production names up to tens of seconds.
SERVER_WAIT_MAX = 60.0

# What GET /v1/project/{project}/kms/ca needs, the only permission Aiven's map lists for it
# (go-client-codegen permissions.yaml, ProjectKmsGetCA).
PROJECT_CA_PERMISSION = "organization:projects:write"

_REDACTED = "<redacted>"
_EXCERPT_LENGTH = 200

# The deepest nesting of arrays and objects a reply may have. Aiven's documents nest about 6 deep (a
# service's user_config); 64 keeps every walk of a reply, Ansible's included, far from Python's recursion limit.
JSON_MAX_DEPTH = 64
NOT_JSON = "not JSON"
TOO_DEEP = f"nested deeper than {JSON_MAX_DEPTH} levels of arrays and objects (the most this collection reads)"
# A JSON string, escapes included (unrolled, so that long strings match fast).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class AivenApiError(Exception):
    """Any failure talking to the Aiven API.

    ``status`` is the HTTP status, or None when no usable reply came (connection
    refused, timeouts, TLS errors, replies cut off, after the retries). ``message``
    is Aiven's message or a clear text; it never contains the API token. It is kept
    as sent (``failure()`` returns it); ``str(error)`` shows it ``printable``.
    """

    status: int | None
    message: str
    errors: list
    method: str
    path: str
    maybe_applied: bool
    attempts: int
    gave_up: bool
    hint: str

    def __init__(
        self,
        status: int | None,
        message: str,
        errors: list | None = None,
        method: str = "",
        path: str = "",
        maybe_applied: bool = False,
        attempts: int = 1,
        gave_up: bool = False,
        hint: str = "",
    ) -> None:
        self.status = status
        self.message = message
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        # True when an earlier attempt of this request may have been applied by
        # the server although its reply never arrived (lost reply, 5xx).
        self.maybe_applied = maybe_applied
        # HTTP attempts behind this answer: more than 1 when it was retried.
        self.attempts = attempts
        # The answer was worth another attempt but the retries ran out.
        self.gave_up = gave_up
        # What the user can do about it, ours (failure() keeps the API's message apart).
        self.hint = hint
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.path}".strip()
        # For people: the API's text without control characters and bounded; failure() keeps it as sent.
        message = printable(self.message)
        what = message if self.status is None else f"HTTP {self.status}: {message}"
        # Without a status the message itself says it (see AivenClient._final).
        if self.status is not None and self.gave_up and self.attempts > 1:
            what += f" (gave up after {self.attempts} attempts)"
        if self.hint:
            what += f"; {self.hint}"
        return f"{where}: {what}" if where else what

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


def local_failure(message: str, status: int | None = None, attempts: int = 0) -> dict:
    """``failure`` of a problem found without an API error: a bad option (no request made, ``attempts`` 0), or,
    with ``status`` 200, a reply the contract does not allow. The keys are those of an API failure.
    """
    return AivenApiError(status, message, attempts=attempts).failure()


def _plain_excerpt(text: str) -> str:
    """The start of a non-JSON body (an HTML error page from a proxy), as one line."""
    # Only the start is looked at: the body may be megabytes.
    text = re.sub(r"<[^>]*>", " ", text[: _EXCERPT_LENGTH * 20])
    text = " ".join(text.split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[:_EXCERPT_LENGTH] + "..."
    return text


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (JSON or not), brackets inside strings left out."""
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _parse_json(body: bytes) -> tuple[Any, str]:
    """(value, "") or (None, why the body is no usable JSON): not JSON, or nested deeper than JSON_MAX_DEPTH.

    The depth is measured before parsing, so that neither the parser nor any later walk
    of the value (scrubbing, the ``errors`` of a failure, Ansible's own) nears Python's
    recursion limit.
    """
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")
    except (UnicodeDecodeError, LookupError):
        return None, NOT_JSON
    if json_depth(text) > JSON_MAX_DEPTH:
        return None, TOO_DEEP
    try:
        return json.loads(text), ""
    except (ValueError, RecursionError):
        return None, NOT_JSON


# What a service holds and this collection writes: its pools, databases and users.
_SERVICE_CHILDREN = ("connection_pool", "db", "user")


def _is_service_child_path(segments: list[str]) -> bool:
    """``project/P/service/S/(connection_pool|db|user)[/NAME]``: a write there on a service just created may get its 404."""
    return len(segments) in (5, 6) and [segments[0], segments[2]] == ["project", "service"] and segments[4] in _SERVICE_CHILDREN


def _retry_after(value: str) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date in any of its three forms); None when unusable.

    Not capped here: a huge number reads as infinity, a past date as negative; the caller bounds both.
    """
    value = value.strip()
    if re.match(r"^\d+(\.\d+)?$", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            # asctime dates carry no zone; HTTP dates are always UTC.
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp() - time.time()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def _named_limit(text: str) -> int | None:
    """N of a 429's "Rate limit N exceeded", bounded (a string of digits too long for int() is a huge limit)."""
    found = _RATE_LIMIT.search(text)
    if not found:
        return None
    digits = found.group(1)
    return BUDGET_MAX if len(digits) > 9 else int(digits)


def _token_hint(source: str, status: int | None, message: str) -> str:
    """Where the token came from (``source``), for an answer about the token: 401 or 403 "Not a project member"."""
    if not source:
        return ""
    if status == 401:
        return f"the API token is from {source}: check that it is valid, not expired or revoked"
    if status == 403 and "project member" in message.lower():
        return f"the API token is from {source}: its user must be a member of the project"
    return ""


def _token_pattern(token: str) -> re.Pattern:
    """The token as written, URL-quoted (``%2F``, ``%2f``, ``+``-quoting's ``%2B``) or quoted twice."""
    parts = []
    for char in token:
        code = f"{ord(char):02x}"
        hex_code = f"[{code[0]}{code[0].upper()}][{code[1]}{code[1].upper()}]"
        parts.append(f"(?:{re.escape(char)}|%{hex_code}|%25{hex_code})")
    return re.compile("".join(parts))


class AivenClient:
    """The Aiven API over one keep-alive session, safe to share between threads; needs requests (see HAS_REQUESTS)."""

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
        server_wait_max: float = SERVER_WAIT_MAX,
        pool_connections: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        token_sources: dict[str, str] | None = None,
    ) -> None:
        self._token = (token or "").strip()
        # Project -> where its token came from (``_project_tokens``), named when the API refuses it; never the token.
        self.token_sources = dict(token_sources or {})
        self._token_problem = ""
        if not self._token:
            self._token_problem = "no API token given"
        elif not re.match(r"^[\x21-\x7e]+$", self._token):
            self._token_problem = "the API token contains spaces, control or non-ASCII characters"
        self._token_echo = _token_pattern(self._token) if not self._token_problem else None
        self.origin = self._origin(api_url or DEFAULT_API_URL)
        self.max_retries = max_retries
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(backoff_max)
        # The longest wait a server may ask for before a retry, and the longest wait for a paced turn.
        self.server_wait_max = max(float(server_wait_max), 0.0)
        self.turn_wait_max = 2.0 * self.server_wait_max
        self._sleep = sleep
        self._clock = clock
        # Holds every request through a 429's window, and paces them once a limit has been hit.
        self._pacer = RatePacer(wait_max=self.server_wait_max)
        # validate_certs=false turns checking off even with a ca_path (as in Ansible's own modules).
        verify: bool | str = (ca_path or True) if validate_certs else False
        self._transport = Transport(self._token, self.origin, timeout, verify, pool_connections)

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
        self._transport.close()

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

    # -- waits ----------------------------------------------------------

    def _backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1-based): 0, then factor * 2^(retry-1) with jitter, capped."""
        if retry <= 1:
            return 0.0
        jitter = random.random() * min(self.backoff_factor, 1.0)
        return max(0.0, min(self.backoff_max, self.backoff_factor * 2 ** (retry - 1) + jitter))

    def _server_wait(self, got: Exchange) -> float | None:
        """The wait the server named for this reply (capped), or None."""
        seconds = None
        header = got.headers.get("Retry-After")
        if got.status in _RETRY_AFTER_STATUSES and header:
            seconds = _retry_after(str(header))
        if seconds is None and got.status == 429:
            found = _TRY_AGAIN_IN.search(got.body.decode("utf-8", "replace"))
            seconds = float(found.group(1)) if found else None
        if seconds is None or math.isnan(seconds):
            return None
        # Negative (a past date) is no wait; huge, infinite or far-future is the cap.
        return min(max(seconds, 0.0), self.server_wait_max)

    def _wait_for_turn(self) -> Turn:
        """Sleep until this attempt may go (see ``_pacing``); never longer than ``turn_wait_max`` in all."""
        since = self._clock()
        while True:
            now = self._clock()
            left = since + self.turn_wait_max - now
            turn = self._pacer.ask(now, force=left <= 0)
            if turn.go:
                return turn
            self._sleep(max(min(turn.at - now, left), 0.0))

    def _tell_pacer(self, got: Exchange, turn: Turn, server_wait: float | None) -> None:
        now = self._clock()
        if got.status == 429:
            # The hold is recorded even when this request gives up: the client's next one must not start inside the window.
            hold_end = now + server_wait if server_wait is not None else None
            self._pacer.refused(turn, now, _named_limit(got.body.decode("utf-8", "replace")), hold_end)
        elif got.status is not None and got.status < 500 and got.status not in _NOT_APPLIED_STATUSES:
            self._pacer.accepted(turn, now)
        else:
            self._pacer.failed(turn)

    # -- the request loop -------------------------------------------------

    def request(self, method: str, segments: list[str], body: dict | None = None, query: str = "") -> dict:
        """Call ``/v1/<segments>`` (each segment URL-quoted) and return the parsed JSON ({} when empty).

        Attempt, judge the reply, wait, attempt again: the rules are in the module's docstring.
        """
        method = method.upper()
        path = self._path(method, segments)
        url = self.origin + path + (f"?{query}" if query else "")
        source = self.token_sources.get(segments[1], "") if len(segments) > 1 and segments[0] == "project" else ""
        if self._token_problem:
            raise AivenApiError(None, self._token_problem, method=method, path=path, hint=f"the API token is from {source}" if source else "")
        child_write = method in _WRITE_METHODS and _is_service_child_path(segments)
        attempt = 0
        maybe_applied = False
        while True:
            attempt += 1
            turn = self._wait_for_turn()
            try:
                got = self._transport.exchange(method, url, body)
            except BaseException:
                # The pacer must not wait for the verdict of an attempt that never comes.
                self._pacer.failed(turn)
                raise
            server_wait = self._server_wait(got) if got.status in _RETRY_AFTER_STATUSES else None
            self._tell_pacer(got, turn, server_wait)
            if got.status is not None and 200 <= got.status < 300 and (got.complete or method != "GET"):
                return self._success(got, method, path, attempt)
            error = self._error_of(got, method, path)
            # A status of None: no usable reply (none at all, or a read cut off).
            retryable = not got.fatal and (error.status is None or error.status in RETRY_STATUSES or (child_write and error.service_missing))
            if not retryable or attempt > self.max_retries:
                raise self._final(error, attempt, maybe_applied, gave_up=retryable, hint=_token_hint(source, error.status, error.message))
            if error.status is None:
                maybe_applied = maybe_applied or got.sent
            elif error.status not in _NOT_APPLIED_STATUSES and not error.service_missing:
                maybe_applied = True
            # A 429's named wait is the pacer's hold, waited for in the next turn (so never twice).
            wait = self._backoff(attempt) if server_wait is None else (0.0 if error.status == 429 else server_wait)
            if wait > 0:
                self._sleep(wait)

    def _success(self, got: Exchange, method: str, path: str, attempt: int) -> dict:
        if method != "GET":
            # Applied: a write's reply carries only a message, so a cut-off or odd body changes nothing.
            data, problem = _parse_json(got.body) if got.complete and got.body.strip() else ({}, "")
            return data if not problem and isinstance(data, dict) else {}
        if not got.body.strip():
            return {}
        data, problem = _parse_json(got.body)
        if problem == TOO_DEEP:
            raise AivenApiError(got.status, f"reply {TOO_DEEP}; not read", method=method, path=path, attempts=attempt)
        if problem:
            message = f"invalid JSON in reply: {_plain_excerpt(got.body.decode('utf-8', 'replace'))}"
            raise AivenApiError(got.status, self._scrub(message), method=method, path=path, attempts=attempt)
        if not isinstance(data, dict):
            message = f"unexpected reply, not a JSON object: {_plain_excerpt(json.dumps(data))}"
            raise AivenApiError(got.status, self._scrub(message), method=method, path=path, attempts=attempt)
        return data

    def _error_of(self, got: Exchange, method: str, path: str) -> AivenApiError:
        """The error one attempt amounts to (the loop decides whether it is final)."""
        if got.status is None:
            return AivenApiError(None, self._scrub(got.problem), method=method, path=path)
        if got.oversized:
            # The status came; the body was not read. An error reply's status still decides what comes next.
            what = got.problem if 200 <= got.status < 300 else f"{got.reason.strip() or 'no reason given'}: {got.problem}"
            return AivenApiError(got.status, self._scrub(what), method=method, path=path)
        if 200 <= got.status < 300:
            # A read whose body was cut off: no usable reply.
            return AivenApiError(None, self._scrub(f"incomplete reply from {self.origin}: {got.problem}"), method=method, path=path)
        data, problem = _parse_json(got.body)
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
            excerpt = ""
            if problem == TOO_DEEP:
                excerpt = f"reply {TOO_DEEP}; not read"
            elif problem:
                excerpt = _plain_excerpt(got.body.decode("utf-8", "replace"))
            message = f"{reason}: {excerpt}" if excerpt else reason
        return AivenApiError(got.status, self._scrub(message), errors=self._scrub_value(errors), method=method, path=path)

    @staticmethod
    def _final(error: AivenApiError, attempts: int, maybe_applied: bool, gave_up: bool, hint: str = "") -> AivenApiError:
        message = error.message
        if error.status is None and gave_up and attempts > 1:
            message += f" (gave up after {attempts} attempts)"
        return AivenApiError(error.status, message, errors=error.errors, method=error.method, path=error.path,
                             maybe_applied=maybe_applied, attempts=attempts, gave_up=gave_up, hint=hint)

    # -- API ------------------------------------------------------------

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
        """The PEM certificate of the project's CA, which signs its services' TLS certificates (for sslmode=verify-full).

        It needs PROJECT_CA_PERMISSION: a token with a project role only may be answered 403.
        """
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
            self.request("POST", ["project", project, "service", service, "connection_pool"], body)
        except AivenApiError as err:
            if err.already_exists and err.maybe_applied:
                return False
            raise
        return True

    def update_pool(self, project: str, service: str, pool_name: str, body: dict) -> None:
        """Change a pool; fields left out of ``body`` stay as they are."""
        self.request("PUT", ["project", project, "service", service, "connection_pool", pool_name], body)

    def delete_pool(self, project: str, service: str, pool_name: str) -> bool:
        """Delete a pool. True when this call deleted it; False when the pool was already gone (a missing service raises).

        A 404 for the pool on the first attempt means another writer deleted it first.
        After an attempt whose reply was lost, a 404 is that attempt's doing: True.
        """
        return self.delete(["project", project, "service", service, "connection_pool", pool_name])

    def delete(self, segments: list[str]) -> bool:
        """DELETE what ``segments`` name in a service (a pool, a database, a user). True when this call deleted it;
        False when it was already gone: a 404 on the first attempt, another writer's doing. A missing service raises.

        After an attempt whose reply was lost, a 404 is that attempt's doing: True.
        """
        try:
            self.request("DELETE", segments)
        except AivenApiError as err:
            if not err.not_found or err.service_missing:
                raise
            return err.maybe_applied
        return True


class PoolsApi(Protocol):
    """The requests the write engine and ServiceReader make: an AivenClient, or the clients of a run by project (``_project_tokens``)."""

    def get_service(self, project: str, service: str, include_secrets: bool = False) -> dict: ...

    def list_services(self, project: str, include_secrets: bool = False) -> list[dict]: ...

    def create_pool(self, project: str, service: str, body: dict) -> bool: ...

    def update_pool(self, project: str, service: str, pool_name: str, body: dict) -> None: ...

    def delete_pool(self, project: str, service: str, pool_name: str) -> bool: ...
