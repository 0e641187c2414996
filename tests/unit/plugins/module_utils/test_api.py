# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the HTTP layer against a scripted server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ansible_collections.dbpools.aiven.plugins.module_utils._api import (
    DEFAULT_API_URL,
    AivenApiError,
    AivenClient,
)
from ansible_collections.dbpools.aiven.plugins.module_utils._version import COLLECTION_VERSION
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.api_helpers import (
    POOLS_PATH,
    SERVICE_PATH,
    TOKEN,
    aiven_error,
    make_client,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.stub_server import DROP


def assert_no_token(err: AivenApiError) -> None:
    for text in (str(err), repr(err), repr(err.failure()), repr(err.args), err.message):
        assert TOKEN not in text


# -- headers, URL handling ------------------------------------------------


def test_auth_header_and_user_agent(server):
    server.script("GET", SERVICE_PATH, (200, {}, {"service": {"service_name": "pg1", "connection_pools": []}}))
    client = make_client(server.url)
    assert client.get_service("proj", "pg1") == {"service_name": "pg1", "connection_pools": []}
    headers = server.requests[0].headers
    assert headers["Authorization"] == f"aivenv1 {TOKEN}"
    user_agent = headers["User-Agent"]
    assert user_agent.startswith(f"dbpools.aiven/{COLLECTION_VERSION} (+https://galaxy.ansible.com/ui/repo/published/dbpools/aiven/)")
    assert user_agent.endswith(f"python-requests/{requests.__version__}")


def test_token_whitespace_is_stripped(server):
    client = AivenClient(f"  {TOKEN}\n", api_url=server.url)
    client.request("GET", ["me"])
    assert server.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (["a/b"], "/v1/a%2Fb"),
        (["../x"], "/v1/..%2Fx"),
        (["project", "..", "service"], "/v1/project/%2E%2E/service"),
        (["project", ".", "service"], "/v1/project/%2E/service"),
        (["p q", "x?y#z", "100%"], "/v1/p%20q/x%3Fy%23z/100%25"),
    ],
)
def test_path_segments_are_quoted(server, segments, expected):
    client = make_client(server.url)
    assert client.request("GET", segments) == {}
    assert [item.path for item in server.requests] == [expected]


def test_empty_segment_is_refused_without_a_request(server):
    client = make_client(server.url)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "")
    assert info.value.status is None
    assert server.requests == []


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_api_url_forms(server, suffix):
    client = make_client(server.url + suffix)
    assert client.origin == server.url
    client.request("GET", ["project", "proj"])
    assert server.requests[0].path == "/v1/project/proj"


def test_default_api_url():
    client = AivenClient(TOKEN)
    assert client.origin == DEFAULT_API_URL == "https://api.aiven.io"
    assert TOKEN not in repr(client)


def _spy_on_verify(client: AivenClient, monkeypatch) -> list:
    seen: list = []
    adapter = client._transport.session.get_adapter("http://")
    original = adapter.send

    def spy(request, **kwargs):
        seen.append(kwargs.get("verify"))
        return original(request, **kwargs)

    monkeypatch.setattr(adapter, "send", spy)
    return seen


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"ca_path": "/etc/custom/ca.pem"}, "/etc/custom/ca.pem"),
        ({"ca_path": "/etc/custom/ca.pem", "validate_certs": False}, False),
        ({"validate_certs": False}, False),
        ({}, True),
    ],
)
def test_verify_setting(server, monkeypatch, options, expected):
    # An environment CA bundle must not override an explicit ca_path or validate_certs=false.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/from/env.pem")
    client = make_client(server.url, **options)
    seen = _spy_on_verify(client, monkeypatch)
    client.request("GET", ["x"])
    if expected is True:
        assert seen in ([True], ["/from/env.pem"])
    else:
        assert seen == [expected]


def test_adapter_pool_is_large_enough_for_threads():
    client = AivenClient(TOKEN, pool_connections=24)
    adapter = client._transport.session.get_adapter("https://")
    assert adapter._pool_maxsize >= 24


# -- successful replies ----------------------------------------------------


def test_empty_body_is_empty_dict(server):
    server.script("PUT", POOLS_PATH + "/p1", (200, {}, ""))
    client = make_client(server.url)
    assert client.update_pool("proj", "pg1", "p1", {"pool_size": 5}) is None
    assert server.requests[0].json() == {"pool_size": 5}
    assert server.requests[0].headers["Content-Type"] == "application/json"


def test_update_can_send_null_username(server):
    client = make_client(server.url)
    client.update_pool("proj", "pg1", "p1", {"username": None})
    assert server.requests[0].json() == {"username": None}


