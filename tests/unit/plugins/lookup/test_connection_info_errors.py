# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup connection_info: bad terms and options fail before any request; a missing pool is named."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dbpools.aiven.plugins.lookup import connection_info
from ansible_collections.dbpools.aiven.tests.unit.plugins.modules.fake_api import error_reply

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
    ({"ca_certs": True}, "unknown option\\(s\\) 'ca_certs'; valid options: api_retries, api_timeout, api_token, api_url, ca_cert, ca_path"),
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
