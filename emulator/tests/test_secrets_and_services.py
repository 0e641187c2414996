"""Production's 2026 defaults: redacted secrets, token permissions, project membership, the service list."""

from __future__ import annotations

import pytest
from aiven.client.client import AivenClient, Error
from harness import NO_SECRETS_TOKEN, OTHER_PROJECT, OUTSIDER_TOKEN, PROJECT, READONLY_TOKEN, TOKEN, Api
from openapi_schema_validator import OAS30Validator
from test_contract import SCHEMAS, SERVICE, check, error_schema

REDACTED = "<redacted>"
SECRETS = {"include_secrets": "true"}
LIST_PATH = f"/project/{PROJECT}/service"


def _list_schema() -> dict:
    """The service list's reply: GET service's ``service`` object, as a list under ``services``.

    The vendored OpenAPI excerpt (2023) has no such operation; the shape is the one
    aiven-client's get_services and Terraform's pool sweeper read (contract, 2026 section).
    """
    item = SCHEMAS["ServiceGetResponse"]["properties"]["service"]
    return {"type": "object", "required": ["services"],
            "properties": {"services": {"type": "array", "items": item}}}


def _credentials_in(service: dict) -> list:
    """Every place of a service document that carries a password."""
    params = service["service_uri_params"]
    places = [params["password"], service["service_uri"]]
    places += [user["password"] for user in service["users"]]
    places += [pool["connection_uri"] for pool in service["connection_pools"]]
    return places


def test_a_plain_read_redacts_every_secret(api: Api):
    service = check(api.call("GET", f"/project/{PROJECT}/service/pg-main"), "GET", SERVICE, 200)["service"]
    assert service["service_uri_params"]["password"] == REDACTED
    assert {user["password"] for user in service["users"]} == {REDACTED}
    assert f"avnadmin:{REDACTED}@" in service["service_uri"]
    seeded = next(pool for pool in service["connection_pools"] if pool["pool_name"] == "seeded")
    # The placeholder stands as it is in the URI, not URL-encoded; host, port and path stay readable.
    assert seeded["connection_uri"].startswith(f"postgres://app:{REDACTED}@")
    assert seeded["connection_uri"].endswith("/seeded?sslmode=require")


def test_include_secrets_gives_the_real_values(api: Api, emulator):
    service = api.service(include_secrets=True)
    assert REDACTED not in str(_credentials_in(service))
    app_password = emulator.password(PROJECT, "pg-main", "app")
    seeded = next(pool for pool in service["connection_pools"] if pool["pool_name"] == "seeded")
    assert f"app:{app_password}@" in seeded["connection_uri"]
    admin_password = emulator.password(PROJECT, "pg-main", "avnadmin")
    assert service["service_uri_params"]["password"] == admin_password


@pytest.mark.parametrize("value", ["false", "0", "", "no"])
def test_include_secrets_other_than_true_keeps_them_redacted(api: Api, value: str):
    reply = api.call("GET", f"/project/{PROJECT}/service/pg-main", params={"include_secrets": value})
    assert reply.status_code == 200
    assert {user["password"] for user in reply.json()["service"]["users"]} == {REDACTED}


def test_a_token_without_the_secrets_permission_gets_403_when_it_asks(emulator):
    limited = Api(emulator.url, token=NO_SECRETS_TOKEN)
    refused = limited.call("GET", f"/project/{PROJECT}/service/pg-main", params=SECRETS)
    body = check(refused, "GET", SERVICE, 403)
    assert "secrets" in body["message"]
    assert check(limited.call("GET", LIST_PATH, params=SECRETS), "GET", SERVICE, 403)["errors"][0]["status"] == 403
    # Without asking it reads, redacted; and it may still write.
    assert {user["password"] for user in limited.service()["users"]} == {REDACTED}
    created = limited.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "ns", "database": "appdb"})
    assert created.status_code == 200
    assert limited.call("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/ns").status_code == 200


