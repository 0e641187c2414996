# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""API texts and names reach aiven_connection_pool's msg and warnings printable (module_utils/_text.py), against the fake API."""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, TEXT_MAX
from ansible_collections.dbpools.aiven.plugins.modules import aiven_connection_pool
from ansible_collections.dbpools.aiven.tests.unit.plugins.filter.json_like import has_control
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.fake_api import error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.module_runner import run_module, warnings_of

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
    fake_api.script("POST", SERVICE + "/connection_pool", error_reply(400, "flood " * 100_000))
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
