# Copyright (c) dbpools.aiven contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A catalogue of bad and odd module arguments, each run through the real module.

Every case ends one of two ways, and never in a traceback:

- rejected before any request, with a message naming the option and the value or the
  rule (the fake API must have seen nothing);
- sent, with every name URL-quoted in the path (names the contract allows, however odd),
  and whatever the API answers turned into a result (an API error into fail_json with
  ``failure.status``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from ansible.module_utils import basic

from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import patch_module_args, run_module

TOKEN = "catalogue-T0KEN-0123456789abcdef"
MAIN = {"pool": aiven_connection_pool.main, "info": aiven_connection_pool_info.main}
DROP = object()  # leave the option out
ABSENT = object()  # no API answer behind the result's ``failure``
SERVICE = "/v1/project/proj/service/pg"
POOLS = SERVICE + "/connection_pool"
# The emulator's (unconfirmed) rule for pool names, for the cases where the API refuses a name.
UNICODE_RANGE_MSG = "must be a string of 1 to 63 characters"
PROJECT_RULE = "project must be 1 to 63 characters of a-z, A-Z, 0-9, '_' and '-', got "
CONTROL = "must not contain control characters or unpaired surrogates"


@dataclass
class Case:
    id: str
    args: dict[str, Any]
    msg: str | tuple[str, ...] | None = None  # substring(s) of the failure message; None: the run succeeds
    calls: tuple[str, ...] = ()  # every request, "METHOD /raw/path", in order
    status: Any = ABSENT  # failure.status of an API error (None: no reply was involved)
    module: str = "pool"
    existing: tuple[dict[str, Any], ...] = ()  # pools of proj/pg before the run
    pool_name_rule: bool = False  # the emulator's pool name pattern applies
    missing: bool = False  # the service does not exist
    body: dict[str, Any] | None = None  # JSON body of the last write
    names: tuple[str, ...] | None = None  # pool names in the result's connection_pools
    scripted: dict[tuple[str, str], tuple] = field(default_factory=dict)


def unconvertible(option: str, wanted: str) -> tuple[str, ...]:
    """Ansible's own type error; 2.17 writes the type as <class 'str'>, 2.19 as str."""
    return (f"argument '{option}' is of type ", f" and we were unable to convert to {wanted}")


def reject(case_id: str, args: dict[str, Any], msg: str | tuple[str, ...], module: str = "pool") -> Case:
    return Case(case_id, args, msg=msg, module=module)


def pool(name: str, **settings: Any) -> dict[str, Any]:
    return dict(pool_name=name, **settings)


REJECTED = [
    # --- wrong types (Ansible's argument spec, or our checks where Ansible lets a value through) ---
    reject("pool_size-word", pool("x", pool_size="ten"), unconvertible("pool_size", "int")),
    reject("pool_size-fraction", pool("x", pool_size=10.5), unconvertible("pool_size", "int")),
    reject("pool_size-fraction-string", pool("x", pool_size="10.5"), unconvertible("pool_size", "int")),
    reject("pool_size-bool", pool("x", database_name="appdb", pool_size=True), "proj/pg/x: pool_size must be an integer from 1 to 10000, got True"),
    reject("pool_size-list", pool("x", pool_size=[5]), unconvertible("pool_size", "int")),
    reject("batch-pool_size-bool", {"pools": [pool("x", pool_size=False)]}, "proj/pg/x: pool_size must be an integer from 1 to 10000, got False"),
    reject("concurrency-word", pool("x", concurrency="many"), unconvertible("concurrency", "int")),
    reject("wait-not-bool", pool("x", wait="maybe"), unconvertible("wait", "bool")),
    reject("purge-not-bool", {"pools": [], "purge": "sometimes"}, unconvertible("purge", "bool")),
    reject("timeout-word", pool("x", timeout="soon"), unconvertible("api_timeout", "float")),
    reject("pools-dict", {"pools": pool("x")}, unconvertible("pools", "list")),
    # Items that are no dict: ansible-core would fail on them with the token unmasked in the result.
    reject("pools-int", {"pools": 5}, "pools must be a list, got 5"),
    reject("pools-comma-string", {"pools": "a,b"}, "pools must be a list, got 'a,b'"),
    reject("pools-item-int", {"pools": [5]}, "pools[0] must be a dictionary, got 5"),
    reject("pools-item-none", {"pools": [pool("ok"), None]}, "pools[1] must be a dictionary, got None"),
    reject("pools-item-list", {"pools": [["x"]]}, "pools[0] must be a dictionary, got ['x']"),
    reject("pools-item-word", {"pools": ["app"]}, "pools[0] must be a dictionary, got 'app'"),
    reject("pools-item-unknown-key", {"pools": [pool("x", size=5)]},
           "pools.size. Supported parameters include: database_name, pool_mode, pool_name, pool_size, state, username"),
    reject("pools-item-no-name", {"pools": [{"database_name": "appdb"}]}, "missing required arguments: pool_name found in pools"),
    reject("unknown-option", pool("x", size=5), "Unsupported parameters for"),
    reject("info-pool_name-dict", {"pool_name": {"a": 1}}, unconvertible("pool_name", "list"), "info"),
    reject("info-unknown-option", {"state": "present"}, "Unsupported parameters for", "info"),
    # --- numbers out of range ---
    reject("pool_size-0", pool("x", database_name="appdb", pool_size=0), "proj/pg/x: pool_size must be an integer from 1 to 10000, got 0"),
    reject("pool_size-negative", pool("x", pool_size=-5), "proj/pg/x: pool_size must be an integer from 1 to 10000, got -5"),
    reject("pool_size-10001-batch", {"pools": [pool("x", pool_size=10001)]}, "proj/pg/x: pool_size must be an integer from 1 to 10000, got 10001"),
    reject("pool_size-huge", pool("x", pool_size=10**30), "proj/pg/x: pool_size must be an integer from 1 to 10000, got 1000000000000000000000000000000"),
    reject("concurrency-0", pool("x", concurrency=0), "concurrency must be from 1 to 32, got 0"),
    reject("concurrency-33", {"pools": [], "concurrency": 33}, "concurrency must be from 1 to 32, got 33"),
    reject("wait_timeout-negative", pool("x", wait_timeout=-1), "wait_timeout must be 0 or more seconds, got -1"),
    reject("timeout-0", pool("x", timeout=0), "api_timeout must be more than 0 and at most 3600 seconds, got 0.0"),
    reject("timeout-negative", pool("x", timeout=-2.5), "api_timeout must be more than 0 and at most 3600 seconds, got -2.5"),
    reject("timeout-nan", pool("x", timeout="nan"), "api_timeout must be more than 0 and at most 3600 seconds, got nan"),
    reject("timeout-inf", pool("x", timeout="inf"), "api_timeout must be more than 0 and at most 3600 seconds, got inf"),
    reject("timeout-overflow", pool("x", timeout=1e12), "api_timeout must be more than 0 and at most 3600 seconds, got 1000000000000.0"),
    reject("api_retries-21", pool("x", api_retries=21), "api_retries must be from 0 to 20, got 21"),
    reject("api_retries-negative", pool("x", api_retries=-1), "api_retries must be from 0 to 20, got -1"),
    reject("info-timeout-nan", {"timeout": "nan"}, "api_timeout must be more than 0 and at most 3600 seconds, got nan", "info"),
    # --- names: length, empty, control characters ---
    reject("pool_name-64", pool("p" * 64), "pool_name must be a string of 1 to 63 characters, got 'pppp"),
    reject("pool_name-10000-batch", {"pools": [pool("p" * 10000)]}, "pools[0]: pool_name must be a string of 1 to 63 characters, got 'ppp"),
    reject("pool_name-empty", pool(""), "pool_name must be a string of 1 to 63 characters, got ''"),
    reject("pool_name-empty-batch-second", {"pools": [pool("ok"), pool("")]}, "pools[1]: pool_name must be a string of 1 to 63 characters, got ''"),
    reject("pool_name-unicode-64", pool("é" * 64), "pool_name " + UNICODE_RANGE_MSG),
    reject("database_name-empty", pool("x", database_name=""), "proj/pg/x: database_name must be a string of 1 to 63 characters, got ''"),
    reject("database_name-64", pool("x", database_name="d" * 64), "proj/pg/x: database_name must be a string of 1 to 63 characters"),
    reject("username-65", pool("x", username="u" * 65), "proj/pg/x: username must be a string of 0 to 64 characters"),
    reject("pool_name-nul", pool("a\x00b"), f"pool_name {CONTROL}, got 'a\\x00b' ('\\x00' at position 1)"),
    reject("pool_name-newline-batch", {"pools": [pool("ok"), pool("a\nb")]}, f"pools[1]: pool_name {CONTROL}, got 'a\\nb' ('\\n' at position 1)"),
    reject("pool_name-tab", pool("\tx"), f"pool_name {CONTROL}, got '\\tx'"),
    reject("pool_name-del", pool("x\x7f"), f"pool_name {CONTROL}, got 'x\\x7f'"),
    reject("pool_name-c1-control", pool("x\x85"), f"pool_name {CONTROL}, got 'x\\x85'"),
    reject("database_name-cr", pool("x", database_name="app\rdb"), f"proj/pg/x: database_name {CONTROL}, got 'app\\rdb'"),
    reject("username-escape", pool("x", username="\x1b[31mroot"), f"proj/pg/x: username {CONTROL}, got '\\x1b[31mroot'"),
    reject("project-dotdot-slash", pool("x", project="../x"), PROJECT_RULE + "'../x'"),
    reject("project-quoted-slash", pool("x", project="a%2Fb"), PROJECT_RULE + "'a%2Fb'"),
    reject("project-slash", pool("x", project="a/b"), PROJECT_RULE + "'a/b'"),
    reject("project-dot", pool("x", project="."), PROJECT_RULE + "'.'"),
    reject("project-64", pool("x", project="p" * 64), PROJECT_RULE + "'" + "p" * 64),
    reject("project-unicode", pool("x", project="prøject"), PROJECT_RULE + "'prøject'"),
    reject("project-space", pool("x", project=" proj"), PROJECT_RULE + "' proj'"),
    reject("project-nul", pool("x", project="pr\x00oj"), PROJECT_RULE + "'pr\\x00oj'"),
    reject("project-list", pool("x", project=["proj"]), PROJECT_RULE + "\"['proj']\""),
    reject("project-empty", pool("x", project=""), "project must not be empty"),
    reject("project-missing", pool("x", project=DROP), "project required with pool_name"),
    reject("service-65", pool("x", service_name="s" * 65), "service_name must be a string of 1 to 64 characters, got 'sss"),
    reject("service-empty", pool("x", service_name=""), "service_name must not be empty"),
    reject("service-nul", pool("x", service_name="pg\x00"), f"service_name {CONTROL}, got 'pg\\x00'"),
    reject("service-newline", pool("x", service_name="pg\n"), f"service_name {CONTROL}, got 'pg\\n'"),
    reject("info-project-pattern", {"project": "../etc"}, PROJECT_RULE + "'../etc'", "info"),
    reject("info-service-65", {"service_name": "s" * 65}, "service_name must be a string of 1 to 64 characters", "info"),
    reject("info-pool_name-64", {"pool_name": ["ok", "p" * 64]}, "pool_name[1] must be a string of 1 to 63 characters", "info"),
    reject("info-pool_name-empty", {"pool_name": [""]}, "pool_name[0] must be a string of 1 to 63 characters, got ''", "info"),
    reject("info-pool_name-nul", {"pool_name": ["a\x00"]}, f"pool_name[0] {CONTROL}, got 'a\\x00'", "info"),
    # --- unknown choices ---
    reject("pool_mode-capitalised", pool("x", pool_mode="Transaction"), "value of pool_mode must be one of: session, transaction, statement, got: Transaction"),
    reject("pool_mode-batch", {"pools": [pool("x", pool_mode="fast")]},
           "value of pool_mode must be one of: session, transaction, statement, got: fast found in pools"),
    reject("state-unknown", pool("x", state="gone"), "value of state must be one of: present, absent, got: gone"),
    reject("state-unknown-batch", {"pools": [pool("x", state="deleted")]}, "value of state must be one of: present, absent, got: deleted found in pools"),
    # --- duplicates and conflicting options ---
    reject("duplicate-pools", {"pools": [pool("x"), pool("y"), pool("x")]}, "proj/pg/x is listed more than once; each pool_name may appear only once"),
    reject("duplicate-pools-other-state", {"pools": [pool("x", database_name="appdb"), pool("x", state="absent")]}, "proj/pg/x is listed more than once"),
    reject("pool_name-and-pools", {"pool_name": "x", "pools": [pool("y")]}, "parameters are mutually exclusive: pool_name|pools"),
    reject("neither-pool_name-nor-pools", {"database_name": "appdb"}, "one of the following is required: pool_name, pools"),
    reject("settings-beside-pools", {"pools": [pool("x")], "pool_size": 5}, "database_name, username, pool_mode and pool_size go inside each item of pools"),
    reject("purge-without-pools", pool("x", purge=True), "purge needs the batch form (pools)"),
    # --- connection options ---
    reject("api_url-no-scheme", pool("x", api_url="api.aiven.io"), "api_url must start with https:// or http://, got 'api.aiven.io'"),
    reject("api_url-ftp", pool("x", api_url="ftp://api.aiven.io"), "api_url must start with https:// or http://, got 'ftp://api.aiven.io'"),
    reject("api_url-no-host", pool("x", api_url="https://"), "api_url has no host name, got 'https://'"),
    reject("api_url-bad-ipv6", pool("x", api_url="http://[::1"), "api_url is not a valid URL (Invalid IPv6 URL), got 'http://[::1'"),
    reject("api_url-port-range", pool("x", api_url="http://127.0.0.1:99999"), "api_url is not a valid URL (Port out of range 0-65535)"),
    reject("api_url-port-0", pool("x", api_url="http://127.0.0.1:0"), "api_url must have a port from 1 to 65535"),
    reject("api_url-space", pool("x", api_url="http://api aiven.io"), "api_url must not contain spaces or control characters, got 'http://api aiven.io'"),
    reject("api_url-query", pool("x", api_url="https://api.aiven.io/?token=hunter2"), "api_url must not contain a query string or fragment"),
    reject("api_url-credentials", pool("x", api_url="https://user:hunter2@api.aiven.io"), "api_url must not contain a user name or password"),
    reject("info-api_url-newline", {"api_url": "https://api.aiven.io\n"}, "api_url must not contain spaces or control characters", "info"),
    reject("ca_path-missing", pool("x", api_url="https://127.0.0.1:9", ca_path="/nonexistent/ca.pem"), "ca_path '/nonexistent/ca.pem' does not exist"),
    reject("api_token-missing", pool("x", api_token=DROP), "no API token: set api_token, or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN"),
]


def api_case(case_id: str, args: dict[str, Any], calls: tuple[str, ...], **options: Any) -> Case:
    return Case(case_id, args, calls=calls, **options)


SENT = [
    # --- names the contract allows, however odd: URL-quoted in the path, never resolved or re-split ---
    api_case("pool-slash-delete", pool("a/b", state="absent"), ("GET " + SERVICE, "DELETE " + POOLS + "/a%2Fb"), existing=(pool("a/b"),)),
    api_case("pool-dotdot-update", pool("..", pool_size=5), ("GET " + SERVICE, "PUT " + POOLS + "/%2E%2E", "GET " + SERVICE),
             existing=(pool(".."),), body={"pool_size": 5}),
    api_case("pool-dot-delete", pool(".", state="absent"), ("GET " + SERVICE, "DELETE " + POOLS + "/%2E"), existing=(pool("."),)),
    api_case("pool-dotdot-slash-delete", pool("../x", state="absent"), ("GET " + SERVICE, "DELETE " + POOLS + "/..%2Fx"), existing=(pool("../x"),)),
    api_case("pool-percent-2F-update", pool("%2F", pool_mode="session"), ("GET " + SERVICE, "PUT " + POOLS + "/%252F", "GET " + SERVICE),
             existing=(pool("%2F"),), body={"pool_mode": "session"}),
    api_case("pool-cyrillic-update", pool("пул", pool_size=7), ("GET " + SERVICE, "PUT " + POOLS + "/%D0%BF%D1%83%D0%BB", "GET " + SERVICE),
             existing=(pool("пул"),)),
    api_case("pool-emoji-delete", pool("🐘", state="absent"), ("GET " + SERVICE, "DELETE " + POOLS + "/%F0%9F%90%98"), existing=(pool("🐘"),)),
    api_case("pool-spaces-delete", pool(" my pool ", state="absent"), ("GET " + SERVICE, "DELETE " + POOLS + "/%20my%20pool%20"),
             existing=(pool(" my pool "),)),
    api_case("pool-query-chars-delete", pool("?#&=;", state="absent"), ("GET " + SERVICE, "DELETE " + POOLS + "/%3F%23%26%3D%3B"),
             existing=(pool("?#&=;"),)),
    api_case("pool-63-unicode-create", {"pools": [pool("ü" * 63, database_name="appdb")]}, ("GET " + SERVICE, "POST " + POOLS, "GET " + SERVICE),
             body=None),
    api_case("purge-odd-name", {"pools": [], "purge": True, "allow_empty": True}, ("GET " + SERVICE, "DELETE " + POOLS + "/x%2F..%2Fy"),
             existing=(pool("x/../y"),)),
    # --- the API refuses: its status and message, no traceback ---
    api_case("pool-slash-create-refused", pool("a/b", database_name="appdb"), ("GET " + SERVICE, "POST " + POOLS),
             msg="cannot create pool 'a/b' on proj/pg: POST " + POOLS + ": HTTP 400: Invalid value for 'pool_name'", status=400,
             pool_name_rule=True, body={"pool_name": "a/b", "database": "appdb"}),
    api_case("pool-unicode-create-refused", {"pools": [pool("пул", database_name="appdb")]}, ("GET " + SERVICE, "POST " + POOLS),
             msg="HTTP 400: Invalid value for 'pool_name'", status=400, pool_name_rule=True),
    api_case("service-slash-dotdot-missing", pool("x", service_name="pg/../x"), ("GET /v1/project/proj/service/pg%2F..%2Fx",),
             msg="cannot read service proj/pg/../x: GET /v1/project/proj/service/pg%2F..%2Fx: HTTP 404: Service pg/../x does not exist",
             status=404, missing=True),
    api_case("service-dotdot-missing", pool("x", service_name=".."), ("GET /v1/project/proj/service/%2E%2E",),
             msg="HTTP 404: Service .. does not exist", status=404, missing=True),
    api_case("service-percent-2F-missing", pool("x", service_name="%2F"), ("GET /v1/project/proj/service/%252F",),
             msg="HTTP 404", status=404, missing=True),
    api_case("info-service-unicode-missing", {"service_name": "pg-ü"}, ("GET /v1/project/proj/service/pg-%C3%BC",),
             msg="HTTP 404: Service pg-ü does not exist", status=404, module="info", missing=True),
    api_case("update-refused-403", pool("x", username="ghost"), ("GET " + SERVICE, "PUT " + POOLS + "/x"),
             msg="cannot update pool 'x' on proj/pg: PUT " + POOLS + "/x: HTTP 403: Service database username ghost does not exist", status=403,
             existing=(pool("x"),), scripted={("PUT", POOLS + "/x"): error_reply(403, "Service database username ghost does not exist")}),
    # --- a token the client refuses: no request, a status-less failure ---
    reject("api_token-empty", pool("x", api_token=""), "no API token: set api_token, or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN"),
    api_case("api_token-space", pool("x", api_token="tok en"), (), msg="the API token contains spaces, control or non-ASCII characters", status=None),
    # --- coercions Ansible makes, and where they lead ---
    api_case("pool_size-numeric-string", pool("x", database_name="appdb", pool_size="10"), ("GET " + SERVICE, "POST " + POOLS, "GET " + SERVICE),
             body=None),
    api_case("pools-item-key-value-string", {"pools": ["pool_name=x database_name=appdb"]}, ("GET " + SERVICE, "POST " + POOLS, "GET " + SERVICE)),
    api_case("project-int", pool("x", project=2024, state="absent"), ("GET /v1/project/2024/service/pg",)),
    api_case("username-empty-unpins", pool("x", username=""), ("GET " + SERVICE, "PUT " + POOLS + "/x", "GET " + SERVICE),
             existing=(pool("x", username="app"),), body={"username": None}),
    api_case("project-63-boundary", pool("x", project="p" * 63, state="absent"), ("GET /v1/project/" + "p" * 63 + "/service/pg",)),
    api_case("info-comma-list", {"pool_name": "a,b"}, ("GET " + SERVICE,), module="info", existing=(pool("a"), pool("b"), pool("c"))),
    api_case("info-odd-pool-names", {"pool_name": ["a/b", "..", "%2F"]}, ("GET " + SERVICE,), module="info", existing=(pool("a/b"), pool(".."))),
]

CASES = REJECTED + SENT


def _surrogates_reach_modules() -> bool:
    """ansible-core 2.19 with its controller code loaded refuses such strings before any module runs."""
    try:
        with patch_module_args({"text": "x\ud800"}):
            basic._load_params()
    except Exception:  # the refusal's exception type is internal to ansible-core
        return False
    return True


def arguments(url: str, overrides: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {"api_url": url, "api_token": TOKEN, "project": "proj", "service_name": "pg", "api_retries": 0, "timeout": 5}
    args.update(overrides)
    return {key: value for key, value in args.items() if value is not DROP}


@pytest.mark.parametrize("case", [pytest.param(case, id=f"{case.module}-{case.id}") for case in CASES])
def test_catalogue(case: Case, fake_api, capsys) -> None:
    fake_api.reset(case.pool_name_rule)
    for existing in case.existing:
        fake_api.add_pool("proj", "pg", **existing)
    if case.missing:
        fake_api.missing.add(("proj", case.args["service_name"]))
    for (method, path), reply in case.scripted.items():
        fake_api.script(method, path, reply)

    result = run_module(MAIN[case.module], arguments(fake_api.url, case.args), capsys)

    text = json.dumps(result)
    assert "exception" not in result and "Traceback" not in text
    assert TOKEN not in text
    assert "hunter2" not in result.get("msg", "")  # a secret in api_url is not echoed (the invocation has the input as given)
    assert fake_api.calls() == list(case.calls)
    if case.msg is None:
        assert not result.get("failed"), result.get("msg")
    else:
        assert result.get("failed") is True
        for part in (case.msg,) if isinstance(case.msg, str) else case.msg:
            assert part in result["msg"]
    if case.status is ABSENT and not result.get("failed"):
        assert "failure" not in result
    elif case.status is ABSENT:
        # No API answer: the declaration's problems, each also in msg, or the one problem found before any request.
        failure = result["failure"]
        if "problems" in failure:
            assert all(problem in result["msg"] for problem in failure["problems"])
        else:
            assert (failure["status"], failure["attempts"], failure["message"]) == (None, 0, result["msg"])
    else:
        assert result["failure"]["status"] == case.status
    if case.body is not None:
        writes = [item for item in fake_api.requests if item.method != "GET"]
        assert writes[-1].json() == case.body
    if case.names is not None:
        assert [item["pool_name"] for item in result["connection_pools"]] == list(case.names)


def test_catalogue_ids_are_unique() -> None:
    ids = [f"{case.module}-{case.id}" for case in CASES]
    assert len(ids) == len(set(ids))


def test_unpaired_surrogate_in_a_pool_item(fake_api, capsys) -> None:
    # JSON can carry one (an extra var "\ud800"); it cannot be encoded for the URL or the body.
    args = arguments(fake_api.url, {"pools": [pool("ok"), pool("x\ud800")]})
    if not _surrogates_reach_modules():
        # ansible-core refuses the string while loading the arguments: no module code, no request.
        with pytest.raises(Exception), patch_module_args(args):  # noqa: B017 (the type is internal to ansible-core)
            basic._load_params()
        assert fake_api.requests == []
        return
    result = run_module(aiven_connection_pool.main, args, capsys)
    assert result["failed"] is True and "exception" not in result
    assert result["msg"] == ("1 problem(s) in the declaration, nothing was changed: "
                             f"proj/pg: pools[1]: pool_name {CONTROL}, got 'x\\ud800' ('\\ud800' at position 1)")
    assert fake_api.requests == []