def test_old_seed_tokens_keep_their_meaning(emulator):
    # A plain token string may do everything; the old read_only: true reads, without secrets, and never writes.
    assert Api(emulator.url).service(include_secrets=True)["users"][0]["password"] != REDACTED
    readonly = Api(emulator.url, token=READONLY_TOKEN)
    assert readonly.call("GET", f"/project/{PROJECT}/service/pg-main").status_code == 200
    assert readonly.call("GET", f"/project/{PROJECT}/service/pg-main", params=SECRETS).status_code == 403
    write = readonly.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "ro", "database": "appdb"})
    assert write.status_code == 403


def test_redaction_options(emulator, api: Api):
    try:
        emulator.set_options(redact_pool_uris=False)
        service = api.service()
        seeded = next(pool for pool in service["connection_pools"] if pool["pool_name"] == "seeded")
        assert f"app:{emulator.password(PROJECT, 'pg-main', 'app')}@" in seeded["connection_uri"]
        assert {user["password"] for user in service["users"]} == {REDACTED}
        emulator.set_options(redact_secrets=False)
        assert REDACTED not in str(_credentials_in(api.service()))
    finally:
        emulator.set_options(redact_secrets=True, redact_pool_uris=True)


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", f"/project/{PROJECT}/service/pg-main", None),
        ("GET", f"/project/{PROJECT}/service", None),
        ("GET", f"/project/{PROJECT}/service/pg-main/db", None),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "x", "database": "appdb"}),
        ("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", {"pool_size": 7}),
        ("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", None),
    ],
)
def test_a_token_of_another_project_is_not_a_member(emulator, method: str, path: str, body):
    outsider = Api(emulator.url, token=OUTSIDER_TOKEN)
    reply = outsider.call(method, path, body)
    assert reply.status_code == 403
    assert reply.json() == {"message": "Not a project member", "errors": [{"message": "Not a project member", "status": 403}]}
    OAS30Validator(error_schema("GET", SERVICE)).validate(reply.json())
    # Its own project answers.
    assert outsider.call("GET", f"/project/{OTHER_PROJECT}/service/pg-other").status_code == 200


def test_service_list_holds_each_service_as_get_service_renders_it(emulator, api: Api):
    emulator.reset_requests()
    reply = api.call("GET", LIST_PATH)
    assert reply.status_code == 200
    listing = reply.json()
    OAS30Validator(_list_schema()).validate(listing)
    by_name = {service["service_name"]: service for service in listing["services"]}
    assert set(by_name) == {"pg-main", "pg-hobby", "pg-off", "pg-cycle", "pg-dbu"}
    for name, listed in by_name.items():
        assert listed == api.service(name)
    first = emulator.requests_log()["log"][0]
    assert (first["method"], first["path"], first["status"]) == ("GET", "/v1" + LIST_PATH, 200)


def test_service_list_honours_include_secrets(api: Api):
    listed = api.call("GET", LIST_PATH, params=SECRETS).json()["services"]
    main = next(service for service in listed if service["service_name"] == "pg-main")
    assert main == api.service(include_secrets=True)
    assert REDACTED not in str(_credentials_in(main))


def test_service_list_of_an_unknown_project(api: Api):
    reply = api.call("GET", "/project/nope/service")
    assert reply.status_code == 404 and reply.json()["message"] == "Project nope does not exist"


def test_plan_without_pooling_is_refused_in_productions_words(api: Api):
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-hobby/connection_pool", {"pool_name": "x", "database": "defaultdb"})
    assert reply.status_code == 403
    assert reply.json()["message"] == ("Current service plan does not include the connection pooling option. "
                                       "Please consider migrating to another PostgreSQL service plan.")


def test_aiven_client_reads_services_and_the_list(emulator):
    client = AivenClient(base_url=emulator.url)
    client.set_auth_token(TOKEN)
    services = client.get_services(PROJECT)
    assert sorted(service["service_name"] for service in services) == ["pg-cycle", "pg-dbu", "pg-hobby", "pg-main", "pg-off"]
    assert client.get_service(PROJECT, "pg-main") in services
    outsider = AivenClient(base_url=emulator.url)
    outsider.set_auth_token(OUTSIDER_TOKEN)
    with pytest.raises(Error) as raised:
        outsider.get_services(PROJECT)
    assert raised.value.status == 403 and "Not a project member" in raised.value.response.text
