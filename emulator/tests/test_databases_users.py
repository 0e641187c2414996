"""The database and service-user routes as ../shared/contract/AIVEN_DATABASES_USERS.md describes them (memory backend)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from harness import PROJECT, READONLY_TOKEN, UNLIMITED, Api

BASE = f"/project/{PROJECT}/service/pg-dbu"
SECRETS = {"include_secrets": "true"}
# Every read-after-write window closed: for tests of something else.
NO_WINDOWS = {"database_lag_reads": 0, "user_create_404_reads": 0, "user_empty_password_reads": 0, "user_delete_lag_reads": 0}


@pytest.fixture(autouse=True)
def defaults(emulator):
    """Each test starts from the emulator's defaults (production's), without the rate limit."""
    emulator.reset_options()
    emulator.set_options(**UNLIMITED)
    yield
    emulator.reset_options()
    emulator.set_options(**UNLIMITED)


def _names(api: Api, **params) -> list:
    reply = api.call("GET", BASE + "/db", params=params)
    assert reply.status_code == 200, reply.text
    return [item["database_name"] for item in reply.json()["databases"]]


def _all_names(api: Api) -> list:
    return _names(api, maxItems=250)


def _user(api: Api, name: str, secrets: bool = True):
    return api.call("GET", f"{BASE}/user/{name}", params=SECRETS if secrets else None)


# -- list -------------------------------------------------------------------


def test_pages_follow_the_cursor_and_end_with_an_empty_next(emulator, api: Api):
    emulator.set_options(**NO_WINDOWS)
    created = [f"page_{index:02d}" for index in range(12)]
    for name in created:
        assert api.call("POST", BASE + "/db", {"database": name}).status_code == 200
    try:
        default_page = api.call("GET", BASE + "/db").json()
        # Without maxItems a page holds database_page_size (10): a client that ignores next misses the rest.
        assert len(default_page["databases"]) == 10 and default_page["next"] == default_page["databases"][-1]["database_name"]
        seen, after, pages = [], None, 0
        while True:
            body = api.call("GET", BASE + "/db", params={"maxItems": 5, **({"after": after} if after else {})}).json()
            seen += [item["database_name"] for item in body["databases"]]
            pages += 1
            if not body["next"]:
                break
            after = body["next"]
        assert seen == ["defaultdb"] + created and pages == 3 and body["next"] == ""
        for choice, expected in (("null", None), ("absent", "missing")):
            emulator.set_options(database_last_page_next=choice)
            assert api.call("GET", BASE + "/db", params={"maxItems": 250}).json().get("next", "missing") == expected
    finally:
        for name in created:
            api.call("DELETE", f"{BASE}/db/{name}")


def test_items_carry_locales_unless_switched_off(emulator, api: Api):
    item = api.call("GET", BASE + "/db").json()["databases"][0]
    assert item == {"database_name": "defaultdb", "lc_collate": "en_US.UTF-8", "lc_ctype": "en_US.UTF-8"}
    emulator.set_options(database_list_locales=False)
    assert api.call("GET", BASE + "/db").json()["databases"][0] == {"database_name": "defaultdb"}


def test_limit_999_is_ignored_unless_the_2026_06_25_incident_is_replayed(emulator, api: Api):
    assert _names(api, limit=999, maxItems=250) == ["defaultdb"]
    emulator.set_options(database_reject_large_limit=True)
    reply = api.call("GET", BASE + "/db", params={"limit": 999, "maxItems": 250})
    assert reply.status_code == 400
    assert reply.json()["message"] == "Invalid value for limit parameter: maximum allowed value is 250"
    assert _names(api, limit=250) == ["defaultdb"]


# -- create and delete databases ------------------------------------------


def test_a_new_database_shows_after_one_list_read_with_fixed_locales(api: Api):
    assert api.call("POST", BASE + "/db", {"database": "lagging", "lc_collate": "C", "lc_ctype": "C.UTF-8"}).json() == {"message": "created"}
    try:
        assert "lagging" not in _all_names(api)  # database_lag_reads: 1
        listed = {item["database_name"]: item for item in api.call("GET", BASE + "/db").json()["databases"]}
        assert (listed["lagging"]["lc_collate"], listed["lagging"]["lc_ctype"]) == ("C", "C.UTF-8")
        assert "lagging" in api.service("pg-dbu")["databases"]
        again = api.call("POST", BASE + "/db", {"database": "lagging", "lc_collate": "en_US.UTF-8"})
        assert again.status_code == 409 and again.json()["message"] == "Service database 'lagging' already exists"
    finally:
        api.call("DELETE", BASE + "/db/lagging")
    assert "lagging" in _all_names(api)  # a deleted database is still listed once
    assert "lagging" not in _all_names(api)


def test_the_service_document_lags_as_the_list_and_its_reads_count_too(api: Api):
    assert api.call("POST", BASE + "/db", {"database": "doc-lag"}).json() == {"message": "created"}
    try:
        assert "doc-lag" not in api.service("pg-dbu")["databases"]  # database_lag_reads: 1, this read counts
        assert "doc-lag" in api.service("pg-dbu")["databases"]
        assert "doc-lag" in _all_names(api)
    finally:
        api.call("DELETE", BASE + "/db/doc-lag")


@pytest.mark.parametrize("body, field", [
    ({}, "database"), ({"database": ""}, "database"), ({"database": "d" * 41}, "database"), ({"database": "caf\u00e9"}, "database"),
    ({"database": "-dash"}, "database"), ({"database": 5}, "database"), ({"database": "ok", "lc_ctype": "x" * 129}, "lc_ctype"),
    ({"database": "ok", "lc_collate": ""}, "lc_collate"),
])
def test_database_bodies_are_checked(api: Api, body, field):
    reply = api.call("POST", BASE + "/db", body)
    assert reply.status_code == 400 and field in reply.json()["message"]


def test_reserved_database_names_are_refused(emulator, api: Api):
    reply = api.call("POST", BASE + "/db", {"database": "_aiven_meta"})
    assert reply.status_code == 403 and reply.json()["message"] == "Service database '_aiven_meta' cannot be deleted, reserved name pattern"
    emulator.set_options(reserved_database_prefixes=[])
    assert api.call("POST", BASE + "/db", {"database": "_aiven_meta"}).status_code == 200
    emulator.set_options(reserved_database_prefixes=["_aiven"])
    assert api.call("DELETE", BASE + "/db/_aiven_meta").status_code == 403
    emulator.set_options(reserved_database_prefixes=[])
    assert api.call("DELETE", BASE + "/db/_aiven_meta").status_code == 200


def test_powered_off_and_just_started_services_refuse_writes(emulator, api: Api):
    emulator.set_service(PROJECT, "pg-dbu", state="POWEROFF")
    try:
        for method, path, body in (("POST", "/db", {"database": "x"}), ("DELETE", "/db/defaultdb", None), ("POST", "/user", {"username": "x"}),
                                   ("PUT", "/user/avnadmin", {"operation": "reset-credentials"}), ("DELETE", "/user/avnadmin", None)):
            reply = api.call(method, BASE + path, body)
            assert (reply.status_code, reply.json()["message"]) == (503, "An error occurred. Please try again later."), (method, path)
        emulator.set_options(poweroff_db_user_write_status=409)
        assert api.call("POST", BASE + "/db", {"database": "x"}).json()["errors"][0]["error_code"] == "not_powered"
        assert api.call("GET", BASE + "/db").status_code == 503
    finally:
        emulator.set_service(PROJECT, "pg-dbu", state="RUNNING")
    emulator.set_options(service_lag=60.0)  # counted from the power-on just now
    reply = api.call("POST", BASE + "/db", {"database": "x"})
    assert reply.status_code == 404 and reply.json()["message"] == "Service pg-dbu does not exist"


@pytest.mark.parametrize("choice", ["dangle", "cascade", "refuse"])
def test_deleting_a_database_under_a_pool(emulator, api: Api, choice):
    emulator.set_options(delete_database_with_pools=choice, **NO_WINDOWS)
    assert api.call("POST", BASE + "/db", {"database": "pooled"}).status_code == 200
    assert api.call("POST", BASE + "/connection_pool", {"pool_name": "over_pooled", "database": "pooled"}).status_code == 200
    reply = api.call("DELETE", BASE + "/db/pooled")
    pools = {pool["pool_name"] for pool in api.service("pg-dbu")["connection_pools"]}
    if choice == "refuse":
        assert reply.status_code == 409 and "over_pooled" in reply.json()["message"] and "pooled" in _all_names(api)
        assert api.call("DELETE", BASE + "/connection_pool/over_pooled").status_code == 200
        assert api.call("DELETE", BASE + "/db/pooled").status_code == 200
    else:
        assert reply.status_code == 200 and "pooled" not in _all_names(api)
        assert ("over_pooled" in pools) == (choice == "dangle")
        api.call("DELETE", BASE + "/connection_pool/over_pooled")


def test_500_after_commit_then_the_retry_sees_409(emulator, api: Api):
    emulator.add_faults([{"method": "POST", "path": "/pg-dbu/db$", "status": 500, "after_commit": True, "times": 1}])
    first = api.call("POST", BASE + "/db", {"database": "committed"})
    assert first.status_code == 500 and first.json()["message"] == "An error occurred. Please try again later."
    retry = api.call("POST", BASE + "/db", {"database": "committed"})
    assert retry.status_code == 409 and "already exists" in retry.json()["message"]
    emulator.add_faults([{"method": "DELETE", "path": "/pg-dbu/db/committed$", "status": 502, "after_commit": True, "times": 1}])
    assert api.call("DELETE", BASE + "/db/committed").status_code == 502
    assert api.call("DELETE", BASE + "/db/committed").status_code == 404  # the delete had happened
    refused = emulator.session.post(f"{emulator.url}/_emulator/faults", json={"rules": [{"path": "x", "after_commit": True}]}, timeout=30)
    assert refused.status_code == 400


# -- users ----------------------------------------------------------------


def test_a_new_user_reads_404_then_empty_then_its_password(api: Api):
    reply = api.call("POST", BASE + "/user", {"username": "fresh"})
    assert reply.status_code == 200
    created = reply.json()["user"]
    assert created == {"username": "fresh", "password": "<redacted>", "type": "normal", "access_control": {"pg_allow_replication": False},
                       "password_updated_time": created["password_updated_time"]}
    try:
        assert _user(api, "fresh").status_code == 404  # user_create_404_reads: 1
        assert _user(api, "fresh").json()["user"]["password"] == ""  # user_empty_password_reads: 1
        password = _user(api, "fresh").json()["user"]["password"]
        assert password.startswith("AVNS_") and len(password) > 20
        assert _user(api, "fresh", secrets=False).json()["user"]["password"] == "<redacted>"
        assert {u["username"]: u["type"] for u in api.service("pg-dbu")["users"]} == {"avnadmin": "primary", "fresh": "normal"}
    finally:
        assert api.call("DELETE", BASE + "/user/fresh").status_code == 200
    assert _user(api, "fresh").status_code == 200  # user_delete_lag_reads: 1
    assert _user(api, "fresh").status_code == 404


def test_the_windows_and_the_create_reply_are_switches(emulator, api: Api):
    emulator.set_options(user_create_404_reads=2, user_empty_password_reads=0, user_create_password="clear")
    created = api.call("POST", BASE + "/user", {"username": "switched"}).json()["user"]
    try:
        assert [_user(api, "switched").status_code for _attempt in range(3)] == [404, 404, 200]
        assert _user(api, "switched").json()["user"]["password"] == created["password"] != ""
        emulator.set_options(user_create_password="empty")
        assert api.call("POST", BASE + "/user", {"username": "switched_2"}).json()["user"]["password"] == ""
    finally:
        emulator.set_options(**NO_WINDOWS)
        api.call("DELETE", BASE + "/user/switched")
        api.call("DELETE", BASE + "/user/switched_2")


@pytest.mark.parametrize("body, field, status", [
    ({}, "username", 400), ({"username": "u" * 65}, "username", 400), ({"username": ".dot"}, "username", 400),
    ({"username": "pg_monitor2"}, "reserved", 400), ({"username": "x", "access_control": {"pg_allow_replication": "yes"}}, "pg_allow_replication", 400),
    ({"username": "x", "access_control": []}, "access_control", 400), ({"username": "x", "authentication": "caching_sha2_password"}, "authentication", 400),
    ({"username": "avnadmin"}, "Service user avnadmin already exists", 409),
])
def test_user_bodies_are_checked(api: Api, body, field, status):
    reply = api.call("POST", BASE + "/user", body)
    assert reply.status_code == status and field in reply.json()["message"]


def test_reset_credentials_with_and_without_a_new_password(emulator, api: Api):
    emulator.set_options(user_create_404_reads=0)
    api.call("POST", BASE + "/user", {"username": "rotated"})
    try:
        reply = api.call("PUT", BASE + "/user/rotated", {"operation": "reset-credentials", "new_password": "my-chosen-password"})
        assert reply.status_code == 200
        assert {u["username"]: u["password"] for u in reply.json()["service"]["users"]}["rotated"] == "<redacted>"
        assert _user(api, "rotated").json()["user"]["password"] == ""  # never the old password
        assert _user(api, "rotated").json()["user"]["password"] == "my-chosen-password"
        api.call("PUT", BASE + "/user/rotated", {"operation": "reset-credentials"})
        _user(api, "rotated")
        generated = _user(api, "rotated").json()["user"]["password"]
        assert generated.startswith("AVNS_") and generated != "my-chosen-password"
        for bad in ({"operation": "reset-credentials", "new_password": "7chars!"}, {"operation": "reset-credentials", "new_password": "p" * 257},
                    {"new_password": "long-enough"}, {"operation": "rotate"}, {"operation": "set-access-control"}):
            assert api.call("PUT", BASE + "/user/rotated", bad).status_code == 400, bad
    finally:
        api.call("DELETE", BASE + "/user/rotated")


def test_set_access_control_toggles_replication_and_keeps_the_password(emulator, api: Api):
    emulator.set_options(**NO_WINDOWS)
    api.call("POST", BASE + "/user", {"username": "replicator", "access_control": {"pg_allow_replication": True}})
    try:
        before = _user(api, "replicator").json()["user"]
        assert before["access_control"] == {"pg_allow_replication": True}
        for wanted in (False, True):
            body = {"operation": "set-access-control", "access_control": {"pg_allow_replication": wanted}}
            assert api.call("PUT", BASE + "/user/replicator", body).status_code == 200
            after = _user(api, "replicator").json()["user"]
            assert after["access_control"] == {"pg_allow_replication": wanted} and after["password"] == before["password"]
        assert _user(api, "avnadmin").json()["user"]["access_control"] == {"pg_allow_replication": True}
    finally:
        api.call("DELETE", BASE + "/user/replicator")


def test_fields_of_another_operation_are_ignored_or_refused(emulator, api: Api):
    emulator.set_options(**NO_WINDOWS)
    api.call("POST", BASE + "/user", {"username": "mixed"})
    try:
        body = {"operation": "reset-credentials", "new_password": "mixed-password", "access_control": {"pg_allow_replication": True}}
        assert api.call("PUT", BASE + "/user/mixed", body).status_code == 200
        assert _user(api, "mixed").json()["user"]["access_control"] == {"pg_allow_replication": False}  # silently ignored
        emulator.set_options(user_mismatched_fields="reject")
        reply = api.call("PUT", BASE + "/user/mixed", body)
        assert reply.status_code == 400 and "access_control" in reply.json()["message"]
    finally:
        api.call("DELETE", BASE + "/user/mixed")


def test_an_overridden_password_reads_null_or_empty(emulator, api: Api):
    emulator.set_options(**NO_WINDOWS)
    api.call("POST", BASE + "/user", {"username": "altered"})
    try:
        emulator.override_password(PROJECT, "pg-dbu", "altered")
        assert _user(api, "altered").json()["user"]["password"] is None
        emulator.set_options(overridden_password="empty")
        assert _user(api, "altered").json()["user"]["password"] == ""
        api.call("PUT", BASE + "/user/altered", {"operation": "reset-credentials", "new_password": "known-again"})
        assert _user(api, "altered").json()["user"]["password"] == "known-again"
    finally:
        api.call("DELETE", BASE + "/user/altered")


def test_a_read_only_token_may_not_read_a_user(emulator, api: Api):
    reader = Api(emulator.url, token=READONLY_TOKEN)
    assert reader.call("GET", BASE + "/user/avnadmin").status_code == 403
    emulator.set_options(user_get_read_only_status=200)
    assert reader.call("GET", BASE + "/user/avnadmin").json()["user"]["password"] == "<redacted>"


def test_the_primary_user_is_not_deleted(emulator, api: Api):
    reply = api.call("DELETE", BASE + "/user/avnadmin")
    assert reply.status_code == 403 and reply.json()["message"] == "Service user avnadmin is the primary user and cannot be deleted"
    emulator.set_options(primary_user_delete_status=400)
    assert api.call("DELETE", BASE + "/user/avnadmin").status_code == 400
    assert api.call("DELETE", BASE + "/user/nobody").status_code == 404


@pytest.mark.parametrize("choice", ["dangle", "cascade", "refuse"])
def test_deleting_a_user_a_pool_is_pinned_to(emulator, api: Api, choice):
    emulator.set_options(delete_user_with_pools=choice, **NO_WINDOWS)
    api.call("POST", BASE + "/user", {"username": "pinned"})
    assert api.call("POST", BASE + "/connection_pool", {"pool_name": "to_pinned", "database": "defaultdb", "username": "pinned"}).status_code == 200
    reply = api.call("DELETE", BASE + "/user/pinned")
    pools = {pool["pool_name"]: pool for pool in api.service("pg-dbu", include_secrets=True)["connection_pools"]}
    if choice == "refuse":
        assert reply.status_code == 409 and "to_pinned" in reply.json()["message"]
        api.call("DELETE", BASE + "/connection_pool/to_pinned")
        assert api.call("DELETE", BASE + "/user/pinned").status_code == 200
    else:
        assert reply.status_code == 200 and ("to_pinned" in pools) == (choice == "dangle")
        if choice == "dangle":
            assert pools["to_pinned"]["username"] == "pinned" and "postgres://pinned:@" in pools["to_pinned"]["connection_uri"]
        api.call("DELETE", BASE + "/connection_pool/to_pinned")


def test_a_user_create_answered_500_after_commit(emulator, api: Api):
    emulator.set_options(**NO_WINDOWS)
    emulator.add_faults([{"method": "POST", "path": "/pg-dbu/user$", "status": 503, "after_commit": True, "times": 1}])
    assert api.call("POST", BASE + "/user", {"username": "retried"}).status_code == 503
    try:
        assert api.call("POST", BASE + "/user", {"username": "retried"}).status_code == 409
        assert _user(api, "retried").status_code == 200
    finally:
        api.call("DELETE", BASE + "/user/retried")


def test_many_users_created_at_once(emulator, api: Api):
    emulator.set_options(**NO_WINDOWS)
    names = [f"bulk_{index:02d}" for index in range(42)]  # Terraform's acceptance test: count = 42
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda name: Api(emulator.url).call("POST", BASE + "/user", {"username": name}).status_code, names))
    try:
        assert statuses == [200] * len(names)
        assert set(names) <= {user["username"] for user in api.service("pg-dbu")["users"]}
    finally:
        for name in names:
            api.call("DELETE", f"{BASE}/user/{name}")


@pytest.mark.parametrize("options", [
    {"database_last_page_next": "none"}, {"delete_user_with_pools": "keep"}, {"reserved_database_prefixes": [""]},
    {"reserved_database_prefixes": "_aiven"}, {"username_pattern": "("}, {"database_page_size": 0}, {"user_create_404_reads": -1},
    {"poweroff_db_user_write_status": 500}, {"overridden_password": None},
])
def test_bad_option_values_are_refused(emulator, options):
    reply = emulator.session.put(f"{emulator.url}/_emulator/options", json=options, timeout=30)
    assert reply.status_code == 400, options
