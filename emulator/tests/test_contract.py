"""Every reply of every route, success and error, against Aiven's OpenAPI document."""

from __future__ import annotations

import json
import os

import pytest
from harness import PROJECT, READONLY_TOKEN, Api
from openapi_schema_validator import OAS30Validator

CONTRACT_DIR = os.path.join(os.path.dirname(__file__), "..", "aiven_emulator", "contract")
# A copy of ../shared/contract/aiven-openapi-pools.json, kept in the repo so a lone clone tests too.
CONTRACT = os.path.join(CONTRACT_DIR, "aiven-openapi-pools.json")
# The database and user operations of the same OpenAPI document (its "info" says where from).
DATABASES_USERS_CONTRACT = os.path.join(CONTRACT_DIR, "aiven-openapi-databases-users.json")


def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _load_contract() -> dict:
    spec = _load(os.environ.get("AIVEN_OPENAPI_CONTRACT", CONTRACT))
    extra = _load(DATABASES_USERS_CONTRACT)
    for path, methods in extra["paths"].items():
        spec["paths"].setdefault(path, {}).update(methods)
    for kind, items in extra["components"].items():
        spec["components"].setdefault(kind, {}).update(items)
    return spec


SPEC = _load_contract()
SCHEMAS = SPEC["components"]["schemas"]
OPERATIONS = {
    (method.upper(), path): operation
    for path, methods in SPEC["paths"].items()
    for method, operation in methods.items()
}


def success_schema(method: str, path: str) -> dict:
    ref = OPERATIONS[(method, path)]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return SCHEMAS[ref.rsplit("/", 1)[1]]


def error_schema(method: str, path: str) -> dict:
    """Aiven's error shape as the operation's own response schema declares it."""
    props = success_schema(method, path)["properties"]
    return {
        "type": "object",
        "required": ["message", "errors"],
        "properties": {"message": props["message"], "errors": dict(props["errors"], minItems=1)},
    }