def test_invalid_json_on_success_is_an_api_error(server):
    server.script("GET", SERVICE_PATH, (200, {"Content-Type": "text/html"}, "<html>hello " + TOKEN + "</html>"))
    client = make_client(server.url)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    assert info.value.status == 200
    assert "invalid JSON" in info.value.message
    assert_no_token(info.value)


def test_reply_without_service(server):
    server.script("GET", SERVICE_PATH, (200, {}, {"message": "odd"}))
    with pytest.raises(AivenApiError, match="no 'service'"):
        make_client(server.url).get_service("proj", "pg1")


def test_create_pool_sends_body(server):
    server.script("POST", POOLS_PATH, (200, {}, {"message": "created"}))
    client = make_client(server.url)
    body = {"pool_name": "p1", "database": "db1", "pool_mode": "session", "pool_size": 7}
    assert client.create_pool("proj", "pg1", body) is True
    assert server.requests[0].method == "POST"
    assert server.requests[0].json() == body


# -- retries ---------------------------------------------------------------

UNAVAILABLE = (503, {}, aiven_error("An error occurred. Please try again later.", 503))


def test_503_twice_then_success(server):
    server.script("GET", SERVICE_PATH, UNAVAILABLE, UNAVAILABLE, (200, {}, {"service": {"state": "RUNNING"}}))
    client = make_client(server.url)
    assert client.get_service("proj", "pg1") == {"state": "RUNNING"}
    assert server.count() == 3


@pytest.mark.parametrize("status", [408, 500, 501, 502, 504])
def test_other_transient_statuses_are_retried(server, status):
    server.script("PUT", POOLS_PATH + "/p1", (status, {}, aiven_error("transient", status)))
    make_client(server.url).update_pool("proj", "pg1", "p1", {"pool_size": 3})
    assert server.count() == 2


def test_429_retry_after_is_honoured(server):
    rate_limited = (429, {"Retry-After": "1"}, aiven_error("Rate limit 120 exceeded - try again in 1s", 429))
    server.script("GET", SERVICE_PATH, rate_limited, (200, {}, {"service": {}}))
    client = make_client(server.url, backoff_max=5.0)
    started = time.monotonic()
    client.get_service("proj", "pg1")
    assert server.count() == 2
    gap = server.requests[1].at - server.requests[0].at
    assert gap >= 0.95
    assert time.monotonic() - started < 3.0


def test_429_without_retry_after_uses_backoff(server):
    rate_limited = (429, {}, aiven_error("Rate limit 120 exceeded", 429))
    server.script("DELETE", POOLS_PATH + "/p1", rate_limited, rate_limited, (200, {}, {"message": "deleted"}))
    client = make_client(server.url)
    started = time.monotonic()
    client.delete_pool("proj", "pg1", "p1")
    assert server.count() == 3
    assert time.monotonic() - started < 1.0


def test_huge_retry_after_is_capped(server):
    rate_limited = (429, {"Retry-After": "600"}, aiven_error("Rate limit exceeded - try again in 600s", 429))
    server.script("GET", SERVICE_PATH, rate_limited, (200, {}, {"service": {}}))
    # The cap (60 s by default) set to 1 second.
    client = make_client(server.url, server_wait_max=1.0)
    started = time.monotonic()
    client.get_service("proj", "pg1")
    elapsed = time.monotonic() - started
    assert server.count() == 2
    assert 0.9 <= elapsed < 3.0


def test_backoff_is_capped_by_backoff_max(server):
    # backoff_factor 10 would wait 10 s, 20 s, ...: backoff_max (0.1 s) must bound each wait.
    server.script("GET", SERVICE_PATH, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, (200, {}, {"service": {}}))
    started = time.monotonic()
    make_client(server.url, backoff_factor=10.0, backoff_max=0.1).get_service("proj", "pg1")
    assert server.count() == 4
    assert time.monotonic() - started < 1.5


def test_backoff_grows_between_attempts(server):
    server.script("GET", SERVICE_PATH, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, (200, {}, {"service": {}}))
    make_client(server.url, backoff_factor=0.1, backoff_max=5.0).get_service("proj", "pg1")
    times = [item.at for item in server.requests]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # urllib3 waits 0 before the first retry, then backoff_factor * 2 ** (n - 1) (plus jitter).
    assert gaps[1] >= 0.15
    assert gaps[2] >= 0.35


