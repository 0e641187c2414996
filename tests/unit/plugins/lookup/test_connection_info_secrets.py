# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info: credentials that are right or a failure, and the opt-out include_secrets=false."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.emulated_service import PASSWORD

TOKEN = "lookup-T0KEN-0123456789abcdef"
USERS = [{"username": "avnadmin", "password": "admin-secret", "type": "primary"},
         {"username": "app", "password": "app-secret", "type": "normal"}]


def options(fake_api, **extra):
    return {"api_token": TOKEN, "api_url": fake_api.url, "api_retries": 0, **extra}


def test_unpinned_pool_without_unpinned_user_fails_saying_what_to_set(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "shared")  # the fake puts avnadmin in an unpinned pool's URI, as the API may
    fake_api.add_service("proj", "pg1", users=USERS)
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/shared", **options(fake_api))
    message = str(info.value)
    assert message.startswith("pool(s) proj/pg1/shared are not pinned to a user and have no credentials of their own: "
                              "set unpinned_user to the service user to connect as")
    assert "admin-secret" not in message and "avnadmin" not in message


def test_unpinned_pool_with_include_secrets_false_has_no_credentials_never_the_admins(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "shared")
    fake_api.add_service("proj", "pg1", users=USERS)
    [details] = lookup("proj/pg1/shared", **options(fake_api, include_secrets=False))
    assert details == {"host": "pg.example.com", "port": 12692, "dbname": "shared", "user": "", "sslmode": "require",
                       "uri": "postgres://pg.example.com:12692/shared?sslmode=require"}
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


def test_secrets_refused_fail_naming_the_permission_and_the_pool(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.secrets = "forbidden"
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/app", **options(fake_api))
    message = str(info.value)
    assert message.startswith("the API token may not read the passwords of pool(s) proj/pg1/app: project proj answered "
                              "include_secrets=true with HTTP 403; grant the token the permission service:secrets:read")
    assert "include_secrets=false" in message
    assert TOKEN not in message
    # The read without secrets tells a missing permission from no access at all.
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg1"] * 2
    assert warnings.messages == []


def test_secrets_refused_for_several_services_fail_once_naming_every_pool(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg2", "b", username="alice")
    fake_api.secrets = "forbidden"
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/a", "proj/pg2/b", "proj/pg1/a", **options(fake_api))
    assert str(info.value).count("service:secrets:read") == 1
    assert "pool(s) proj/pg1/a, proj/pg2/b: project proj answered" in str(info.value)
    # Refused once: the project's other service is read without asking again.
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service/pg1?include_secrets=true",
                                                         "/v1/project/proj/service/pg1", "/v1/project/proj/service/pg2"]


def test_every_credential_problem_is_reported_at_once(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "shared")
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.secrets = "forbidden"
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/shared", "proj/pg1/app", **options(fake_api))
    assert "pool(s) proj/pg1/shared are not pinned" in str(info.value)
    assert "passwords of pool(s) proj/pg1/app" in str(info.value)


def test_redacted_password_fails_naming_the_pool_and_user(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.secrets = "redacted"
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/app", **options(fake_api))
    assert str(info.value).startswith("the API gave no password for pool(s) proj/pg1/app (user alice) although secrets were "
                                      "asked for (it answered <redacted> or none)")
    assert "service:secrets:read" in str(info.value)


@pytest.mark.parametrize("secrets", ["forbidden", "redacted"])
def test_include_secrets_false_is_the_opt_out_no_secret_asked_none_returned(fake_api, lookup, warnings, secrets):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.secrets = secrets
    [details] = lookup("proj/pg1/app", **options(fake_api, include_secrets=False))
    assert details == {"host": "pg.example.com", "port": 12692, "dbname": "app", "user": "alice", "sslmode": "require",
                       "uri": "postgres://alice@pg.example.com:12692/app?sslmode=require"}
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service/pg1"]
    assert warnings.messages == []


def test_include_secrets_false_returns_no_password_even_when_the_api_gives_it(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="app")
    fake_api.add_service("proj", "pg1", users=USERS)
    fake_api.secrets = "unredacted"
    [details] = lookup("proj/pg1/app", **options(fake_api, include_secrets=False))
    assert "password" not in details
    assert "app-secret" not in repr(details)


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