def check(response, method: str, path: str, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    schema = success_schema(method, path) if status == 200 else error_schema(method, path)
    OAS30Validator(schema).validate(body)
    if status != 200:
        assert body["errors"][0]["status"] == status
    return body


SERVICE = "/project/{project}/service/{service_name}"
POOLS = SERVICE + "/connection_pool"
POOL = POOLS + "/{pool_name}"
DBS = SERVICE + "/db"
DB = DBS + "/{dbname}"
USERS = SERVICE + "/user"
USER = USERS + "/{service_username}"


def test_contract_lists_the_routes_we_serve():
    assert set(OPERATIONS) == {
        ("GET", SERVICE), ("POST", POOLS), ("PUT", POOL), ("DELETE", POOL),
        ("GET", DBS), ("POST", DBS), ("DELETE", DB),
        ("POST", USERS), ("GET", USER), ("PUT", USER), ("DELETE", USER),
    }


def test_pool_lifecycle_replies_match_the_schemas(api: Api):
    base = f"/project/{PROJECT}/service/pg-main"
    check(api.call("POST", base + "/connection_pool", {"pool_name": "c1", "database": "defaultdb"}), "POST", POOLS, 200)
    check(api.call("PUT", base + "/connection_pool/c1", {"pool_size": 33, "pool_mode": "session"}), "PUT", POOL, 200)
    service = check(api.call("GET", base), "GET", SERVICE, 200)["service"]
    pool = next(p for p in service["connection_pools"] if p["pool_name"] == "c1")
    assert (pool["pool_size"], pool["pool_mode"], pool["database"]) == (33, "session", "defaultdb")
    assert "username" not in pool
    check(api.call("DELETE", base + "/connection_pool/c1"), "DELETE", POOL, 200)
    check(api.call("GET", base + "/db"), "GET", SERVICE + "/db", 200)
    check(api.call("GET", base + "/user/app"), "GET", SERVICE + "/user/{service_username}", 200)


def test_service_document_carries_what_clients_read(api: Api):
    service = api.service(include_secrets=True)
    assert service["state"] == "RUNNING" and service["plan"] == "startup-4"
    assert service["databases"] == ["defaultdb", "appdb"]
    assert {u["username"]: u["type"] for u in service["users"]} == {"avnadmin": "primary", "app": "normal"}
    components = {(c["component"], c["route"], c["usage"]): c for c in service["components"]}
    assert len(components) == len(service["components"])
    assert components["pgbouncer", "dynamic", "primary"]["port"] != components["pg", "dynamic", "primary"]["port"]
    params = service["service_uri_params"]
    assert {"host", "port", "user", "password", "dbname", "sslmode"} <= set(params)
    seeded = next(p for p in service["connection_pools"] if p["pool_name"] == "seeded")
    assert seeded["username"] == "app" and seeded["pool_size"] == 5 and seeded["pool_mode"] == "transaction"
    password = next(u["password"] for u in service["users"] if u["username"] == "app")
    # The route option pool_uri_route names (public by default), not the first pgbouncer component.
    bouncer = components["pgbouncer", "public", "primary"]
    assert seeded["connection_uri"] == f"postgres://app:{password}@{bouncer['host']}:{bouncer['port']}/seeded?sslmode=require"


@pytest.mark.parametrize(
    "method, path, template, body, status, text",
    [
        ("GET", "/project/nope/service/pg-main", SERVICE, None, 404, "Project nope does not exist"),
        ("GET", f"/project/{PROJECT}/service/nope", SERVICE, None, 404, "Service nope does not exist"),
        ("GET", f"/project/{PROJECT}/service/nope/db", SERVICE + "/db", None, 404, "does not exist"),
        ("GET", f"/project/{PROJECT}/service/pg-main/user/ghost", SERVICE + "/user/{service_username}", None, 404, "ghost"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "seeded", "database": "appdb"}, 409, "already exists"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "nodb"}, 404, "nodb"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "appdb", "username": "ghost"}, 403,
         "Service database username ghost does not exist"),
        ("POST", f"/project/{PROJECT}/service/pg-hobby/connection_pool", POOLS, {"pool_name": "x", "database": "defaultdb"}, 403,
         "does not include the connection pooling option"),
        ("POST", f"/project/{PROJECT}/service/pg-off/connection_pool", POOLS, {"pool_name": "x", "database": "defaultdb"}, 409, "not powered"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "appdb", "pool_size": 0}, 400, "pool_size"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "appdb", "pool_size": "5"}, 400, "pool_size"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "appdb", "pool_size": True}, 400, "pool_size"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "appdb", "pool_mode": "batch"}, 400, "pool_mode"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x" * 64, "database": "appdb"}, 400, "pool_name"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "", "database": "appdb"}, 400, "pool_name"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "a\nb", "database": "appdb"}, 400, "pool_name"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"database": "appdb"}, 400, "pool_name"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, {"pool_name": "x", "database": "appdb", "username": "u" * 65}, 400, "username"),
        ("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", POOLS, ["not", "an", "object"], 400, "JSON object"),
        ("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/ghost", POOL, {"pool_size": 3}, 404, "ghost"),
        ("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", POOL, {"database": "nodb"}, 404, "nodb"),
        ("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", POOL, {"pool_size": 10001}, 400, "pool_size"),
        ("PUT", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", POOL, {"username": "ghost"}, 403, "ghost"),
        ("DELETE", f"/project/{PROJECT}/service/pg-main/connection_pool/ghost", POOL, None, 404, "ghost"),
        ("DELETE", f"/project/{PROJECT}/service/pg-off/connection_pool/ghost", POOL, None, 409, "not powered"),
    ],
)
def test_error_replies_have_aivens_shape(api: Api, method, path, template, body, status, text):
    reply = check(api.call(method, path, body), method, template, status)
    assert text in reply["message"]


