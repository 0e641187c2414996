# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info: a service that is not running is named with its state; API texts in messages are printable."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.fake_api import error_reply

TOKEN = "lookup-T0KEN-0123456789abcdef"


def options(fake_api, **extra):
    return {"api_token": TOKEN, "api_url": fake_api.url, "api_retries": 0, **extra}


@pytest.mark.parametrize("include_secrets", [True, False])
def test_a_powered_off_service_fails_naming_it_and_its_state_not_a_missing_pool(fake_api, lookup, warnings, include_secrets):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.add_service("proj", "pg1", state="POWEROFF")
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/app", **options(fake_api, include_secrets=include_secrets))
    assert str(info.value).startswith("service proj/pg1 is POWEROFF: nothing can connect through its pools until it is powered on")
    assert "does not exist" not in str(info.value)


def test_a_powered_off_service_without_its_pools_listed_is_named_too(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "other", username="alice")
    fake_api.add_pool("proj", "pg2", "app", username="alice")
    fake_api.script("GET", "/v1/project/proj/service/pg2?include_secrets=true", (200, {}, {"service": {
        "service_name": "pg2", "service_type": "pg", "state": "POWEROFF", "connection_pools": []}}))
    with pytest.raises(AnsibleLookupError, match=r"^service proj/pg2 is POWEROFF: .*Aiven may drop its pools"):
        lookup("proj/pg1/other", "proj/pg2/app", **options(fake_api))


def test_a_service_rebuilding_gives_its_details_with_a_warning_naming_the_state(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.add_service("proj", "pg1", state="REBUILDING")
    [details] = lookup("proj/pg1/app", **options(fake_api))
    assert details["user"] == "alice"
    [warning] = warnings.messages
    assert warning.startswith("service proj/pg1 is REBUILDING, not RUNNING")


def test_an_api_error_text_is_shown_with_control_characters_escaped(fake_api, lookup, warnings):
    fake_api.script("GET", "/v1/project/proj/service/pg1?include_secrets=true",
                    error_reply(404, "Service pg1 \x1b[2Jdoes not exist\nreally"))
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/app", **options(fake_api))
    message = str(info.value)
    assert "\x1b" not in message and "\n" not in message
    assert "\\x1b[2Jdoes not exist\\nreally" in message


def test_names_the_api_lists_are_shown_escaped_and_the_message_bounded(fake_api, lookup, warnings):
    fake_api.script("GET", "/v1/project/proj/service/pg1?include_secrets=true", (200, {}, {"service": {
        "service_name": "pg1", "service_type": "pg", "state": "RUNNING",
        "connection_pools": [{"pool_name": f"p\x1b]0;{index}\x07" + "x" * 50, "database": "db", "pool_mode": "session",
                              "pool_size": 1, "username": "alice"} for index in range(200)]}}))
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/app", **options(fake_api))
    message = str(info.value)
    assert message.startswith("pool proj/pg1/app does not exist; service proj/pg1 has pools: p\\x1b]0;")
    assert "\x1b" not in message and "\x07" not in message
    assert len(message) <= MESSAGE_MAX


def test_a_service_state_from_the_api_in_a_warning_is_escaped(fake_api, lookup, warnings):
    fake_api.script("GET", "/v1/project/proj/service/pg1?include_secrets=true", (200, {}, {"service": {
        "service_name": "pg1", "service_type": "pg", "state": "ODD\x1b[31m", "users": [{"username": "alice", "password": "pw"}],
        "connection_pools": [{"pool_name": "app", "database": "db", "pool_mode": "session", "pool_size": 1, "username": "alice"}]}}))
    lookup("proj/pg1/app", **options(fake_api))
    [warning] = warnings.messages
    assert "\x1b" not in warning and "ODD\\x1b[31m" in warning
