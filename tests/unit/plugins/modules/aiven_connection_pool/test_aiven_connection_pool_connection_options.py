# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options as the modules see them: environment fallbacks, a secret in
api_url, and the token over plain HTTP. Run in-process; the whole result is checked.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils import _ansible_module
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module, warnings_of

TOKEN = "options-T0KEN-0123456789abcdef"
MAIN = {"pool": aiven_connection_pool.main, "info": aiven_connection_pool_info.main}
# URL-quoted on purpose: neither this form nor the unquoted one may show anywhere.
PASSWORD = "S3cr%2Ft+pw"
PLAIN_HTTP = "goes over plain http"


def info_args(url: str | None, **extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"project": "proj", "service_name": "pg", "api_retries": 0, "timeout": 5}
    if url is not None:
        args["api_url"] = url
    args.update(extra)
    return args


# -- environment fallbacks -------------------------------------------------------


@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_aiven_token_does_not_hide_aiven_auth_token(fake_api, capsys, monkeypatch, empty):
    monkeypatch.setenv("AIVEN_TOKEN", empty)
    monkeypatch.setenv("AIVEN_AUTH_TOKEN", TOKEN)
    result = run_module(aiven_connection_pool_info.main, info_args(fake_api.url), capsys)
    assert not result.get("failed"), result.get("msg")
    assert fake_api.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"
    assert TOKEN not in json.dumps(result)


def test_aiven_token_wins_over_aiven_auth_token(fake_api, capsys, monkeypatch):
    monkeypatch.setenv("AIVEN_TOKEN", TOKEN)
    monkeypatch.setenv("AIVEN_AUTH_TOKEN", "other-token")
    run_module(aiven_connection_pool_info.main, info_args(fake_api.url), capsys)
    assert fake_api.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"


@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_aiven_web_url_falls_back_to_the_public_api(fake_api, capsys, monkeypatch, empty):
    monkeypatch.setenv("AIVEN_WEB_URL", empty)
    # project "" fails before any request, and the result shows the URL the module would use.
    result = run_module(aiven_connection_pool_info.main, info_args(None, api_token=TOKEN, project=""), capsys)
    assert result["msg"] == "project must not be empty"
    assert result["invocation"]["module_args"]["api_url"] == "https://api.aiven.io"
    assert fake_api.requests == []


def test_aiven_web_url_is_used(fake_api, capsys, monkeypatch):
    monkeypatch.setenv("AIVEN_WEB_URL", fake_api.url)
    result = run_module(aiven_connection_pool_info.main, info_args(None, api_token=TOKEN), capsys)
    assert not result.get("failed"), result.get("msg")
    assert len(fake_api.requests) == 1


# -- a password in api_url ---------------------------------------------------------

SECRET_URL = f"https://someone:{PASSWORD}@127.0.0.1:9"
REFUSED = "api_url must not contain a user name or password"


@pytest.mark.parametrize(
    ("module", "args", "env", "msg"),
    [
        pytest.param("pool", {"api_url": SECRET_URL, "pool_name": "x"}, None, REFUSED, id="refused"),
        pytest.param("info", {"api_url": SECRET_URL}, None, REFUSED, id="refused-info"),
        pytest.param("pool", {"api_url": SECRET_URL, "pool_name": "x", "concurrency": 0}, None, "concurrency must be from 1 to 32",
                     id="other-option-fails-first"),
        pytest.param("info", {"api_url": SECRET_URL, "project": ""}, None, "project must not be empty", id="identity-fails-first"),
        pytest.param("pool", {"api_url": SECRET_URL, "pool_name": "x", "timeout": "soon"}, None, "timeout", id="ansible-type-check-fails-first"),
        pytest.param("pool", {"api_url": f"someone:{PASSWORD}@api.aiven.io", "pool_name": "x"}, None,
                     "api_url must start with https:// or http://", id="no-scheme"),
        pytest.param("pool", {"pool_name": "x"}, SECRET_URL, REFUSED, id="from-AIVEN_WEB_URL"),
    ],
)
def test_password_in_api_url_never_shows(fake_api, capsys, monkeypatch, module, args, env, msg):
    if env is not None:
        monkeypatch.setenv("AIVEN_WEB_URL", env)
    full = dict({"api_token": TOKEN, "project": "proj", "service_name": "pg"}, **args)
    result = run_module(MAIN[module], full, capsys)
    assert result["failed"] is True
    assert msg in result["msg"]
    text = json.dumps(result)
    for form in (PASSWORD, unquote(PASSWORD), "S3cr"):
        assert form not in text
    assert TOKEN not in text
    assert "invocation" in result
    assert fake_api.requests == []


# -- the token over plain HTTP -----------------------------------------------------


def test_plain_http_to_another_host_warns(fake_api, capsys):
    # ca_path fails the run right after the check, before any request.
    args = info_args("http://api.example.com", api_token=TOKEN, ca_path="/nonexistent/ca.pem")
    result = run_module(aiven_connection_pool_info.main, args, capsys)
    assert "ca_path '/nonexistent/ca.pem' does not exist" in result["msg"]
    assert any(PLAIN_HTTP in warning and "api.example.com" in warning for warning in warnings_of(result))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "LocalHost", "[::1]"])
def test_plain_http_to_loopback_does_not_warn(fake_api, capsys, host):
    args = info_args(f"http://{host}:9", api_token=TOKEN, ca_path="/nonexistent/ca.pem")
    result = run_module(aiven_connection_pool_info.main, args, capsys)
    assert result["failed"] is True
    assert not any(PLAIN_HTTP in warning for warning in warnings_of(result))


def test_https_does_not_warn(fake_api, capsys):
    args = info_args("https://api.example.com", api_token=TOKEN, ca_path="/nonexistent/ca.pem")
    result = run_module(aiven_connection_pool_info.main, args, capsys)
    assert not any(PLAIN_HTTP in warning for warning in warnings_of(result))


# -- without the Python library requests ---------------------------------------------


@pytest.mark.parametrize("module", sorted(MAIN))
def test_missing_requests_fails_before_any_request(fake_api, capsys, monkeypatch, module):
    monkeypatch.setattr(_ansible_module, "HAS_REQUESTS", False)
    monkeypatch.setattr(_ansible_module, "REQUESTS_IMPORT_ERROR", "ModuleNotFoundError: No module named 'requests'")
    args = dict(info_args(fake_api.url, api_token=TOKEN), pool_name="x")
    if module == "info":
        del args["pool_name"]
    result = run_module(MAIN[module], args, capsys)
    assert result["failed"] is True
    assert "requests" in result["msg"]
    assert fake_api.requests == []