@pytest.mark.parametrize("header", [None, "aivenv1 wrong", "Token test-token", "aivenv1"])
def test_bad_or_missing_token_is_401(emulator, header):
    api = Api(emulator.url)
    if header is None:
        del api.session.headers["Authorization"]
    else:
        api.session.headers["Authorization"] = header
    body = check(api.call("GET", f"/project/{PROJECT}/service/pg-main"), "GET", SERVICE, 401)
    assert "token" in body["message"]


def test_bearer_scheme_is_accepted(emulator):
    api = Api(emulator.url)
    api.session.headers["Authorization"] = "Bearer test-token"
    check(api.call("GET", f"/project/{PROJECT}/service/pg-main"), "GET", SERVICE, 200)


def test_read_only_token_reads_but_cannot_write(emulator):
    api = Api(emulator.url, token=READONLY_TOKEN)
    check(api.call("GET", f"/project/{PROJECT}/service/pg-main"), "GET", SERVICE, 200)
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", {"pool_name": "ro", "database": "appdb"})
    check(reply, "POST", POOLS, 403)


def test_malformed_json_is_400(api: Api):
    reply = api.call("POST", f"/project/{PROJECT}/service/pg-main/connection_pool", data=b"{not json",
                     headers={"Content-Type": "application/json"})
    assert check(reply, "POST", POOLS, 400)["message"] == "Invalid JSON in request body"


def test_unknown_routes_and_methods_get_the_error_shape(api: Api):
    for method, path, status in [("GET", "/nope", 404), ("PATCH", f"/project/{PROJECT}/service/pg-main/connection_pool/seeded", 405),
                                 ("GET", f"/project/{PROJECT}/service/pg-main/connection_pool", 405)]:
        reply = api.call(method, path)
        assert reply.status_code == status
        OAS30Validator(error_schema("POST", POOLS)).validate(reply.json())


def test_unknown_query_parameters_are_ignored(api: Api):
    reply = api.call("GET", f"/project/{PROJECT}/service/pg-main", params={"limit": 999, "include_secrets": "true", "x": "y"})
    check(reply, "GET", SERVICE, 200)


def test_pool_names_pgbouncer_cannot_serve_are_refused(api: Api):
    base = f"/project/{PROJECT}/service/pg-main/connection_pool"
    for name in ["a/b", "a b", "..%2F", "pgbouncer", "caf\u00e9"]:
        reply = check(api.call("POST", base, {"pool_name": name, "database": "appdb"}), "POST", POOLS, 400)
        assert "pool_name" in reply["message"]


def test_url_quoted_path_segments(emulator, api: Api):
    # The permissive pattern is an option: the name check is unconfirmed, quoting is not.
    emulator.set_options(pool_name_pattern=".*")
    base = f"/project/{PROJECT}/service/pg-main/connection_pool"
    check(api.call("POST", base, {"pool_name": "a/b c", "database": "appdb"}), "POST", POOLS, 200)
    check(api.call("PUT", base + "/a%2Fb%20c", {"pool_size": 7}), "PUT", POOL, 200)
    pool = next(p for p in api.service()["connection_pools"] if p["pool_name"] == "a/b c")
    assert pool["pool_size"] == 7 and "/a%2Fb%20c?" in pool["connection_uri"]
    check(api.call("DELETE", base + "/a%2Fb%20c"), "DELETE", POOL, 200)
    emulator.set_options(pool_name_pattern=r"^[A-Za-z0-9_.-]+$")


def test_unpin_with_null_username(api: Api):
    base = f"/project/{PROJECT}/service/pg-main/connection_pool"
    check(api.call("POST", base, {"pool_name": "pinned", "database": "appdb", "username": "app"}), "POST", POOLS, 200)
    check(api.call("PUT", base + "/pinned", {"username": None}), "PUT", POOL, 200)
    pool = next(p for p in api.service()["connection_pools"] if p["pool_name"] == "pinned")
    assert "username" not in pool
    # Unpinned URIs carry the primary user by default (configurable: see test_options).
    assert pool["connection_uri"].startswith("postgres://avnadmin:")
    check(api.call("DELETE", base + "/pinned"), "DELETE", POOL, 200)


