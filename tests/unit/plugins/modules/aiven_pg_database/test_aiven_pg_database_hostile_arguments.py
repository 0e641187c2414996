# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad and odd arguments of aiven_pg_database: each is refused before any request, naming the option, the database and the
service, every problem of the declaration at once; the token never shows; odd names the rules allow are sent URL-quoted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_pg_database
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.aiven_pg_database.conftest import ENVIRONMENT, TOKEN
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module

SERVICE = {"project": "proj", "service_name": "pg"}
CONTROL = "must not contain control characters or unpaired surrogates"

REFUSED = [
    ("name-too-long", dict(SERVICE, database_name="d" * 41), "database_name must be a string of 1 to 40 characters, got 'ddd"),
    ("name-empty", dict(SERVICE, database_name=""), "proj/pg: database_name must be a string of 1 to 40 characters, got ''"),
    ("name-newline", dict(SERVICE, database_name="a\nb"), f"database_name {CONTROL}"),
    ("name-escape", dict(SERVICE, databases=[{"database_name": "a\x1b[2Jb"}]), f"proj/pg: databases[0]: database_name {CONTROL}"),
    ("locale-too-long", dict(SERVICE, database_name="a", lc_collate="x" * 129), "proj/pg/a: lc_collate must be a string of 1 to 128 characters"),
    ("locale-empty", dict(SERVICE, databases=[{"database_name": "a", "lc_ctype": ""}]), "proj/pg/a: lc_ctype must be a string of 1 to 128"),
    ("duplicate", dict(SERVICE, databases=[{"database_name": "a"}, {"name": "a"}]), "proj/pg/a: declared more than once"),
    ("project-bad", dict(SERVICE, project="pro j", database_name="a"), "project must be 1 to 63 characters"),
    ("project-missing", {"service_name": "pg", "database_name": "a"}, "project required with database_name"),
    ("service-empty", dict(SERVICE, service_name="", databases=[]), "service_name must not be empty"),
    ("item-not-dict", dict(SERVICE, databases=["a", 5]), "proj/pg: databases[1] must be a dictionary, got 5"),
    ("list-not-list", dict(SERVICE, databases={"database_name": "a"}), "databases"),
    ("locale-beside-list", dict(SERVICE, databases=[], lc_collate="C"), "lc_collate go inside each item of databases"),
    ("services-with-service_name", {"project": "proj", "service_name": "pg", "services": []}, "with services, service_name go inside"),
    ("services-item-not-dict", {"project": "proj", "services": ["pg"]}, "services[0] must be a dictionary, got a str"),
    ("services-twice", {"project": "proj", "services": [{"service_name": "pg"}, {"service_name": "pg"}]},
     "proj/pg: declared more than once (services[0] and services[1])"),
    ("services-empty-project", {"project": "proj", "services": [{"project": "", "service_name": "pg"}]}, "project must not be empty"),
    ("services-no-project", {"services": [{"service_name": "pg"}]}, "has no project"),
    ("state-bad", dict(SERVICE, databases=[{"database_name": "a", "state": "gone"}]), "value of state must be one of"),
    ("two-forms", dict(SERVICE, database_name="a", databases=[]), "mutually exclusive"),
    ("no-form", dict(SERVICE), "one of the following is required"),
]


@pytest.mark.parametrize("args, expected", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_refused_before_any_request(db_api, run, args: dict[str, Any], expected: str) -> None:
    result = run(**args)
    assert result["failed"] is True
    assert expected in result["msg"], result["msg"]
    assert db_api.requests == []
    assert "\x1b" not in json.dumps(result["msg"]) and "\n" not in result["msg"]


def test_every_rule_broken_is_named_at_once(db_api, run) -> None:
    result = run(project="proj", services=[
        {"service_name": "pg", "databases": [{"database_name": "x" * 50}, {"database_name": "ok", "lc_collate": ""}]},
        {"service_name": "pg2", "databases": [{"database_name": "a"}, {"database_name": "a"}]},
    ])
    assert len(result["failure"]["problems"]) == 3
    assert db_api.requests == []


def test_no_token_anywhere_fails_naming_where_it_can_come_from(db_api, capsys, monkeypatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    result = run_module(aiven_pg_database.main, dict(SERVICE, database_name="a", api_url=db_api.url), capsys)
    assert result["failed"] is True and "api_token" in result["msg"]
    assert db_api.requests == []


def test_an_item_that_is_no_dict_keeps_the_token_masked(db_api, run) -> None:
    # ansible-core would give up on no_log for such a list; the module takes it as it is and names the item.
    result = run(project="proj", services=[{"service_name": "pg", "databases": [TOKEN]}])
    assert result["failed"] is True
    assert TOKEN not in json.dumps(result)


def test_odd_names_the_rules_allow_are_sent_url_quoted(db_api, run) -> None:
    result = run(project="proj", service_name="pg", databases=[{"database_name": "a/b?c"}, {"database_name": "defaultdb", "state": "absent"}])
    assert result.get("failed") is not True, result.get("msg")
    assert db_api.requests[2].json() == {"database": "a/b?c"}
    assert db_api.requests[3].path == "/v1/project/proj/service/pg/db/defaultdb"
    assert "a/b?c" in db_api.databases("proj", "pg")
