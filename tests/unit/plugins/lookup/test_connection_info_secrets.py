# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info: credentials of pinned and unpinned pools, and secrets the API does not give out."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.emulated_service import PASSWORD

TOKEN = "lookup-T0KEN-0123456789abcdef"
USERS = [{"username": "avnadmin", "password": "admin-secret", "type": "primary"},
         {"username": "app", "password": "app-secret", "type": "regular"}]


def options(fake_api, **extra):
    return {"api_token": TOKEN, "api_url": fake_api.url, "api_retries": 0, **extra}


def test_unpinned_pool_has_no_credentials_never_the_admins(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "shared")  # the fake puts avnadmin in an unpinned pool's URI, as the API may
    fake_api.add_service("proj", "pg1", users=USERS)
    [details] = lookup("proj/pg1/shared", **options(fake_api))
    assert (details["user"], details["password"]) == ("", "")
    assert details["uri"] == "postgres://pg.example.com:12692/shared?sslmode=require"
    assert warnings.messages == []


def test_unpinned_pool_with_a_named_user_gets_that_users_password(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "shared")
    fake_api.add_pool("proj", "pg1", "pinned", username="avnadmin")
    fake_api.add_service("proj", "pg1", users=USERS)
    shared, pinned = lookup("proj/pg1/shared", "proj/pg1/pinned", **options(fake_api, unpinned_user="app"))
    assert (shared["user"], shared["password"]) == ("app", "app-secret")
    assert shared["uri"] == "postgres://app:app-secret@pg.example.com:12692/shared?sslmode=require"
    assert (pinned["user"], pinned["password"]) == ("avnadmin", "admin-secret")


def test_unpinned_user_not_of_the_service_lists_the_users(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "shared")
    fake_api.add_service("proj", "pg1", users=USERS)
    expected = r"^pool proj/pg1/shared: unpinned_user 'nobody' is not a user of the service \(users: avnadmin, app\)$"
    with pytest.raises(AnsibleLookupError, match=expected):
        lookup("proj/pg1/shared", **options(fake_api, unpinned_user="nobody"))


def test_secrets_refused_fall_back_with_a_warning(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.secrets = "forbidden"
    [details] = lookup("proj/pg1/app", **options(fake_api))
    assert details["user"] == "alice"
    assert details["password"] is None
    assert details["uri"] == "postgres://alice@pg.example.com:12692/app?sslmode=require"
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg1"] * 2
    [warning] = warnings.messages
    assert "may not read secrets of service proj/pg1" in warning and "HTTP 403" in warning
    assert TOKEN not in warning


def test_secrets_refused_for_a_project_list_fall_back_once(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg2", "b", username="alice")
    fake_api.secrets = "forbidden"
    results = lookup("proj/pg1/a", "proj/pg2/b", **options(fake_api))
    assert [item["password"] for item in results] == [None, None]
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service?include_secrets=true", "/v1/project/proj/service"]
    assert len(warnings.messages) == 1


def test_redacted_password_is_null_with_a_warning_naming_the_pool(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.secrets = "redacted"
    [details] = lookup("proj/pg1/app", **options(fake_api))
    assert details["password"] is None
    assert "redacted" not in details["uri"]
    assert warnings.messages == ["pool proj/pg1/app: the API gave no password for user alice although secrets were asked for: "
                                 "password is null and uri carries none"]


def test_password_from_the_users_list_when_the_pool_uri_is_redacted(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="app")
    fake_api.add_service("proj", "pg1", users=USERS)
    fake_api.secrets = "redacted"
    [details] = lookup("proj/pg1/app", **options(fake_api))
    assert details["password"] == "app-secret"
    assert warnings.messages == []


def test_readable_secrets_give_the_pool_uris_password(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    [details] = lookup("proj/pg1/app", **options(fake_api))
    assert details["password"] == PASSWORD
    assert warnings.messages == []
