# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""API texts and names reach the msg, warnings and diff of aiven_connection_pool and of aiven_connection_pool_info printable
(module_utils/_text.py), against the fake API."""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, TEXT_MAX
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool, aiven_connection_pool_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module, warnings_of
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.text_checks import has_control

# Clears the screen, then forges a line of its own.
HOSTILE = "\x1b[2J\x1b[Hok\r\n[WARNING]: forged"
SHOWN = "\\x1b[2J\\x1b[Hok\\r\\n[WARNING]: forged"
SERVICE = "/v1/project/proj/service/pg"


def run(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    arguments = {"api_url": fake_api.url, "api_token": "text-T0KEN-0123456789", "project": "proj", "service_name": "pg",
                 "api_retries": 0, "timeout": 5}
    return run_module(aiven_connection_pool.main, dict(arguments, **args), capsys)


def test_an_api_error_message_reaches_msg_printable(fake_api, capsys):
    fake_api.script("POST", SERVICE + "/connection_pool", error_reply(400, HOSTILE))
    result = run(fake_api, capsys, pool_name="new", database_name="appdb")
    assert result["failed"] is True
    assert result["msg"].endswith(f"HTTP 400: {SHOWN}")
    # Machine-readable, and JSON when printed: the API's text as sent.
    assert result["failure"]["message"] == HOSTILE


def test_a_huge_api_error_message_is_bounded_in_msg(fake_api, capsys):
    # 24 KB, twice in Aiven's error shape: within the 64 KiB read of an error reply, far over the message's bound.
    fake_api.script("POST", SERVICE + "/connection_pool", error_reply(400, "flood " * 4_000))
    result = run(fake_api, capsys, pool_name="new", database_name="appdb")
    assert result["msg"].endswith("...") and len(result["msg"]) < TEXT_MAX + 200


def test_an_api_error_message_reaches_the_warning_printable(fake_api, capsys):
    fake_api.add_pool("proj", "pg", "x", username="app")
    fake_api.script("GET", SERVICE + "?include_secrets=true", error_reply(403, HOSTILE))
    result = run(fake_api, capsys, pool_name="x", include_secrets=True)
    assert result.get("failed") is not True, result.get("msg")
    (warning,) = warnings_of(result)
    assert f"HTTP 403: {SHOWN}" in warning and not has_control(warning)


def test_names_read_from_the_api_reach_msg_and_warnings_printable(fake_api, capsys):
    fake_api.add_pool("proj", "pg", "old")
    document = {"service_name": "pg", "state": "RUNNING", "databases": ["appdb", "\x1b[2Jdb\n" + "d" * 10_000],
                "connection_pools": [{"pool_name": "old", "database": "appdb", "pool_mode": "session", "pool_size": 1}]}
    created, late = (dict(document["connection_pools"][0], pool_name=name) for name in ("a", "late\x1b[2J"))
    # The read back lists a pool another writer created meanwhile: the purge leaves it, and a warning names it.
    fake_api.script("GET", SERVICE, (200, {}, {"service": document}),
                    (200, {}, {"service": dict(document, connection_pools=[created, late])}))
    result = run(fake_api, capsys, pools=[{"pool_name": "old", "state": "absent"}, {"pool_name": "a", "database_name": "appdb"}],
                 purge=True, allow_empty=True)
    assert result.get("failed") is not True, result.get("msg")
    (warning,) = warnings_of(result)
    assert "late\\x1b[2J" in warning and not has_control(warning)

    fake_api.script("GET", SERVICE, (200, {}, {"service": document}))
    result = run(fake_api, capsys, pool_name="b", database_name="nodb")
    assert "\\x1b[2Jdb\\n" in result["msg"] and not has_control(result["msg"]) and len(result["msg"]) <= MESSAGE_MAX
    json.dumps(result)


def test_a_service_state_read_from_the_api_reaches_msg_shortened_and_printable(fake_api, capsys):
    fake_api.add_service("proj", "pg", state="\x1b[2J" + "S" * 10_000)
    result = run(fake_api, capsys, pool_name="new", database_name="appdb", wait_timeout=0)
    assert result["failed"] is True
    assert result["msg"].startswith("service proj/pg is still '\\x1b[2JSSS") and result["msg"].endswith("after waiting 0 s for RUNNING")
    assert len(result["msg"]) < TEXT_MAX


def test_a_huge_refusal_of_secrets_is_bounded_in_the_warning(fake_api, capsys):
    fake_api.add_pool("proj", "pg", "x", username="app")
    # 24 KB, twice in Aiven's error shape: within the 64 KiB read of an error reply, far over the warning's bound.
    fake_api.script("GET", SERVICE + "?include_secrets=true", error_reply(403, "\x1b[2J" + "refused " * 3_000))
    result = run(fake_api, capsys, pool_name="x", include_secrets=True)
    (warning,) = warnings_of(result)
    assert "HTTP 403: \\x1b[2Jrefused" in warning and len(warning) < TEXT_MAX + 400
    assert warning.endswith("carry no usable password")


def test_diff_headers_and_values_read_from_the_api_are_printable(fake_api, capsys):
    entry = {"pool_name": "old\x1b[2J", "database": "db\nforged: line", "pool_mode": "session", "pool_size": 1}
    document = {"service_name": "pg", "state": "RUNNING", "databases": ["appdb"], "connection_pools": [entry]}
    fake_api.script("GET", SERVICE, (200, {}, {"service": document}))
    result = run(fake_api, capsys, pools=[], purge=True, allow_empty=True, _ansible_check_mode=True, _ansible_diff=True)
    assert result.get("failed") is not True, result.get("msg")
    (diff,) = result["diff"]
    assert diff["before_header"] == diff["after_header"] == "proj/pg/old\\x1b[2J"
    assert diff["before"].splitlines()[0] == "database_name: db\\nforged: line"
    assert not any(has_control(line) for text in diff.values() for line in text.splitlines())
    # Machine-readable, and JSON when printed: the API's names as sent.
    assert result["changes"][0]["pool_name"] == "old\x1b[2J"


def info(fake_api: Any, capsys: Any, **args: Any) -> dict[str, Any]:
    arguments = {"api_url": fake_api.url, "api_token": "text-T0KEN-0123456789", "project": "proj", "service_name": "pg",
                 "api_retries": 0, "timeout": 5}
    return run_module(aiven_connection_pool_info.main, dict(arguments, **args), capsys)


def test_an_api_error_message_reaches_the_info_modules_msg_printable(fake_api, capsys):
    fake_api.script("GET", SERVICE, error_reply(400, HOSTILE))
    result = info(fake_api, capsys)
    assert result["failed"] is True and result["msg"].endswith(f"HTTP 400: {SHOWN}")
    assert result["failure"]["message"] == HOSTILE
    fake_api.script("GET", SERVICE, error_reply(400, "flood " * 100_000))
    assert len(info(fake_api, capsys)["msg"]) <= MESSAGE_MAX


def test_names_read_from_the_api_reach_the_info_modules_msg_printable_and_bounded(fake_api, capsys):
    fake_api.add_pool("proj", "pg", "shared")
    fake_api.add_service("proj", "pg", users=[{"username": "\x1b[2J" + "u" * 10_000}] + [{"username": f"user{index}"} for index in range(5000)])
    result = info(fake_api, capsys, unpinned_user="ghost")
    assert result["failed"] is True
    assert result["msg"].startswith("proj/pg/shared: unpinned_user 'ghost' is not a user of the service (users: \\x1b[2Juuu")
    assert result["msg"].endswith(" and 4991 more)") and not has_control(result["msg"]) and len(result["msg"]) < TEXT_MAX + 200


def test_the_info_modules_warnings_are_printable(fake_api, capsys):
    fake_api.add_pool("proj", "pg", "x", username="app")
    fake_api.add_service("proj", "pg", state="\x1b[2J" + "S" * 10_000)
    fake_api.script("GET", SERVICE + "?include_secrets=true", error_reply(403, HOSTILE))
    result = info(fake_api, capsys, include_secrets=True)
    assert result.get("failed") is not True, result.get("msg")
    state, refused = warnings_of(result)
    assert state.startswith("service proj/pg is '\\x1b[2JSSS") and len(state) < TEXT_MAX
    assert f"HTTP 403: {SHOWN}" in refused
    assert not [warning for warning in (state, refused) if has_control(warning)]