def test_database_and_user_lifecycle_replies_match_the_schemas(emulator, api: Api):
    base = f"/project/{PROJECT}/service/pg-dbu"
    check(api.call("POST", base + "/db", {"database": "contractdb", "lc_collate": "C", "lc_ctype": "C"}), "POST", DBS, 200)
    listed = check(api.call("GET", base + "/db", params={"maxItems": 250}), "GET", DBS, 200)
    check(api.call("DELETE", base + "/db/contractdb"), "DELETE", DB, 200)
    emulator.set_options(user_create_404_reads=0)
    try:
        created = check(api.call("POST", base + "/user", {"username": "contract_user", "access_control": {"pg_allow_replication": True}}),
                        "POST", USERS, 200)["user"]
        check(api.call("GET", base + "/user/contract_user"), "GET", USER, 200)
    finally:
        emulator.set_options(user_create_404_reads=1)
    assert (created["type"], created["access_control"]) == ("normal", {"pg_allow_replication": True})
    for body in ({"operation": "reset-credentials", "new_password": "a-new-password"}, {"operation": "reset-credentials"},
                 {"operation": "set-access-control", "access_control": {"pg_allow_replication": False}}):
        reply = check(api.call("PUT", base + "/user/contract_user", body), "PUT", USER, 200)
        assert "contract_user" in [user["username"] for user in reply["service"]["users"]]
    check(api.call("DELETE", base + "/user/contract_user"), "DELETE", USER, 200)
    assert listed["databases"]


@pytest.mark.parametrize(
    "method, path, template, body, status, text",
    [
        ("POST", "/db", DBS, {}, 400, "database"),
        ("POST", "/db", DBS, {"database": "d" * 41}, 400, "database"),
        ("POST", "/db", DBS, {"database": "x", "lc_collate": "c" * 129}, 400, "lc_collate"),
        ("POST", "/db", DBS, {"database": "defaultdb"}, 409, "already exists"),
        ("POST", "/db", DBS, {"database": "_aiven_x"}, 403, "reserved name pattern"),
        ("DELETE", "/db/ghost", DB, None, 404, "ghost"),
        ("POST", "/user", USERS, {}, 400, "username"),
        ("POST", "/user", USERS, {"username": "u" * 65}, 400, "username"),
        ("POST", "/user", USERS, {"username": "avnadmin"}, 409, "already exists"),
        ("GET", "/user/ghost", USER, None, 404, "ghost"),
        ("PUT", "/user/avnadmin", USER, {}, 400, "operation"),
        ("PUT", "/user/avnadmin", USER, {"operation": "rotate"}, 400, "operation"),
        ("PUT", "/user/avnadmin", USER, {"operation": "reset-credentials", "new_password": "short"}, 400, "new_password"),
        ("PUT", "/user/ghost", USER, {"operation": "reset-credentials"}, 404, "ghost"),
        ("DELETE", "/user/avnadmin", USER, None, 403, "primary"),
        ("DELETE", "/user/ghost", USER, None, 404, "ghost"),
    ],
)
def test_database_and_user_errors_have_aivens_shape(api: Api, method, path, template, body, status, text):
    reply = check(api.call(method, f"/project/{PROJECT}/service/pg-dbu" + path, body), method, template, status)
    assert text in reply["message"]


def test_database_and_user_writes_on_an_unknown_service(api: Api):
    base = f"/project/{PROJECT}/service/nope"
    assert "Service nope does not exist" in check(api.call("POST", base + "/db", {"database": "x"}), "POST", DBS, 404)["message"]
    assert "Service nope does not exist" in check(api.call("POST", base + "/user", {"username": "x"}), "POST", USERS, 404)["message"]
