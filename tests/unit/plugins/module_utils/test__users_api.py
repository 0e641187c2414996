# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user routes (module_utils/_users_api.py) against the fake: create, reset, access control, delete, the bounded reads again."""

from __future__ import annotations

import pytest

from ansible_collections.dbpools.aiven.plugins.module_utils._api import AivenApiError, AivenClient
from ansible_collections.dbpools.aiven.plugins.module_utils._users_api import (
    PASSWORD_DELAYS,
    Unreadable,
    create_user,
    delete_user,
    get_user,
    read_gone,
    read_settled,
    reset_password,
    set_replication,
)
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_users_api import FakeUsersApi

TOKEN = "users-api-T0KEN-0123456789"


@pytest.fixture(scope="module")
def server():
    fake = FakeUsersApi().start()
    yield fake
    fake.stop()


@pytest.fixture
def api(server) -> FakeUsersApi:
    server.reset()
    server.add_service("proj", "pg", users={"app": False})
    return server


@pytest.fixture
def client(api):
    made = AivenClient(TOKEN, api_url=api.url, max_retries=0, timeout=5)
    yield made
    made.close()


def test_create_answers_false_for_a_user_that_exists(api, client) -> None:
    assert create_user(client, "proj", "pg", "new", None) is True
    assert api.requests[-1].json() == {"username": "new"}
    assert create_user(client, "proj", "pg", "new", True) is False


def test_create_retried_after_a_lost_reply_is_true_and_the_user_exists(api) -> None:
    # The first attempt created the user and its reply was lost (500); the retry's 409 is that attempt's doing.
    api.commit_then_fail = True
    retrying = AivenClient(TOKEN, api_url=api.url, max_retries=1, timeout=5, sleep=lambda seconds: None)
    try:
        assert create_user(retrying, "proj", "pg", "new", None) is True
    finally:
        retrying.close()
    assert api.writes() == ["POST /v1/project/proj/service/pg/user"] * 2
    assert "new" in api.users("proj", "pg")


def test_reset_and_access_control_send_one_operation_each(api, client) -> None:
    reset_password(client, "proj", "pg", "app", None)
    assert api.requests[-1].json() == {"operation": "reset-credentials"}
    reset_password(client, "proj", "pg", "app", "Given-Passw0rd")
    assert api.requests[-1].json() == {"operation": "reset-credentials", "new_password": "Given-Passw0rd"}
    set_replication(client, "proj", "pg", "app", True)
    assert api.requests[-1].json() == {"operation": "set-access-control", "access_control": {"pg_allow_replication": True}}


def test_get_user_asks_for_secrets_only_when_told(api, client) -> None:
    assert get_user(client, "proj", "pg", "app")["password"] == "<redacted>"
    assert get_user(client, "proj", "pg", "app", include_secrets=True)["password"].startswith("AVNS_")
    with pytest.raises(AivenApiError) as caught:
        get_user(client, "proj", "pg", "nobody")
    assert caught.value.not_found


def test_delete_of_a_missing_user_is_false_and_of_a_missing_service_raises(api, client) -> None:
    assert delete_user(client, "proj", "pg", "app") is True
    assert delete_user(client, "proj", "pg", "app") is False
    with pytest.raises(AivenApiError):
        delete_user(client, "proj", "gone", "app")


def test_read_settled_reads_through_404s_and_empty_passwords(api, client) -> None:
    api.create_404_reads, api.empty_password_reads = 2, 3
    create_user(client, "proj", "pg", "new", None)
    waited: list[float] = []
    user = read_settled(client, "proj", "pg", "new", True, waited.append)
    assert user["password"] == api.users("proj", "pg")["new"].password
    assert waited == list(PASSWORD_DELAYS[:5])


def test_read_settled_is_bounded_and_never_returns_an_empty_password(api, client) -> None:
    api.users("proj", "pg")["app"].overridden = True
    waited: list[float] = []
    with pytest.raises(Unreadable, match="still empty after 180 s"):
        read_settled(client, "proj", "pg", "app", True, waited.append)
    assert waited == list(PASSWORD_DELAYS)
    # Without a password wanted, the user showing is enough.
    assert read_settled(client, "proj", "pg", "app", False, waited.append)["username"] == "app"


def test_a_redacted_password_ends_the_wait_at_once(api, client) -> None:
    api.redact_always = True
    waited: list[float] = []
    with pytest.raises(Unreadable, match="<redacted>"):
        read_settled(client, "proj", "pg", "app", True, waited.append)
    assert read_settled(client, "proj", "pg", "app", True, waited.append, redacted_ok=True)["password"] == "<redacted>"
    assert waited == []


def test_read_gone_waits_out_a_deleted_users_lag(api, client) -> None:
    api.delete_lag_reads = 2
    delete_user(client, "proj", "pg", "app")
    waited: list[float] = []
    assert read_gone(client, "proj", "pg", "app", waited.append) is True
    assert waited == [1.0, 2.0]
