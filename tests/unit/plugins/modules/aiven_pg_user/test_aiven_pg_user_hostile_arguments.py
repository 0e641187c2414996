# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad and odd arguments of aiven_pg_user: each is refused before any request, naming the option, the user and the
service, every problem at once; the token and the passwords never show; odd names the rules allow are sent URL-quoted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ansible_collections.dbpools.aiven.plugins.modules import aiven_pg_user
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.aiven_pg_user.conftest import ENVIRONMENT, TOKEN
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.module_runner import run_module

SERVICE = {"project": "proj", "service_name": "pg"}
CONTROL = "must not contain control characters or unpaired surrogates"
SHORT = "short-1"

REFUSED = [
    ("name-too-long", dict(SERVICE, username="u" * 65), "username must be a string of 1 to 64 characters, got 'uuu"),
    ("name-empty", dict(SERVICE, username=""), "proj/pg: username must be a string of 1 to 64 characters, got ''"),
    ("name-newline", dict(SERVICE, username="a\nb"), f"username {CONTROL}"),
    ("name-escape", dict(SERVICE, users=[{"username": "a\x1b[2Jb"}]), f"proj/pg: users[0]: username {CONTROL}"),
    ("password-short", dict(SERVICE, username="a", password=SHORT), "proj/pg/a: password must be 8 to 256 characters (the API's limits), got 7"),
    ("password-long", dict(SERVICE, users=[{"username": "a", "password": "p" * 257}]), "password must be 8 to 256 characters"),
    ("password-control", dict(SERVICE, username="a", password="abc\ndefgh"), "password must not contain control characters (one at position 3)"),
    ("password-redacted", dict(SERVICE, username="a", password="<redacted>"), "that is what the API answers for a hidden password"),
    ("password-and-rotate", dict(SERVICE, username="a", password="long-enough-1", rotate_password=True), "give one of them"),
    ("absent-with-password", dict(SERVICE, username="a", password="long-enough-1", state="absent"),
     "proj/pg/a: password cannot be declared for a user with state absent"),
    ("duplicate", dict(SERVICE, users=[{"username": "a"}, {"name": "a"}]), "proj/pg/a: declared more than once"),
    ("project-missing", {"service_name": "pg", "username": "a"}, "project required with username"),
    ("item-not-dict", dict(SERVICE, users=["a", 5]), "proj/pg: users[1] must be a dictionary, got a int"),
    ("option-beside-list", dict(SERVICE, users=[], pg_allow_replication=True), "pg_allow_replication go inside each item of users"),
    ("services-with-service_name", {"project": "proj", "service_name": "pg", "services": []}, "with services, service_name go inside"),
    ("services-with-password", {"project": "proj", "password": "long-enough-1", "services": []}, "with services, password go inside"),
    ("services-twice", {"project": "proj", "services": [{"service_name": "pg"}, {"service_name": "pg"}]},
     "proj/pg: declared more than once (services[0] and services[1])"),
    ("update-bad", dict(SERVICE, users=[{"username": "a", "update_password": "sometimes"}]), "value of update_password must be one of"),
    ("two-forms", dict(SERVICE, username="a", users=[]), "mutually exclusive"),
    ("no-form", dict(SERVICE), "one of the following is required"),
]


@pytest.mark.parametrize("args, expected", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_refused_before_any_request(user_api, run, args: dict[str, Any], expected: str) -> None:
    result = run(**args)
    assert result["failed"] is True
    assert expected in result["msg"], result["msg"]
    assert user_api.requests == []
    assert "\x1b" not in json.dumps(result["msg"]) and "\n" not in result["msg"]
    for secret in (args.get("password"), SHORT, "p" * 257):
        assert not secret or secret not in json.dumps(result)


def test_every_rule_broken_is_named_at_once(user_api, run) -> None:
    result = run(project="proj", services=[
        {"service_name": "pg", "users": [{"username": "x" * 70}, {"username": "ok", "password": SHORT}]},
        {"service_name": "pg2", "users": [{"username": "a"}, {"username": "a"}]},
    ])
    assert len(result["failure"]["problems"]) == 3
    assert user_api.requests == []


def test_no_token_anywhere_fails_naming_where_it_can_come_from(user_api, capsys, monkeypatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    result = run_module(aiven_pg_user.main, dict(SERVICE, username="a", api_url=user_api.url), capsys)
    assert result["failed"] is True and "api_token" in result["msg"]
    assert user_api.requests == []


def test_an_item_that_is_no_dict_keeps_the_token_and_passwords_masked(user_api, run) -> None:
    # ansible-core would give up on no_log for such a list; the module takes it as it is and masks what it finds.
    result = run(project="proj", services=[{"service_name": "pg", "users": [TOKEN, {"username": "b", "password": "Hidden-pass-9"}]}])
    assert result["failed"] is True
    assert TOKEN not in json.dumps(result) and "Hidden-pass-9" not in json.dumps(result)


def test_passwords_stay_masked_when_ansibles_own_checks_fail(user_api, run) -> None:
    # The lists taken as they are (an item is no dict), then the forms are refused by Ansible itself, showing the arguments.
    result = run(project="proj", service_name="pg", username="a", users=["x", {"username": "b", "password": "Hidden-pass-9"}])
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    assert "Hidden-pass-9" not in json.dumps(result)


def test_odd_names_the_rules_allow_are_sent_url_quoted(user_api, run) -> None:
    result = run(project="proj", service_name="pg", username="a/b?c")
    assert result.get("failed") is not True, result.get("msg")
    assert user_api.requests[1].json() == {"username": "a/b?c"}
    assert "a/b?c" in user_api.users("proj", "pg")
    result = run(project="proj", service_name="pg", username="a/b?c", state="absent")
    assert user_api.requests[-2].path == "/v1/project/proj/service/pg/user/a%2Fb%3Fc"
