# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info: what it returns, and that it asks once per service (or per project)."""

from __future__ import annotations

from ansible_collections.dbpools.aiven.tests.unit.plugins.module_utils.emulated_service import PASSWORD

TOKEN = "lookup-T0KEN-0123456789abcdef"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBproject\n-----END CERTIFICATE-----\n"


def options(fake_api, **extra):
    return {"api_token": TOKEN, "api_url": fake_api.url, "api_retries": 0, **extra}


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