def test_unparsable_retry_after_falls_back_to_backoff(server):
    rate_limited = (429, {"Retry-After": "soon-ish"}, aiven_error("Rate limit exceeded", 429))
    server.script("GET", SERVICE_PATH, rate_limited, (200, {}, {"service": {}}))
    started = time.monotonic()
    make_client(server.url).get_service("proj", "pg1")
    assert server.count() == 2
    assert time.monotonic() - started < 1.0


def test_permanent_503_gives_up_after_max_retries(server):
    server.script("GET", SERVICE_PATH, *([UNAVAILABLE] * 10))
    client = make_client(server.url, max_retries=4)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    err = info.value
    assert server.count() == 5
    assert err.status == 503
    assert err.message == "An error occurred. Please try again later."
    assert err.attempts == 5
    assert err.failure()["attempts"] == 5
    assert str(err) == "GET /v1/project/proj/service/pg1: HTTP 503: An error occurred. Please try again later. (gave up after 5 attempts)"


def test_no_retries_when_max_retries_is_zero(server):
    server.script("GET", SERVICE_PATH, UNAVAILABLE, UNAVAILABLE)
    with pytest.raises(AivenApiError):
        make_client(server.url, max_retries=0).get_service("proj", "pg1")
    assert server.count() == 1


@pytest.mark.parametrize(
    ("method", "status", "message", "error_code"),
    [
        ("GET", 404, "Service pg1 does not exist", "service_not_found"),
        ("POST", 403, "Current service plan does not include the connection pooling option", None),
        ("PUT", 401, "Missing (expired) db token", "authentication_failed"),
        ("POST", 409, "Connection pool p1 already exists", "already_exists"),
        ("POST", 400, "Invalid input for pool_size", None),
        ("PUT", 409, "Service is not powered on", "not_powered"),
    ],
)
def test_client_errors_are_not_retried_and_mapped(server, method, status, message, error_code):
    body = aiven_error(message, status, error_code)
    path = SERVICE_PATH if method == "GET" else POOLS_PATH
    server.script(method, path, (status, {}, body), (200, {}, {"service": {}}))
    client = make_client(server.url)
    with pytest.raises(AivenApiError) as info:
        client.request(method, path[len("/v1/"):].split("/"), None if method == "GET" else {"pool_name": "p1"})
    err = info.value
    assert server.count() == 1
    assert err.status == status
    assert err.message == message
    assert err.errors == body["errors"]
    assert err.error_code == error_code
    assert err.attempts == 1
    assert err.not_found is (status == 404)
    assert err.already_exists is (status == 409 and "already exists" in message)
    assert err.failure() == {
        "status": status,
        "message": message,
        "errors": body["errors"],
        "method": method,
        "path": path,
        "error_code": error_code,
        "attempts": 1,
    }
    assert str(err) == f"{method} {path}: HTTP {status}: {message}"


def test_message_taken_from_errors_when_top_level_is_missing(server):
    server.script("GET", SERVICE_PATH, (404, {}, {"errors": [{"message": "Project proj does not exist", "status": 404}]}))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).get_service("proj", "pg1")
    assert info.value.message == "Project proj does not exist"
    assert info.value.error_code is None


def test_non_json_error_body_gives_clear_message(server):
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>" + TOKEN + "x" * 500 + "</body></html>"
    server.script("GET", SERVICE_PATH, *([(502, {"Content-Type": "text/html"}, page)] * 3))
    client = make_client(server.url, max_retries=2)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    err = info.value
    assert err.status == 502
    assert err.errors == []
    assert err.message.startswith("Bad Gateway: 502 Bad Gateway Bad Gateway")
    assert len(err.message) < 260
    assert_no_token(err)


def test_token_never_in_error_texts(server):
    leak = f"token {TOKEN} is not valid"
    server.script("GET", SERVICE_PATH, (401, {}, aiven_error(leak, 401, "bad_token")))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).get_service("proj", "pg1")
    err = info.value
    assert_no_token(err)
    assert "<redacted>" in err.message
    assert TOKEN not in repr(err.errors)


def test_invalid_token_characters_do_not_leak(server):
    client = AivenClient(TOKEN + "\rX-Evil: 1", api_url=server.url, max_retries=0)
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    assert info.value.status is None
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert info.value.__cause__ is None
    assert "token" in info.value.message
    assert server.requests == []


def test_empty_token_is_refused_without_a_request(server):
    with pytest.raises(AivenApiError, match="no API token"):
        AivenClient("  ", api_url=server.url).get_service("proj", "pg1")
    assert server.requests == []


