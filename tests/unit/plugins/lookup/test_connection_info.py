# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info (plugins/lookup/connection_info.py) against the fake API: bad terms and options fail before
any request; what it returns, one request per service (or project); routes; credentials right or a failure; service
states; inputs that could hold or flood a run."""

from __future__ import annotations

import re
import time

import pytest
from ansible.errors import AnsibleError, AnsibleLookupError

from ansible_collections.dbpools.aiven.plugins.lookup import connection_info
from ansible_collections.dbpools.aiven.plugins.module_utils import _transport
from ansible_collections.dbpools.aiven.plugins.module_utils._text import MESSAGE_MAX, shown
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.emulated_service import PASSWORD
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.fake_api import CA_CERTIFICATE, PROJECT_CA_PEM, error_reply
from ansible_collections.dbpools.aiven.tests.unit.plugins.support.service_components import COMPONENTS

# --- bad terms and options, missing pools ---------------------------------------------------------


TOKEN = "lookup-T0KEN-0123456789abcdef"


def options(fake_api, **extra):
    return {"api_token": TOKEN, "api_url": fake_api.url, "api_retries": 0, **extra}


@pytest.mark.parametrize(("terms", "message"), [
    (["proj/pg1"], "term 'proj/pg1' must be PROJECT/SERVICE/POOL"),
    (["proj"], "term 'proj' must be PROJECT/SERVICE/POOL"),
    ([42], "each term must be a string PROJECT/SERVICE/POOL, got 42"),
    ([{"project": "proj"}], "each term must be a string PROJECT/SERVICE/POOL"),
    (["/pg1/app"], "term '/pg1/app': project must be 1 to 63 characters"),
    (["pro j/pg1/app"], "term 'pro j/pg1/app': project must be 1 to 63 characters"),
    (["proj//app"], "term 'proj//app': service_name must be a string of 1 to 64 characters"),
    (["proj/pg1/"], "term 'proj/pg1/': pool_name must be a string of 1 to 63 characters"),
    (["proj/pg1/a\nb"], "pool_name must not contain control characters"),
    (["proj/pg1/ok", "proj/pg1/" + "p" * 64], "pool_name must be a string of 1 to 63 characters"),
])
def test_bad_term_fails_before_any_request(fake_api, lookup, warnings, terms, message):
    with pytest.raises(AnsibleLookupError, match=message.replace("(", r"\(").replace("?", r"\?")):
        lookup(*terms, **options(fake_api))
    assert fake_api.requests == []


@pytest.mark.parametrize(("extra", "message"), [
    ({"api_token": ""}, "no API token: set api_token, or the environment variable AIVEN_TOKEN or AIVEN_AUTH_TOKEN"),
    ({"api_token": "   "}, "no API token"),
    ({"api_url": "ftp://example.com"}, "api_url must start with https:// or http://"),
    ({"api_url": "https://user:pw@example.com"}, "api_url must not contain a user name or password"),
    ({"timeout": 0}, "api_timeout must be more than 0"),  # the alias, checked as api_timeout
    ({"api_timeout": 0}, "api_timeout must be more than 0"),
    ({"api_retries": 21}, "api_retries must be from 0 to 20"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path '/nonexistent/ca.pem' does not exist"),
    ({"unpinned_user": ""}, "unpinned_user must be a string of 1 to 64 characters"),
    ({"ca_certs": True}, "unknown option\\(s\\) 'ca_certs'; valid options: api_retries, api_timeout, api_token, api_tokens, api_url, ca_cert, ca_path"),
])
def test_bad_option_fails_before_any_request(fake_api, lookup, warnings, extra, message):
    with pytest.raises(AnsibleLookupError, match=message) as info:
        lookup("proj/pg1/app", **options(fake_api, **extra))
    assert fake_api.requests == []
    assert TOKEN not in str(info.value)


def test_no_token_anywhere_fails_before_any_request(fake_api, lookup, warnings, monkeypatch):
    monkeypatch.setenv("AIVEN_TOKEN", " ")
    with pytest.raises(AnsibleLookupError, match="no API token"):
        lookup("proj/pg1/app", api_url=fake_api.url)
    assert fake_api.requests == []


def test_missing_pool_is_named_with_the_pools_the_service_has(fake_api, lookup, warnings):
    for name in ("b-pool", "a-pool"):
        fake_api.add_pool("proj", "pg1", name, username="alice")
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/a-pool", "proj/pg1/app", **options(fake_api))
    assert str(info.value) == "pool proj/pg1/app does not exist; service proj/pg1 has pools: a-pool, b-pool"
    assert fake_api.count() == 1


def test_missing_pool_of_a_service_without_pools(fake_api, lookup, warnings):
    with pytest.raises(AnsibleLookupError, match="^pool proj/pg1/app does not exist; service proj/pg1 has no pools$"):
        lookup("proj/pg1/app", **options(fake_api))


def test_missing_service_among_several_is_named_with_the_projects_services(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg2", "a", username="alice")
    fake_api.missing.add(("proj", "nope"))
    with pytest.raises(AnsibleLookupError, match=r"^service proj/nope does not exist \(project proj has: pg1, pg2\)$"):
        lookup("proj/pg1/a", "proj/nope/a", **options(fake_api))
    # Each wanted service with its secrets; the 404 then reads the list without secrets, for the names.
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service/pg1?include_secrets=true",
                                                         "/v1/project/proj/service/nope?include_secrets=true",
                                                         "/v1/project/proj/service"]


def test_missing_service_among_several_without_secrets_takes_the_one_list_request(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg2", "a", username="alice")
    with pytest.raises(AnsibleLookupError, match=r"^service proj/nope does not exist \(project proj has: pg1, pg2\)$"):
        lookup("proj/pg1/a", "proj/nope/a", include_secrets=False, **options(fake_api))
    assert fake_api.count() == 1


def test_missing_service_alone_gives_the_apis_answer(fake_api, lookup, warnings):
    fake_api.missing.add(("proj", "gone"))
    with pytest.raises(AnsibleLookupError, match="cannot read service proj/gone: .*Service gone does not exist") as info:
        lookup("proj/gone/app", **options(fake_api))
    assert TOKEN not in str(info.value)


def test_an_api_error_echoing_the_token_is_scrubbed(fake_api, lookup, warnings):
    fake_api.script("GET", "/v1/project/proj/service/pg1?include_secrets=true", error_reply(401, f"Invalid token {TOKEN}"))
    with pytest.raises(AnsibleLookupError, match="cannot read service proj/pg1") as info:
        lookup("proj/pg1/app", **options(fake_api))
    assert TOKEN not in str(info.value)


def test_a_service_that_is_not_postgresql_is_named(fake_api, lookup, warnings):
    fake_api.script("GET", "/v1/project/proj/service/kafka1?include_secrets=true", (200, {}, {"service": {"service_name": "kafka1"}}))
    with pytest.raises(AnsibleLookupError, match="proj/kafka1: the service has no connection_pools"):
        lookup("proj/kafka1/app", **options(fake_api))


def test_ca_certificate_failure_names_the_project(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.script("GET", "/v1/project/proj/kms/ca", error_reply(403, "Not a project member"))
    with pytest.raises(AnsibleLookupError, match="cannot read the CA certificate of project proj: .*Not a project member"):
        lookup("proj/pg1/a", **options(fake_api, ca_cert=True))


def test_plain_http_to_a_remote_host_and_unchecked_certificates_warn(fake_api, lookup, warnings):
    # No terms: the options are checked (and warned about), and nothing is read.
    assert lookup(**options(fake_api, api_url="http://192.0.2.1:9", validate_certs=False)) == []
    assert any("api_url is plain http" in message and "192.0.2.1" in message for message in warnings.messages)
    assert any("validate_certs is false" in message for message in warnings.messages)
    assert fake_api.requests == []


def test_loopback_http_gives_no_warning(fake_api, lookup, warnings):
    assert lookup(**options(fake_api)) == []
    assert warnings.messages == []


def test_missing_requests_fails_before_any_request(fake_api, lookup, warnings, monkeypatch):
    monkeypatch.setattr(connection_info, "HAS_REQUESTS", False)
    with pytest.raises(AnsibleLookupError, match="needs the Python library requests on the controller"):
        lookup("proj/pg1/app", **options(fake_api))
    assert fake_api.requests == []


# --- what it returns, and its requests ------------------------------------------------------------


PEM = "-----BEGIN CERTIFICATE-----\nMIIBproject\n-----END CERTIFICATE-----\n"


def test_pinned_pool_details(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    [details] = lookup("proj/pg1/app", **options(fake_api))
    assert details == {"host": "pg.example.com", "port": 12692, "dbname": "app", "user": "alice", "password": PASSWORD,
                       "sslmode": "require", "uri": f"postgres://alice:{PASSWORD}@pg.example.com:12692/app?sslmode=require"}
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service/pg1?include_secrets=true"]
    assert fake_api.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"
    assert warnings.messages == []


def test_many_pools_of_one_service_take_one_request_in_the_order_asked(fake_api, lookup, warnings):
    for name in ("a", "b", "c"):
        fake_api.add_pool("proj", "pg1", name, username="alice")
    results = lookup("proj/pg1/c", "proj/pg1/a", "proj/pg1/b", "proj/pg1/a", **options(fake_api))
    assert [item["dbname"] for item in results] == ["c", "a", "b", "a"]
    assert fake_api.calls() == ["GET /v1/project/proj/service/pg1"]


def test_two_services_of_a_project_with_secrets_read_each_and_never_the_others(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg2", "b", username="bob")
    fake_api.add_pool("proj", "pg3", "c", username="carol")
    results = lookup("proj/pg1/a", "proj/pg2/b", "proj/pg1/a", **options(fake_api))
    assert [(item["dbname"], item["user"]) for item in results] == [("a", "alice"), ("b", "bob"), ("a", "alice")]
    # The project's list would carry pg3's secrets too.
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service/pg1?include_secrets=true",
                                                         "/v1/project/proj/service/pg2?include_secrets=true"]


def test_two_services_of_a_project_without_secrets_take_one_list_request(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg2", "b", username="bob")
    fake_api.add_pool("proj", "pg3", "c", username="carol")
    results = lookup("proj/pg1/a", "proj/pg2/b", "proj/pg1/a", include_secrets=False, **options(fake_api))
    assert [(item["dbname"], item["user"]) for item in results] == [("a", "alice"), ("b", "bob"), ("a", "alice")]
    assert [item.path for item in fake_api.requests] == ["/v1/project/proj/service"]


def test_one_read_per_project_without_secrets(fake_api, lookup, warnings):
    fake_api.add_pool("one", "pg1", "a", username="alice")
    fake_api.add_pool("two", "pg1", "a", username="bob")
    fake_api.add_pool("two", "pg2", "b", username="bob")
    results = lookup("one/pg1/a", "two/pg1/a", "two/pg2/b", include_secrets=False, **options(fake_api))
    assert [item["user"] for item in results] == ["alice", "bob", "bob"]
    assert fake_api.calls() == ["GET /v1/project/one/service/pg1", "GET /v1/project/two/service"]


def test_ca_cert_adds_one_request_per_project(fake_api, lookup, warnings):
    fake_api.add_pool("one", "pg1", "a", username="alice")
    fake_api.add_pool("one", "pg1", "b", username="alice")
    fake_api.add_pool("two", "pg1", "a", username="bob")
    other = PEM.replace("project", "other")
    fake_api.script("GET", "/v1/project/one/kms/ca", (200, {}, {"certificate": PEM}))
    fake_api.script("GET", "/v1/project/two/kms/ca", (200, {}, {"certificate": other}))
    results = lookup("one/pg1/a", "two/pg1/a", "one/pg1/b", **options(fake_api, ca_cert=True))
    assert [item["ca_cert"] for item in results] == [PEM, other, PEM]
    assert sorted(fake_api.calls()) == ["GET /v1/project/one/kms/ca", "GET /v1/project/one/service/pg1",
                                        "GET /v1/project/two/kms/ca", "GET /v1/project/two/service/pg1"]


def test_without_ca_cert_no_certificate_is_read(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    [details] = lookup("proj/pg1/a", **options(fake_api))
    assert "ca_cert" not in details
    assert fake_api.count(path="/v1/project/proj/kms/ca") == 0


def test_a_list_given_as_one_term_counts_as_its_items(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    fake_api.add_pool("proj", "pg1", "b", username="alice")
    assert [item["dbname"] for item in lookup(["proj/pg1/a", "proj/pg1/b"], **options(fake_api))] == ["a", "b"]


def test_no_terms_no_request(fake_api, lookup, warnings):
    assert lookup(**options(fake_api)) == []
    assert fake_api.requests == []


def test_pool_name_is_everything_after_the_second_slash(fake_api, lookup, warnings):
    fake_api.add_pool("proj", "pg1", "team/app", username="alice")
    [details] = lookup("proj/pg1/team/app", **options(fake_api))
    assert details["dbname"] == "team/app"
    assert "/team%2Fapp?" in details["uri"]


def test_token_and_url_from_the_environment_empty_values_skipped(fake_api, lookup, warnings, monkeypatch):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    monkeypatch.setenv("AIVEN_TOKEN", "")
    monkeypatch.setenv("AIVEN_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("AIVEN_WEB_URL", fake_api.url)
    [details] = lookup("proj/pg1/a", api_retries=0)
    assert details["user"] == "alice"
    assert fake_api.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"


def test_aiven_token_wins_over_aiven_auth_token(fake_api, lookup, warnings, monkeypatch):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    monkeypatch.setenv("AIVEN_TOKEN", TOKEN)
    monkeypatch.setenv("AIVEN_AUTH_TOKEN", "other-token")
    lookup("proj/pg1/a", api_url=fake_api.url, api_retries=0)
    assert fake_api.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"


def test_the_api_token_option_wins_over_the_environment(fake_api, lookup, warnings, monkeypatch):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    monkeypatch.setenv("AIVEN_TOKEN", "env-token")
    lookup("proj/pg1/a", **options(fake_api))
    assert fake_api.requests[0].headers["Authorization"] == f"aivenv1 {TOKEN}"


def test_the_api_url_option_wins_over_aiven_web_url(fake_api, lookup, warnings, monkeypatch):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    monkeypatch.setenv("AIVEN_WEB_URL", "https://aiven-web-url.invalid")
    [details] = lookup("proj/pg1/a", **options(fake_api))
    assert details["user"] == "alice"
    assert fake_api.count() == 1


# --- route and usage ------------------------------------------------------------------------------


@pytest.fixture
def routed(fake_api):
    fake_api.add_pool("proj", "pg1", "app", username="alice")
    fake_api.add_service("proj", "pg1", components=COMPONENTS)
    return fake_api


def test_without_route_and_usage_the_pools_own_address_not_the_first_component(routed, lookup, warnings):
    [details] = lookup("proj/pg1/app", **options(routed))
    assert (details["host"], details["port"]) == ("pg.example.com", 12692)


@pytest.mark.parametrize("route, usage, address", [
    ("dynamic", None, ("dyn.example.com", 12692)),
    (None, "replica", ("replica-dyn.example.com", 12693)),
    ("public", "primary", ("pg.example.com", 12692)),
])
def test_route_and_usage_pick_that_pgbouncer_address(routed, lookup, warnings, route, usage, address):
    given = {key: value for key, value in (("route", route), ("usage", usage)) if value is not None}
    [details] = lookup("proj/pg1/app", **options(routed, **given))
    assert (details["host"], details["port"]) == address
    assert details["uri"] == f"postgres://alice:{PASSWORD}@{address[0]}:{address[1]}/app?sslmode=require"


def test_an_address_the_service_lacks_fails_naming_the_pool_and_the_addresses_it_has(routed, lookup, warnings):
    with pytest.raises(AnsibleError) as caught:
        lookup("proj/pg1/app", **options(routed, route="privatelink"))
    assert str(caught.value) == ("pool proj/pg1/app: the service lists no PgBouncer address with route privatelink and usage primary "
                                 "(it has: route dynamic usage primary, route public usage primary, route dynamic usage replica)")


@pytest.mark.parametrize("given", [{"route": "vpc"}, {"usage": "ha_replica"}, {"route": "Dynamic"}])
def test_a_value_that_is_not_a_route_or_usage_fails_before_any_request(fake_api, lookup, warnings, given):
    with pytest.raises(AnsibleError) as caught:
        lookup("proj/pg1/app", **options(fake_api, **given))
    [(name, value)] = given.items()
    assert value in str(caught.value) and name in str(caught.value)
    assert fake_api.requests == []


# --- credentials right or a failure, include_secrets=false ----------------------------------------


USERS = [{"username": "avnadmin", "password": "admin-secret", "type": "primary"},
         {"username": "app", "password": "app-secret", "type": "normal"}]


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


# --- services not running; API texts printable ----------------------------------------------------


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


# --- inputs that could hold or flood a run, the project CA's permission ---------------------------


BOUNDS_TOKEN = "lookup-bounds-T0KEN-0123456789abcdef"


READ = "/v1/project/proj/service/pg1?include_secrets=true"


CA = "/v1/project/proj/kms/ca"


def bounded_options(fake_api, **extra):
    return {"api_token": BOUNDS_TOKEN, "api_url": fake_api.url, "api_retries": 0, "timeout": 5, **extra}


@pytest.fixture
def pool_a(fake_api):
    fake_api.add_pool("proj", "pg1", "a", username="alice")
    return fake_api


def test_a_fifo_as_ca_path_fails_at_once_naming_the_option(fake_api, lookup, warnings, fifo):
    started = time.monotonic()
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/a", **bounded_options(fake_api, ca_path=fifo))
    assert time.monotonic() - started < 5.0
    assert str(info.value) == f"ca_path {shown(fifo)} is a FIFO (named pipe), not a regular file: give the path of a PEM file"
    assert fake_api.requests == []


def test_a_bundle_variable_naming_a_fifo_fails_naming_the_variable(fake_api, lookup, warnings, fifo, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fifo)
    with pytest.raises(AnsibleLookupError, match="^the environment variable REQUESTS_CA_BUNDLE names .* which is a FIFO"):
        lookup("proj/pg1/a", **bounded_options(fake_api))
    assert fake_api.requests == []


def test_a_reply_over_the_cap_is_a_lookup_error_saying_the_cap(pool_a, lookup, warnings, monkeypatch):
    monkeypatch.setattr(_transport, "REPLY_MAX_BYTES", 50_000)
    pool_a.script("GET", READ, (200, {}, {"service": {"state": "RUNNING", "x": "a" * 50_000}}))
    with pytest.raises(AnsibleLookupError, match=r"cannot read service proj/pg1: .*HTTP 200: reply larger than 50000 bytes"):
        lookup("proj/pg1/a", **bounded_options(pool_a))


def test_an_error_nested_too_deep_is_a_lookup_error(pool_a, lookup, warnings):
    pool_a.script("GET", READ, (400, {}, '{"errors": ' + "[" * 300 + "]" * 300 + "}"))
    with pytest.raises(AnsibleLookupError, match="HTTP 400: Bad Request: reply nested deeper than 64 levels"):
        lookup("proj/pg1/a", **bounded_options(pool_a))


def test_a_malformed_reply_is_a_lookup_error(fake_api, lookup, warnings):
    fake_api.script("GET", READ, (200, {}, {"service": {"state": "RUNNING", "connection_pools": "a,b"}}))
    with pytest.raises(AnsibleLookupError, match="^unexpected reply for service proj/pg1: connection_pools must be a list"):
        lookup("proj/pg1/a", **bounded_options(fake_api))


def test_the_ca_refused_names_the_permission_and_the_ways_around_it(pool_a, lookup, warnings):
    pool_a.script("GET", CA, error_reply(403, "Forbidden"))
    with pytest.raises(AnsibleLookupError) as info:
        lookup("proj/pg1/a", **bounded_options(pool_a, ca_cert=True))
    assert str(info.value) == (f"cannot read the CA certificate of project proj: GET {CA}: HTTP 403: Forbidden; reading it needs the "
                               "permission organization:projects:write, which tokens with a project role only may lack: use a token "
                               "that has it, or give the project's CA certificate as a file with project_ca_path")


def test_the_ca_comes_from_the_api_without_project_ca_path(pool_a, lookup, warnings):
    (result,) = lookup("proj/pg1/a", **bounded_options(pool_a, ca_cert=True))
    assert result["ca_cert"] == CA_CERTIFICATE
    assert pool_a.calls() == ["GET /v1/project/proj/service/pg1", "GET " + CA]


def test_project_ca_path_gives_the_ca_without_asking_the_api(pool_a, lookup, warnings, ca_file):
    results = lookup("proj/pg1/a", "proj/pg1/a", **bounded_options(pool_a, ca_cert=True, project_ca_path=ca_file))
    # Only the certificate: the key beside it in the file is not returned.
    assert [result["ca_cert"] for result in results] == [PROJECT_CA_PEM + "\n"] * 2
    assert pool_a.calls() == ["GET /v1/project/proj/service/pg1"]


def test_project_ca_path_needs_ca_cert(fake_api, lookup, warnings, ca_file):
    with pytest.raises(AnsibleLookupError, match="^project_ca_path applies to ca_cert: set ca_cert=true"):
        lookup("proj/pg1/a", **bounded_options(fake_api, project_ca_path=ca_file))
    assert fake_api.requests == []


def test_project_ca_path_is_the_ca_of_one_project(fake_api, lookup, warnings, ca_file):
    with pytest.raises(AnsibleLookupError, match="^project_ca_path is the CA of one project, but the terms name projects other, proj: "
                                                 "run one lookup per project$"):
        lookup("proj/pg1/a", "other/pg1/a", **bounded_options(fake_api, ca_cert=True, project_ca_path=ca_file))
    assert fake_api.requests == []


@pytest.mark.parametrize("case", ["fifo", "not-pem", "directory"])
def test_an_unusable_project_ca_path_fails_before_any_request(fake_api, lookup, warnings, tmp_path, fifo, case):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n", encoding="utf-8")
    path = {"fifo": fifo, "not-pem": str(not_pem), "directory": str(tmp_path)}[case]
    expected = {"fifo": "is a FIFO (named pipe)", "not-pem": "holds no PEM certificate", "directory": "is a directory"}[case]
    started = time.monotonic()
    with pytest.raises(AnsibleLookupError, match=re.escape(f"project_ca_path {shown(path)} {expected}")):
        lookup("proj/pg1/a", **bounded_options(fake_api, ca_cert=True, project_ca_path=path))
    assert time.monotonic() - started < 5.0
    assert fake_api.requests == []