def test_netrc_does_not_replace_the_token(server, tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert requests.utils.get_netrc_auth(server.url + "/v1/me") == ("someone", "other")
    make_client(server.url).request("GET", ["me"])
    assert server.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"


def test_redirects_are_not_followed(server):
    server.script("GET", SERVICE_PATH, (301, {"Location": "http://example.invalid/elsewhere"}, ""))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).get_service("proj", "pg1")
    assert info.value.status == 301
    assert server.count() == 1


# -- connection failures ---------------------------------------------------


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_api_error_after_retries():
    url = f"http://127.0.0.1:{_closed_port()}"
    client = make_client(url, max_retries=2)
    started = time.monotonic()
    with pytest.raises(AivenApiError) as info:
        client.get_service("proj", "pg1")
    err = info.value
    assert time.monotonic() - started < 2.0
    assert err.status is None
    assert err.message.startswith(f"cannot reach {url}: ")
    assert "refused" in err.message.lower()
    assert "object at 0x" not in err.message
    assert "gave up after 3 attempts" in err.message
    assert err.failure()["status"] is None
    assert err.failure()["attempts"] == 3
    assert err.__cause__ is None
    assert_no_token(err)


def test_read_timeout_is_api_error():
    # A server that accepts but never answers.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        client = make_client(url, timeout=0.2, max_retries=1)
        with pytest.raises(AivenApiError) as info:
            client.get_service("proj", "pg1")
    assert info.value.status is None
    assert "timed out" in info.value.message.lower()


def test_dropped_reply_on_get_is_retried(server):
    server.script("GET", SERVICE_PATH, DROP, (200, {}, {"service": {"state": "RUNNING"}}))
    assert make_client(server.url).get_service("proj", "pg1") == {"state": "RUNNING"}
    assert server.count() == 2


# -- reconciliation of retried writes -------------------------------------

EXISTS = (409, {}, aiven_error("Connection pool p1 already exists", 409))


def test_lost_create_reply_then_409_is_reconciled(server):
    # The first POST is applied by the server but its reply is lost.
    server.script("POST", POOLS_PATH, DROP, EXISTS)
    client = make_client(server.url)
    assert client.create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"}) is False
    assert server.count("POST") == 2
    assert server.requests[0].json() == server.requests[1].json()


def test_create_after_gateway_error_then_409_is_reconciled(server):
    server.script("POST", POOLS_PATH, (504, {}, "gateway timeout"), EXISTS)
    assert make_client(server.url).create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"}) is False


def test_first_attempt_409_raises(server):
    server.script("POST", POOLS_PATH, EXISTS)
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"})
    assert info.value.already_exists
    assert server.count() == 1


def test_409_after_rate_limit_raises(server):
    # A 429 proves the first attempt was refused, so "already exists" is a real conflict.
    server.script("POST", POOLS_PATH, (429, {}, aiven_error("Rate limit exceeded", 429)), EXISTS)
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1"})
    assert info.value.already_exists
    assert info.value.attempts == 2
    assert server.count() == 2


def test_retried_create_with_other_error_raises(server):
    server.script("POST", POOLS_PATH, DROP, (403, {}, aiven_error("Service database username u does not exist", 403)))
    with pytest.raises(AivenApiError) as info:
        make_client(server.url).create_pool("proj", "pg1", {"pool_name": "p1", "database": "db1", "username": "u"})
    assert info.value.status == 403


def test_delete_of_a_missing_pool_is_no_error(server):
    server.script("DELETE", POOLS_PATH + "/p1", (404, {}, aiven_error("Connection pool p1 does not exist", 404)))
    make_client(server.url).delete_pool("proj", "pg1", "p1")
    assert server.count("DELETE") == 1


def test_delete_lost_reply_then_404_is_no_error(server):
    server.script("DELETE", POOLS_PATH + "/p1", DROP, (404, {}, aiven_error("Connection pool p1 does not exist", 404)))
    make_client(server.url).delete_pool("proj", "pg1", "p1")
    assert server.count("DELETE") == 2


def test_delete_other_errors_raise(server):
    server.script("DELETE", POOLS_PATH + "/p1", (403, {}, aiven_error("Forbidden", 403)))
    with pytest.raises(AivenApiError):
        make_client(server.url).delete_pool("proj", "pg1", "p1")


# -- concurrency -----------------------------------------------------------


def test_threads_share_one_client(server):
    for index in range(20):
        server.script("PUT", f"{POOLS_PATH}/p{index}", UNAVAILABLE if index % 2 else (200, {}, {"message": "ok"}))
    client = make_client(server.url, pool_connections=8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: client.update_pool("proj", "pg1", f"p{i}", {"pool_size": i + 1}), range(20)))
    assert server.count() == 30
